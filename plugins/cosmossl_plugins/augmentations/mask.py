"""Random masked square patches (bright-star masks, survey holes, bad pixels); cubes in volumes."""

from __future__ import annotations

import torch
from pydantic import Field, model_validator

from cosmossl import Augmentation, Params


class Mask(Augmentation):
    """Set a random number of random square patches of each map to ``fill``.

    Each map gets between ``min_patches`` and ``max_patches`` patches with sides drawn uniformly
    from ``[min_size, max_size]`` pixels at uniform positions; patches wrap around the edges (the
    maps are periodic). All channels of a map share its mask. In a volume the patches are cubes
    of those sides.
    """

    role = "systematic"
    spatial_dims = (2, 3)

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
        """Boolean masks ``[B, 1, H, W]`` (``[B, 1, D, H, W]``; true where masked) for maps of
        ``shape``."""
        p = self.params
        b, sides = shape[0], tuple(shape[2:])
        slots = p.max_patches
        count = torch.randint(
            p.min_patches, p.max_patches + 1, (b, 1), generator=generator, device=device
        )
        size = torch.randint(
            p.min_size, p.max_size + 1, (b, slots), generator=generator, device=device
        )
        origins = [torch.randint(0, n, (b, slots), generator=generator, device=device)
                   for n in sides]  # fmt: skip
        active = torch.arange(slots, device=device)[None, :] < count  # [B, P]
        inside = active.reshape(b, slots, *(1,) * len(sides))
        for axis, (n, origin) in enumerate(zip(sides, origins)):
            along = (torch.arange(n, device=device) - origin[..., None]) % n < size[..., None]
            view = [b, slots] + [1] * len(sides)
            view[2 + axis] = n
            inside = inside & along.reshape(view)  # [B, P, ..., n, ...]
        return inside.any(dim=1, keepdim=True)

    def __call__(self, maps: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        masked = self.masks(maps.shape, generator, maps.device)
        return maps.masked_fill(masked, self.params.fill)
