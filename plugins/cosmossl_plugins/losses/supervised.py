"""Supervised baseline: Gaussian negative log-likelihood of the parameters.

The reference paper (Akhmetzhanova, Mishra-Sharma & Dvorkin 2024, arXiv:2308.09751) compares its
SSL summaries with the same encoder trained end-to-end on the parameters. A head on the summary
outputs a mean μ and a Cholesky factor L of the covariance (softplus on the diagonal, so it is
positive), and the loss is ``−log N(θ | μ, LLᵀ)`` averaged over the batch (the summary is then
the encoder output, as for the SSL losses). Every view of a group is a sample with its group's θ.
The training loop passes θ standardised with the training split's mean and standard deviation
per parameter; the loss does not rescale them.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from pydantic import Field, PositiveInt
from torch import nn

from cosmossl import Loss, LossOutput, Params
from cosmossl.nn import encode_labelled_views, full_precision, regression_head


def cholesky_factor(raw: torch.Tensor, param_dim: int, min_diag: float = 1e-4) -> torch.Tensor:
    """Lower-triangular ``[N, P, P]`` from ``raw`` ``[N, P(P+1)/2]``; softplus on the diagonal."""
    rows, cols = torch.tril_indices(param_dim, param_dim, device=raw.device)
    factor = raw.new_zeros(raw.shape[0], param_dim, param_dim)
    factor[:, rows, cols] = raw
    diagonal = F.softplus(torch.diagonal(factor, dim1=1, dim2=2)) + min_diag
    return factor.tril(-1) + torch.diag_embed(diagonal)


@full_precision
def gaussian_nll_loss(
    mean: torch.Tensor, scale_tril: torch.Tensor, theta: torch.Tensor
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Mean over the batch of ``−log N(θ | μ, LLᵀ)``.

    ``mean`` and ``theta`` are ``[N, P]``, ``scale_tril`` (L) is ``[N, P, P]``.

    Returns the loss and the terms ``nll`` and ``mse`` (mean squared error of μ).
    """
    residual = (theta - mean).unsqueeze(-1)
    # Solve L w = θ − μ, so that (θ − μ)ᵀ Σ⁻¹ (θ − μ) = |w|² without forming Σ⁻¹.
    whitened = torch.linalg.solve_triangular(scale_tril, residual, upper=False).squeeze(-1)
    log_det = torch.log(torch.diagonal(scale_tril, dim1=1, dim2=2)).sum(dim=1)
    p = mean.shape[1]
    nll = 0.5 * whitened.pow(2).sum(dim=1) + log_det + 0.5 * p * math.log(2 * math.pi)
    loss = nll.mean()
    mse = (theta - mean).pow(2).mean()
    return loss, {"nll": loss.detach(), "mse": mse.detach()}


class Supervised(Loss):
    """Gaussian-NLL regression of the parameters with a mean and Cholesky head."""

    supervised = True

    class Params(Params):
        hidden_dims: list[PositiveInt] = Field(
            default_factory=list,
            description="Hidden widths of the head (Linear–ReLU) before the output layer; empty "
            "for a linear head on the summary.",
        )

    def __init__(self, params=None, *, summary_dim: int, param_dim: int | None = None) -> None:
        super().__init__(params, summary_dim=summary_dim, param_dim=param_dim)
        if not param_dim:
            raise ValueError("the supervised loss needs param_dim (the number of parameters)")
        p = int(param_dim)
        self.head = regression_head(self.summary_dim, self.params.hidden_dims, p + p * (p + 1) // 2)

    def predict(self, summaries: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean ``[N, P]`` and Cholesky factor ``[N, P, P]`` of θ given summaries ``[N, D]``."""
        p = int(self.param_dim)
        out = self.head(summaries)
        return out[:, :p], cholesky_factor(out[:, p:], p)

    def forward(
        self, encoder: nn.Module, views: torch.Tensor, theta: torch.Tensor | None = None
    ) -> LossOutput:
        summaries, targets = encode_labelled_views(encoder, views, theta, "the supervised loss")
        mean, scale_tril = self.predict(summaries)
        loss, terms = gaussian_nll_loss(mean, scale_tril, targets)
        return LossOutput(loss=loss, terms=terms, embeddings=summaries.detach())
