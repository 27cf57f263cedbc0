"""The CAMELS CMD loader on tiny files written in the real formats."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import cosmossl
from cosmossl_plugins.datasets.camels import map_content, parse_map_name, read_params_table

ROWS = np.array([[0.3, 0.8, 1.0, 1.0, 1.0, 1.0],
                 [0.2, 0.7, 2.0, 0.5, 1.5, 0.8],
                 [0.4, 0.9, 0.3, 3.0, 0.6, 1.9]])  # fmt: skip


def write_maps(path, n_sims=3, size=32, field_value=None):
    rng = np.random.default_rng(1)
    maps = rng.lognormal(mean=10.0, size=(15 * n_sims, size, size)).astype(np.float32)
    if field_value is not None:
        maps[7, 3, 4] = field_value
    np.save(path, maps)
    return maps


def load(**kwargs):
    kwargs = {k: (str(v) if not isinstance(v, list) else [str(x) for x in v])
              for k, v in kwargs.items()}  # fmt: skip
    return cosmossl.create("dataset", "camels", **kwargs).load(seed=0)


def test_file_names_parse_in_both_spellings(tmp_path):
    assert parse_map_name(tmp_path / "Maps_Mtot_IllustrisTNG_LH_z=0.00.npy") == {
        "field": "Mtot",
        "suite": "IllustrisTNG",
        "set": "LH",
        "z": "0.00",
    }
    assert parse_map_name(tmp_path / "Images_Mtot_Nbody_SIMBA_CV_z=0.0.npy")["suite"] == (
        "Nbody_SIMBA"
    )
    with pytest.raises(cosmossl.DataError, match=r"'.*maps\.npy': not a CAMELS map file name"):
        parse_map_name(tmp_path / "maps.npy")


def test_loads_maps_log10_params_and_splits_by_simulation(tmp_path):
    maps = write_maps(tmp_path / "Maps_Mtot_IllustrisTNG_LH_z=0.00.npy")
    np.savetxt(tmp_path / "params_LH_IllustrisTNG.txt", ROWS)
    mapset = load(
        maps=[tmp_path / "Maps_Mtot_IllustrisTNG_LH_z=0.00.npy"], split=[0.34, 0.33, 0.33]
    )
    assert mapset.maps.shape == (45, 1, 32, 32) and mapset.meta.box_size == 25.0
    np.testing.assert_allclose(mapset.read([16])[0, 0], np.log10(maps[16]), rtol=1e-6)
    np.testing.assert_allclose(mapset.params[16], ROWS[1, :2].astype(np.float32))
    np.testing.assert_allclose(mapset.nuisance[44], ROWS[2, 2:].astype(np.float32))
    assert mapset.nuisance_names == ("A_SN1", "A_AGN1", "A_SN2", "A_AGN2")
    assert mapset.param_labels["omega_m"] == r"\Omega_{\rm m}"
    assert mapset.param_labels["A_AGN2"] == r"A_{\rm AGN2}"
    np.testing.assert_array_equal(mapset.simulation_id, np.arange(45) // 15)
    assert sorted(np.bincount(mapset.split).tolist()) == [15, 15, 15]
    for sim in range(3):
        assert len(set(mapset.split[mapset.simulation_id == sim].tolist())) == 1


def test_mstar_uses_log10_one_plus_and_mean_removal(tmp_path):
    path = tmp_path / "Images_Mstar_SIMBA_LH_z=0.0.npy"
    maps = write_maps(path, n_sims=2)
    np.savetxt(tmp_path / "params_SIMBA.txt", ROWS[:2])
    mapset = load(maps=[path], remove_mean=True)
    expected = np.log10(1 + maps[3].astype(np.float64))
    np.testing.assert_allclose(mapset.read([3])[0, 0], expected - expected.mean(), atol=1e-5)


def test_master_table_with_name_and_seed_columns(tmp_path):
    path = tmp_path / "Maps_Mgas_Astrid_LH_z=0.00.npy"
    write_maps(path, n_sims=2)
    table = tmp_path / "CosmoAstroSeed_Astrid_L25n256_LH.txt"
    table.write_text("#Name Omega_m sigma_8 A_SN1 A_AGN1 A_SN2 A_AGN2 seed\n"
                     "LH_0 0.3 0.8 1.0 1.0 1.0 1.0 1234\n"
                     "LH_1 0.2 0.7 2.0 0.5 1.5 0.8 5678\n")  # fmt: skip
    mapset = load(maps=[path], params=table)
    np.testing.assert_allclose(mapset.nuisance[20], [2.0, 0.5, 1.5, 0.8])
    assert mapset.priors["A_AGN2"] == (0.25, 4.0)  # Astrid's wider prior


def test_28_column_tables_keep_every_column(tmp_path):
    rows = np.random.default_rng(0).uniform(0.5, 1.5, size=(2, 28))
    np.savetxt(tmp_path / "params_1P_IllustrisTNG.txt", rows)
    table, names = read_params_table(tmp_path / "params_1P_IllustrisTNG.txt")
    assert table.shape == (2, 28) and names[:2] == ("Omega_m", "sigma_8")
    assert names[27] == "param_27"


def test_map_count_not_divisible_by_15(tmp_path):
    path = tmp_path / "Maps_Mtot_IllustrisTNG_LH_z=0.00.npy"
    np.save(path, np.ones((20, 8, 8), dtype=np.float32))
    with pytest.raises(
        cosmossl.DataError,
        match=r"Maps_Mtot_IllustrisTNG_LH_z=0\.00\.npy': 20 "
        r"maps is not a multiple of 15",
    ):
        load(maps=[path])


def test_row_count_mismatch(tmp_path):
    path = tmp_path / "Maps_Mtot_IllustrisTNG_LH_z=0.00.npy"
    write_maps(path, n_sims=2)
    np.savetxt(tmp_path / "params_LH_IllustrisTNG.txt", ROWS)
    with pytest.raises(
        cosmossl.DataError,
        match=r"params_LH_IllustrisTNG\.txt' has 3 rows but "
        r"'.*' holds 30 maps = 2 simulations × 15",
    ):
        load(maps=[path])


def test_non_square_maps(tmp_path):
    path = tmp_path / "Maps_Mtot_IllustrisTNG_LH_z=0.00.npy"
    np.save(path, np.ones((15, 8, 6), dtype=np.float32))
    with pytest.raises(cosmossl.DataError, match=r"maps are not square \(8×6\)"):
        load(maps=[path])


def test_non_positive_values_before_log(tmp_path):
    path = tmp_path / "Maps_Mgas_IllustrisTNG_LH_z=0.00.npy"
    write_maps(path, n_sims=1, field_value=0.0)
    np.savetxt(tmp_path / "params_LH_IllustrisTNG.txt", ROWS[:1])
    mapset = load(maps=[path])
    with pytest.raises(
        cosmossl.DataError,
        match=r"Maps_Mgas_IllustrisTNG_LH_z=0\.00\.npy': "
        r"map 7 has non-positive values, which cannot take log10",
    ):
        mapset.read([7])


def test_nan_values(tmp_path):
    path = tmp_path / "Maps_Mgas_IllustrisTNG_LH_z=0.00.npy"
    write_maps(path, n_sims=1, field_value=np.nan)
    np.savetxt(tmp_path / "params_LH_IllustrisTNG.txt", ROWS[:1])
    with pytest.raises(
        cosmossl.DataError,
        match=r"Mgas_IllustrisTNG_LH_z=0\.00\.npy': map 7 "
        r"contains NaN or inf",
    ):
        load(maps=[path]).read([2, 7, 9])


def test_missing_params_file_is_reported(tmp_path):
    path = tmp_path / "Maps_Mtot_IllustrisTNG_LH_z=0.00.npy"
    write_maps(path, n_sims=1)
    with pytest.raises(
        cosmossl.DataError,
        match=r"no parameter file for 'Maps_Mtot_Illustris"
        r"TNG_LH_z=0\.00\.npy'.*params_LH_IllustrisTNG\.txt",
    ):
        load(maps=[path])


def test_meta_says_what_the_maps_hold(tmp_path):
    path = tmp_path / "Maps_Mtot_IllustrisTNG_LH_z=0.00.npy"
    write_maps(path)
    np.savetxt(tmp_path / "params_LH_IllustrisTNG.txt", ROWS)
    assert load(maps=[path]).meta.content == "log10-density"
    assert load(maps=[path], log10=False).meta.content == "density"


@pytest.mark.parametrize(
    ("fields", "log10", "remove_mean", "content"),
    [
        (["Mtot"], True, True, "log10-density"),  # a removed mean is an offset of the log
        (["Mtot", "Mgas"], False, False, "density"),
        (["Mtot"], False, True, "other"),
        (["Mstar"], True, False, "other"),  # log10(1 + x)
        (["T"], True, False, "other"),
    ],
)
def test_content_of_each_field_and_option(fields, log10, remove_mean, content):
    assert map_content(fields, log10, remove_mean) == content


def test_a_missing_relative_parameter_table_shows_the_absolute_path_that_was_tried(
    tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(cosmossl.DataError) as info:
        read_params_table(Path("params_LH_IllustrisTNG.txt"))
    assert str(info.value) == (
        "CAMELS parameter file 'params_LH_IllustrisTNG.txt' does not exist (looked for "
        f"'{tmp_path}/params_LH_IllustrisTNG.txt')"
    )
