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


#: A prior that holds every parameter ``write`` draws.
BOX = {"theta_0": [0.0, 1.0], "theta_1": [0.0, 1.0]}


def load(tmp_path, **kwargs):
    options = {"maps": str(tmp_path / "maps.npy"), "params": str(tmp_path / "params.txt")}
    return cosmossl.create("dataset", "npy", **{**options, **kwargs}).load(seed=0)


def test_text_params_and_group_file_split_by_group(tmp_path):
    params = write(tmp_path)
    np.savetxt(tmp_path / "params.txt", params, header="omega_m sigma_8")
    np.savetxt(tmp_path / "groups.csv", np.arange(12) // 3, fmt="%d")
    mapset = load(tmp_path, groups=str(tmp_path / "groups.csv"), param_names=["om", "s8"],
                  split=[0.5, 0.25, 0.25], priors={"om": [0, 1], "s8": [0, 1]})  # fmt: skip
    assert mapset.maps.shape == (12, 1, 16, 16) and mapset.param_names == ("om", "s8")
    assert isinstance(mapset.maps, np.memmap) or isinstance(mapset.maps.base, np.memmap)
    np.testing.assert_allclose(mapset.params, params.astype(np.float32))
    for group in range(4):
        assert len(set(mapset.split[mapset.cosmology_id == group].tolist())) == 1
    assert sorted(np.bincount(mapset.split).tolist()) == [3, 3, 6]


def test_identical_parameter_rows_form_groups_named_by_their_first_row(tmp_path):
    write(tmp_path, n=8, shape=(2, 8, 8))
    params = np.array([[0.5, 0.6], [0.1, 0.2], [0.1, 0.2], [0.3, 0.4], [0.5, 0.6], [0.3, 0.4],
                       [0.7, 0.8], [0.7, 0.8]])  # fmt: skip
    np.save(tmp_path / "params.npy", params)
    mapset = load(tmp_path, params=str(tmp_path / "params.npy"), priors=BOX)
    assert mapset.meta.shape == (2, 8, 8) and mapset.param_names == ("theta_0", "theta_1")
    np.testing.assert_array_equal(mapset.cosmology_id, [0, 1, 1, 3, 0, 3, 6, 6])


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
    mapset = load(tmp_path, param_names=["om", "s8"], param_labels={"om": r"\Omega_m"},
                  priors={"om": [0, 1], "s8": [0, 1]})  # fmt: skip
    assert mapset.param_labels == {"om": r"\Omega_m"}
    with pytest.raises(cosmossl.DataError, match=r"param_labels for unknown parameter\(s\) x"):
        load(tmp_path, param_names=["om", "s8"], param_labels={"x": "x"},
             priors={"om": [0, 1], "s8": [0, 1]})  # fmt: skip


def test_content_says_what_the_maps_hold(tmp_path):
    np.savetxt(tmp_path / "params.txt", write(tmp_path))
    assert load(tmp_path, priors=BOX).meta.content is None
    assert load(tmp_path, priors=BOX, content="counts").meta.content == "counts"
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


# ---- priors ----------------------------------------------------------------------------------


def test_a_stated_prior_is_the_prior_and_says_so(tmp_path, recwarn):
    np.savetxt(tmp_path / "params.txt", write(tmp_path))
    mapset = load(tmp_path, priors={"theta_0": [0.0, 2.0], "theta_1": [-1.0, 1.0]})
    assert mapset.priors == {"theta_0": (0.0, 2.0), "theta_1": (-1.0, 1.0)}
    assert mapset.prior_sources == {"theta_0": "stated", "theta_1": "stated"}
    assert not [w for w in recwarn if issubclass(w.category, cosmossl.PriorWarning)]


def test_without_a_stated_prior_the_data_min_max_is_used_with_a_warning_naming_it(tmp_path):
    params = write(tmp_path)
    np.savetxt(tmp_path / "params.txt", params)
    with pytest.warns(cosmossl.PriorWarning) as record:
        mapset = load(tmp_path, priors={"theta_0": [0.0, 1.0]})
    low, high = params[:, 1].min(), params[:, 1].max()
    assert mapset.priors["theta_1"] == pytest.approx((low, high))
    assert mapset.prior_sources == {"theta_0": "stated", "theta_1": "data"}
    message = str(record[0].message)
    assert f"theta_1 ∈ [{low:.6g}, {high:.6g}] is the data's min–max" in message
    assert "theta_0" not in message.split("State")[0]
    assert "priors = { theta_1 = [low, high] }" in message


def test_a_row_outside_the_stated_prior_is_an_error_naming_the_row_and_parameter(tmp_path):
    params = write(tmp_path)
    params[[4, 9], 1] = [1.5, -0.25]
    np.savetxt(tmp_path / "params.txt", params)
    with pytest.raises(
        cosmossl.DataError,
        match=r"params\.txt' row 4 \(counting from 0\): theta_1 = 1\.5 lies outside the stated "
        r"prior \[0, 1\]; 2 rows in all lie outside it \(4, 9\)",
    ):
        load(tmp_path, priors=BOX)


def test_a_prior_for_an_unknown_parameter_or_an_empty_box_is_refused(tmp_path):
    np.savetxt(tmp_path / "params.txt", write(tmp_path))
    with pytest.raises(
        cosmossl.DataError,
        match=r"priors given for unknown parameter\(s\) omega_m; the parameters of "
        r"'.*params\.txt' are theta_0, theta_1",
    ):
        load(tmp_path, priors={"omega_m": [0.1, 0.5]})
    with pytest.raises(cosmossl.ConfigError, match=r"low bound must be below its high bound"):
        load(tmp_path, priors={"theta_0": [1.0, 1.0]})


def test_one_map_with_a_stated_prior_loads(tmp_path):
    """The map set of a single observation (min == max) needs the stated prior, not the data's."""
    np.save(tmp_path / "maps.npy", np.zeros((1, 8, 8), np.float32))
    np.savetxt(tmp_path / "params.txt", [[1.0, -2.0]])
    mapset = load(tmp_path, param_names=["A", "n"], priors={"A": [0.5, 2], "n": [-3, -1]},
                  split=[1.0, 0.0, 0.0])  # fmt: skip
    assert mapset.priors == {"A": (0.5, 2.0), "n": (-3.0, -1.0)}


def test_a_constant_parameter_without_a_stated_prior_gets_none_and_a_warning(tmp_path):
    np.save(tmp_path / "maps.npy", np.zeros((2, 8, 8), np.float32))
    np.savetxt(tmp_path / "params.txt", [[1.0, -2.0], [1.0, -1.5]])
    with pytest.warns(cosmossl.PriorWarning, match=r"A takes one value in every row, so no prior"):
        mapset = load(tmp_path, param_names=["A", "n"], split=[1.0, 0.0, 0.0])
    assert "A" not in mapset.priors and mapset.prior_sources == {"n": "data"}
