"""The data layer: map sets and summaries files (one row table each), splits, standardisation,
priors and where they come from (``resolve_priors``), and checked reading of user arrays
(``load_npy``).

A public module: plugins may import from it (``from cosmossl.data import MapSet, read_mapset``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cosmossl._util.lazy import lazy_attributes

_LAZY: dict[str, str] = {
    "GroupedRows": "cosmossl.data.rows",
    "MapSet": "cosmossl.data.mapset",
    "PRIOR_SOURCES": "cosmossl.data.priors",
    "PriorBox": "cosmossl.data.priors",
    "SPLITS": "cosmossl.data.splits",
    "Split": "cosmossl.data.splits",
    "Standardizer": "cosmossl.data.standardize",
    "Summaries": "cosmossl.data.summaries",
    "read_mapset": "cosmossl.data.hdf5",
    "read_summaries": "cosmossl.data.summaries",
    "resolve_priors": "cosmossl.data.priors",
    "split_by_group": "cosmossl.data.splits",
    "write_mapset": "cosmossl.data.hdf5",
    "write_summaries": "cosmossl.data.summaries",
    "load_npy": "cosmossl.data.arrays",
    "Draws": "cosmossl.data.draws",
    "read_draws": "cosmossl.data.draws",
    "write_draws": "cosmossl.data.draws",
    "ObservedMaps": "cosmossl.data.observations",
    "read_observations": "cosmossl.data.observations",
}

__all__ = sorted(_LAZY)

__getattr__, __dir__ = lazy_attributes(__name__, _LAZY)

if TYPE_CHECKING:
    from cosmossl.data.arrays import load_npy
    from cosmossl.data.draws import Draws, read_draws, write_draws
    from cosmossl.data.hdf5 import read_mapset, write_mapset
    from cosmossl.data.mapset import MapSet
    from cosmossl.data.observations import ObservedMaps, read_observations
    from cosmossl.data.priors import PRIOR_SOURCES, PriorBox, resolve_priors
    from cosmossl.data.rows import GroupedRows
    from cosmossl.data.splits import SPLITS, Split, split_by_group
    from cosmossl.data.standardize import Standardizer
    from cosmossl.data.summaries import Summaries, read_summaries, write_summaries
