"""The first moment network: posterior-mean regression by mean squared error (Jeffrey &
Wandelt 2020, arXiv:2011.05991); see :class:`MSE`."""

from __future__ import annotations

import torch
from pydantic import Field, PositiveInt
from torch import nn

from cosmossl import Loss, LossOutput, Params
from cosmossl.nn import encode_labelled_views, full_precision, regression_head


@full_precision
def mse_loss(prediction: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
    """Mean over the batch of Σ_a (θ_a − θ̂_a)², ``prediction`` and ``theta`` ``[N, P]``."""
    return (theta - prediction).pow(2).sum(dim=1).mean()


class MSE(Loss):
    """Posterior-mean regression, Σ_a (θ_a − θ̂_a)² (Jeffrey & Wandelt 2020, arXiv:2011.05991).

    Jeffrey & Wandelt (2020), "Solving high-dimensional parameter inference: marginal posterior
    densities & Moment Networks", arXiv:2011.05991: a network t(x) trained to minimise
    E‖θ − t(x)‖² estimates the posterior mean E[θ | x] (under the prior the training parameters are
    drawn from), a summary that keeps the information of the posterior's first moment. Lanzieri et
    al. (2025, arXiv:2407.10877) found such a regression reaches about 81% of the full-field figure
    of merit on weak-lensing maps, where VMIM reaches all of it.

    Convention: a head maps the summary (the encoder output, which is what is kept, as for every
    loss) to θ̂; the loss is the mean over the batch of Σ_a (θ_a − θ̂_a)² — the sum over
    parameters, as the paper's loss (some implementations average over parameters too: a constant
    factor 1/P). θ is standardised per parameter with the training split's mean and standard
    deviation (the training loop does it), so no parameter dominates by its units. Every view of a
    group is a sample with its group's θ.
    """

    supervised = True

    class Params(Params):
        hidden_dims: list[PositiveInt] = Field(
            default_factory=list,
            description="Hidden widths of the head (Linear–ReLU) from the summary to θ̂; empty "
            "for a linear head.",
        )

    def __init__(self, params=None, *, summary_dim: int, param_dim: int | None = None) -> None:
        super().__init__(params, summary_dim=summary_dim, param_dim=param_dim)
        if not param_dim:
            raise ValueError("the mse loss needs param_dim (the number of parameters)")
        self.head = regression_head(self.summary_dim, self.params.hidden_dims, int(param_dim))

    def forward(
        self, encoder: nn.Module, views: torch.Tensor, theta: torch.Tensor | None = None
    ) -> LossOutput:
        summaries, targets = encode_labelled_views(encoder, views, theta, "the mse loss")
        loss = mse_loss(self.head(summaries), targets)
        return LossOutput(loss=loss, terms={"mse": loss.detach()}, embeddings=summaries.detach())
