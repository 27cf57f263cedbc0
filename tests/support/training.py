"""Tiny map sets and components for the training tests (16×16 maps, a few groups)."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from cosmossl import Encoder, Loss, LossOutput, MapMeta
from cosmossl.data.mapset import MapSet
from cosmossl.nn.distributed import gather_with_grad


def tiny_mapset(n_groups: int = 12, per_group: int = 4, size: int = 16, seed: int = 0) -> MapSet:
    """Maps whose amplitude and mean follow two parameters; the last quarter of groups is val."""
    rng = np.random.default_rng(seed)
    theta = rng.uniform(0.5, 1.5, size=(n_groups, 2)).astype(np.float32)
    group = np.repeat(np.arange(n_groups), per_group)
    noise = rng.standard_normal((len(group), 1, size, size)).astype(np.float32)
    maps = theta[group, 0, None, None, None] * noise + theta[group, 1, None, None, None]
    n_val = max(2, n_groups // 4)
    split = np.where(group >= n_groups - n_val, 1, 0).astype(np.int8)
    return MapSet(
        maps=maps.astype(np.float32),
        params=theta[group],
        param_names=("a", "b"),
        cosmology_id=group.astype(np.int64),
        simulation_id=np.arange(len(group), dtype=np.int64),
        split=split,
        meta=MapMeta(shape=(1, size, size), box_size=100.0),
        priors={"a": (0.5, 1.5), "b": (0.5, 1.5)},
        param_labels={"a": "a_1"},
    )


class TinyEncoder(Encoder):
    """Flatten → Linear → GELU → Linear, with dropout so the RNG state matters."""

    def __init__(self, params=None, *, input_shape):
        super().__init__(params, input_shape=input_shape)
        n = int(np.prod(self.input_shape))
        self.net = nn.Sequential(
            nn.Flatten(),
            nn.Linear(n, 16),
            nn.GELU(),
            nn.Dropout(0.1),
            nn.Linear(16, self.summary_dim),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class TinyLoss(Loss):
    """Invariance + variance + centring on a linear projector, gathered over processes."""

    def __init__(self, params=None, *, summary_dim, param_dim=None):
        super().__init__(params, summary_dim=summary_dim, param_dim=param_dim)
        self.projector = nn.Linear(summary_dim, 8)

    def forward(self, encoder, views, theta=None):
        b, v = views.shape[:2]
        z = self.projector(encoder(views.flatten(0, 1))).view(b, v, -1)
        invariance = (z[:, 0] - z[:, 1]).pow(2).mean()
        every = gather_with_grad(z[:, 0])
        variance = torch.relu(1 - every.std(dim=0)).mean()
        # The centring term gives the biases a real gradient: with none, Adam would amplify
        # rounding noise and one process could not be compared with two.
        centring = every.mean(dim=0).pow(2).mean()
        loss = invariance + variance + centring
        return LossOutput(
            loss,
            {"inv": invariance.detach(), "var": variance.detach(), "mean": centring.detach()},
            every.detach(),
        )


def tiny_components(mapset: MapSet, seed: int = 0) -> tuple[TinyEncoder, TinyLoss]:
    torch.manual_seed(seed)
    encoder = TinyEncoder(Encoder.Params(summary_dim=4), input_shape=mapset.meta.shape)
    return encoder, TinyLoss(summary_dim=4, param_dim=2)


def weights(module: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}
