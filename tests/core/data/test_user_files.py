"""Files a user gives are checked at the boundary: a bad .npy or HDF5 file, or a NaN in a map, a
parameter or a summary, is a DataError naming the file (and the map and split), never a
traceback and never a metric computed over it."""

from __future__ import annotations

import json
import pickle

import h5py
import numpy as np
import pytest

from cosmossl import DataError
from cosmossl.components.meta import MapMeta
from cosmossl.data import Summaries, load_npy, read_summaries, write_summaries
from cosmossl.data.hdf5 import read_mapset, write_mapset
from cosmossl.data.mapset import MapSet


def mapset(maps=None, params=None, source="maps.npy"):
    maps = np.zeros((6, 1, 4, 4), np.float32) if maps is None else maps
    return MapSet(
        maps=maps,
        params=np.full((6, 2), 0.5, np.float32) if params is None else params,
        param_names=("a", "b"),
        cosmology_id=np.arange(6) // 2,
        simulation_id=np.arange(6),
        split=np.array([0, 0, 1, 1, 2, 2], np.int8),
        meta=MapMeta(shape=(1, 4, 4)),
        attrs={"source": source},
    )


# ---- .npy files ---------------------------------------------------------------------------


def test_a_numeric_npy_file_is_memory_mapped(tmp_path):
    np.save(tmp_path / "maps.npy", np.ones((3, 4, 4), np.float32))
    array = load_npy(tmp_path / "maps.npy", what="maps")
    assert isinstance(array, np.memmap) and array.shape == (3, 4, 4)


@pytest.mark.parametrize(
    ("write", "message"),
    [
        (lambda p: p.write_bytes(b""), "maps file '{p}' is empty (0 bytes): write it again"),
        (
            lambda p: (
                np.save(p, np.ones((10, 8, 8), np.float32)),
                p.write_bytes(p.read_bytes()[:300]),
            ),
            "maps file '{p}' is truncated (shorter than its header says): write it again",
        ),
        (
            lambda p: np.save(p, np.array([{"a": 1}, None], dtype=object)),
            "maps file '{p}' holds Python objects (dtype object), which cosmossl never unpickles: "
            "save a float or integer array",
        ),
        (
            lambda p: np.save(p, np.array(["a", "bc"])),
            "maps file '{p}' holds <U2 values (dtype <U2), not real numbers: save a float or "
            "integer array",
        ),
        (
            lambda p: p.write_bytes(pickle.dumps({"maps": [1, 2]})),
            "maps file '{p}' is not a .npy file (it looks like a pickle, which cosmossl never "
            "loads): save the array with numpy.save",
        ),
        (
            lambda p: p.mkdir(),
            "maps file '{p}' is a folder; give the path of a .npy file",
        ),
        (
            lambda p: p.write_text("0.1 0.2\n0.3 0.4\n"),
            "maps file '{p}' is not a .npy file (it is text; a .npy file starts with the bytes "
            "\\x93NUMPY): save the array with numpy.save",
        ),
        (
            lambda p: p.write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(100)),
            "maps file '{p}' is not a .npy file (it does not start with the bytes \\x93NUMPY "
            "of one): save the array with numpy.save",
        ),
    ],
    ids=["zero-byte", "truncated", "object", "string", "pickled", "folder", "text", "binary"],
)
def test_a_bad_npy_file_is_a_clear_error(tmp_path, write, message):
    path = tmp_path / "maps.npy"
    write(path)
    with pytest.raises(DataError) as info:
        load_npy(path, what="maps")
    assert str(info.value) == message.format(p=path)


def test_a_missing_relative_path_shows_the_absolute_path_that_was_tried(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DataError) as info:
        load_npy("data/maps.npy", what="maps")
    assert str(info.value) == (
        f"maps file 'data/maps.npy' does not exist (looked for '{tmp_path}/data/maps.npy')"
    )


def test_a_pickle_in_an_npy_file_is_never_run(tmp_path):
    ran = tmp_path / "pwned"
    payload = pickle.dumps(type("Evil", (), {"__reduce__": lambda s: (ran.touch, ())})())
    (tmp_path / "maps.npy").write_bytes(payload)
    with pytest.raises(DataError):
        load_npy(tmp_path / "maps.npy")
    assert not ran.exists()


# ---- cosmossl HDF5 map files ----------------------------------------------------------------


@pytest.fixture
def map_file(tmp_path):
    return write_mapset(mapset(np.ones((6, 1, 4, 4), np.float32)), tmp_path / "maps.h5")


def test_a_map_file_missing_an_attribute_names_it(map_file):
    with h5py.File(map_file, "a") as f:
        del f.attrs["priors"]
    with pytest.raises(DataError) as info:
        read_mapset(map_file)
    assert str(info.value) == (
        f"'{map_file}' lacks the attribute 'priors' of the file (a cosmossl map file is written "
        "by `cosmossl simulate` or cosmossl.data.write_mapset)"
    )


def test_a_map_file_with_malformed_json_metadata_names_the_attribute(map_file):
    with h5py.File(map_file, "a") as f:
        f["params"].attrs["names"] = "[omega_m, sigma_8"
    with pytest.raises(DataError, match=r"attribute 'names' of /params is not valid JSON"):
        read_mapset(map_file)


def test_a_map_file_with_3d_maps_is_refused(map_file):
    with h5py.File(map_file, "a") as f:
        del f["maps"]
        f["maps"] = np.ones((6, 4, 4), np.float32)
    with pytest.raises(DataError) as info:
        read_mapset(map_file)
    assert str(info.value) == (
        f"'{map_file}': /maps must be a float array [N, C, H, W], got float32 with shape (6, 4, 4)"
    )


def test_a_file_that_is_not_hdf5_is_refused(tmp_path):
    (tmp_path / "maps.h5").write_bytes(b"not hdf5 at all")
    with pytest.raises(DataError, match=r"'.*maps\.h5' is not a readable HDF5 file \("):
        read_mapset(tmp_path / "maps.h5")


# ---- non-finite values ----------------------------------------------------------------------


def test_reading_a_map_with_nan_names_the_file_the_map_and_its_split():
    maps = np.zeros((6, 1, 4, 4), np.float32)
    maps[5, 0, 2, 1] = np.nan
    data = mapset(maps, source="/data/maps.npy")
    data.read([0, 1, 2])  # other maps read fine: the check is per batch, lazily
    with pytest.raises(DataError) as info:
        data.read([4, 5])
    assert str(info.value) == (
        "map set '/data/maps.npy': map 5 (test split) contains NaN or inf values; fix or drop "
        "that map"
    )


def test_parameters_with_inf_are_refused_when_loading():
    params = np.full((6, 2), 0.5, np.float32)
    params[2, 1] = np.inf
    with pytest.raises(DataError) as info:
        mapset(params=params, source="/data/maps.npy")
    assert str(info.value) == (
        "map set '/data/maps.npy': the parameters of row 2 (val split) hold NaN or inf values; "
        "fix or drop that row"
    )


def test_writing_a_map_file_checks_every_map_and_leaves_nothing(tmp_path):
    maps = np.zeros((6, 1, 4, 4), np.float32)
    maps[1] = np.inf
    with pytest.raises(DataError, match=r"map 1 \(train split\) contains NaN or inf values"):
        write_mapset(mapset(maps), tmp_path / "maps.h5")
    assert list(tmp_path.iterdir()) == []


def test_a_summaries_file_with_nan_names_the_file_row_and_split(tmp_path):
    s = Summaries(
        summaries=np.ones((6, 3), np.float32),
        params=np.full((6, 2), 0.5, np.float32),
        param_names=("a", "b"),
        cosmology_id=np.arange(6) // 2,
        simulation_id=np.arange(6),
        split=np.array([0, 0, 1, 1, 2, 2], np.int8),
    )
    path = write_summaries(tmp_path / "s.h5", s)
    with h5py.File(path, "a") as f:
        f["summaries"][4, 1] = np.nan
    with pytest.raises(DataError) as info:
        read_summaries(path)
    assert str(info.value) == (
        f"'{path}': summaries: row 4 (test split) holds NaN or inf values; no metric is computed "
        "over them (compress the maps again)"
    )


def test_a_summaries_file_with_malformed_metadata_names_the_attribute(tmp_path):
    s = Summaries(
        summaries=np.ones((2, 3), np.float32),
        params=np.full((2, 1), 0.5, np.float32),
        param_names=("a",),
        cosmology_id=np.arange(2),
        simulation_id=np.arange(2),
        split=np.array([0, 2], np.int8),
    )
    path = write_summaries(tmp_path / "s.h5", s)
    with h5py.File(path, "a") as f:
        f.attrs["priors"] = json.dumps([1, 2])  # a list, not an object
    with pytest.raises(DataError, match=r"'.*s\.h5': malformed metadata \("):
        read_summaries(path)
