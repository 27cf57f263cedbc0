"""A minimal augmentation: flip each map left-right with probability ``p``."""

import torch
from pydantic import Field

import cosmossl


class RandomFlip(cosmossl.Augmentation):
    """Flip each map horizontally with probability ``p``."""

    role = "symmetry"

    class Params(cosmossl.Params):
        p: float = Field(0.5, ge=0.0, le=1.0, description="Probability of flipping a map.")

    def __call__(self, maps: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        flip = torch.rand(maps.shape[0], generator=generator, device=maps.device) < self.params.p
        return torch.where(flip[:, None, None, None], maps.flip(-1), maps)
