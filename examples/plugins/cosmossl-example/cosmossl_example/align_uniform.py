"""An SSL loss: alignment and uniformity on the hypersphere.

Wang & Isola (2020), "Understanding Contrastive Representation Learning through Alignment and
Uniformity on the Hypersphere", ICML, arXiv:2005.10242. Embeddings z are the L2-normalised
outputs of a projector on the summaries. With two views a, b of each group:

    alignment  = mean_i ||z_a,i − z_b,i||^α                      (positives close)
    uniformity = ½ Σ_v log mean_{i≠j} exp(−t ||z_v,i − z_v,j||²)  (embeddings spread out)

Convention: uniformity over the GLOBAL batch (all processes), per view, averaged over the two
views, as the paper's reference code; α = 2, t = 2 by default. More than two views: the loss
is averaged over all pairs of views.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from pydantic import Field, PositiveInt
from torch import nn

import cosmossl
from cosmossl.nn import average_over_pairs, encode_views, expander, gather_with_grad, per_view


def alignment(z_a: torch.Tensor, z_b: torch.Tensor, alpha: float = 2.0) -> torch.Tensor:
    """Mean ``||z_a − z_b||^α`` over the rows (positive pairs) of this process."""
    return (z_a - z_b).norm(dim=1).pow(alpha).mean()


def uniformity(z: torch.Tensor, t: float = 2.0) -> torch.Tensor:
    """``log mean_{i≠j} exp(−t ||z_i − z_j||²)`` over the rows of ALL processes.

    The rows are gathered with their gradients: every process computes the same global value,
    and the gathered tensor's backward sums the gradients over processes, which DDP's average
    turns back into the gradient of that global value.
    """
    every = gather_with_grad(z)
    n = every.shape[0]
    distances = torch.cdist(every, every).pow(2)
    off_diagonal = ~torch.eye(n, dtype=torch.bool, device=z.device)
    return torch.logsumexp(-t * distances[off_diagonal], dim=0) - torch.log(
        torch.tensor(float(n * (n - 1)), device=z.device, dtype=z.dtype)
    )


class AlignUniform(cosmossl.Loss):
    """Alignment + uniformity on the hypersphere (Wang & Isola 2020, arXiv:2005.10242)."""

    # An SSL loss: the engine passes the parameters theta anyway, it must not use them.
    supervised = False

    class Params(cosmossl.Params):
        alpha: float = Field(2.0, gt=0, description="Exponent α of the alignment distance.")
        t: float = Field(2.0, gt=0, description="Scale t of the uniformity kernel.")
        uniformity_weight: float = Field(1.0, ge=0, description="Weight of the uniformity term.")
        projector_dims: list[PositiveInt] = Field(
            [32, 32], description="Projector widths: hidden layers then the output."
        )
        warmup: float = Field(
            0.0,
            ge=0,
            le=1,
            description="Fraction of the training over which the alignment weight ramps from 0 "
            "to 1 (uniformity spreads the embeddings first).",
        )

    def __init__(self, params=None, *, summary_dim: int, param_dim: int | None = None) -> None:
        # The engine passes summary_dim (the encoder's D) and param_dim (P); build every
        # trainable head here: the optimiser is created before the first step.
        super().__init__(params, summary_dim=summary_dim, param_dim=param_dim)
        p = self.params
        self.projector = expander(summary_dim, p.projector_dims, batch_norm="sync")
        # State that after_step changes lives in a buffer, so checkpoints save and restore it.
        self.register_buffer("progress", torch.zeros(()))

    def forward(
        self, encoder: nn.Module, views: torch.Tensor, theta: torch.Tensor | None = None
    ) -> cosmossl.LossOutput:
        p = self.params
        summaries = encode_views(encoder, views)  # [V, B, D]: all views in one encoder call
        z = F.normalize(per_view(self.projector, summaries), dim=-1)
        ramp = 1.0 if p.warmup == 0 else torch.clamp(self.progress / p.warmup, max=1.0)

        def pair(z_a: torch.Tensor, z_b: torch.Tensor):
            align = alignment(z_a, z_b, p.alpha)
            uniform = (uniformity(z_a, p.t) + uniformity(z_b, p.t)) / 2
            loss = ramp * align + p.uniformity_weight * uniform
            return loss, {"alignment": align.detach(), "uniformity": uniform.detach()}

        loss, terms = average_over_pairs(pair, list(z), "example-align-uniform")
        # embeddings: the summaries of every view [B·V, D], detached (the collapse monitors).
        return cosmossl.LossOutput(loss, terms, summaries.flatten(0, 1).detach())

    def after_step(self, encoder: nn.Module, step: int, total_steps: int) -> None:
        self.progress.fill_((step + 1) / max(total_steps, 1))
