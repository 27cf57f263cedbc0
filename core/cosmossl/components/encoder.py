"""Base class of ``encoder`` components."""

from __future__ import annotations

from typing import ClassVar, Literal

import torch
from pydantic import Field
from torch import nn

from cosmossl.components.base import Component
from cosmossl.components.params import Params
from cosmossl.errors import ConfigError
from cosmossl.nn.symmetry import d4_average


class EncoderParams(Params):
    """Parameters every encoder has."""

    summary_dim: int = Field(16, gt=0, description="Dimension D of the summary vector.")
    symmetrize: Literal["none", "d4"] = Field(
        "none",
        description="'d4': the summary of a map (compression, the Fisher check) is the "
        "encoder's output averaged over the 8 rotations and flips of the map, so it is exactly "
        "invariant to them, as the statistics of an isotropic periodic field are; training "
        "still sees one random D4 image per view (the d4 augmentation). Square maps only; "
        "compression costs 8 forward passes per map.",
    )


class Encoder(Component, nn.Module):
    """An ``nn.Module`` mapping inputs ``[B, *input_shape]`` to summaries ``[B, D]``.

    ``input_shape`` (per-item shape, ``(C, H, W)`` for maps or ``(F,)`` for vectors) is supplied
    by the engine at construction. ``summary_dim`` is ``D``.
    """

    kind: ClassVar[str] = "encoder"
    Params: ClassVar[type[EncoderParams]] = EncoderParams
    context_keys: ClassVar[tuple[str, ...]] = ("input_shape",)
    params: EncoderParams

    def __init__(self, params: EncoderParams | None = None, *, input_shape: tuple[int, ...]):
        if not issubclass(type(self).Params, EncoderParams):
            raise TypeError(
                f"encoder {type(self).__name__}: its Params must derive from "
                "cosmossl.EncoderParams (it holds summary_dim and symmetrize)"
            )
        nn.Module.__init__(self)
        Component.__init__(self, params)
        self.input_shape = tuple(int(n) for n in input_shape)
        shape = self.input_shape
        if self.params.symmetrize == "d4" and (len(shape) != 3 or shape[1] != shape[2]):
            raise ConfigError(
                f"encoder: symmetrize = 'd4' needs square maps (C, n, n), got input shape "
                f"{shape}; use symmetrize = 'none'"
            )

    @property
    def summary_dim(self) -> int:
        return self.params.summary_dim

    def summarize(self, maps: torch.Tensor) -> torch.Tensor:
        """The summaries ``[B, D]`` of maps ``[B, C, H, W]``: the output of :meth:`forward`,
        averaged over D4 with ``symmetrize = "d4"``. Compression and the Fisher check call
        this; training calls the encoder itself."""
        if self.params.symmetrize == "d4":
            return d4_average(self, maps)
        return self(maps)
