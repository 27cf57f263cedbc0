from torch import nn

import cosmossl


class SmallCNN(cosmossl.Encoder):
    """Two strided convolutions, a global average and a linear layer."""

    def __init__(self, params=None, *, input_shape):
        super().__init__(params, input_shape=input_shape)
        channels = self.input_shape[0]
        self.net = nn.Sequential(
            nn.Conv2d(channels, 8, 3, stride=2, padding=1),
            nn.GELU(),
            nn.Conv2d(8, 16, 3, stride=2, padding=1),
            nn.GELU(),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Linear(16, self.summary_dim),
        )

    def forward(self, x):
        return self.net(x)
