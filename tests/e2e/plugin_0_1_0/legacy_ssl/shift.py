import torch
from pydantic import Field

import cosmossl


class RandomShift(cosmossl.Augmentation):
    """Roll each map by a random number of pixels along both axes (periodic maps)."""

    role = "symmetry"

    class Params(cosmossl.Params):
        max_shift: int = Field(4, ge=0, description="Largest shift in pixels.")

    def __call__(self, maps: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        n = self.params.max_shift + 1
        shifts = torch.randint(0, n, (maps.shape[0], 2), generator=generator)
        return torch.stack([m.roll(tuple(s.tolist()), dims=(-2, -1)) for m, s in zip(maps, shifts)])
