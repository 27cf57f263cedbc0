"""check_dataset and check_simulator pass correct datasets and name what is wrong."""

from __future__ import annotations

import numpy as np
import pytest
from support import kit

from cosmossl.testing import check_dataset, check_simulator


def test_a_correct_dataset_passes_and_its_map_set_is_returned():
    mapset = check_dataset(kit.GoodDataset())
    assert len(mapset) == 24 and mapset.param_names == ("a",)


@pytest.mark.parametrize(
    ("dataset", "message"),
    [
        (
            kit.MixedGroupDataset,
            r"maps 0 and 1 share cosmology_id 0 but not their parameters",
        ),
        (kit.SplitByMapDataset, r"cosmology 0 has maps in train and val and test: split by group"),
        (kit.UnseededDataset, r"loading twice with seed 0 gave other maps"),
        (
            kit.HalfSimulator,
            r"has simulate but not param_names, meta, fiducial, fisher_limit: the engine treats",
        ),
        (kit.SeedlessNoiseSimulator, r"a 0\.1% step in the parameters with the same seed"),
        (
            kit.NuisanceOffFiducialSimulator,
            r"simulate\(theta, seeds\) without a nuisance must hold it at nuisance_fiducial",
        ),
    ],
    ids=lambda value: value.__name__ if isinstance(value, type) else "",
)
def test_a_broken_dataset_fails_with_a_message_naming_the_problem(dataset, message):
    with pytest.raises(AssertionError, match=message):
        check_dataset(dataset())


def test_a_simulator_is_checked_as_one():
    limit = check_simulator(kit.GoodSimulator())
    np.testing.assert_allclose(limit, [[128.0]])
    check_dataset(kit.GoodSimulator())


def test_a_dataset_split_by_simulation_can_say_so():
    class OneCosmology(kit.GoodDataset):
        def load(self, *, seed, progress=False):
            mapset = super().load(seed=seed)
            mapset.cosmology_id[:] = 0
            mapset.params[:] = 1.0
            mapset.split[:] = np.arange(len(mapset)) % 3
            return mapset

    with pytest.raises(AssertionError, match="cosmology 0 has maps in train and val and test"):
        check_dataset(OneCosmology())
    check_dataset(OneCosmology(), split_by="simulation")


def test_a_nuisance_simulator_is_checked_with_its_nuisance():
    assert check_simulator(kit.NuisanceSimulatorKit()).shape == (1, 1)
