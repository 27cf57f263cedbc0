"""Any timm image model as an encoder (e.g. ``resnet18``, as the reference paper used on CAMELS).

The model is built with ``timm.create_model(name, pretrained=False, in_chans=C,
num_classes=summary_dim)``: its classifier becomes the summary layer and its stem takes the maps'
C channels (ResNet-18 then has the paper's 1-channel 7×7 stride-2 stem without bias). Weights are
never downloaded. Reference: Wightman, "PyTorch Image Models" (timm), github.com/huggingface/
pytorch-image-models; Akhmetzhanova et al. (2024), arXiv:2308.09751.

timm's architectures are 2D image models: the encoder takes 2D maps only and refuses 3D volumes
(the ``cnn`` encoder builds Conv3d layers for them).
"""

from __future__ import annotations

import difflib
from typing import Any

import timm
import torch
from pydantic import Field

from cosmossl import ConfigError, Encoder, EncoderParams


class Timm(Encoder):
    """A timm architecture by name with C input channels and a D-dimensional output (2D maps)."""

    dimension_hint = (
        "timm's models are 2D image models; use the 'cnn' encoder for volumes (it builds "
        "Conv3d layers)"
    )

    class Params(EncoderParams):
        model: str = Field(
            "resnet18", description="timm model name, e.g. resnet18 or convnext_atto."
        )
        model_kwargs: dict[str, Any] = Field(
            default_factory=dict,
            description="Extra keyword arguments for timm.create_model (e.g. img_size for ViTs).",
        )

    def __init__(self, params: Params | None = None, *, input_shape: tuple[int, ...]) -> None:
        super().__init__(params, input_shape=input_shape)
        if len(self.input_shape) != 3:
            raise ConfigError(
                f"encoder 'timm' needs maps of shape (C, H, W), got input shape {self.input_shape}"
            )
        name = self.params.model
        if not timm.is_model(name):
            close = difflib.get_close_matches(name, timm.list_models(), n=5, cutoff=0.6)
            hint = f" Close matches: {', '.join(close)}." if close else ""
            raise ConfigError(
                f"encoder 'timm': unknown timm model '{name}'.{hint} "
                "List models with timm.list_models('pattern*')."
            )
        self.model = timm.create_model(
            name,
            pretrained=False,
            in_chans=self.input_shape[0],
            num_classes=self.summary_dim,
            **self.params.model_kwargs,
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Summaries ``[B, D]`` of maps ``[B, C, H, W]``."""
        return self.model(x)
