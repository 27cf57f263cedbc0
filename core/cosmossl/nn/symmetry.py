"""The symmetries of square periodic maps: the dihedral group D4 (rotations by 90°, flips)."""

from __future__ import annotations

from collections.abc import Callable

import torch

#: The number of elements of D4: four rotations, each with and without a flip.
D4_ORDER = 8


def d4_transform(maps: torch.Tensor, element: int) -> torch.Tensor:
    """Maps ``[..., H, H]`` under D4 element ``element`` (0–7): a flip of the last axis for
    elements 4–7, then a rotation by ``element % 4`` quarter turns."""
    if not 0 <= element < D4_ORDER:
        raise ValueError(f"D4 has elements 0 to 7, got {element}")
    if element >= 4:
        maps = maps.flip(-1)
    return torch.rot90(maps, k=element % 4, dims=(-2, -1))


def d4_average(fn: Callable[[torch.Tensor], torch.Tensor], maps: torch.Tensor) -> torch.Tensor:
    """``fn`` averaged over the eight D4 images of ``maps`` ``[B, C, H, H]``: an exactly
    D4-invariant function. The eight images go through ``fn`` as one batch ``[8B, C, H, H]``."""
    if maps.ndim != 4 or maps.shape[-1] != maps.shape[-2]:
        raise ValueError(f"D4 averaging needs square maps [B, C, H, H], got {tuple(maps.shape)}")
    images = torch.cat([d4_transform(maps, e) for e in range(D4_ORDER)])
    out = fn(images)
    return out.reshape(D4_ORDER, maps.shape[0], *out.shape[1:]).mean(dim=0)
