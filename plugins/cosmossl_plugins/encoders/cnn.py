"""A compact convolutional encoder for maps, in the style of the reference paper's CNN.

Akhmetzhanova, Mishra-Sharma & Dvorkin (2024), "Data Compression and Inference in Cosmology with
Self-Supervised Machine Learning", MNRAS 527, 7459, arXiv:2308.09751: 3×3 convolutions with batch
norm and ReLU, widths doubling from 8 to 128, 2×2 average pooling, two dense layers.

Differences from the paper's network, so that one model works from 16² to 256² maps: pooling
follows every second convolution only while the feature map is at least 2 pixels wide, and a
global average pool (instead of flattening) feeds the dense layers. With the defaults (9
convolutions, widths 8, 8, 16, 16, 32, 32, 64, 64, 128, a 128-wide dense layer, D = 16) the
network has about 166k parameters for any map size (the paper's: ~164k at 100²).
"""

from __future__ import annotations

import torch
from pydantic import Field
from torch import nn

from cosmossl import ConfigError, Encoder, EncoderParams


class CNN(Encoder):
    """3×3 conv–BN–ReLU blocks with 2×2 average pooling, global average pool, two dense layers."""

    class Params(EncoderParams):
        width: int = Field(8, gt=0, description="Channels of the first convolutions.")
        max_width: int = Field(
            128, gt=0, description="Widest convolution (widths double every 2 convolutions)."
        )
        depth: int = Field(9, ge=1, le=32, description="Number of 3×3 convolutions.")
        hidden_dim: int = Field(128, gt=0, description="Width of the first dense layer.")
        circular_padding: bool = Field(
            True,
            description="Pad periodically (maps of periodic boxes wrap around); false pads zeros.",
        )

    def __init__(self, params: Params | None = None, *, input_shape: tuple[int, ...]) -> None:
        super().__init__(params, input_shape=input_shape)
        if len(self.input_shape) != 3:
            raise ConfigError(
                f"encoder 'cnn' needs maps of shape (C, H, W), got input shape {self.input_shape}; "
                "use the 'mlp' encoder for vectors"
            )
        p = self.params
        channels, height, width = self.input_shape
        padding_mode = "circular" if p.circular_padding else "zeros"
        layers: list[nn.Module] = []
        size = min(height, width)
        for index in range(p.depth):
            out = min(p.width * 2 ** (index // 2), p.max_width)
            layers += [
                nn.Conv2d(channels, out, 3, padding=1, padding_mode=padding_mode, bias=False),
                nn.BatchNorm2d(out),
                nn.ReLU(inplace=True),
            ]
            channels = out
            if index % 2 == 1 and size >= 2:
                layers.append(nn.AvgPool2d(2))
                size //= 2
        self.features = nn.Sequential(*layers)
        self.head = nn.Sequential(
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Linear(channels, p.hidden_dim),
            nn.ReLU(inplace=True),
            nn.Linear(p.hidden_dim, self.summary_dim),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Summaries ``[B, D]`` of maps ``[B, C, H, W]``."""
        return self.head(self.features(x))
