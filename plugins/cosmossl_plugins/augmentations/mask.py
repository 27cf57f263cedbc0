"""Random masked square patches (bright-star masks, survey holes, bad pixels)."""

from __future__ import annotations

import torch
from pydantic import Field, model_validator

from cosmossl import Augmentation, Params


class Mask(Augmentation):
    """Set a random number of random square patches of each map to ``fill``.

    Each map gets between ``min_patches`` and ``max_patches`` patches with sides drawn uniformly
    from ``[min_size, max_size]`` pixels at uniform positions; patches wrap around the edges (the
    maps are periodic). All channels of a map share its mask.
    """

    role = "systematic"

    class Params(Params):
        min_patches: int = Field(1, ge=0, description="Fewest patches per map.")
        max_patches: int = Field(4, ge=0, description="Most patches per map.")
        min_size: int = Field(2, ge=1, description="Smallest patch side in pixels.")
        max_size: int = Field(8, ge=1, description="Largest patch side in pixels.")
        fill: float = Field(0.0, description="Value written into masked pixels.")

        @model_validator(mode="after")
        def _ordered(self):
            if self.max_patches < self.min_patches:
                raise ValueError("max_patches must be ≥ min_patches")
            if self.max_size < self.min_size:
                raise ValueError("max_size must be ≥ min_size")
            return self

    def masks(self, shape: torch.Size, generator: torch.Generator, device) -> torch.Tensor:
        """Boolean masks ``[B, 1, H, W]`` (true where masked) for maps of ``shape``."""
        p = self.params
        b, _, h, w = shape
        slots = p.max_patches
        count = torch.randint(
            p.min_patches, p.max_patches + 1, (b, 1), generator=generator, device=device
        )
        size = torch.randint(
            p.min_size, p.max_size + 1, (b, slots), generator=generator, device=device
        )
        y0 = torch.randint(0, h, (b, slots), generator=generator, device=device)
        x0 = torch.randint(0, w, (b, slots), generator=generator, device=device)
        active = torch.arange(slots, device=device)[None, :] < count  # [B, P]
        yy = torch.arange(h, device=device)
        xx = torch.arange(w, device=device)
        inside_y = (yy[None, None, :] - y0[..., None]) % h < size[..., None]  # [B, P, H]
        inside_x = (xx[None, None, :] - x0[..., None]) % w < size[..., None]  # [B, P, W]
        inside = inside_y[..., :, None] & inside_x[..., None, :] & active[..., None, None]
        return inside.any(dim=1, keepdim=True)

    def __call__(self, maps: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        masked = self.masks(maps.shape, generator, maps.device)
        return maps.masked_fill(masked, self.params.fill)
