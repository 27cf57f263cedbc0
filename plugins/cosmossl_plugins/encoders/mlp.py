"""A multi-layer perceptron encoder for vector inputs (e.g. binned power spectra)."""

from __future__ import annotations

import itertools
import math
from typing import Literal

import torch
from pydantic import Field, PositiveInt
from torch import nn

from cosmossl import Encoder, EncoderParams

ACTIVATIONS = {"relu": nn.ReLU, "gelu": nn.GELU, "silu": nn.SiLU, "tanh": nn.Tanh}


class MLP(Encoder):
    """Fully connected layers on the flattened input ``[B, *input_shape]`` → ``[B, D]`` (vectors,
    maps or volumes)."""

    spatial_dims = (1, 2, 3)

    class Params(EncoderParams):
        hidden: list[PositiveInt] = Field(
            default_factory=lambda: [128, 128], description="Widths of the hidden layers."
        )
        activation: Literal["relu", "gelu", "silu", "tanh"] = Field(
            "gelu", description="Non-linearity between layers."
        )
        dropout: float = Field(0.0, ge=0.0, lt=1.0, description="Dropout after each hidden layer.")

    def __init__(self, params: Params | None = None, *, input_shape: tuple[int, ...]) -> None:
        super().__init__(params, input_shape=input_shape)
        widths = [math.prod(self.input_shape), *self.params.hidden]
        layers: list[nn.Module] = [nn.Flatten()]
        for width_in, width_out in itertools.pairwise(widths):
            layers += [nn.Linear(width_in, width_out), ACTIVATIONS[self.params.activation]()]
            if self.params.dropout:
                layers.append(nn.Dropout(self.params.dropout))
        layers.append(nn.Linear(widths[-1], self.summary_dim))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)
