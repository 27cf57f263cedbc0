"""The hdf5 dataset: a cosmossl map file, with the prior it records or one the run file states."""

from __future__ import annotations

import numpy as np
import pytest

import cosmossl
from cosmossl.components.meta import MapMeta
from cosmossl.data import MapSet, read_mapset, write_mapset


def write(tmp_path, priors=None, sources=None):
    """A map file of 6 maps whose omega_m runs from 0.2 to 0.45 and sigma_8 from 0.7 to 0.9."""
    params = np.c_[np.linspace(0.2, 0.45, 6), np.linspace(0.7, 0.9, 6)].astype(np.float32)
    mapset = MapSet(
        maps=np.zeros((6, 1, 4, 4), np.float32),
        params=params,
        param_names=("omega_m", "sigma_8"),
        cosmology_id=np.arange(6),
        simulation_id=np.arange(6),
        split=np.array([0, 0, 0, 0, 1, 2], np.int8),
        meta=MapMeta(shape=(1, 4, 4)),
        priors=priors or {},
        prior_sources=sources or {},
    )
    return write_mapset(mapset, tmp_path / "maps.h5")


def load(path, **priors):
    return cosmossl.create("dataset", "hdf5", path=str(path), **priors).load(seed=0)


def test_the_prior_recorded_by_simulate_is_the_prior(tmp_path, recwarn):
    path = write(tmp_path, {"omega_m": (0.1, 0.5), "sigma_8": (0.6, 1.0)})
    mapset = load(path)
    assert mapset.priors == {"omega_m": (0.1, 0.5), "sigma_8": (0.6, 1.0)}
    assert mapset.prior_sources == {"omega_m": "file", "sigma_8": "file"}
    assert not [w for w in recwarn if issubclass(w.category, cosmossl.PriorWarning)]


def test_a_stated_prior_overrides_the_recorded_one(tmp_path):
    path = write(tmp_path, {"omega_m": (0.1, 0.5), "sigma_8": (0.6, 1.0)})
    mapset = load(path, priors={"omega_m": [0.15, 0.45]})
    assert mapset.priors == {"omega_m": (0.15, 0.45), "sigma_8": (0.6, 1.0)}
    assert mapset.prior_sources == {"omega_m": "stated", "sigma_8": "file"}


def test_a_file_without_priors_gets_the_data_min_max_with_a_warning(tmp_path):
    path = write(tmp_path, {"omega_m": (0.1, 0.5)})
    with pytest.warns(cosmossl.PriorWarning, match=r"the prior of sigma_8 ∈ \[0\.7, 0\.9\] is"):
        mapset = load(path)
    assert mapset.prior_sources == {"omega_m": "file", "sigma_8": "data"}


def test_a_min_max_prior_written_into_a_file_is_not_taken_for_a_true_one(tmp_path):
    path = write(tmp_path, {"omega_m": (0.2, 0.45), "sigma_8": (0.7, 0.9)},
                 {"omega_m": "data", "sigma_8": "data"})  # fmt: skip
    assert read_mapset(path).prior_sources == {"omega_m": "data", "sigma_8": "data"}
    with pytest.warns(cosmossl.PriorWarning, match=r"omega_m ∈ \[0\.2, 0\.45\]"):
        mapset = load(path, priors={"sigma_8": [0.6, 1.0]})
    assert mapset.prior_sources == {"omega_m": "data", "sigma_8": "stated"}


def test_a_row_outside_a_stated_prior_names_the_file_row(tmp_path):
    path = write(tmp_path, {"omega_m": (0.1, 0.5), "sigma_8": (0.6, 1.0)})
    with pytest.raises(
        cosmossl.DataError,
        match=r"maps\.h5' row 4 \(counting from 0\): omega_m = 0\.4 lies outside the stated "
        r"prior \[0\.1, 0\.38\]; 2 rows in all lie outside it \(4, 5\)",
    ):
        load(path, priors={"omega_m": [0.1, 0.38]})


def test_a_value_stored_as_float32_on_the_edge_of_a_stated_prior_is_inside(tmp_path):
    path = write(tmp_path)  # omega_m's largest value 0.45 is stored as 0.44999998807907104
    assert load(path, priors={"omega_m": [0.2, 0.45], "sigma_8": [0.7, 0.9]}).priors["omega_m"] == (
        0.2,
        0.45,
    )
