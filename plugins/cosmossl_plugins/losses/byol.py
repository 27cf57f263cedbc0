"""BYOL: bootstrap your own latent.

Grill et al. (2020), "Bootstrap Your Own Latent: A New Approach to Self-Supervised Learning",
NeurIPS, arXiv:2006.07733.

Online network: encoder → projector → predictor. Target network: an exponential moving average
(EMA) of encoder + projector, never receiving gradients. The loss of one direction is
``2 − 2·cos(p_online(view 1), z_target(view 2))`` averaged over the batch; the component sums the
two directions (symmetrised). The EMA rate follows the cosine schedule
``τ_k = 1 − (1 − τ_base)·(cos(πk/K) + 1)/2`` (k = step, K = total steps). With k > 2 views the
symmetrised loss is averaged over all pairs of views.

Model selection: the loss measures the distance to a target that keeps moving, so its value on
the validation maps does not rank epochs (on the compare benchmark it was lowest at epoch 3 of
25, whose encoder kept 0.65 of the Fisher information against 0.81 for the last epoch's). As in
the paper, which evaluates the encoder at the end of training, the training loop keeps the last
epoch's weights (``select_by_validation = False``).

All parameters, the predictor's included, follow the training schedule's one learning rate, as
in the paper's recipe. (Its ablations keep the predictor near-optimal with a larger predictor
learning rate; the training loop has no per-head learning rate, so that variant is not offered.
A ×10 predictor rate tried by hand on the compare benchmark changed the figure-of-merit
fraction by +0.10 on one seed and −0.13 on another: no consistent gain.)

The target encoder is a copy of the encoder made at the first forward pass (the loss does not see
the encoder before). Its weights are part of this module's ``state_dict`` once it exists; a
checkpoint loaded before that is kept and applied when the copy is made.
"""

from __future__ import annotations

import copy
import itertools
import math
from typing import Any, Literal

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn

from cosmossl import Loss, LossOutput, Params
from cosmossl.nn import byol_mlp, encode_views, full_precision, per_view

TARGET_PREFIX = "target_encoder."


@full_precision
def byol_loss(p_a: torch.Tensor, z_b: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """One direction of BYOL: mean over the batch of ``2 − 2·cos(p_a, z_b)``; ``z_b`` is detached.

    Returns the loss and the term ``cosine`` (mean cosine similarity).
    """
    cosine = F.cosine_similarity(p_a, z_b.detach(), dim=1)
    loss = (2.0 - 2.0 * cosine).mean()
    return loss, {"cosine": cosine.mean().detach()}


def ema_rate(step: int, total_steps: int, tau_base: float) -> float:
    """BYOL's cosine schedule: τ = 1 − (1 − τ_base)·(cos(π·step/total) + 1)/2."""
    progress = min(max(step / max(total_steps, 1), 0.0), 1.0)
    return 1.0 - (1.0 - tau_base) * (math.cos(math.pi * progress) + 1.0) / 2.0


def _unwrap(encoder: nn.Module) -> nn.Module:
    # DDP wraps the real module; the target must copy the module, not the wrapper.
    return encoder.module if isinstance(encoder, nn.parallel.DistributedDataParallel) else encoder


@torch.no_grad()
def _ema_update(target: nn.Module, online: nn.Module, tau: float) -> None:
    for t, o in zip(target.parameters(), online.parameters()):
        t.lerp_(o.detach(), 1.0 - tau)
    for t, o in zip(target.buffers(), online.buffers()):
        t.copy_(o)


class BYOL(Loss):
    """BYOL with projector, predictor and EMA target (Grill et al. 2020, arXiv:2006.07733)."""

    select_by_validation = False  # the loss to a moving target does not rank epochs

    class Params(Params):
        tau_base: float = Field(
            0.99, ge=0, lt=1, description="Base EMA rate τ_base (0.996 for long runs)."
        )
        hidden_dim: int | None = Field(
            None, gt=0, description="Hidden width of projector and predictor. Default 4·D."
        )
        projection_dim: int | None = Field(
            None, gt=0, description="Output width of projector and predictor. Default D."
        )
        batch_norm: Literal["sync", "local"] = Field(
            "sync", description="Batch-norm statistics in the heads: global ('sync') or local."
        )

    def __init__(self, params=None, *, summary_dim: int, param_dim: int | None = None) -> None:
        super().__init__(params, summary_dim=summary_dim, param_dim=param_dim)
        hidden = self.params.hidden_dim or 4 * self.summary_dim
        out = self.params.projection_dim or self.summary_dim
        bn = self.params.batch_norm
        self.projector = byol_mlp(self.summary_dim, hidden, out, batch_norm=bn)
        self.predictor = byol_mlp(out, hidden, out, batch_norm=bn)
        self.target_projector = copy.deepcopy(self.projector).requires_grad_(False)
        self.target_encoder: nn.Module | None = None
        self._pending_target: dict[str, Any] | None = None
        self.tau = self.params.tau_base

    def _target(self, encoder: nn.Module) -> nn.Module:
        if self.target_encoder is None:
            self.target_encoder = copy.deepcopy(_unwrap(encoder)).requires_grad_(False)
            if self._pending_target is not None:
                self.target_encoder.load_state_dict(self._pending_target)
                self._pending_target = None
        return self.target_encoder

    def forward(
        self, encoder: nn.Module, views: torch.Tensor, theta: torch.Tensor | None = None
    ) -> LossOutput:
        target_encoder = self._target(encoder)
        n_views = views.shape[1]
        pairs = list(itertools.combinations(range(n_views), 2))
        if not pairs:
            raise ValueError("BYOL needs at least 2 views per group")
        summaries = encode_views(encoder, views)
        online = per_view(self.predictor, per_view(self.projector, summaries))
        with torch.no_grad():
            target = per_view(self.target_projector, encode_views(target_encoder, views))
        loss = torch.zeros((), device=views.device)
        cosine = torch.zeros((), device=views.device)
        for i, j in pairs:
            for a, b in ((i, j), (j, i)):
                part, terms = byol_loss(online[a], target[b])
                loss = loss + part
                cosine = cosine + terms["cosine"]
        loss = loss / len(pairs)
        embeddings = summaries.flatten(0, 1).detach()
        terms = {"cosine": cosine / (2 * len(pairs)), "tau": torch.tensor(self.tau)}
        return LossOutput(loss=loss, terms=terms, embeddings=embeddings)

    @torch.no_grad()
    def after_step(self, encoder: nn.Module, step: int, total_steps: int) -> None:
        """EMA update of the target with the rate of the cosine schedule at ``step``."""
        target_encoder = self._target(encoder)
        self.tau = ema_rate(step, total_steps, self.params.tau_base)
        _ema_update(target_encoder, _unwrap(encoder), self.tau)
        _ema_update(self.target_projector, self.projector, self.tau)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs) -> None:
        # Before the first forward pass there is no target encoder to load into: keep its
        # weights and apply them when the copy is made.
        if self.target_encoder is None:
            key = prefix + TARGET_PREFIX
            pending = {k[len(key) :]: v for k, v in state_dict.items() if k.startswith(key)}
            if pending:
                self._pending_target = pending
                for k in [k for k in state_dict if k.startswith(key)]:
                    del state_dict[k]
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
