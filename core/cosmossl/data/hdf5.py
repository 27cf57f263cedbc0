"""The cosmossl HDF5 map file: write a MapSet atomically, read it back lazily.

Layout (format version 1, documented in docs/formats.md)::

    /maps            float32 [N, C, H, W], chunked one map per chunk
    /params          float32 [N, P]        attrs: names (JSON list)
    /cosmology_id    int64   [N]
    /simulation_id   int64   [N]
    /seed_id         int64   [N]           optional: equal ids share the noise seed (paired)
    /split           int8    [N]           0 train, 1 val, 2 test
    /nuisance        float32 [N, Q]        attrs: names (JSON list)
    root attrs: format="cosmossl-maps", format_version=1, cosmossl_version, shape (JSON),
                box_size, periodic, priors (JSON), attrs (JSON: generating config, ...)
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from cosmossl._util.files import atomic_path
from cosmossl._version import __version__
from cosmossl.components.meta import MapMeta
from cosmossl.data.mapset import MapSet
from cosmossl.errors import DataError

FORMAT = "cosmossl-maps"
FORMAT_VERSION = 1
_REQUIRED = ("maps", "params", "cosmology_id", "simulation_id", "split", "nuisance")


def write_mapset(mapset: MapSet, path: str | Path, *, chunk_maps: int = 1024) -> Path:
    """Write ``mapset`` to ``path`` atomically (temporary file in the same folder, then rename).

    Maps are copied ``chunk_maps`` rows at a time, so an on-disk map store is never loaded whole.
    """
    path = Path(path)
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        n = len(mapset)
        shape = tuple(mapset.maps.shape[1:])
        maps = f.create_dataset(
            "maps", (n, *shape), dtype="float32", chunks=(1, *shape) if n else None
        )
        for start in range(0, n, chunk_maps):
            stop = min(n, start + chunk_maps)
            maps[start:stop] = np.asarray(mapset.maps[start:stop], dtype=np.float32)
        f.create_dataset("params", data=np.asarray(mapset.params, dtype=np.float32))
        f["params"].attrs["names"] = json.dumps(list(mapset.param_names))
        f.create_dataset("cosmology_id", data=np.asarray(mapset.cosmology_id, np.int64))
        f.create_dataset("simulation_id", data=np.asarray(mapset.simulation_id, np.int64))
        f.create_dataset("seed_id", data=np.asarray(mapset.seed_id, np.int64))
        f.create_dataset("split", data=np.asarray(mapset.split, dtype=np.int8))
        f.create_dataset("nuisance", data=np.asarray(mapset.nuisance, dtype=np.float32))
        f["nuisance"].attrs["names"] = json.dumps(list(mapset.nuisance_names))
        f.attrs.update({
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "cosmossl_version": __version__,
            "shape": json.dumps(list(mapset.meta.shape)),
            "box_size": np.nan if mapset.meta.box_size is None else mapset.meta.box_size,
            "periodic": bool(mapset.meta.periodic),
            "priors": json.dumps({k: list(v) for k, v in mapset.priors.items()}),
            "attrs": json.dumps(mapset.attrs, default=_json_default),
        })  # fmt: skip
    return path


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


class LazyMaps:
    """The ``/maps`` dataset of a file, opened on first access in each process.

    h5py file handles must not cross a ``fork``: the handle is keyed by process id, so a copy of
    this object inside a DataLoader worker opens its own handle. Pickling drops the handle.
    """

    def __init__(self, path: str | Path, shape: tuple[int, ...]) -> None:
        self.path = str(path)
        self.shape = shape
        self._pid: int | None = None
        self._file: h5py.File | None = None

    def _dataset(self) -> h5py.Dataset:
        if self._file is None or self._pid != os.getpid():
            self._file = h5py.File(self.path, "r")
            self._pid = os.getpid()
        return self._file["maps"]

    def __getitem__(self, index: Any) -> np.ndarray:
        return self._dataset()[index]

    def __len__(self) -> int:
        return self.shape[0]

    def __getstate__(self) -> dict[str, Any]:
        return {"path": self.path, "shape": self.shape, "_pid": None, "_file": None}

    def close(self) -> None:
        if self._file is not None and self._pid == os.getpid():
            self._file.close()
        self._file = None


@contextmanager
def open_checked(
    path: Path, file_format: str, version_attr: str, max_version: int, what: str, hint: str = ""
) -> Iterator[h5py.File]:
    """Open a cosmossl HDF5 file for reading, checking that it exists, is HDF5, has the
    ``format`` attribute ``file_format`` and a version this cosmossl reads; ``DataError`` else."""
    if not path.is_file():
        raise DataError(f"{what} '{path}' does not exist{hint}")
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise DataError(f"'{path}' is not a readable HDF5 file: {exc}") from None
    with f:
        if f.attrs.get("format") != file_format:
            raise DataError(
                f"'{path}' is not a {what} (attribute format={f.attrs.get('format')!r}, "
                f"expected {file_format!r})"
            )
        version = int(f.attrs.get(version_attr, -1))
        if version > max_version:
            raise DataError(
                f"'{path}' has format version {version}; this cosmossl reads up to "
                f"{max_version}: upgrade cosmossl"
            )
        yield f


def read_mapset(path: str | Path) -> MapSet:
    """Open a cosmossl HDF5 file; maps stay on disk (a :class:`LazyMaps` store)."""
    path = Path(path)
    with open_checked(path, FORMAT, "format_version", FORMAT_VERSION, "cosmossl map file") as f:
        missing = [name for name in _REQUIRED if name not in f]
        if missing:
            raise DataError(f"'{path}' lacks the dataset(s) {', '.join(missing)}")
        box = float(f.attrs["box_size"])
        meta = MapMeta(shape=tuple(json.loads(f.attrs["shape"])),
                       box_size=None if np.isnan(box) else box,
                       periodic=bool(f.attrs["periodic"]))  # fmt: skip
        return MapSet(
            maps=LazyMaps(path, tuple(f["maps"].shape)),
            params=f["params"][...],
            param_names=tuple(json.loads(f["params"].attrs["names"])),
            cosmology_id=f["cosmology_id"][...],
            simulation_id=f["simulation_id"][...],
            seed_id=f["seed_id"][...] if "seed_id" in f else None,
            split=f["split"][...],
            meta=meta,
            nuisance=f["nuisance"][...],
            nuisance_names=tuple(json.loads(f["nuisance"].attrs["names"])),
            priors={k: tuple(v) for k, v in json.loads(f.attrs["priors"]).items()},
            attrs={**json.loads(f.attrs["attrs"]),
                   "cosmossl_version": str(f.attrs["cosmossl_version"]),
                   "path": str(path)},
        )  # fmt: skip
