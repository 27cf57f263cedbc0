"""Standardisation statistics, fitted on training data only and stored as plain arrays."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from cosmossl.errors import DataError

#: Features with a smaller training standard deviation are left unscaled (only centred), so a
#: constant summary dimension does not blow up to inf.
MIN_STD = 1e-8


@dataclass(frozen=True)
class Standardizer:
    """``(v - mean) / std`` per feature; ``mean`` and ``std`` are ``[D]`` float32 arrays."""

    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, data: np.ndarray | torch.Tensor) -> Standardizer:
        """Statistics of ``data [N, D]`` (pass the training rows only)."""
        arr = np.asarray(
            data.detach().cpu() if isinstance(data, torch.Tensor) else data, dtype=np.float64
        )
        if arr.ndim != 2 or arr.shape[0] < 2:
            raise DataError(
                f"standardisation needs at least 2 rows of [N, D] data, got shape {arr.shape}"
            )
        if not np.isfinite(arr).all():
            raise DataError("standardisation: training data contain NaN or inf values")
        std = arr.std(axis=0)
        std = np.where(std < MIN_STD, 1.0, std)
        return cls(arr.mean(axis=0).astype(np.float32), std.astype(np.float32))

    @property
    def dim(self) -> int:
        return int(self.mean.shape[0])

    def __call__(self, v: torch.Tensor) -> torch.Tensor:
        return (v - self._t(self.mean, v)) / self._t(self.std, v)

    def inverse(self, v: torch.Tensor) -> torch.Tensor:
        return v * self._t(self.std, v) + self._t(self.mean, v)

    def log_abs_det(self) -> float:
        """``log |d(standardised)/d(raw)|`` = ``-sum(log std)`` (for densities)."""
        return float(-np.log(self.std.astype(np.float64)).sum())

    def tensors(self, prefix: str) -> dict[str, torch.Tensor]:
        return {
            f"{prefix}mean": torch.from_numpy(self.mean.copy()),
            f"{prefix}std": torch.from_numpy(self.std.copy()),
        }

    @classmethod
    def from_tensors(cls, tensors: dict[str, torch.Tensor], prefix: str) -> Standardizer:
        return cls(
            tensors[f"{prefix}mean"].numpy().astype(np.float32),
            tensors[f"{prefix}std"].numpy().astype(np.float32),
        )

    @staticmethod
    def _t(a: np.ndarray, like: torch.Tensor) -> torch.Tensor:
        return torch.as_tensor(a, dtype=like.dtype, device=like.device)
