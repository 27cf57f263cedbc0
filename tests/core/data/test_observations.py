"""Maps of an observation: read from .npy, cosmossl HDF5 and FITS files, their trailing axes
read against the run's per-map shape, and checked before any work."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from cosmossl import DataError, MapMeta, MapSet
from cosmossl.data.hdf5 import write_mapset
from cosmossl.data.observations import as_maps, check_maps, read_observations

META = MapMeta(shape=(1, 8, 8), box_size=100.0, content="log1p-overdensity")


def test_one_channel_maps_are_accepted_as_a_map_a_stack_or_with_their_channel():
    assert as_maps(np.zeros((8, 8)), (1, 8, 8), "x").shape == (1, 1, 8, 8)
    assert as_maps(np.zeros((5, 8, 8)), (1, 8, 8), "x").shape == (5, 1, 8, 8)
    assert as_maps(np.zeros((5, 1, 8, 8)), (1, 8, 8), "x").shape == (5, 1, 8, 8)


def test_several_channels_are_one_map_or_a_stack_of_maps():
    assert as_maps(np.zeros((3, 8, 8)), (3, 8, 8), "x").shape == (1, 3, 8, 8)
    assert as_maps(np.zeros((2, 3, 8, 8)), (3, 8, 8), "x").shape == (2, 3, 8, 8)


def test_volumes_are_read_against_their_three_spatial_axes():
    assert as_maps(np.zeros((4, 4, 4)), (1, 4, 4, 4), "x").shape == (1, 1, 4, 4, 4)
    assert as_maps(np.zeros((2, 1, 4, 4, 4)), (1, 4, 4, 4), "x").shape == (2, 1, 4, 4, 4)


def test_maps_of_another_size_are_refused_with_the_shapes_expected():
    with pytest.raises(DataError) as error:
        as_maps(np.zeros((16, 16)), (1, 8, 8), "obs.npy")
    assert str(error.value) == (
        "'obs.npy' has shape (16, 16), but the run was trained on 8×8 maps with 1 channel(s): "
        "expected [8, 8] (one map), [N, 8, 8] or [N, 1, 8, 8]"
    )


def test_maps_with_other_channels_are_refused():
    with pytest.raises(DataError, match=r"2 channel\(s\) per map where the run's maps have 1"):
        as_maps(np.zeros((5, 2, 8, 8)), (1, 8, 8), "obs.npy")
    with pytest.raises(DataError, match=r"expected \[3, 8, 8\] \(one map\) or \[N, 3, 8, 8\]"):
        as_maps(np.zeros((8, 8)), (3, 8, 8), "obs.npy")


def test_a_nan_pixel_names_the_file_and_the_map():
    maps = np.zeros((3, 1, 8, 8), dtype=np.float32)
    maps[2, 0, 1, 1] = np.nan
    with pytest.raises(DataError) as error:
        check_maps(maps, META, "obs.npy")
    assert str(error.value) == (
        "map 2 of 'obs.npy' holds 1 NaN or inf pixel(s): fill or mask them first"
    )


def test_a_stated_content_other_than_the_runs_is_refused_with_the_conversion():
    stated = MapMeta(shape=(1, 8, 8), content="overdensity")
    with pytest.raises(DataError) as error:
        check_maps(np.zeros((1, 1, 8, 8)), META, "obs.npy", stated=stated)
    assert str(error.value) == (
        "'obs.npy' holds overdensity (δ, the density contrast), but the run was trained on "
        "log1p-overdensity (log(1 + δ), natural logarithm): convert them with numpy.log1p(maps)"
    )


def test_a_stated_box_other_than_the_runs_is_refused():
    stated = MapMeta(shape=(1, 8, 8), box_size=200.0)
    with pytest.raises(DataError, match="covers a box of 200 Mpc/h, but the run was trained on "
                                        "maps of 100 Mpc/h"):  # fmt: skip
        check_maps(np.zeros((1, 1, 8, 8)), META, "obs.npy", stated=stated)


def test_pixels_a_content_cannot_hold_are_refused():
    delta = MapMeta(shape=(1, 8, 8), content="overdensity")
    with pytest.raises(DataError, match=r"pixels down to -2.*overdensity δ \(≥ −1\)"):
        check_maps(np.full((1, 1, 8, 8), -2.0), delta, "obs.npy")
    density = MapMeta(shape=(1, 8, 8), content="density")
    with pytest.raises(DataError, match="negative pixels"):
        check_maps(np.full((1, 1, 8, 8), -0.5), density, "obs.npy")


def test_npy_files_are_read_and_labelled_per_map(tmp_path):
    np.save(tmp_path / "one.npy", np.zeros((8, 8), np.float32))
    np.save(tmp_path / "two.npy", np.ones((2, 8, 8), np.float64))
    observed = read_observations([tmp_path / "one.npy", tmp_path / "two.npy"], META)
    assert observed.maps.shape == (3, 1, 8, 8) and observed.maps.dtype == np.float32
    assert observed.labels == (str(tmp_path / "one.npy"), f"{tmp_path / 'two.npy'}[0]",
                               f"{tmp_path / 'two.npy'}[1]")  # fmt: skip


def _map_file(path, content):
    maps = np.zeros((2, 1, 8, 8), np.float32)
    mapset = MapSet(
        maps=maps, params=np.ones((2, 1)), param_names=("a",), cosmology_id=np.arange(2),
        simulation_id=np.arange(2), split=np.zeros(2),
        meta=MapMeta(shape=(1, 8, 8), box_size=100.0, content=content),
    )  # fmt: skip
    return write_mapset(mapset, path)


def test_a_cosmossl_map_file_states_its_content_which_is_checked(tmp_path):
    assert len(read_observations([_map_file(tmp_path / "ok.h5", "log1p-overdensity")], META)) == 2
    with pytest.raises(DataError, match=r"holds density .* but the run was trained on log1p"):
        read_observations([_map_file(tmp_path / "bad.h5", "density")], META)


def test_fits_images_are_read_with_astropy(tmp_path):
    fits = pytest.importorskip("astropy.io.fits")
    image = np.arange(64, dtype=">f4").reshape(8, 8)
    fits.PrimaryHDU(image).writeto(tmp_path / "obs.fits")
    observed = read_observations([tmp_path / "obs.fits"], META)
    np.testing.assert_array_equal(observed.maps[0, 0], image.astype(np.float32))


def test_fits_without_astropy_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "astropy", None)
    monkeypatch.setitem(sys.modules, "astropy.io", None)
    (tmp_path / "obs.fits").write_bytes(b"SIMPLE")
    with pytest.raises(DataError) as error:
        read_observations([tmp_path / "obs.fits"], META)
    assert str(error.value).startswith(
        f"'{tmp_path / 'obs.fits'}': reading FITS files needs astropy, an optional extra: "
        "pip install 'cosmossl[fits]'"
    )


def test_an_unknown_file_type_is_refused(tmp_path):
    with pytest.raises(DataError, match=r"unknown map file type; give a \.npy array"):
        read_observations([tmp_path / "obs.png"], META)
