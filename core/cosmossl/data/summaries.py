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

from cosmossl._util.files import atomic_path, ensure_free_space
from cosmossl.data.arrays import first_nonfinite
from cosmossl.data.hdf5 import check_datasets, open_checked
from cosmossl.data.rows import GroupedRows
from cosmossl.errors import DataError

#: Written into the file's ``format`` attribute; readers refuse anything else.
FORMAT = "cosmossl-summaries"
#: Bumped when the layout changes incompatibly.
VERSION = 1


@dataclass(kw_only=True)
class Summaries(GroupedRows):
    """One summary vector per map, with what inference needs to know about it.

    The rows (parameters, group ids, split, nuisance, priors) are those of the map set the
    summaries were computed from (see :class:`GroupedRows`), so test cosmologies were never seen
    by the encoder either.

    Attributes:
        summaries: ``[N, D]`` float32 summary vectors.
        provenance: which encoder/statistic made the summaries, checkpoint path, config, ...
            (JSON-serialisable).
    """

    summaries: np.ndarray
    provenance: dict[str, Any] = field(default_factory=dict)

    what = "summaries"
    row_noun = "summaries"

    def __post_init__(self) -> None:
        try:
            self.summaries = np.asarray(self.summaries, dtype=np.float32)
        except (TypeError, ValueError) as exc:
            raise DataError(f"summaries: not an array of numbers ({exc})") from None
        if self.summaries.ndim != 2:
            raise DataError(f"summaries: expected a [N, D] array, got shape {self.summaries.shape}")
        self._validate_rows(int(self.summaries.shape[0]))
        row = first_nonfinite(self.summaries)
        if row is not None:
            raise DataError(
                f"summaries: row {row} ({self.split_of(row)} split) holds NaN or inf values; no "
                "metric is computed over them (compress the maps again)"
            )

    def __len__(self) -> int:
        return int(self.summaries.shape[0])

    @property
    def summary_dim(self) -> int:
        return int(self.summaries.shape[1])


def write_summaries(path: str | Path, s: Summaries) -> Path:
    """Write ``s`` to an HDF5 file atomically (temporary file in the same folder, then rename)."""
    import h5py

    path = Path(path)
    ensure_free_space(path, s.summaries.nbytes + s.params.nbytes + s.nuisance.nbytes)
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        f.attrs["format"] = FORMAT
        f.attrs["version"] = VERSION
        f.create_dataset("summaries", data=s.summaries)
        f.create_dataset("params", data=s.params)
        f.create_dataset("cosmology_id", data=s.cosmology_id)
        f.create_dataset("simulation_id", data=s.simulation_id)
        f.create_dataset("seed_id", data=s.seed_id)
        f.create_dataset("split", data=s.split)
        f.create_dataset("nuisance", data=s.nuisance)
        f.attrs["param_names"] = json.dumps(list(s.param_names))
        f.attrs["nuisance_names"] = json.dumps(list(s.nuisance_names))
        f.attrs["priors"] = json.dumps({k: list(v) for k, v in s.priors.items()})
        f.attrs["prior_sources"] = json.dumps(s.prior_sources)
        f.attrs["param_labels"] = json.dumps(s.param_labels)
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
        check_datasets(path, f, (*_DATASETS, "seed_id"), "a summaries file is written by "
                       "`cosmossl compress` or cosmossl.data.write_summaries")  # fmt: skip
        arrays = {k: f[k][()] for k in _DATASETS}
        if "seed_id" in f:  # optional: files written before paired simulations lack it
            arrays["seed_id"] = f["seed_id"][()]
        meta = {}
        for key in _ATTRS:
            try:
                meta[key] = json.loads(f.attrs[key])
            except (TypeError, ValueError) as exc:
                raise DataError(f"'{path}': attribute '{key}' is not valid JSON ({exc})") from None
        # Files written before labels (or prior sources) existed have none: figures then use
        # the names, and priors count as stated.
        optional = {}
        for key in ("param_labels", "prior_sources"):
            try:
                optional[key] = json.loads(f.attrs.get(key, "{}"))
            except (TypeError, ValueError) as exc:
                raise DataError(f"'{path}': attribute '{key}' is not valid JSON ({exc})") from None
    bad = [k for k, v in arrays.items() if np.asarray(v).dtype.kind not in "biuf"]
    if bad:
        raise DataError(f"'{path}': /{bad[0]} holds {arrays[bad[0]].dtype} values, not numbers")
    try:
        return Summaries(
            **arrays,
            param_names=tuple(meta["param_names"]),
            nuisance_names=tuple(meta["nuisance_names"]),
            priors={k: tuple(v) for k, v in meta["priors"].items()},
            **optional,
            provenance=meta["provenance"],
        )
    except DataError as exc:
        raise DataError(f"'{path}': {exc}") from None
    except (TypeError, ValueError, AttributeError) as exc:  # metadata of the wrong shape
        raise DataError(f"'{path}': malformed metadata ({exc})") from None
