"""Maps a trained run has never seen (an observation), read from user files and checked against
the maps the run was trained on, before any work.

Formats, by suffix: ``.npy`` (NumPy), ``.h5``/``.hdf5`` (a cosmossl map file, e.g. written by
``cosmossl simulate``: its parameters are ignored, its content and box size are checked) and
``.fits``/``.fit``/``.fits.gz`` (the first image HDU, read with astropy, an optional extra).

An array's trailing axes are read against the run's per-map shape ``(C, *spatial)`` (``(C, H,
W)`` for maps, ``(C, D, H, W)`` for volumes): ``spatial`` is one single-channel map, ``[N,
*spatial]`` N single-channel maps, ``[C, *spatial]`` one map of C > 1 channels, and ``[N, C,
*spatial]`` N maps. What differs (size, channels, content, box size, non-finite pixels, pixel
values a content cannot hold) is a :class:`~cosmossl.DataError` naming the file and the map.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cosmossl.components.meta import MAP_CONTENTS, MapMeta
from cosmossl.data.arrays import first_nonfinite, load_npy
from cosmossl.errors import DataError

#: File suffixes read as FITS images.
FITS_SUFFIXES = (".fits", ".fit", ".fts", ".fits.gz", ".fit.gz")
#: File suffixes read as cosmossl map files.
HDF5_SUFFIXES = (".h5", ".hdf5")
#: Relative difference of box sizes taken as the same box.
BOX_TOLERANCE = 1e-3
#: How to turn maps of one content into another (``(given, expected)`` → NumPy expression).
CONVERSIONS = {
    ("overdensity", "log1p-overdensity"): "numpy.log1p(maps)",
    ("log1p-overdensity", "overdensity"): "numpy.expm1(maps)",
    ("density", "log10-density"): "numpy.log10(maps)",
    ("log10-density", "density"): "10 ** maps",
}


@dataclass(frozen=True)
class ObservedMaps:
    """Maps ``[N, *shape]`` (float32) of an observation, with a label per map for messages and
    outputs (``obs.npy``, ``obs.npy[3]``) and the files they came from."""

    maps: np.ndarray
    labels: tuple[str, ...]
    files: tuple[str, ...] = field(default_factory=tuple)

    def __len__(self) -> int:
        return int(self.maps.shape[0])


def read_observations(
    paths: Sequence[str | Path],
    meta: MapMeta,
    *,
    content: str | None = None,
    box_size: float | None = None,
) -> ObservedMaps:
    """Read and check the maps of every file of ``paths`` against ``meta`` (the run's maps).

    ``content`` and ``box_size`` state what the pixels of files without metadata (``.npy``,
    FITS) hold; a cosmossl map file states its own. Either, when known on both sides and
    different from the run's, is an error.
    """
    if not paths:
        raise DataError("no map file given: name at least one .npy, .h5 or .fits file")
    arrays, labels = [], []
    for path in map(Path, paths):
        array, file_meta = read_map_file(path)
        stated = MapMeta(
            shape=meta.shape,
            box_size=file_meta.box_size if file_meta else box_size,
            content=file_meta.content if file_meta else content,
        )
        maps = as_maps(array, meta.shape, str(path))
        check_maps(maps, meta, str(path), stated=stated)
        arrays.append(maps)
        labels += [str(path)] if len(maps) == 1 else [f"{path}[{i}]" for i in range(len(maps))]
    return ObservedMaps(np.concatenate(arrays), tuple(labels), tuple(str(p) for p in paths))


def read_map_file(path: Path) -> tuple[np.ndarray, MapMeta | None]:
    """The array of a map file and, for a cosmossl map file, its metadata."""
    name = path.name.lower()
    if name.endswith(FITS_SUFFIXES):
        return _read_fits(path), None
    if name.endswith(HDF5_SUFFIXES):
        from cosmossl.data.hdf5 import read_mapset

        mapset = read_mapset(path)
        return mapset.read(np.arange(len(mapset))), mapset.meta
    if name.endswith(".npy"):
        return np.asarray(load_npy(path, what="maps", mmap=False)), None
    raise DataError(
        f"'{path}': unknown map file type; give a .npy array, a cosmossl map file (.h5) or a "
        "FITS image (.fits)"
    )


def _read_fits(path: Path) -> np.ndarray:
    try:
        from astropy.io import fits
    except ImportError:
        raise DataError(
            f"'{path}': reading FITS files needs astropy, an optional extra: "
            "pip install 'cosmossl[fits]' (or pip install astropy), or save the map with "
            "numpy.save as a .npy file"
        ) from None
    if not path.is_file():
        raise DataError(f"maps file '{path}' does not exist")
    try:
        with fits.open(path, memmap=False) as hdus:
            for hdu in hdus:
                if hdu.is_image and hdu.data is not None:
                    return np.asarray(hdu.data)
    except (OSError, ValueError, TypeError) as exc:
        raise DataError(f"'{path}' is not a readable FITS file ({exc})") from None
    raise DataError(f"'{path}': no FITS extension holds an image")


def as_maps(array: Any, shape: Sequence[int], where: str) -> np.ndarray:
    """``array`` as maps ``[N, *shape]`` float32, its trailing axes read against ``shape``
    ``(C, *spatial)`` (see the module docstring); a :class:`DataError` naming ``where`` else."""
    array = np.asarray(array)
    if array.dtype.kind not in "biuf":
        raise DataError(f"'{where}' holds {array.dtype} values, not real numbers")
    channels, spatial = int(shape[0]), tuple(int(n) for n in shape[1:])
    k = len(spatial)
    dims = "×".join(map(str, spatial))
    expected = f"{dims} {'map' if k == 2 else 'volume'}s with {channels} channel(s)"
    accepted = (
        f"{_shape(spatial)} (one map), {_shape(('N', *spatial))} or "
        f"{_shape(('N', channels, *spatial))}"
        if channels == 1
        else f"{_shape((channels, *spatial))} (one map) or {_shape(('N', channels, *spatial))}"
    )
    if array.ndim < k or tuple(array.shape[-k:]) != spatial:
        raise DataError(
            f"'{where}' has shape {tuple(array.shape)}, but the run was trained on {expected}: "
            f"expected {accepted}"
        )
    lead = array.shape[:-k]
    if len(lead) == 0 and channels == 1:
        maps = array[None, None]
    elif len(lead) == 1 and channels == 1:
        maps = array[:, None]
    elif len(lead) == 1 and lead[0] == channels:
        maps = array[None]
    elif len(lead) == 2 and lead[1] == channels:
        maps = array
    else:
        given = lead[-1] if lead else 1
        raise DataError(
            f"'{where}' has shape {tuple(array.shape)}: {given} channel(s) per map where the "
            f"run's maps have {channels}; expected {accepted}"
        )
    if maps.shape[0] == 0:
        raise DataError(f"'{where}' holds no maps (shape {tuple(array.shape)})")
    return np.ascontiguousarray(maps, dtype=np.float32)


def _shape(dims: Sequence[Any]) -> str:
    return "[" + ", ".join(map(str, dims)) + "]"


def check_maps(
    maps: np.ndarray, meta: MapMeta, where: str, *, stated: MapMeta | None = None
) -> None:
    """Check maps ``[N, *meta.shape]`` against the run's ``meta``: finite pixels, pixel values
    the run's content can hold, and (when ``stated`` says them) the same content and box size.
    """
    bad = first_nonfinite(maps)
    if bad is not None:
        which = f"map {bad} of '{where}'" if len(maps) > 1 else f"'{where}'"
        count = int((~np.isfinite(maps[bad])).sum())
        raise DataError(f"{which} holds {count} NaN or inf pixel(s): fill or mask them first")
    if stated is not None and stated.content and meta.content and stated.content != meta.content:
        how = CONVERSIONS.get((stated.content, meta.content))
        hint = f": convert them with {how}" if how else ""
        raise DataError(
            f"'{where}' holds {stated.content} ({MAP_CONTENTS[stated.content]}), but the run was "
            f"trained on {meta.content} ({MAP_CONTENTS[meta.content]}){hint}"
        )
    box = stated.box_size if stated is not None else None
    if box and meta.box_size and abs(box / meta.box_size - 1) > BOX_TOLERANCE:
        raise DataError(
            f"'{where}' covers a box of {box:g} Mpc/h, but the run was trained on maps of "
            f"{meta.box_size:g} Mpc/h: the summaries of maps of another scale mean something "
            "else (cut or resample the maps to the run's box)"
        )
    _check_range(maps, meta.content, where)


def _check_range(maps: np.ndarray, content: str | None, where: str) -> None:
    """Pixel values the run's content cannot hold (a map in another transform, most often)."""
    low = float(maps.min())
    if content == "overdensity" and low < -1 - 1e-5:
        raise DataError(
            f"'{where}' has pixels down to {low:.3g}, but the run's maps hold the overdensity δ "
            "(≥ −1): are these log(1 + δ) or another transform? Give δ itself"
        )
    if content in ("density", "counts") and low < 0:
        raise DataError(
            f"'{where}' has negative pixels (down to {low:.3g}), but the run's maps hold "
            f"{MAP_CONTENTS[content]}: are these a logarithm or an overdensity? Give {content} "
            "itself"
        )
    if content == "counts" and not np.array_equal(maps, np.round(maps)):
        raise DataError(f"'{where}' has non-integer pixels, but the run's maps hold counts")
