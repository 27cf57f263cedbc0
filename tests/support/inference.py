"""The known-posterior problem shared by the backend tests (linear-Gaussian summaries), and a
toy posterior and backend for testing the framework's part without training."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from scipy.stats import multivariate_normal

from cosmossl import Backend
from cosmossl.data import Standardizer
from cosmossl.inference import (
    BoxPrior,
    FitData,
    LinearGaussian,
    Posterior,
    SavedPosterior,
    evaluate,
)

PROBLEM = LinearGaussian.make(n_params=2, n_summaries=4, noise=0.3, seed=0)


def data(n_train: int = 2000, n_val: int = 400):
    return PROBLEM.simulate(n_train, seed=1), PROBLEM.simulate(n_val, seed=2)


@dataclass
class Check:
    mean_error: np.ndarray  # [P] mean |posterior mean − analytic mean| / analytic σ
    std_ratio: np.ndarray  # [P] mean posterior std / analytic σ
    coverage_error: float
    nll: float
    analytic_nll: float


def known_posterior_check(posterior: Posterior, n_test: int = 300, n_samples: int = 500) -> Check:
    """Compare ``posterior`` with the analytic one on interior test points; HPD calibration."""
    theta, x = PROBLEM.simulate(n_test, seed=3)
    result = evaluate(posterior, theta, x, n_samples=n_samples, seed=0, n_bootstrap=10)
    mean, cov = PROBLEM.posterior(x)
    std = np.sqrt(np.diag(cov))
    inside = PROBLEM.interior(x, margin=3.0)
    assert inside.sum() > 30
    post_mean = result.samples.mean(0)[inside]
    post_std = result.samples.std(0)[inside]
    analytic_nll = -float(
        np.mean(
            [multivariate_normal(m, cov).logpdf(t) for m, t in zip(mean[inside], theta[inside])]
        )
    )
    lp = posterior.log_prob(torch.tensor(theta[inside]), torch.tensor(x[inside])).numpy()
    return Check(
        mean_error=np.abs(post_mean - mean[inside]).mean(0) / std,
        std_ratio=post_std.mean(0) / std,
        coverage_error=result.metrics["coverage"]["mean_abs_error"],
        nll=float(-lp.mean()),
        analytic_nll=analytic_nll,
    )


class ShiftedGaussian(Posterior):
    """q(θ | x) = N(x[:P], σ² I) in a box: exact samples and densities, no training."""

    sigma = 0.1

    def __init__(self, x_dim: int = 3, backend: str = "toy", info: dict | None = None) -> None:
        super().__init__(
            backend=backend,
            params={},
            prior=BoxPrior([-1.0, -1.0], [1.0, 1.0], ("a", "b")),
            x_standardizer=Standardizer(np.zeros(x_dim), np.ones(x_dim)),
            info=info,
        )

    def sample_standardized(self, x: torch.Tensor, n: int) -> torch.Tensor:
        return x[:, :2] + self.sigma * torch.randn(n, x.shape[0], 2)

    def log_prob_standardized(self, theta: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return torch.distributions.Normal(x[:, :2], self.sigma).log_prob(theta).sum(-1)

    def state(self) -> tuple[dict[str, torch.Tensor], dict]:
        return {"unused": torch.zeros(1)}, {}


class Recorder(Backend):
    """A backend that keeps the :class:`FitData` it was given and returns a fixed posterior."""

    name = "recorder"

    def fit_posterior(self, data: FitData) -> Posterior:
        self.data = data
        self.first_draw = torch.rand(1)  # the framework seeded the global RNG
        return ShiftedGaussian(x_dim=data.x_train.shape[1], info={"n_train": -1})

    @classmethod
    def posterior_from_saved(cls, saved: SavedPosterior, device: str = "cpu") -> Posterior:
        return ShiftedGaussian(x_dim=saved.x_standardizer.dim)
