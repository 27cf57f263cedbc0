"""``MapSet``: the in-memory view of a set of maps that every stage works with."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from cosmossl.components.meta import MapMeta
from cosmossl.data.arrays import first_nonfinite
from cosmossl.data.rows import GroupedRows
from cosmossl.errors import DataError


class ArrayLike(Protocol):
    """What a map store must support: a shape and indexing by a sorted integer array."""

    shape: tuple[int, ...]

    def __getitem__(self, index: Any) -> Any: ...


@dataclass(kw_only=True)
class MapSet(GroupedRows):
    """Maps with their parameters, group ids and split (see :class:`GroupedRows`).

    The maps may stay on disk (an h5py dataset or a memory-mapped array); :meth:`read` loads only
    the requested rows, and checks them: a map with a NaN or an infinity is a
    :class:`~cosmossl.DataError` naming the file, the map and its split, whoever reads it
    (training, compression, standardisation). Everything else is small and held in memory.

    Attributes:
        maps: ``[N, C, H, W]`` float32 store.
        meta: geometry of one map.
        attrs: free-form provenance (generating config, cosmossl version, ...).
    """

    maps: ArrayLike
    meta: MapMeta
    attrs: dict[str, Any] = field(default_factory=dict)

    what = "map set"
    row_noun = "maps"

    def __post_init__(self) -> None:
        shape = tuple(self.maps.shape)
        if len(shape) < 2:
            raise DataError(f"{self.where()}: maps must be [N, C, H, W], got shape {shape}")
        self._validate_rows(int(shape[0]))

    def __len__(self) -> int:
        return int(self.maps.shape[0])

    @property
    def source(self) -> str | None:
        """The file(s) the maps come from (``attrs['path']`` or ``attrs['source']``), if known."""
        source = self.attrs.get("path") or self.attrs.get("source")
        if isinstance(source, list | tuple):
            return ", ".join(str(s) for s in source) or None
        return str(source) if source else None

    def where(self) -> str:
        return f"map set '{self.source}'" if self.source else self.what

    def read(self, indices: Sequence[int] | np.ndarray) -> np.ndarray:
        """Maps at ``indices`` as a float32 array ``[n, C, H, W]`` (reads only those rows)."""
        indices = np.asarray(indices, dtype=np.int64)
        # h5py needs strictly increasing indices: read each row once, then put them in order.
        unique, inverse = np.unique(indices, return_inverse=True)
        rows = np.asarray(self.maps[unique], dtype=np.float32)
        bad = first_nonfinite(rows)
        if bad is not None:
            self._nonfinite(int(unique[bad]))
        return rows[inverse]

    def _nonfinite(self, row: int) -> None:
        raise DataError(
            f"{self.where()}: map {row} ({self.split_of(row)} split) contains NaN or inf "
            "values; fix or drop that map"
        )

    def subset(self, rows: Sequence[int] | np.ndarray, **replace: Any) -> MapSet:
        """The map set of ``rows`` only (maps read into memory); ``replace`` gives other values
        for per-row fields of those rows (e.g. ``maps=``, ``nuisance=``). Everything that is not
        per row (names, priors, labels, geometry, content, attrs) is kept."""
        rows = np.asarray(rows, dtype=np.int64)
        unknown = sorted(set(replace) - {"maps", *self.row_fields})
        if unknown:
            raise ValueError(f"subset: {', '.join(unknown)} are not per-row fields")
        fields = {name: getattr(self, name)[rows] for name in self.row_fields}
        fields["maps"] = replace.pop("maps") if "maps" in replace else self.read(rows)
        fields.update(replace)
        return dataclasses.replace(self, **fields, attrs=dict(self.attrs))

    def group_ids(self, level: str) -> np.ndarray:
        """Group ids at a pairing level: cosmology, simulation or seed ids (``"paired"``: maps
        that share cosmology and noise seed, i.e. paired simulations)."""
        if level in ("same-cosmology", "across-simulations"):
            return self.cosmology_id
        if level == "same-simulation":
            return self.simulation_id
        if level == "paired":
            return self.seed_id
        raise DataError(
            f"unknown pairing level '{level}'; use 'same-cosmology', 'across-simulations', "
            "'same-simulation' or 'paired'"
        )
