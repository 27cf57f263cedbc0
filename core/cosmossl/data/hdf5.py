"""The cosmossl HDF5 map file: write a MapSet atomically, read it back lazily.

Layout (format version 1, documented in docs/formats.md)::

    /maps            float32 [N, C, H, W], chunked one map per chunk
    /params          float32 [N, P]        attrs: names (JSON list), labels (JSON
                                           {name: LaTeX}, optional)
    /cosmology_id    int64   [N]
    /simulation_id   int64   [N]
    /seed_id         int64   [N]           optional: equal ids share the noise seed (paired)
    /split           int8    [N]           0 train, 1 val, 2 test
    /nuisance        float32 [N, Q]        attrs: names (JSON list)
    root attrs: format="cosmossl-maps", format_version=1, cosmossl_version, shape (JSON),
                box_size, periodic, content (what the pixels hold; "" when unknown),
                priors (JSON), prior_sources (JSON {name: "stated" | "file" | "data"},
                optional), attrs (JSON: generating config, ...)
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

from cosmossl._util.files import atomic_path, ensure_free_space
from cosmossl._version import __version__
from cosmossl.components.meta import MapMeta
from cosmossl.data.mapset import MapSet
from cosmossl.errors import DataError, tried

FORMAT = "cosmossl-maps"
FORMAT_VERSION = 1
_REQUIRED = ("maps", "params", "cosmology_id", "simulation_id", "split", "nuisance")
_WRITTEN_BY = "`cosmossl simulate` or cosmossl.data.write_mapset"


def write_mapset(mapset: MapSet, path: str | Path, *, chunk_maps: int = 1024) -> Path:
    """Write ``mapset`` to ``path`` atomically (temporary file in the same folder, then rename).

    Maps are copied ``chunk_maps`` rows at a time, so an on-disk map store is never loaded whole;
    every map is checked to be finite on the way (nothing is written otherwise), and the free
    space is checked first.
    """
    path = Path(path)
    n = len(mapset)
    shape = tuple(mapset.maps.shape[1:])
    # HDF5 may crash rather than fail cleanly on a full disk: check the room first.
    ensure_free_space(path, n * int(np.prod(shape)) * 4 + mapset.params.nbytes * 4)
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        maps = f.create_dataset(
            "maps", (n, *shape), dtype="float32", chunks=(1, *shape) if n else None
        )
        for start in range(0, n, chunk_maps):
            stop = min(n, start + chunk_maps)
            maps[start:stop] = mapset.read(np.arange(start, stop))  # checked: finite
        f.create_dataset("params", data=np.asarray(mapset.params, dtype=np.float32))
        f["params"].attrs["names"] = json.dumps(list(mapset.param_names))
        f["params"].attrs["labels"] = json.dumps(mapset.param_labels)
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
            "content": mapset.meta.content or "",
            "priors": json.dumps({k: list(v) for k, v in mapset.priors.items()}),
            "prior_sources": json.dumps(mapset.prior_sources),
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


def file_format(path: str | Path) -> str | None:
    """The ``format`` attribute of an HDF5 file (``"cosmossl-maps"``, ...); ``None`` when the
    file is not HDF5 or has none. Used to tell cosmossl's files from others before replacing."""
    try:
        with h5py.File(path, "r") as f:
            value = f.attrs.get("format")
    except OSError:
        return None
    return value if isinstance(value, str) else None


@contextmanager
def open_checked(
    path: Path, file_format: str, version_attr: str, max_version: int, what: str, hint: str = ""
) -> Iterator[h5py.File]:
    """Open a cosmossl HDF5 file for reading, checking that it exists, is HDF5, has the
    ``format`` attribute ``file_format`` and a version this cosmossl reads; ``DataError`` else."""
    if path.is_dir():
        raise DataError(f"{what} '{path}' is a folder; give the path of a .h5 file")
    if not path.is_file():
        raise DataError(f"{what} '{path}' does not exist{tried(path)}{hint}")
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise DataError(f"'{path}' is not a readable HDF5 file ({exc}): write it again") from None
    with f:
        if f.attrs.get("format") != file_format:
            raise DataError(
                f"'{path}' is not a {what} (attribute format={f.attrs.get('format')!r}, "
                f"expected {file_format!r})"
            )
        try:
            version = int(f.attrs.get(version_attr, -1))
        except (TypeError, ValueError):
            raise DataError(f"'{path}': attribute {version_attr} is not a number") from None
        if version > max_version:
            raise DataError(
                f"'{path}' has format version {version}; this cosmossl reads up to "
                f"{max_version}: upgrade cosmossl"
            )
        yield f


def check_datasets(path: Path, f: h5py.File, names: tuple[str, ...], hint: str) -> None:
    """A :class:`DataError` when one of ``names`` that ``f`` holds is a group, not a dataset
    (``hint`` says how such a file is written)."""
    for name in names:
        if name in f and not isinstance(f[name], h5py.Dataset):
            raise DataError(f"'{path}': /{name} is a group, not a dataset ({hint})")


def read_mapset(path: str | Path) -> MapSet:
    """Open a cosmossl HDF5 file; maps stay on disk (a :class:`LazyMaps` store)."""
    path = Path(path)
    with open_checked(path, FORMAT, "format_version", FORMAT_VERSION, "cosmossl map file") as f:
        missing = [name for name in _REQUIRED if name not in f]
        if missing:
            raise DataError(f"'{path}' lacks the dataset(s) {', '.join(missing)}")
        check_datasets(path, f, (*_REQUIRED, "seed_id"), f"a cosmossl map file is written by "
                       f"{_WRITTEN_BY}")  # fmt: skip
        maps = f["maps"]
        if maps.ndim != 4 or maps.dtype.kind != "f":
            raise DataError(
                f"'{path}': /maps must be a float array [N, C, H, W], got {maps.dtype} with "
                f"shape {maps.shape}"
            )
        attr = _Attributes(path, f)
        shape = attr.json("shape", list)
        if tuple(shape) != tuple(maps.shape[1:]):
            raise DataError(f"'{path}': attribute shape {shape} does not match /maps "
                            f"{list(maps.shape[1:])}")  # fmt: skip
        try:
            box = float(attr.get("box_size"))
            meta = MapMeta(shape=tuple(shape), box_size=None if np.isnan(box) else box,
                           periodic=bool(attr.get("periodic")),
                           content=str(f.attrs.get("content", "")) or None)  # fmt: skip
            return MapSet(
                maps=LazyMaps(path, tuple(maps.shape)),
                params=_numeric(path, f, "params"),
                param_names=tuple(attr.json("names", list, dataset="params")),
                cosmology_id=_numeric(path, f, "cosmology_id"),
                simulation_id=_numeric(path, f, "simulation_id"),
                seed_id=_numeric(path, f, "seed_id") if "seed_id" in f else None,
                split=_numeric(path, f, "split"),
                meta=meta,
                nuisance=_numeric(path, f, "nuisance"),
                nuisance_names=tuple(attr.json("names", list, dataset="nuisance")),
                priors={k: tuple(v) for k, v in attr.json("priors", dict).items()},
                prior_sources=(attr.json("prior_sources", dict)
                               if "prior_sources" in f.attrs else {}),
                param_labels=json.loads(f["params"].attrs.get("labels", "{}")),
                attrs={**attr.json("attrs", dict),
                       "cosmossl_version": str(attr.get("cosmossl_version")),
                       "path": str(path)},
            )  # fmt: skip
        except (TypeError, ValueError) as exc:  # e.g. a prior that is not a pair of numbers
            raise DataError(f"'{path}': malformed metadata: {exc}") from None


def _numeric(path: Path, f: h5py.File, name: str) -> np.ndarray:
    values = f[name][...]
    if values.dtype.kind not in "biuf":
        raise DataError(f"'{path}': /{name} holds {values.dtype} values, not numbers")
    return values


class _Attributes:
    """Attributes of a map file, read with messages that name the file and the attribute."""

    def __init__(self, path: Path, f: h5py.File) -> None:
        self.path, self.f = path, f

    def get(self, name: str, *, dataset: str | None = None) -> Any:
        attrs = self.f[dataset].attrs if dataset else self.f.attrs
        where = f"/{dataset}" if dataset else "the file"
        if name not in attrs:
            raise DataError(
                f"'{self.path}' lacks the attribute '{name}' of {where} (a cosmossl map file "
                f"is written by {_WRITTEN_BY})"
            )
        return attrs[name]

    def json(self, name: str, kind: type, *, dataset: str | None = None) -> Any:
        text = self.get(name, dataset=dataset)
        where = f"/{dataset}" if dataset else "the file"
        try:
            value = json.loads(text)
        except (TypeError, ValueError) as exc:
            raise DataError(
                f"'{self.path}': attribute '{name}' of {where} is not valid JSON ({exc})"
            ) from None
        if not isinstance(value, kind):
            raise DataError(
                f"'{self.path}': attribute '{name}' of {where} should hold a JSON "
                f"{'list' if kind is list else 'object'}, got {type(value).__name__}"
            )
        return value
