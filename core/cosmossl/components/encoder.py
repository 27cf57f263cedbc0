"""Base class of ``encoder`` components."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field
from torch import nn

from cosmossl.components.base import Component
from cosmossl.components.params import Params


class EncoderParams(Params):
    """Parameters every encoder has."""

    summary_dim: int = Field(16, gt=0, description="Dimension D of the summary vector.")


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
        nn.Module.__init__(self)
        Component.__init__(self, params)
        self.input_shape = tuple(int(n) for n in input_shape)

    @property
    def summary_dim(self) -> int:
        return self.params.summary_dim
