"""Random periodic shifts: maps of a periodic box are statistically invariant under translation."""

from __future__ import annotations

import torch
from pydantic import Field

from cosmossl import Augmentation, ConfigError, MapMeta, Params


def periodic_shift(maps: torch.Tensor, dy: torch.Tensor, dx: torch.Tensor) -> torch.Tensor:
    """Roll each map ``[B, C, H, W]`` by its own ``(dy[b], dx[b])`` pixels, wrapping around."""
    b, c, h, w = maps.shape
    rows = (torch.arange(h, device=maps.device)[None, :] - dy[:, None]) % h  # [B, H]
    cols = (torch.arange(w, device=maps.device)[None, :] - dx[:, None]) % w  # [B, W]
    out = maps.gather(2, rows[:, None, :, None].expand(b, c, h, w))
    return out.gather(3, cols[:, None, None, :].expand(b, c, h, w))


class Roll(Augmentation):
    """Shift each map by a random number of pixels along both axes, with periodic wrap-around."""

    role = "symmetry"

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
        h, w = maps.shape[-2:]
        n = maps.shape[0]
        dy = torch.randint(
            0,
            max(1, int(h * self.params.max_fraction)),
            (n,),
            generator=generator,
            device=maps.device,
        )
        dx = torch.randint(
            0,
            max(1, int(w * self.params.max_fraction)),
            (n,),
            generator=generator,
            device=maps.device,
        )
        return periodic_shift(maps, dy, dx)
