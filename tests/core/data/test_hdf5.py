"""The cosmossl HDF5 map file: round trip, atomic writes, lazy reads across processes."""

from __future__ import annotations

import multiprocessing
import pickle

import h5py
import numpy as np
import pytest

import cosmossl
from cosmossl.components.meta import MapMeta
from cosmossl.data.hdf5 import LazyMaps, read_mapset, write_mapset
from cosmossl.data.mapset import MapSet


def small_mapset(n: int = 6) -> MapSet:
    rng = np.random.default_rng(0)
    return MapSet(
        maps=rng.normal(size=(n, 1, 8, 8)).astype(np.float32),
        params=rng.uniform([0.1, 0.6], [0.5, 1.0], size=(n, 2)).astype(np.float32),
        param_names=("omega_m", "sigma_8"),
        cosmology_id=np.arange(n) // 2,
        simulation_id=np.arange(n),
        split=np.array([0, 0, 1, 1, 2, 2][:n], dtype=np.int8),
        meta=MapMeta(shape=(1, 8, 8), box_size=25.0, content="log1p-overdensity"),
        nuisance=rng.uniform(size=(n, 4)).astype(np.float32),
        nuisance_names=("A_SN1", "A_AGN1", "A_SN2", "A_AGN2"),
        priors={"omega_m": (0.1, 0.5)},
        param_labels={"omega_m": r"\Omega_{\rm m}", "A_SN1": r"A_{\rm SN1}"},
        attrs={"config": {"n_pixels": 8}, "seed": np.int64(3)},
    )


def test_round_trip_keeps_everything(tmp_path):
    original = small_mapset()
    path = write_mapset(original, tmp_path / "maps.h5")
    loaded = read_mapset(path)
    np.testing.assert_array_equal(loaded.read([4, 1, 4]), original.maps[[4, 1, 4]])
    np.testing.assert_array_equal(loaded.params, original.params)
    np.testing.assert_array_equal(loaded.nuisance, original.nuisance)
    np.testing.assert_array_equal(loaded.split, original.split)
    np.testing.assert_array_equal(loaded.cosmology_id, original.cosmology_id)
    assert loaded.param_names == original.param_names
    assert loaded.nuisance_names == original.nuisance_names
    assert loaded.meta == original.meta and loaded.priors == {"omega_m": (0.1, 0.5)}
    assert loaded.prior_sources == {"omega_m": "stated"}
    assert loaded.meta.content == "log1p-overdensity"
    assert loaded.attrs["config"] == {"n_pixels": 8} and loaded.attrs["seed"] == 3
    assert loaded.attrs["cosmossl_version"] == cosmossl.__version__


def test_parameter_labels_round_trip_and_old_files_without_them_read(tmp_path):
    path = write_mapset(small_mapset(), tmp_path / "maps.h5")
    assert read_mapset(path).param_labels == {
        "omega_m": r"\Omega_{\rm m}",
        "A_SN1": r"A_{\rm SN1}",
    }
    with h5py.File(path, "a") as f:  # a file written before labels existed
        del f["params"].attrs["labels"]
    assert read_mapset(path).param_labels == {}


def test_labels_of_unknown_parameters_are_refused():
    with pytest.raises(cosmossl.DataError, match=r"map set: param_labels for unknown "
                       r"parameter\(s\) Omega_m; parameters: omega_m, sigma_8, A_SN1"):  # fmt: skip
        MapSet(**{**small_mapset().__dict__, "param_labels": {"Omega_m": "x"}})


def test_maps_are_float32_chunked_one_map_per_chunk(tmp_path):
    path = write_mapset(small_mapset(), tmp_path / "maps.h5")
    with h5py.File(path) as f:
        assert f["maps"].dtype == np.float32 and f["maps"].chunks == (1, 1, 8, 8)
        assert f.attrs["format"] == "cosmossl-maps"


def test_failed_write_leaves_neither_file_nor_temporary(tmp_path):
    broken = small_mapset()

    class Exploding:
        shape = (6, 1, 8, 8)

        def __getitem__(self, index):
            raise RuntimeError("disk on fire")

    broken.maps = Exploding()
    with pytest.raises(RuntimeError, match="disk on fire"):
        write_mapset(broken, tmp_path / "maps.h5")
    assert list(tmp_path.iterdir()) == []


def test_reading_is_lazy_and_reopens_in_each_process(tmp_path):
    path = write_mapset(small_mapset(), tmp_path / "maps.h5")
    loaded = read_mapset(path)
    assert isinstance(loaded.maps, LazyMaps) and loaded.maps._file is None
    first = loaded.read([0])  # opens a handle in this process
    clone = pickle.loads(pickle.dumps(loaded.maps))
    assert clone._file is None
    with multiprocessing.get_context("fork").Pool(1) as pool:
        rows = pool.map(_read_row, [(loaded.maps, 0), (loaded.maps, 5)])
    np.testing.assert_array_equal(rows[0], first[0])
    np.testing.assert_array_equal(rows[1], small_mapset().maps[5])


def _read_row(args):
    maps, index = args
    return maps[index]


def test_missing_and_foreign_files_are_reported(tmp_path):
    with pytest.raises(cosmossl.DataError, match=r"map file '.*nope\.h5' does not exist"):
        read_mapset(tmp_path / "nope.h5")
    with h5py.File(tmp_path / "other.h5", "w") as f:
        f["x"] = np.zeros(3)
    with pytest.raises(cosmossl.DataError, match=r"'.*other\.h5' is not a cosmossl map file"):
        read_mapset(tmp_path / "other.h5")
    (tmp_path / "text.h5").write_text("hello")
    with pytest.raises(cosmossl.DataError, match=r"'.*text\.h5' is not a readable HDF5 file"):
        read_mapset(tmp_path / "text.h5")


def test_hdf5_dataset_component_reads_the_file(tmp_path):
    path = write_mapset(small_mapset(), tmp_path / "maps.h5")
    dataset = cosmossl.create("dataset", "hdf5", path=str(path))
    with pytest.warns(cosmossl.PriorWarning, match="sigma_8"):  # the file records no prior
        assert len(dataset.load(seed=0)) == 6


def test_a_file_without_content_reads_as_unknown(tmp_path):
    path = write_mapset(small_mapset(), tmp_path / "maps.h5")
    with h5py.File(path, "a") as f:
        del f.attrs["content"]  # as files written before the attribute existed
    assert read_mapset(path).meta.content is None


def test_seed_ids_of_paired_simulations_round_trip_and_default_to_one_per_map(tmp_path):
    original = small_mapset()
    assert original.seed_id.tolist() == list(range(6))  # no pairs unless given
    original.seed_id = np.array([0, 0, 1, 1, 2, 2])
    loaded = read_mapset(write_mapset(original, tmp_path / "maps.h5"))
    assert loaded.seed_id.tolist() == [0, 0, 1, 1, 2, 2]
    assert loaded.group_ids("paired").tolist() == [0, 0, 1, 1, 2, 2]
    with h5py.File(tmp_path / "maps.h5", "a") as f:  # a file written before seed ids existed
        del f["seed_id"]
    assert read_mapset(tmp_path / "maps.h5").seed_id.tolist() == list(range(6))


def _replace(path, name, values):
    with h5py.File(path, "a") as f:
        del f[name]
        f[name] = values


@pytest.mark.parametrize(
    ("name", "values", "row", "value"),
    [
        ("split", [0.5, 0.5, 1.5, 1.5, 2.5, 2.5], 0, 0.5),
        ("cosmology_id", [0.0, 0.0, 1.0, 1.5, 2.0, 2.0], 3, 1.5),
        ("simulation_id", [0.0, 1.0, 2.0, 3.0, 4.25, 5.0], 4, 4.25),
        ("seed_id", [0.0, 1.0, 2.0, 3.0, 4.0, 5.5], 5, 5.5),
    ],
)
def test_non_integer_split_codes_and_ids_are_refused_naming_file_and_dataset(
    tmp_path, name, values, row, value
):
    path = write_mapset(small_mapset(), tmp_path / "maps.h5")
    _replace(path, name, np.array(values, dtype=np.float64))
    with pytest.raises(cosmossl.DataError) as info:
        read_mapset(path)
    assert str(info.value).startswith(
        f"map set '{path}': '{name}' must hold integers, but row {row} holds {value}"
    )


def test_ids_stored_as_whole_floats_are_read_as_integers(tmp_path):
    path = write_mapset(small_mapset(), tmp_path / "maps.h5")
    _replace(path, "cosmology_id", np.array([0, 0, 1, 1, 2, 2], dtype=np.float32))
    _replace(path, "split", np.array([0, 0, 1, 1, 2, 2], dtype=np.float64))
    mapset = read_mapset(path)
    np.testing.assert_array_equal(mapset.cosmology_id, [0, 0, 1, 1, 2, 2])
    assert mapset.split.dtype == np.int8


@pytest.mark.parametrize("name", ["maps", "split"])
def test_a_group_where_a_dataset_is_expected_is_a_clear_error(tmp_path, name):
    path = write_mapset(small_mapset(), tmp_path / "maps.h5")
    with h5py.File(path, "a") as f:
        del f[name]
        f.create_group(name)
    with pytest.raises(cosmossl.DataError) as info:
        read_mapset(path)
    assert str(info.value) == (
        f"'{path}': /{name} is a group, not a dataset (a cosmossl map file is written by "
        "`cosmossl simulate` or cosmossl.data.write_mapset)"
    )


def test_ids_with_a_column_too_many_name_their_shape(tmp_path):
    path = write_mapset(small_mapset(), tmp_path / "maps.h5")
    _replace(path, "cosmology_id", np.arange(6).reshape(6, 1))
    with pytest.raises(cosmossl.DataError) as info:
        read_mapset(path)
    assert str(info.value) == (
        f"map set '{path}': 'cosmology_id' has shape [6, 1], but it must hold one value for each "
        "of the 6 maps: shape [6]"
    )
