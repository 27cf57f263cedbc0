"""Random periodic shifts: maps (and volumes) of a periodic box are statistically invariant under
translation."""

from __future__ import annotations

import torch
from pydantic import Field

from cosmossl import Augmentation, ConfigError, MapMeta, Params


def periodic_shift(maps: torch.Tensor, *shifts: torch.Tensor) -> torch.Tensor:
    """Roll each map ``[B, C, H, W]`` by its own ``(dy[b], dx[b])`` pixels, wrapping around;
    a volume ``[B, C, D, H, W]`` by its own ``(dz[b], dy[b], dx[b])`` voxels: one shift
    ``[B]`` per spatial axis, in order."""
    spatial = maps.ndim - 2
    if len(shifts) != spatial:
        raise ValueError(f"periodic_shift: {len(shifts)} shifts for {spatial} spatial axes")
    out = maps
    for axis, shift in enumerate(shifts, start=2):
        n = maps.shape[axis]
        index = (torch.arange(n, device=maps.device)[None, :] - shift[:, None]) % n  # [B, n]
        view = [maps.shape[0]] + [1] * (maps.ndim - 1)
        view[axis] = n
        out = out.gather(axis, index.reshape(view).expand(maps.shape))
    return out


class Roll(Augmentation):
    """Shift each map by a random number of pixels along every axis (both of a map, the three of
    a volume), with periodic wrap-around."""

    role = "symmetry"
    spatial_dims = (2, 3)

    class Params(Params):
        max_fraction: float = Field(
            1.0,
            gt=0,
            le=1,
            description="Largest shift as a fraction of the map side (1: any shift).",
        )

    def __init__(self, params: Params | None = None, *, meta: MapMeta | None = None) -> None:
        super().__init__(params, meta=meta)
        if meta is not None and not meta.periodic:
            raise ConfigError(
                "augmentation 'roll' needs periodic maps (meta.periodic is false): a shift would "
                "move the edges into the middle of the map"
            )

    def __call__(self, maps: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        shifts = [
            torch.randint(
                0,
                max(1, int(side * self.params.max_fraction)),
                (maps.shape[0],),
                generator=generator,
                device=maps.device,
            )
            for side in maps.shape[2:]
        ]
        return periodic_shift(maps, *shifts)
