"""``MapSet``: the in-memory view of a set of maps that every stage works with."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from cosmossl.components.meta import MapMeta
from cosmossl.errors import DataError

SPLITS: tuple[str, ...] = ("train", "val", "test")


class ArrayLike(Protocol):
    """What a map store must support: a shape and indexing by a sorted integer array."""

    shape: tuple[int, ...]

    def __getitem__(self, index: Any) -> Any: ...


@dataclass
class MapSet:
    """Maps with their parameters, group ids and split.

    The maps may stay on disk (an h5py dataset or a memory-mapped array); :meth:`read` loads only
    the requested rows. Everything else is small and held in memory.

    Attributes:
        maps: ``[N, C, H, W]`` float32 store.
        params: ``[N, P]`` parameters the summaries should capture (e.g. Ω_m, σ_8).
        param_names: the P names.
        cosmology_id: ``[N]`` int64, maps with equal ids share cosmological parameters.
        simulation_id: ``[N]`` int64, maps with equal ids come from one simulation (same
            cosmology, nuisance values and seed).
        split: ``[N]`` int8 codes into :data:`SPLITS` (0 train, 1 val, 2 test), assigned by
            cosmology so no cosmology straddles two splits.
        nuisance: ``[N, Q]`` nuisance parameters (e.g. feedback amplitudes), or ``[N, 0]``.
        nuisance_names: the Q names.
        meta: geometry of one map.
        priors: ``{name: (low, high)}`` box prior of each parameter (and nuisance parameter).
        attrs: free-form provenance (generating config, cosmossl version, ...).
    """

    maps: ArrayLike
    params: np.ndarray
    param_names: tuple[str, ...]
    cosmology_id: np.ndarray
    simulation_id: np.ndarray
    split: np.ndarray
    meta: MapMeta
    nuisance: np.ndarray | None = None
    nuisance_names: tuple[str, ...] = ()
    priors: dict[str, tuple[float, float]] = field(default_factory=dict)
    attrs: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = self.maps.shape[0]
        if self.nuisance is None:
            self.nuisance = np.zeros((n, 0), dtype=np.float32)
        checks = {
            "params": self.params.shape[:1],
            "cosmology_id": self.cosmology_id.shape,
            "simulation_id": self.simulation_id.shape,
            "split": self.split.shape,
            "nuisance": self.nuisance.shape[:1],
        }
        for name, shape in checks.items():
            if tuple(shape) != (n,):
                raise DataError(
                    f"map set: '{name}' has {shape[0] if shape else 0} rows, maps have {n}"
                )
        if self.params.shape[1] != len(self.param_names):
            raise DataError(
                f"map set: {self.params.shape[1]} parameter columns but "
                f"{len(self.param_names)} names {self.param_names}"
            )

    def __len__(self) -> int:
        return int(self.maps.shape[0])

    def read(self, indices: Sequence[int] | np.ndarray) -> np.ndarray:
        """Maps at ``indices`` as a float32 array ``[n, C, H, W]`` (reads only those rows)."""
        indices = np.asarray(indices, dtype=np.int64)
        # h5py needs strictly increasing indices: read each row once, then put them in order.
        unique, inverse = np.unique(indices, return_inverse=True)
        rows = np.asarray(self.maps[unique], dtype=np.float32)
        return rows[inverse]

    def indices(self, split: str) -> np.ndarray:
        """Row indices of one split (``"train"``, ``"val"`` or ``"test"``)."""
        if split not in SPLITS:
            raise DataError(f"unknown split '{split}'; splits are {', '.join(SPLITS)}")
        return np.flatnonzero(self.split == SPLITS.index(split))

    def group_ids(self, level: str) -> np.ndarray:
        """Group ids at a pairing level: cosmology ids or simulation ids."""
        if level in ("same-cosmology", "across-simulations"):
            return self.cosmology_id
        if level == "same-simulation":
            return self.simulation_id
        raise DataError(
            f"unknown pairing level '{level}'; use 'same-cosmology', 'across-simulations' or "
            "'same-simulation'"
        )
