"""The symmetries of periodic maps and volumes: the dihedral group D4 of a square (rotations by
90°, flips) and the 48-element group O_h of a cube (rotations by 90° about the three axes,
reflections), with averages of a function over them.

The statistics of an isotropic field in a periodic square (cube) are invariant under these
groups, so they serve as augmentations and, averaged over, make a summary exactly invariant.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

import torch

#: The number of elements of D4: four rotations, each with and without a flip.
D4_ORDER = 8
#: The number of elements of the cube's group O_h: 6 permutations of the axes × 8 sign flips.
CUBE_ORDER = 48
_AXIS_ORDERS = tuple(itertools.permutations(range(3)))


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


def cube_element(element: int) -> tuple[tuple[int, int, int], tuple[int, ...]]:
    """Element ``element`` (0–47) of O_h as ``(axis order, flipped axes)``: the last three axes
    are put in ``axis order`` (a permutation of 0, 1, 2), then those in ``flipped axes`` are
    reversed. Elements ``8p … 8p + 7`` share the ``p``-th permutation; the three bits of
    ``element % 8`` say which axes are flipped."""
    if not 0 <= element < CUBE_ORDER:
        raise ValueError(f"the cube's group has elements 0 to 47, got {element}")
    order = _AXIS_ORDERS[element // 8]
    flips = tuple(axis for axis in range(3) if element % 8 >> axis & 1)
    return order, flips


def cube_is_rotation(element: int) -> bool:
    """Whether element ``element`` is a proper rotation (determinant +1), not a reflection."""
    order, flips = cube_element(element)
    inversions = sum(a > b for a, b in itertools.combinations(order, 2))
    return (inversions + len(flips)) % 2 == 0


#: The 24 proper rotations of the cube (the chiral octahedral group O), element indices.
CUBE_ROTATIONS: tuple[int, ...] = tuple(e for e in range(CUBE_ORDER) if cube_is_rotation(e))


def cube_transform(volumes: torch.Tensor, element: int) -> torch.Tensor:
    """Volumes ``[..., n, n, n]`` under element ``element`` (0–47) of the cube's group (see
    :func:`cube_element`)."""
    order, flips = cube_element(element)
    lead = volumes.ndim - 3
    if lead < 0:
        raise ValueError(f"the cube's group acts on volumes [..., n, n, n], got {volumes.shape}")
    out = volumes.permute(*range(lead), *(lead + axis for axis in order))
    return out.flip([lead + axis for axis in flips]) if flips else out


def cube_average(
    fn: Callable[[torch.Tensor], torch.Tensor],
    volumes: torch.Tensor,
    elements: Sequence[int] = range(CUBE_ORDER),
) -> torch.Tensor:
    """``fn`` averaged over the images of ``volumes`` ``[B, C, n, n, n]`` under ``elements`` of
    the cube's group (all 48 by default; :data:`CUBE_ROTATIONS` for the 24 rotations): exactly
    invariant under the group those elements form.

    The images go through ``fn`` one element at a time (a batch ``[B, C, n, n, n]`` each), so
    memory does not grow with the group's order; the time does, linearly.
    """
    # Pairwise ==, not a set: traced for export, the sizes are tensors that hash by identity.
    if volumes.ndim != 5 or not volumes.shape[-3] == volumes.shape[-2] == volumes.shape[-1]:
        raise ValueError(
            f"cube averaging needs cubic volumes [B, C, n, n, n], got {tuple(volumes.shape)}"
        )
    total = None
    for element in elements:
        out = fn(cube_transform(volumes, element))
        total = out if total is None else total + out
    if total is None:
        raise ValueError("cube averaging needs at least one group element")
    return total / len(elements)
