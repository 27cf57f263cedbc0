"""The summaries file: round trip, atomic writes, and clear errors for bad files."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from cosmossl import DataError
from cosmossl.data.summaries import Summaries, read_summaries, write_summaries


def _summaries(n: int = 12) -> Summaries:
    rng = np.random.default_rng(0)
    return Summaries(
        summaries=rng.normal(size=(n, 3)),
        params=rng.uniform(size=(n, 2)),
        param_names=("Omega_m", "sigma_8"),
        cosmology_id=np.arange(n) // 3,
        simulation_id=np.arange(n),
        split=np.array([0, 0, 0, 1, 1, 1, 2, 2, 2, 0, 0, 0], dtype=np.int8)[:n],
        nuisance=rng.uniform(size=(n, 1)),
        nuisance_names=("A_SN1",),
        priors={"Omega_m": (0.1, 0.5), "sigma_8": (0.6, 1.0)},
        param_labels={"Omega_m": r"\Omega_m"},
        provenance={"encoder": "cnn", "checkpoint": "runs/x/encoder.safetensors"},
    )


def test_round_trip_keeps_every_field(tmp_path):
    s = _summaries()
    back = read_summaries(write_summaries(tmp_path / "s.h5", s))
    np.testing.assert_array_equal(back.summaries, s.summaries)
    np.testing.assert_array_equal(back.params, s.params)
    np.testing.assert_array_equal(back.split, s.split)
    np.testing.assert_array_equal(back.nuisance, s.nuisance)
    assert back.summaries.dtype == np.float32 and back.split.dtype == np.int8
    assert back.param_names == ("Omega_m", "sigma_8")
    assert back.nuisance_names == ("A_SN1",)
    assert back.priors == {"Omega_m": (0.1, 0.5), "sigma_8": (0.6, 1.0)}
    assert back.provenance["checkpoint"] == "runs/x/encoder.safetensors"
    assert back.indices("test").tolist() == [6, 7, 8]


def test_parameter_labels_round_trip_and_old_files_without_them_read(tmp_path):
    path = write_summaries(tmp_path / "s.h5", _summaries())
    assert read_summaries(path).param_labels == {"Omega_m": r"\Omega_m"}
    with h5py.File(path, "a") as f:  # a file written before labels existed
        del f.attrs["param_labels"]
    assert read_summaries(path).param_labels == {}


def test_prior_sources_round_trip_and_old_files_count_their_priors_as_stated(tmp_path):
    s = _summaries()
    s.prior_sources = {"Omega_m": "stated", "sigma_8": "data"}
    path = write_summaries(tmp_path / "s.h5", s)
    assert read_summaries(path).prior_sources == {"Omega_m": "stated", "sigma_8": "data"}
    with h5py.File(path, "a") as f:  # a file written before prior sources existed
        del f.attrs["prior_sources"]
    assert read_summaries(path).prior_sources == {"Omega_m": "stated", "sigma_8": "stated"}


def test_a_prior_source_of_unknown_kind_is_refused():
    with pytest.raises(DataError, match=r"prior_sources .* of unknown kind \(guessed; known: "
                       r"stated, file, data\)"):  # fmt: skip
        Summaries(**{**vars(_summaries()), "prior_sources": {"Omega_m": "guessed"}})


def test_write_leaves_no_temporary_file(tmp_path):
    write_summaries(tmp_path / "s.h5", _summaries())
    write_summaries(tmp_path / "s.h5", _summaries())
    assert [p.name for p in tmp_path.iterdir()] == ["s.h5"]


def test_missing_file_says_how_to_make_one(tmp_path):
    with pytest.raises(DataError, match=r"does not exist .run `cosmossl compress`"):
        read_summaries(tmp_path / "nope.h5")


def test_non_hdf5_file_is_a_data_error(tmp_path):
    (tmp_path / "s.h5").write_text("not hdf5")
    with pytest.raises(DataError, match="is not a readable HDF5 file"):
        read_summaries(tmp_path / "s.h5")


def test_other_hdf5_file_is_refused(tmp_path):
    with h5py.File(tmp_path / "maps.h5", "w") as f:
        f.create_dataset("maps", data=np.zeros((2, 4, 4)))
    with pytest.raises(DataError, match="not a cosmossl summaries file"):
        read_summaries(tmp_path / "maps.h5")


def test_missing_dataset_is_named(tmp_path):
    path = write_summaries(tmp_path / "s.h5", _summaries())
    with h5py.File(path, "a") as f:
        del f["split"]
    with pytest.raises(DataError, match="is missing split"):
        read_summaries(path)


def test_a_group_where_a_dataset_is_expected_is_named(tmp_path):
    path = write_summaries(tmp_path / "s.h5", _summaries())
    with h5py.File(path, "a") as f:
        del f["summaries"]
        f.create_group("summaries")
    with pytest.raises(DataError) as info:
        read_summaries(path)
    assert str(info.value) == (
        f"'{path}': /summaries is a group, not a dataset (a summaries file is written by "
        "`cosmossl compress` or cosmossl.data.write_summaries)"
    )


def test_fractional_split_codes_are_refused_naming_the_file(tmp_path):
    path = write_summaries(tmp_path / "s.h5", _summaries())
    with h5py.File(path, "a") as f:
        del f["split"]
        f["split"] = np.full(12, 0.5)
    with pytest.raises(DataError) as info:
        read_summaries(path)
    assert str(info.value).startswith(
        f"'{path}': summaries: 'split' must hold integers, but row 0 holds 0.5"
    )


def test_bad_split_codes_are_refused():
    with pytest.raises(
        DataError,
        match=r"split codes must be 0 \(train\), 1 \(val\), 2 \(test\); "
        r"found \[5\]",
    ):
        Summaries(summaries=np.zeros((2, 1)), params=np.zeros((2, 1)), param_names=("a",),
                  cosmology_id=[0, 1], simulation_id=[0, 1], split=[0, 5])  # fmt: skip


def test_row_count_mismatch_is_named():
    with pytest.raises(DataError, match="'params' has 3 rows, but there are 2 summaries"):
        Summaries(summaries=np.zeros((2, 1)), params=np.zeros((3, 1)), param_names=("a",),
                  cosmology_id=[0, 1], simulation_id=[0, 1], split=[0, 0])  # fmt: skip


def test_box_needs_a_prior_for_every_parameter():
    s = _summaries()
    s.priors = {"Omega_m": (0.1, 0.5)}
    with pytest.raises(DataError, match=r"no prior range for parameter.s. sigma_8"):
        s.box()


def test_seed_ids_round_trip_and_old_files_without_them_still_read(tmp_path):
    s = _summaries()
    s.seed_id = np.arange(12) // 2
    path = write_summaries(tmp_path / "s.h5", s)
    np.testing.assert_array_equal(read_summaries(path).seed_id, np.arange(12) // 2)
    with h5py.File(path, "a") as f:
        del f["seed_id"]
    np.testing.assert_array_equal(read_summaries(path).seed_id, np.arange(12))
