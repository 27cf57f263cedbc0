"""A compact convolutional encoder for maps, in the style of the reference paper's CNN.

Akhmetzhanova, Mishra-Sharma & Dvorkin (2024), "Data Compression and Inference in Cosmology with
Self-Supervised Machine Learning", MNRAS 527, 7459, arXiv:2308.09751: 3×3 convolutions with batch
norm and ReLU, widths doubling from 8 to 128, 2×2 average pooling, two dense layers.

Differences from the paper's network, so that one model works from 16² to 256² maps: pooling
follows every second convolution only while the feature map is at least 2 pixels wide, and a
global average pool (instead of flattening) feeds the dense layers. With the defaults (9
convolutions, widths 8, 8, 16, 16, 32, 32, 64, 64, 128, a 128-wide dense layer, D = 16) the
network has about 166k parameters for any map size (the paper's: ~164k at 100²).

3D volumes ``(C, D, H, W)`` get the same network in 3D: 3×3×3 convolutions, 3D batch norm, 2×2×2
average pooling (about 3× the parameters: each kernel has 27 weights instead of 9). A 32³
volume has 3.3× the pixels of a 100² map and each convolution 3× the weights, so a 3D network
costs ~10× a 2D one per map and layer; ``pool_every = 1`` (pool after every convolution) makes
the deep layers cheap, for volumes on CPUs.
"""

from __future__ import annotations

import torch
from pydantic import Field
from torch import nn

from cosmossl import ConfigError, Encoder, EncoderParams

#: The layers of a 2D and a 3D network: convolution, batch norm, average pools.
_LAYERS = {
    2: (nn.Conv2d, nn.BatchNorm2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d),
    3: (nn.Conv3d, nn.BatchNorm3d, nn.AvgPool3d, nn.AdaptiveAvgPool3d),
}


class CNN(Encoder):
    """3×3 conv–BN–ReLU blocks with 2×2 average pooling, global average pool, two dense layers
    (3×3×3 and 2×2×2 for volumes)."""

    spatial_dims = (2, 3)

    class Params(EncoderParams):
        width: int = Field(8, gt=0, description="Channels of the first convolutions.")
        max_width: int = Field(
            128, gt=0, description="Widest convolution (widths double every 2 convolutions)."
        )
        depth: int = Field(9, ge=1, le=32, description="Number of 3×3 convolutions.")
        pool_every: int = Field(
            2,
            ge=1,
            description="Average-pool by 2 after every this many convolutions (while the "
            "feature map is at least 2 pixels wide); 1 makes 3D networks far cheaper.",
        )
        hidden_dim: int = Field(128, gt=0, description="Width of the first dense layer.")
        circular_padding: bool = Field(
            True,
            description="Pad periodically (maps of periodic boxes wrap around); false pads zeros.",
        )

    def __init__(self, params: Params | None = None, *, input_shape: tuple[int, ...]) -> None:
        super().__init__(params, input_shape=input_shape)
        if len(self.input_shape) not in (3, 4):
            raise ConfigError(
                f"encoder 'cnn' needs maps of shape (C, H, W) or volumes (C, D, H, W), got input "
                f"shape {self.input_shape}; use the 'mlp' encoder for vectors"
            )
        p = self.params
        channels, *sides = self.input_shape
        conv, norm, pool, global_pool = _LAYERS[len(sides)]
        padding_mode = "circular" if p.circular_padding else "zeros"
        layers: list[nn.Module] = []
        size = min(sides)
        for index in range(p.depth):
            out = min(p.width * 2 ** (index // 2), p.max_width)
            layers += [
                conv(channels, out, 3, padding=1, padding_mode=padding_mode, bias=False),
                norm(out),
                nn.ReLU(inplace=True),
            ]
            channels = out
            if index % p.pool_every == p.pool_every - 1 and size >= 2:
                layers.append(pool(2))
                size //= 2
        self.features = nn.Sequential(*layers)
        self.head = nn.Sequential(
            global_pool(1),
            nn.Flatten(),
            nn.Linear(channels, p.hidden_dim),
            nn.ReLU(inplace=True),
            nn.Linear(p.hidden_dim, self.summary_dim),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Summaries ``[B, D]`` of maps ``[B, C, H, W]`` (volumes ``[B, C, D, H, W]``)."""
        return self.head(self.features(x))
