"""Summaries files: compressed maps (one vector per map) with parameters, groups and split.

The ``compress`` stage writes one of these per run (encoder outputs, never the projector's, or a
hand-crafted statistic); ``cosmossl infer`` fits a backend on it. The layout is documented in
``docs/formats.md`` under "Summaries file".
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cosmossl._util.files import atomic_path
from cosmossl.data.hdf5 import open_checked
from cosmossl.errors import DataError

#: Written into the file's ``format`` attribute; readers refuse anything else.
FORMAT = "cosmossl-summaries"
#: Bumped when the layout changes incompatibly.
VERSION = 1
SPLIT_NAMES: tuple[str, ...] = ("train", "val", "test")


@dataclass
class Summaries:
    """One summary vector per map, with what inference needs to know about it.

    Attributes:
        summaries: ``[N, D]`` float32 summary vectors.
        params: ``[N, P]`` float32 parameters to infer.
        param_names: the P names.
        cosmology_id: ``[N]`` int64 group ids (equal ids share cosmological parameters).
        simulation_id: ``[N]`` int64 simulation ids.
        split: ``[N]`` int8 codes into ``("train", "val", "test")`` (0, 1, 2), inherited from
            the map file, so test cosmologies were never seen by the encoder either.
        nuisance: ``[N, Q]`` float32 nuisance parameters, or ``[N, 0]``.
        nuisance_names: the Q names.
        priors: ``{name: (low, high)}`` box prior of each parameter.
        provenance: which encoder/statistic made the summaries, checkpoint path, config, ...
            (JSON-serialisable).
    """

    summaries: np.ndarray
    params: np.ndarray
    param_names: tuple[str, ...]
    cosmology_id: np.ndarray
    simulation_id: np.ndarray
    split: np.ndarray
    nuisance: np.ndarray | None = None
    nuisance_names: tuple[str, ...] = ()
    priors: dict[str, tuple[float, float]] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.summaries = np.asarray(self.summaries, dtype=np.float32)
        self.params = np.asarray(self.params, dtype=np.float32)
        self.cosmology_id = np.asarray(self.cosmology_id, dtype=np.int64)
        self.simulation_id = np.asarray(self.simulation_id, dtype=np.int64)
        self.split = np.asarray(self.split, dtype=np.int8)
        self.param_names = tuple(self.param_names)
        self.nuisance_names = tuple(self.nuisance_names)
        if self.summaries.ndim != 2:
            raise DataError(f"summaries: expected a [N, D] array, got shape {self.summaries.shape}")
        n = self.summaries.shape[0]
        if self.nuisance is None:
            self.nuisance = np.zeros((n, 0), dtype=np.float32)
        self.nuisance = np.asarray(self.nuisance, dtype=np.float32)
        rows = {
            "params": self.params.shape[:1],
            "cosmology_id": self.cosmology_id.shape,
            "simulation_id": self.simulation_id.shape,
            "split": self.split.shape,
            "nuisance": self.nuisance.shape[:1],
        }
        for name, shape in rows.items():
            if tuple(shape) != (n,):
                raise DataError(
                    f"summaries: '{name}' has {shape[0] if shape else 0} rows, summaries have {n}"
                )
        if self.params.ndim != 2 or self.params.shape[1] != len(self.param_names):
            raise DataError(
                f"summaries: {self.params.shape[1:]} parameter columns but "
                f"{len(self.param_names)} names {self.param_names}"
            )
        if self.nuisance.shape[1] != len(self.nuisance_names):
            raise DataError(
                f"summaries: {self.nuisance.shape[1]} nuisance columns but "
                f"{len(self.nuisance_names)} names {self.nuisance_names}"
            )
        bad = set(np.unique(self.split).tolist()) - {0, 1, 2}
        if bad:
            raise DataError(
                f"summaries: split codes must be 0 (train), 1 (val), 2 (test); found {sorted(bad)}"
            )
        self.priors = {k: (float(v[0]), float(v[1])) for k, v in self.priors.items()}
        for name, (low, high) in self.priors.items():
            if not low < high:
                raise DataError(f"summaries: prior of '{name}' has low {low} >= high {high}")

    def __len__(self) -> int:
        return int(self.summaries.shape[0])

    @property
    def summary_dim(self) -> int:
        return int(self.summaries.shape[1])

    def indices(self, split: str) -> np.ndarray:
        """Row indices of one split (``"train"``, ``"val"`` or ``"test"``)."""
        if split not in SPLIT_NAMES:
            raise DataError(f"unknown split '{split}'; splits are {', '.join(SPLIT_NAMES)}")
        return np.flatnonzero(self.split == SPLIT_NAMES.index(split))

    def box(self) -> tuple[np.ndarray, np.ndarray]:
        """``(low, high)`` arrays ``[P]`` of the box prior, in ``param_names`` order."""
        missing = [n for n in self.param_names if n not in self.priors]
        if missing:
            raise DataError(
                f"summaries: no prior range for parameter(s) {', '.join(missing)}; "
                f"priors given: {', '.join(self.priors) or 'none'}"
            )
        low = np.array([self.priors[n][0] for n in self.param_names], dtype=np.float64)
        high = np.array([self.priors[n][1] for n in self.param_names], dtype=np.float64)
        return low, high


def write_summaries(path: str | Path, s: Summaries) -> Path:
    """Write ``s`` to an HDF5 file atomically (temporary file in the same folder, then rename)."""
    import h5py

    path = Path(path)
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        f.attrs["format"] = FORMAT
        f.attrs["version"] = VERSION
        f.create_dataset("summaries", data=s.summaries)
        f.create_dataset("params", data=s.params)
        f.create_dataset("cosmology_id", data=s.cosmology_id)
        f.create_dataset("simulation_id", data=s.simulation_id)
        f.create_dataset("split", data=s.split)
        f.create_dataset("nuisance", data=s.nuisance)
        f.attrs["param_names"] = json.dumps(list(s.param_names))
        f.attrs["nuisance_names"] = json.dumps(list(s.nuisance_names))
        f.attrs["priors"] = json.dumps({k: list(v) for k, v in s.priors.items()})
        f.attrs["provenance"] = json.dumps(s.provenance, default=str)
    return path


_DATASETS = ("summaries", "params", "cosmology_id", "simulation_id", "split", "nuisance")
_ATTRS = ("param_names", "nuisance_names", "priors", "provenance")


def read_summaries(path: str | Path) -> Summaries:
    """Read a summaries file; a missing or malformed file raises :class:`DataError`."""

    path = Path(path)
    hint = " (run `cosmossl compress` first, or pass --summaries FILE)"
    with open_checked(path, FORMAT, "version", VERSION, "cosmossl summaries file", hint) as f:
        missing = [k for k in _DATASETS if k not in f] + [k for k in _ATTRS if k not in f.attrs]
        if missing:
            raise DataError(f"'{path}' is missing {', '.join(missing)}")
        arrays = {k: f[k][()] for k in _DATASETS}
        try:
            meta = {k: json.loads(f.attrs[k]) for k in _ATTRS}
        except (TypeError, ValueError) as exc:
            raise DataError(f"'{path}': malformed attribute: {exc}") from None
    try:
        return Summaries(
            **arrays,
            param_names=tuple(meta["param_names"]),
            nuisance_names=tuple(meta["nuisance_names"]),
            priors={k: tuple(v) for k, v in meta["priors"].items()},
            provenance=meta["provenance"],
        )
    except DataError as exc:
        raise DataError(f"'{path}': {exc}") from None
