"""Moment networks: posterior mean and variance regression (Jeffrey & Wandelt 2020,
arXiv:2011.05991); see :class:`Moments`."""

from __future__ import annotations

import torch
from torch import nn

from cosmossl import Loss, LossOutput
from cosmossl.nn import encode_labelled_views, full_precision, regression_head
from cosmossl_plugins.losses.mse import MSE, mse_loss


@full_precision
def moments_loss(
    mean: torch.Tensor, variance: torch.Tensor, theta: torch.Tensor
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Σ_a (θ_a − t_a)² + Σ_a ((θ_a − sg(t_a))² − V_a)², averaged over the batch.

    ``mean`` (t), ``variance`` (V) and ``theta`` are ``[N, P]``; sg is stop-gradient. Returns the
    loss and the terms ``mse`` and ``variance_mse``.
    """
    first = mse_loss(mean, theta)
    squared = (theta - mean.detach()).pow(2)
    second = (squared - variance).pow(2).sum(dim=1).mean()
    return first + second, {"mse": first.detach(), "variance_mse": second.detach()}


class Moments(Loss):
    """Posterior mean and variance regression (Jeffrey & Wandelt 2020, arXiv:2011.05991).

    Jeffrey & Wandelt (2020), "Solving high-dimensional parameter inference: marginal posterior
    densities & Moment Networks", arXiv:2011.05991. A network t(x) trained on Σ_a (θ_a − t_a)²
    estimates E[θ | x]; a second one V(x) trained on Σ_a ((θ_a − t_a)² − V_a)² estimates the
    marginal posterior variances E[(θ_a − E[θ_a | x])² | x]. Here both are heads on one summary
    (the encoder output, which is kept), so the summary must carry what predicts the posterior's
    width as well as its centre.

    Convention: the two heads are trained together on the sum of the two terms, and the variance
    term regresses the squared residual of the *detached* mean (θ_a − stop_gradient(t_a))², so the
    mean head's optimum stays the posterior mean, as when the networks are trained one after the
    other (the paper's presentation). Sums over parameters, means over the batch; θ standardised
    per parameter by the training loop, every view a sample with its group's θ.
    """

    supervised = True

    Params = MSE.Params  # hidden_dims: the same heads, one for each moment

    def __init__(self, params=None, *, summary_dim: int, param_dim: int | None = None) -> None:
        super().__init__(params, summary_dim=summary_dim, param_dim=param_dim)
        if not param_dim:
            raise ValueError("the moments loss needs param_dim (the number of parameters)")
        hidden, p = self.params.hidden_dims, int(param_dim)
        self.mean_head = regression_head(self.summary_dim, hidden, p)
        self.variance_head = regression_head(self.summary_dim, hidden, p)

    def forward(
        self, encoder: nn.Module, views: torch.Tensor, theta: torch.Tensor | None = None
    ) -> LossOutput:
        summaries, targets = encode_labelled_views(encoder, views, theta, "the moments loss")
        mean, variance = self.mean_head(summaries), self.variance_head(summaries)
        loss, terms = moments_loss(mean, variance, targets)
        return LossOutput(loss=loss, terms=terms, embeddings=summaries.detach())
