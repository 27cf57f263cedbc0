"""What map sets and summaries files share: one row per map, with parameters, groups and split."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from cosmossl.data.arrays import first_nonfinite
from cosmossl.data.priors import PRIOR_SOURCES
from cosmossl.data.splits import Split
from cosmossl.errors import DataError


@dataclass(kw_only=True)
class GroupedRows:
    """Per-row parameters, group ids and split, validated on construction.

    Attributes:
        params: ``[N, P]`` float32 parameters the summaries should capture (e.g. Ω_m, σ_8).
        param_names: the P names.
        cosmology_id: ``[N]`` int64, rows with equal ids share cosmological parameters.
        simulation_id: ``[N]`` int64, rows with equal ids come from one simulation (same
            cosmology, nuisance values and seed).
        seed_id: ``[N]`` int64, rows with equal ids share cosmology and noise seed (initial
            conditions) and differ at most in their nuisance values: *paired simulations*.
            Default (``None``): every row its own seed, no pairs.
        split: ``[N]`` int8 :class:`~cosmossl.data.splits.Split` codes (0 train, 1 val, 2 test),
            assigned by group so no cosmology straddles two splits.
        nuisance: ``[N, Q]`` float32 nuisance parameters (e.g. feedback amplitudes), or ``[N, 0]``.
        nuisance_names: the Q names.
        priors: ``{name: (low, high)}`` box prior of each parameter (and nuisance parameter).
        prior_sources: ``{name: source}`` where each prior comes from, one of
            :data:`~cosmossl.data.priors.PRIOR_SOURCES`: ``"stated"`` (by the dataset: its
            run-file table, or the simulator's own prior; the default for a prior without
            one), ``"file"`` (recorded in a map file) or ``"data"`` (the data's min–max).
        param_labels: ``{name: LaTeX}`` how figures write a parameter (or nuisance parameter),
            without dollars, e.g. ``{"omega_m": r"\\Omega_{\\rm m}"}``; the dataset declares
            them, names without one are written as they are.
    """

    params: np.ndarray
    param_names: tuple[str, ...]
    cosmology_id: np.ndarray
    simulation_id: np.ndarray
    split: np.ndarray
    nuisance: np.ndarray | None = None
    nuisance_names: tuple[str, ...] = ()
    priors: dict[str, tuple[float, float]] = field(default_factory=dict)
    param_labels: dict[str, str] = field(default_factory=dict)
    seed_id: np.ndarray | None = None
    prior_sources: dict[str, str] = field(default_factory=dict)

    #: Used in messages: what the rows are part of ("map set") and what each row is ("maps").
    what = "rows"
    row_noun = "rows"
    #: The per-row arrays, one entry per map (a subset of the rows takes these rows of each).
    row_fields = ("params", "cosmology_id", "simulation_id", "seed_id", "split", "nuisance")

    def _validate_rows(self, n: int) -> None:
        """Normalise dtypes and check every per-row array against ``n`` rows."""
        self.params = np.asarray(self.params, dtype=np.float32)
        self.cosmology_id = self._integers("cosmology_id", self.cosmology_id, np.int64)
        self.simulation_id = self._integers("simulation_id", self.simulation_id, np.int64)
        if self.seed_id is None:
            self.seed_id = np.arange(n, dtype=np.int64)
        self.seed_id = self._integers("seed_id", self.seed_id, np.int64)
        self.split = self._integers("split", self.split, np.int8)
        self.param_names = tuple(self.param_names)
        self.nuisance_names = tuple(self.nuisance_names)
        if self.nuisance is None:
            self.nuisance = np.zeros((n, 0), dtype=np.float32)
        self.nuisance = np.asarray(self.nuisance, dtype=np.float32)
        for name in self.row_fields:
            shape = getattr(self, name).shape
            if name in ("params", "nuisance"):  # [N, P] and [N, Q]: rows are the first axis
                shape = shape[:1]
            if tuple(shape) != (n,):
                raise DataError(self._row_mismatch(name, n))
        if self.params.ndim != 2 or self.params.shape[1] != len(self.param_names):
            raise DataError(
                f"{self.what}: {self.params.shape[1:]} parameter columns but "
                f"{len(self.param_names)} names {self.param_names}"
            )
        if self.nuisance.shape[1] != len(self.nuisance_names):
            raise DataError(
                f"{self.what}: {self.nuisance.shape[1]} nuisance columns but "
                f"{len(self.nuisance_names)} names {self.nuisance_names}"
            )
        bad = sorted(set(np.unique(self.split).tolist()) - {int(s) for s in Split})
        if bad:
            raise DataError(
                f"{self.where()}: split codes must be 0 (train), 1 (val), 2 (test); found {bad}"
            )
        self.param_labels = {str(k): str(v) for k, v in self.param_labels.items()}
        unknown = sorted(set(self.param_labels) - {*self.param_names, *self.nuisance_names})
        if unknown:
            raise DataError(
                f"{self.what}: param_labels for unknown parameter(s) {', '.join(unknown)}; "
                f"parameters: {', '.join((*self.param_names, *self.nuisance_names))}"
            )
        for name, values in (("parameters", self.params), ("nuisance parameters", self.nuisance)):
            row = first_nonfinite(values)
            if row is not None:
                raise DataError(
                    f"{self.where()}: the {name} of row {row} ({self.split_of(row)} split) hold "
                    "NaN or inf values; fix or drop that row"
                )
        self.priors = {k: (float(v[0]), float(v[1])) for k, v in self.priors.items()}
        for name, (low, high) in self.priors.items():
            if not low < high:
                raise DataError(f"{self.what}: prior of '{name}' has low {low} >= high {high}")
        self._validate_prior_sources()

    def _validate_prior_sources(self) -> None:
        sources = {str(k): str(v) for k, v in self.prior_sources.items()}
        unknown = sorted(set(sources) - set(self.priors))
        bad = sorted({v for v in sources.values()} - set(PRIOR_SOURCES))
        if unknown or bad:
            raise DataError(
                f"{self.what}: prior_sources for parameter(s) without a prior "
                f"({', '.join(unknown) or 'none'}) or of unknown kind ({', '.join(bad) or 'none'}; "
                f"known: {', '.join(PRIOR_SOURCES)})"
            )
        self.prior_sources = {name: sources.get(name, "stated") for name in self.priors}

    def _integers(self, name: str, values: np.ndarray, dtype: type) -> np.ndarray:
        """``values`` as ``dtype``; values that are not whole numbers (``0.5``, NaN) are refused
        rather than truncated."""
        values = np.asarray(values)
        if values.dtype.kind == "f":
            whole = np.isfinite(values) & (values == np.round(values))
            if not whole.all():
                index = np.argwhere(~whole)[0]
                raise DataError(
                    f"{self.where()}: '{name}' must hold integers, but row {index[0]} holds "
                    f"{values[tuple(index)].item()!r}"
                    + ("; split codes are 0 (train), 1 (val), 2 (test)" if name == "split" else
                       "; equal ids mark rows of one group")
                )  # fmt: skip
        return values.astype(dtype)

    def _row_mismatch(self, name: str, n: int) -> str:
        """What is wrong with the per-row array ``name``, which does not have ``n`` rows."""
        shape = list(np.shape(getattr(self, name)))
        if shape[:1] == [n]:  # the right rows, the wrong shape: say so, not "n rows, n maps"
            expected: list[int | str] = [n] if name not in ("params", "nuisance") else [n, "P"]
            one = "value" if len(expected) == 1 else "row"
            return (
                f"{self.where()}: '{name}' has shape {shape}, but it must hold one {one} for "
                f"each of the {n} {self.row_noun}: shape {expected}"
            )
        rows = shape[0] if shape else 0
        return f"{self.where()}: '{name}' has {rows} rows, but there are {n} {self.row_noun}"

    def where(self) -> str:
        """What these rows are, for messages (with their file where known)."""
        return self.what

    def split_of(self, row: int) -> str:
        """The split name of ``row`` (``"train"``, ``"val"`` or ``"test"``)."""
        return str(Split(int(self.split[row])))

    def indices(self, split: str | Split) -> np.ndarray:
        """Row indices of one split (``"train"``, ``"val"`` or ``"test"``)."""
        return np.flatnonzero(self.split == Split.parse(split))

    def box(self) -> tuple[np.ndarray, np.ndarray]:
        """``(low, high)`` arrays ``[P]`` of the box prior, in ``param_names`` order."""
        missing = [n for n in self.param_names if n not in self.priors]
        if missing:
            raise DataError(
                f"{self.what}: no prior range for parameter(s) {', '.join(missing)}; "
                f"priors given: {', '.join(self.priors) or 'none'}"
            )
        low = np.array([self.priors[n][0] for n in self.param_names], dtype=np.float64)
        high = np.array([self.priors[n][1] for n in self.param_names], dtype=np.float64)
        return low, high
