"""Base class of ``statistic`` components (hand-crafted summaries used as baselines)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

import torch

from cosmossl.components.base import MapComponent
from cosmossl.components.meta import MapMeta
from cosmossl.components.params import Params


class Statistic(MapComponent, ABC):
    """A fixed map → vector summary, e.g. the binned power spectrum.

    ``meta`` (the maps' geometry) is supplied by the engine; maps whose number of spatial
    dimensions the statistic does not declare (``spatial_dims``) are refused. ``__call__`` maps
    ``[B, C, H, W]`` (or ``[B, C, D, H, W]``) to ``[B, F]``.
    """

    kind: ClassVar[str] = "statistic"
    context_keys: ClassVar[tuple[str, ...]] = ("meta",)

    def __init__(self, params: Params | None = None, *, meta: MapMeta) -> None:
        super().__init__(params)
        self.meta = meta
        self.check_dimensions(meta.shape, f"statistic {type(self).__name__}")

    @abstractmethod
    def __call__(self, maps: torch.Tensor) -> torch.Tensor:
        """Summaries ``[B, F]`` of maps ``[B, C, H, W]`` (or ``[B, C, D, H, W]``)."""
