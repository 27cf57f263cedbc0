"""Mapping box-bounded parameters to an unconstrained, standardised space and back."""

from __future__ import annotations

import torch

from cosmossl.data.standardize import Standardizer
from cosmossl.inference.prior import BoxPrior

#: Keeps the logit finite for parameters sitting exactly on the prior edge.
EPS = 1e-6


class ThetaTransform:
    """θ (inside a box prior) → u = standardise(logit((θ - low) / (high - low))).

    A flow fitted in u-space puts all its mass inside the prior (no leakage, no rejection).
    The standardisation statistics of u are fitted on the training θ only. With
    ``bounded=False`` the logit is skipped (plain standardisation of θ).
    """

    def __init__(self, prior: BoxPrior, standardizer: Standardizer, bounded: bool = True) -> None:
        self.prior, self.standardizer, self.bounded = prior, standardizer, bounded

    @classmethod
    def fit(
        cls, prior: BoxPrior, theta_train: torch.Tensor, bounded: bool = True
    ) -> ThetaTransform:
        return cls(prior, Standardizer.fit(_unbound(prior, theta_train, bounded)), bounded)

    def _unbound(self, theta: torch.Tensor) -> torch.Tensor:
        return _unbound(self.prior, theta, self.bounded)

    def __call__(self, theta: torch.Tensor) -> torch.Tensor:
        """``[..., P]`` θ → u."""
        return self.standardizer(self._unbound(theta))

    def inverse(self, u: torch.Tensor) -> torch.Tensor:
        """``[..., P]`` u → θ."""
        z = self.standardizer.inverse(u)
        if not self.bounded:
            return z
        return self.prior.low + (self.prior.high - self.prior.low) * torch.sigmoid(z)

    def log_abs_det(self, theta: torch.Tensor) -> torch.Tensor:
        """``[...]`` log |du/dθ|, so log q(θ) = log q(u) + log_abs_det(θ)."""
        out = torch.full(
            theta.shape[:-1],
            self.standardizer.log_abs_det(),
            dtype=theta.dtype,
            device=theta.device,
        )
        if self.bounded:
            width = self.prior.high - self.prior.low
            unit = ((theta - self.prior.low) / width).clamp(EPS, 1 - EPS)
            # d logit(t)/dθ = 1 / (t (1 - t) width)
            out = out - (torch.log(unit) + torch.log1p(-unit) + torch.log(width)).sum(-1)
        return out

    def tensors(self) -> dict[str, torch.Tensor]:
        return self.standardizer.tensors("theta.")

    @classmethod
    def from_tensors(
        cls, prior: BoxPrior, tensors: dict[str, torch.Tensor], bounded: bool
    ) -> ThetaTransform:
        return cls(prior, Standardizer.from_tensors(tensors, "theta."), bounded)


def _unbound(prior: BoxPrior, theta: torch.Tensor, bounded: bool) -> torch.Tensor:
    if not bounded:
        return theta
    unit = (theta - prior.low) / (prior.high - prior.low)
    return torch.logit(unit.clamp(EPS, 1 - EPS))
