"""VICReg: variance-invariance-covariance regularisation.

Bardes, Ponce & LeCun (2022), "VICReg: Variance-Invariance-Covariance Regularization for
Self-Supervised Learning", ICLR, arXiv:2105.04906. Conventions follow the official code
(facebookresearch/vicreg):

- invariance: mean squared error between the views over the *local* batch (mean over N·D);
- then both views are gathered over processes (with gradient) and centred;
- variance: ``mean(relu(1 − sqrt(var_unbiased + 1e-4)))`` per view, **averaged** over the two views
  (some libraries sum it, doubling its weight);
- covariance: ``Σ off-diagonal(zᵀz/(N_global − 1))² / D``, **summed** over the two views.

With k > 2 views per group (the reference paper's CAMELS setup: 10 views of one simulation) the
loss is the average of the two-view loss over pairs of views: invariance is averaged over all
k(k − 1)/2 pairs, the variance term is averaged over the k views and the covariance term is
``(2/k) ·`` its sum over views (each view taking part in its share of pairs). For k = 2 this is
exactly the two-view loss.
"""

from __future__ import annotations

import itertools
from typing import Literal

import torch
import torch.nn.functional as F
from pydantic import Field, PositiveInt
from torch import nn

from cosmossl import Loss, LossOutput, Params
from cosmossl.nn import encode_views, expander, full_precision, gather_with_grad, per_view


def _variance_term(z: torch.Tensor) -> torch.Tensor:
    std = torch.sqrt(z.var(dim=0) + 1e-4)
    return F.relu(1.0 - std).mean()


def _covariance_term(z: torch.Tensor) -> torch.Tensor:
    n, d = z.shape
    cov = (z.T @ z) / (n - 1)
    off_diagonal = cov - torch.diag(torch.diagonal(cov))
    return off_diagonal.pow(2).sum() / d


@full_precision
def vicreg_multiview_loss(
    z: list[torch.Tensor],
    sim_weight: float = 25.0,
    var_weight: float = 25.0,
    cov_weight: float = 1.0,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """VICReg on k ≥ 2 views ``z`` (k tensors ``[N, D]``), averaged over pairs (see module)."""
    k = len(z)
    if k < 2:
        raise ValueError(f"VICReg needs at least 2 views, got {k}")
    pairs = list(itertools.combinations(range(k), 2))
    invariance = sum(F.mse_loss(z[i], z[j]) for i, j in pairs) / len(pairs)
    gathered = [gather_with_grad(view) for view in z]
    centred = [view - view.mean(dim=0) for view in gathered]
    variance = sum(_variance_term(view) for view in centred) / k
    covariance = sum(_covariance_term(view) for view in centred) * (2.0 / k)
    loss = sim_weight * invariance + var_weight * variance + cov_weight * covariance
    terms = {"invariance": invariance, "variance": variance, "covariance": covariance}
    return loss, {name: value.detach() for name, value in terms.items()}


def vicreg_loss(
    z_a: torch.Tensor,
    z_b: torch.Tensor,
    sim_weight: float = 25.0,
    var_weight: float = 25.0,
    cov_weight: float = 1.0,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """VICReg loss of two views ``z_a``, ``z_b`` ``[N, D]`` (official convention, see module doc).

    Returns the loss and its unweighted terms ``invariance``, ``variance``, ``covariance``.
    """
    return vicreg_multiview_loss([z_a, z_b], sim_weight, var_weight, cov_weight)


class VICReg(Loss):
    """VICReg with an expander (Bardes, Ponce & LeCun 2022, arXiv:2105.04906).

    Official convention: invariance on the local batch, variance averaged over the two views,
    covariance summed. With k > 2 views: invariance averaged over all k(k−1)/2 pairs, variance
    averaged over views, covariance (2/k)·summed over views (the pair-averaged two-view loss).
    The reference paper (Akhmetzhanova et al. 2024, arXiv:2308.09751) used weights 5/5/1 on its
    lognormal maps and 25/25/1 on CAMELS, with an expander of two hidden layers of 4·D.
    """

    class Params(Params):
        sim_weight: float = Field(
            25.0, ge=0, description="Weight of the invariance (similarity) term."
        )
        var_weight: float = Field(25.0, ge=0, description="Weight of the variance term.")
        cov_weight: float = Field(1.0, ge=0, description="Weight of the covariance term.")
        expander_dims: list[PositiveInt] | None = Field(
            None,
            description="Expander widths: hidden layers then output. Default [4D, 4D, 4D] "
            "(two hidden layers of 4·D, as the reference paper).",
        )
        batch_norm: Literal["sync", "local"] = Field(
            "sync",
            description="Batch-norm statistics in the expander: over the global batch of all "
            "processes ('sync', as the official code) or the local one.",
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
        p = self.params
        loss, terms = vicreg_multiview_loss(z, p.sim_weight, p.var_weight, p.cov_weight)
        embeddings = summaries.flatten(0, 1).detach()
        return LossOutput(loss=loss, terms=terms, embeddings=embeddings)
