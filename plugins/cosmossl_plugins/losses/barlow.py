"""Barlow Twins: redundancy reduction by driving the cross-correlation matrix to the identity.

Zbontar, Jing, Misra, LeCun & Deny (2021), "Barlow Twins: Self-Supervised Learning via Redundancy
Reduction", ICML, arXiv:2103.03230.

Each view's embedding is batch-normalised without affine parameters over the *global* batch
(gathered with gradient; biased variance, eps 1e-5 as ``BatchNorm1d``), ``c = z_aᵀ z_b / N_global``
and ``loss = Σ_i (1 − c_ii)² + λ Σ_{i≠j} c_ij²`` with λ = 0.0051. A raw ``all_reduce`` of ``c``
in the forward pass would scale gradients by 1/W; the differentiable gather avoids that. With
k > 2 views the loss is averaged over all pairs of views.
"""

from __future__ import annotations

from typing import Literal

import torch
from pydantic import Field, PositiveInt
from torch import nn

from cosmossl import Loss, LossOutput, Params
from cosmossl.nn import (
    average_over_pairs,
    encode_views,
    expander,
    full_precision,
    gather_with_grad,
    per_view,
)


def _standardise(z: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    return (z - z.mean(dim=0)) / torch.sqrt(z.var(dim=0, unbiased=False) + eps)


@full_precision
def barlow_twins_loss(
    z_a: torch.Tensor, z_b: torch.Tensor, lambd: float = 0.0051
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Barlow Twins loss of two views ``z_a``, ``z_b`` ``[N, D]``.

    Returns the loss and the unweighted terms ``on_diagonal`` (Σ (1 − c_ii)²) and
    ``off_diagonal`` (Σ_{i≠j} c_ij²).
    """
    a = _standardise(gather_with_grad(z_a))
    b = _standardise(gather_with_grad(z_b))
    c = a.T @ b / a.shape[0]
    diagonal = torch.diagonal(c)
    on_diagonal = (1.0 - diagonal).pow(2).sum()
    off_diagonal = c.pow(2).sum() - diagonal.pow(2).sum()
    loss = on_diagonal + lambd * off_diagonal
    return loss, {"on_diagonal": on_diagonal.detach(), "off_diagonal": off_diagonal.detach()}


class BarlowTwins(Loss):
    """Barlow Twins with an expander (Zbontar et al. 2021, arXiv:2103.03230)."""

    class Params(Params):
        lambd: float = Field(0.0051, ge=0, description="Weight λ of the off-diagonal term.")
        expander_dims: list[PositiveInt] | None = Field(
            None, description="Expander widths: hidden layers then output. Default [4D, 4D, 4D]."
        )
        batch_norm: Literal["sync", "local"] = Field(
            "sync", description="Batch-norm statistics in the expander: global ('sync') or local."
        )

    def __init__(self, params=None, *, summary_dim: int, param_dim: int | None = None) -> None:
        super().__init__(params, summary_dim=summary_dim, param_dim=param_dim)
        p = self.params
        self.expander = expander(self.summary_dim, p.expander_dims, batch_norm=p.batch_norm)

    def forward(
        self, encoder: nn.Module, views: torch.Tensor, theta: torch.Tensor | None = None
    ) -> LossOutput:
        summaries = encode_views(encoder, views)
        z = list(per_view(self.expander, summaries))
        lambd = self.params.lambd
        loss, terms = average_over_pairs(
            lambda a, b: barlow_twins_loss(a, b, lambd), z, "Barlow Twins"
        )
        embeddings = summaries.flatten(0, 1).detach()
        return LossOutput(loss=loss, terms=terms, embeddings=embeddings)
