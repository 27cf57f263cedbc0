"""Standardisation ``(v − mean) / std``, fitted on training data only: the one implementation.

Two uses, one class:

- **maps** (the encoder's input): one global mean and std over every pixel of the training maps
  (:meth:`Standardizer.fit_maps`). One scalar pair, not per pixel or channel, keeps a map's
  statistics — its power-spectrum shape, its one-point distribution — intact up to an affine
  change.
- **vectors** (summaries for inference, features for probes): one mean and std per feature
  (:meth:`Standardizer.fit`).

Statistics are stored as float64 arrays and cast to the input's dtype and device when applied.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from cosmossl.errors import DataError

if TYPE_CHECKING:
    import torch

    from cosmossl.data.mapset import MapSet

#: Features with a smaller training standard deviation are only centred (not scaled), so a
#: constant feature does not blow up to inf.
MIN_STD = 1e-8


@dataclass(frozen=True)
class Standardizer:
    """``(v − mean) / std`` broadcast over the last axis of ``v``.

    ``mean`` and ``std`` are ``[D]`` arrays (one pair per feature) or ``[1]`` (one global pair);
    the default is the identity.
    """

    mean: np.ndarray = field(default_factory=lambda: np.zeros(1))
    std: np.ndarray = field(default_factory=lambda: np.ones(1))

    def __post_init__(self) -> None:
        object.__setattr__(self, "mean", np.atleast_1d(np.asarray(self.mean, np.float64)))
        object.__setattr__(self, "std", np.atleast_1d(np.asarray(self.std, np.float64)))

    @classmethod
    def fit(cls, data: Any) -> Standardizer:
        """Per-feature statistics of ``data`` ``[N, D]`` (numpy or torch; pass training rows)."""
        arr = np.asarray(_to_numpy(data), dtype=np.float64)
        if arr.ndim != 2 or arr.shape[0] < 2:
            raise DataError(
                f"standardisation needs at least 2 rows of [N, D] data, got shape {arr.shape}"
            )
        if not np.isfinite(arr).all():
            raise DataError("standardisation: training data contain NaN or inf values")
        std = arr.std(axis=0)
        return cls(arr.mean(axis=0), np.where(std < MIN_STD, 1.0, std))

    @classmethod
    def fit_maps(cls, mapset: MapSet, split: str = "train", chunk: int = 512) -> Standardizer:
        """One global mean and std over every pixel of the ``split`` maps, read in chunks."""
        rows = mapset.indices(split)
        total = total_sq = 0.0
        count = 0
        # float64 accumulators: float32 sums over millions of pixels lose digits.
        for start in range(0, len(rows), chunk):
            block = mapset.read(rows[start : start + chunk]).astype(np.float64)
            total += float(block.sum())
            total_sq += float(np.square(block).sum())
            count += block.size
        if count == 0:
            return cls()
        mean = total / count
        std = float(np.sqrt(max(total_sq / count - mean * mean, 0.0)))
        return cls(np.array([mean]), np.array([std if std > 0 else 1.0]))

    @property
    def dim(self) -> int:
        """Number of features (1 for a global standardiser)."""
        return int(self.mean.shape[0])

    @property
    def is_identity(self) -> bool:
        return bool(np.all(self.mean == 0.0) and np.all(self.std == 1.0))

    def __call__(self, v: Any) -> Any:
        """Standardise a tensor or array ``[..., D]`` (or maps ``[B, C, H, W]``, globally)."""
        if self.is_identity:
            return v
        return (v - self._like(self.mean, v)) / self._like(self.std, v)

    def inverse(self, v: Any) -> Any:
        return v * self._like(self.std, v) + self._like(self.mean, v)

    def log_abs_det(self) -> float:
        """``log |d(standardised)/d(raw)|`` = ``−Σ log std`` (for densities)."""
        return float(-np.log(self.std).sum())

    def tensors(self, prefix: str) -> dict[str, torch.Tensor]:
        """The statistics as tensors ``{prefix}mean``, ``{prefix}std`` (for safetensors)."""
        import torch

        return {
            f"{prefix}mean": torch.from_numpy(self.mean.copy()),
            f"{prefix}std": torch.from_numpy(self.std.copy()),
        }

    @classmethod
    def from_tensors(cls, tensors: dict[str, torch.Tensor], prefix: str) -> Standardizer:
        """Read back what :meth:`tensors` wrote (the identity if ``prefix`` is absent)."""
        if f"{prefix}mean" not in tensors:
            return cls()
        return cls(
            tensors[f"{prefix}mean"].double().numpy(), tensors[f"{prefix}std"].double().numpy()
        )

    def to_dict(self) -> dict[str, list[float]]:
        """JSON-friendly statistics (for provenance records)."""
        return {"mean": self.mean.tolist(), "std": self.std.tolist()}

    @staticmethod
    def _like(a: np.ndarray, like: Any) -> Any:
        if isinstance(like, np.ndarray):
            return a.astype(like.dtype if like.dtype.kind == "f" else np.float64)
        import torch

        return torch.as_tensor(a, dtype=like.dtype, device=like.device)


def _to_numpy(data: Any) -> Any:
    if hasattr(data, "detach"):
        return data.detach().cpu().numpy()
    return data
