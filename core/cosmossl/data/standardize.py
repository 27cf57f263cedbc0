"""One global mean and standard deviation of the training maps, applied to every input."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from cosmossl.data.mapset import MapSet


@dataclass(frozen=True)
class Standardizer:
    """``(x - mean) / std`` with one scalar ``mean`` and ``std`` (identity when 0 and 1).

    One global pair (not per pixel or per channel) keeps the statistics of a map — its power
    spectrum shape, its one-point distribution — intact up to an affine change.
    """

    mean: float = 0.0
    std: float = 1.0

    def __call__(self, maps: torch.Tensor) -> torch.Tensor:
        if self.mean == 0.0 and self.std == 1.0:
            return maps
        return (maps - self.mean) / self.std

    def tensors(self) -> dict[str, torch.Tensor]:
        """As float64 tensors for a safetensors file."""
        return {
            "input.mean": torch.tensor([self.mean], dtype=torch.float64),
            "input.std": torch.tensor([self.std], dtype=torch.float64),
        }

    @classmethod
    def from_tensors(cls, tensors: dict[str, torch.Tensor]) -> Standardizer:
        return cls(float(tensors["input.mean"][0]), float(tensors["input.std"][0]))

    @classmethod
    def fit(cls, mapset: MapSet, split: str = "train", chunk: int = 512) -> Standardizer:
        """Mean and std over every pixel of the ``split`` maps, read ``chunk`` maps at a time."""
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
        return cls(mean, std if std > 0 else 1.0)
