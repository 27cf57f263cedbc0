"""The dihedral group D4: rotations by multiples of 90° combined with flips.

The maps of a square periodic box are statistically invariant under D4, so each view gets one of
its eight elements at random (the reference paper's rot90 + flip augmentation). 2D maps only:
the volumes of a cubic box take the cube's group instead (the ``cube`` augmentation).
"""

from __future__ import annotations

import torch

from cosmossl import Augmentation
from cosmossl.nn import D4_ORDER, d4_transform


class D4(Augmentation):
    """Random rotation by 0/90/180/270° and random horizontal flip, drawn per map."""

    role = "symmetry"
    dimension_hint = "use 'cube' (the 48 rotations and reflections of a cube) for 3D volumes"

    def __call__(self, maps: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        if maps.ndim != 4 or maps.shape[-1] != maps.shape[-2]:
            raise ValueError(f"d4 needs square maps [B, C, H, H], got shape {tuple(maps.shape)}")
        shape = (maps.shape[0],)
        element = torch.randint(0, D4_ORDER, shape, generator=generator, device=maps.device)
        out = torch.empty_like(maps)
        for index in range(D4_ORDER):
            chosen = element == index
            if chosen.any():
                out[chosen] = d4_transform(maps[chosen], index)
        return out
