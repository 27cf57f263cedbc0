"""The npy loader: user arrays of maps plus a parameters file, split by group."""

from __future__ import annotations

import numpy as np
import pytest

import cosmossl


def write(tmp_path, n=12, shape=(16, 16), rows=None):
    rng = np.random.default_rng(0)
    np.save(tmp_path / "maps.npy", rng.normal(size=(n, *shape)).astype(np.float32))
    params = rng.uniform(size=(n if rows is None else rows, 2))
    return params


def load(tmp_path, **kwargs):
    options = {"maps": str(tmp_path / "maps.npy"), "params": str(tmp_path / "params.txt")}
    return cosmossl.create("dataset", "npy", **{**options, **kwargs}).load(seed=0)


def test_text_params_and_group_file_split_by_group(tmp_path):
    params = write(tmp_path)
    np.savetxt(tmp_path / "params.txt", params, header="omega_m sigma_8")
    np.savetxt(tmp_path / "groups.csv", np.arange(12) // 3, fmt="%d")
    mapset = load(tmp_path, groups=str(tmp_path / "groups.csv"), param_names=["om", "s8"],
                  split=[0.5, 0.25, 0.25])  # fmt: skip
    assert mapset.maps.shape == (12, 1, 16, 16) and mapset.param_names == ("om", "s8")
    assert isinstance(mapset.maps, np.memmap) or isinstance(mapset.maps.base, np.memmap)
    np.testing.assert_allclose(mapset.params, params.astype(np.float32))
    for group in range(4):
        assert len(set(mapset.split[mapset.cosmology_id == group].tolist())) == 1
    assert sorted(np.bincount(mapset.split).tolist()) == [3, 3, 6]


def test_identical_parameter_rows_form_groups_by_default(tmp_path):
    write(tmp_path, n=8, shape=(2, 8, 8))
    params = np.repeat(np.array([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6], [0.7, 0.8]]), 2, axis=0)
    np.save(tmp_path / "params.npy", params)
    mapset = load(tmp_path, params=str(tmp_path / "params.npy"))
    assert mapset.meta.shape == (2, 8, 8) and mapset.param_names == ("theta_0", "theta_1")
    np.testing.assert_array_equal(mapset.cosmology_id, np.repeat(np.arange(4), 2))


def test_row_count_mismatch_names_both_files(tmp_path):
    np.savetxt(tmp_path / "params.txt", write(tmp_path, rows=10))
    with pytest.raises(
        cosmossl.DataError,
        match=r"'.*params\.txt' has 10 rows but "
        r"'.*maps\.npy' holds 12 maps",
    ):
        load(tmp_path)


def test_wrong_map_rank_and_missing_files_are_reported(tmp_path):
    np.save(tmp_path / "maps.npy", np.zeros((4, 8)))
    np.savetxt(tmp_path / "params.txt", np.zeros((4, 2)))
    with pytest.raises(
        cosmossl.DataError,
        match=r"maps must be \[N, H, W\] or \[N, C, H, W\], "
        r"got shape \(4, 8\)",
    ):
        load(tmp_path)
    with pytest.raises(cosmossl.DataError, match=r"maps file '.*absent\.npy' does not exist"):
        load(tmp_path, maps=str(tmp_path / "absent.npy"))


def test_parameter_labels_are_declared_in_the_run_file(tmp_path):
    np.savetxt(tmp_path / "params.txt", write(tmp_path))
    mapset = load(tmp_path, param_names=["om", "s8"], param_labels={"om": r"\Omega_m"})
    assert mapset.param_labels == {"om": r"\Omega_m"}
    with pytest.raises(cosmossl.DataError, match=r"param_labels for unknown parameter\(s\) x"):
        load(tmp_path, param_names=["om", "s8"], param_labels={"x": "x"})


def test_content_says_what_the_maps_hold(tmp_path):
    np.savetxt(tmp_path / "params.txt", write(tmp_path))
    assert load(tmp_path).meta.content is None
    assert load(tmp_path, content="counts").meta.content == "counts"
    with pytest.raises(cosmossl.ConfigError, match=r"key 'content'.*'log1p-overdensity'"):
        load(tmp_path, content="log")


def test_a_missing_relative_text_table_shows_the_absolute_path_that_was_tried(
    tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    np.save(tmp_path / "maps.npy", np.zeros((4, 8, 8), np.float32))
    dataset = cosmossl.create("dataset", "npy", maps="maps.npy", params="tables/params.txt")
    with pytest.raises(cosmossl.DataError) as info:
        dataset.load(seed=0)
    assert str(info.value) == (
        f"parameters file 'tables/params.txt' does not exist (looked for "
        f"'{tmp_path}/tables/params.txt')"
    )
