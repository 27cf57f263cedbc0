"""Base class of ``augmentation`` components."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar, Literal

import torch

from cosmossl.components.base import MapComponent
from cosmossl.components.meta import MapMeta
from cosmossl.components.params import Params

Role = Literal["symmetry", "systematic"]


class Augmentation(MapComponent, ABC):
    """A random transform applied independently to each view of a batch.

    Subclasses set ``role``: ``"symmetry"`` for transforms the data is invariant under (rotations,
    flips, periodic shifts) or ``"systematic"`` for a nuisance effect the summary must become
    insensitive to (noise, PSF, masks, baryonic feedback).

    ``__call__`` takes maps ``[B, C, H, W]`` (or volumes ``[B, C, D, H, W]`` when
    ``spatial_dims`` includes 3) on any device and returns a tensor of the same shape; every
    random number comes from ``generator`` (on the maps' device), so a fixed generator state
    gives the same output. Built with the maps' ``meta``, it refuses maps whose number of
    spatial dimensions it does not declare.
    """

    kind: ClassVar[str] = "augmentation"
    role: ClassVar[Role]
    context_keys: ClassVar[tuple[str, ...]] = ("meta",)

    def __init__(self, params: Params | None = None, *, meta: MapMeta | None = None) -> None:
        super().__init__(params)
        self.meta = meta
        if meta is not None:
            self.check_dimensions(meta.shape, f"augmentation {type(self).__name__}")

    @abstractmethod
    def __call__(self, maps: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """Transform ``maps`` ``[B, C, H, W]`` (or ``[B, C, D, H, W]``); each map draws its own
        random transform."""
