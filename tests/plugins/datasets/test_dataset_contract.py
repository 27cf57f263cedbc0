"""Every built-in dataset passes the plugin authors' contract checks (cosmossl.testing)."""

from __future__ import annotations

import numpy as np
import pytest
from support.builtins import builtin_names
from test_camels import ROWS, write_maps

import cosmossl
from cosmossl.data import write_mapset
from cosmossl.testing import check_dataset

SMALL = {"n_cosmologies": 12, "n_simulations": 2, "n_pixels": 16}


def test_every_builtin_dataset_is_checked():
    assert builtin_names("dataset") == ["camels", "hdf5", "lognormal", "npy"]


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"geometry": "slab", "feedback": True},
        {"field": "gaussian"},
        {"geometry": "slab", "feedback": True, "feedback_model": "salcido-spk"},
    ],
    ids=["plane", "slab-with-feedback", "gaussian", "slab-with-sp(k)-feedback"],
)
def test_lognormal_keeps_the_contract_of_a_simulator(options):
    dataset = cosmossl.create("dataset", "lognormal", **SMALL, **options)
    assert isinstance(dataset, cosmossl.Simulator)
    assert isinstance(dataset, cosmossl.NuisanceSimulator)
    check_dataset(dataset)


def test_hdf5_and_npy_keep_the_contract(tmp_path):
    mapset = cosmossl.create("dataset", "lognormal", **SMALL).load(seed=0)
    write_mapset(mapset, tmp_path / "maps.h5")
    check_dataset(cosmossl.create("dataset", "hdf5", path=str(tmp_path / "maps.h5")))
    np.save(tmp_path / "maps.npy", mapset.read(np.arange(len(mapset))))
    np.save(tmp_path / "params.npy", mapset.params)
    np.save(tmp_path / "groups.npy", mapset.cosmology_id)
    npy = cosmossl.create(
        "dataset",
        "npy",
        maps=str(tmp_path / "maps.npy"),
        params=str(tmp_path / "params.npy"),
        groups=str(tmp_path / "groups.npy"),
    )
    check_dataset(npy)


def test_camels_keeps_the_contract_split_by_simulation(tmp_path):
    path = tmp_path / "Maps_Mtot_IllustrisTNG_LH_z=0.00.npy"
    write_maps(path, n_sims=3)
    np.savetxt(tmp_path / "params_LH_IllustrisTNG.txt", ROWS)
    camels = cosmossl.create("dataset", "camels", maps=[str(path)], split=[0.34, 0.33, 0.33])
    check_dataset(camels, split_by="simulation")
