"""The symmetry group of the cube, O_h: the 48 rotations by multiples of 90° and reflections.

The volumes of a cubic periodic box are statistically invariant under O_h (the field is
isotropic and the grid has the cube's symmetry), so each view gets one of its 48 elements at
random: the 3D counterpart of the d4 augmentation of square maps.
"""

from __future__ import annotations

import torch

from cosmossl import Augmentation
from cosmossl.nn import CUBE_ORDER, cube_transform


class Cube(Augmentation):
    """Random rotation or reflection of a cubic volume (one of the 48 elements of O_h), drawn
    per volume."""

    role = "symmetry"
    spatial_dims = (3,)
    dimension_hint = "use 'd4' for 2D maps"

    def __call__(self, maps: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        if maps.ndim != 5 or len(set(maps.shape[-3:])) != 1:
            raise ValueError(
                f"cube needs cubic volumes [B, C, n, n, n], got shape {tuple(maps.shape)}"
            )
        shape = (maps.shape[0],)
        element = torch.randint(0, CUBE_ORDER, shape, generator=generator, device=maps.device)
        out = torch.empty_like(maps)
        for index in torch.unique(element).tolist():
            chosen = element == index
            out[chosen] = cube_transform(maps[chosen], index)
        return out
