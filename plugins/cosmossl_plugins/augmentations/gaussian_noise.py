"""Additive white Gaussian pixel noise of random amplitude (e.g. shape noise, detector noise)."""

from __future__ import annotations

import torch
from pydantic import Field, model_validator

from cosmossl import Augmentation, Params


class GaussianNoise(Augmentation):
    """Add white noise with a per-map σ drawn uniformly from ``[sigma_min, sigma_max]``.

    σ is in the units of the maps as they reach the augmentation, or a multiple of each map's own
    standard deviation with ``relative = true``.
    """

    role = "systematic"
    spatial_dims = (2, 3)

    class Params(Params):
        sigma_min: float = Field(0.0, ge=0, description="Smallest noise standard deviation.")
        sigma_max: float = Field(0.1, ge=0, description="Largest noise standard deviation.")
        relative: bool = Field(
            False, description="Measure σ in units of each map's standard deviation."
        )

        @model_validator(mode="after")
        def _ordered(self):
            if self.sigma_max < self.sigma_min:
                raise ValueError(
                    f"sigma_max ({self.sigma_max}) must be ≥ sigma_min ({self.sigma_min})"
                )
            return self

    def __call__(self, maps: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        p = self.params
        u = torch.rand(maps.shape[0], generator=generator, device=maps.device, dtype=maps.dtype)
        per_map = (-1,) + (1,) * (maps.ndim - 1)
        sigma = (p.sigma_min + (p.sigma_max - p.sigma_min) * u).reshape(per_map)
        if p.relative:
            sigma = sigma * maps.std(dim=tuple(range(1, maps.ndim)), keepdim=True)
        noise = torch.randn(maps.shape, generator=generator, device=maps.device, dtype=maps.dtype)
        return maps + sigma * noise
