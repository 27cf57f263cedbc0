"""The known-posterior problem shared by the backend tests (linear-Gaussian summaries)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from scipy.stats import multivariate_normal

from cosmossl.inference import LinearGaussian, Posterior
from cosmossl.inference.diagnostics import evaluate

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
