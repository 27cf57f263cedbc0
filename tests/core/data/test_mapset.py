"""MapSet.subset: the rows asked for, with every per-row field, and everything else kept."""

from __future__ import annotations

import numpy as np
import pytest

from cosmossl.components.meta import MapMeta
from cosmossl.data.hdf5 import read_mapset, write_mapset
from cosmossl.data.mapset import MapSet


def paired_mapset() -> MapSet:
    """Six maps: three seeds, each simulated twice with another feedback draw."""
    rng = np.random.default_rng(1)
    return MapSet(
        maps=rng.normal(size=(6, 1, 8, 8)).astype(np.float32),
        params=rng.uniform(size=(6, 2)).astype(np.float32),
        param_names=("omega_m", "sigma_8"),
        cosmology_id=np.array([0, 0, 1, 1, 2, 2]),
        simulation_id=np.arange(6),
        seed_id=np.array([10, 10, 11, 11, 12, 12]),
        split=np.array([0, 0, 1, 1, 2, 2], dtype=np.int8),
        meta=MapMeta(shape=(1, 8, 8), box_size=25.0, content="log1p-overdensity"),
        nuisance=rng.uniform(size=(6, 1)).astype(np.float32),
        nuisance_names=("A_AGN1",),
        priors={"omega_m": (0.1, 0.5), "sigma_8": (0.6, 1.0)},
        param_labels={"omega_m": r"\Omega_{\rm m}", "A_AGN1": r"A_{\rm AGN1}"},
        attrs={"generator": "test"},
    )


def test_a_subset_takes_the_rows_of_every_per_row_field():
    mapset = paired_mapset()
    rows = [5, 2, 3]
    part = mapset.subset(rows)
    assert len(part) == 3
    np.testing.assert_array_equal(part.maps, mapset.read(rows))
    for name in ("params", "cosmology_id", "simulation_id", "seed_id", "split", "nuisance"):
        np.testing.assert_array_equal(getattr(part, name), getattr(mapset, name)[rows])
    assert part.seed_id.tolist() == [12, 11, 11]
    assert part.group_ids("paired").tolist() == [12, 11, 11]


def test_a_subset_keeps_names_priors_labels_geometry_and_content():
    mapset = paired_mapset()
    part = mapset.subset([0, 1])
    assert part.param_names == ("omega_m", "sigma_8")
    assert part.nuisance_names == ("A_AGN1",)
    assert part.priors == {"omega_m": (0.1, 0.5), "sigma_8": (0.6, 1.0)}
    assert part.param_labels == {"omega_m": r"\Omega_{\rm m}", "A_AGN1": r"A_{\rm AGN1}"}
    assert part.meta == mapset.meta and part.meta.content == "log1p-overdensity"
    assert part.attrs == {"generator": "test"}
    part.attrs["changed"] = True  # the subset's own copy
    assert "changed" not in mapset.attrs


def test_a_subset_takes_replacement_values_of_per_row_fields():
    mapset = paired_mapset()
    zeros = np.zeros((2, 1, 8, 8), dtype=np.float32)
    part = mapset.subset([4, 5], maps=zeros, nuisance=np.ones((2, 1)))
    np.testing.assert_array_equal(part.maps, zeros)
    np.testing.assert_array_equal(part.nuisance, np.ones((2, 1)))
    np.testing.assert_array_equal(part.params, mapset.params[[4, 5]])


def test_a_subset_refuses_a_field_that_is_not_per_row():
    with pytest.raises(ValueError, match="subset: meta, param_names are not per-row fields"):
        paired_mapset().subset([0], param_names=("a", "b"), meta=None)


def test_a_subset_written_to_a_map_file_reads_back_with_labels_content_and_seed_ids(tmp_path):
    part = paired_mapset().subset([1, 2, 4])
    back = read_mapset(write_mapset(part, tmp_path / "part.h5"))
    assert back.seed_id.tolist() == [10, 11, 12]
    assert back.param_labels == {"omega_m": r"\Omega_{\rm m}", "A_AGN1": r"A_{\rm AGN1}"}
    assert back.meta.content == "log1p-overdensity"
    np.testing.assert_array_equal(back.read([0, 1, 2]), part.maps)
