"""Posterior diagnostics computed by cosmossl, identically for every backend.

One module per diagnostic, each stating its convention:

- :mod:`~cosmossl.inference.diagnostics.coverage`: expected coverage of highest-density regions;
- :mod:`~cosmossl.inference.diagnostics.tarp`: TARP expected coverage, ATC and KS test;
- :mod:`~cosmossl.inference.diagnostics.sbc`: SBC ranks with a KS test per parameter;
- :mod:`~cosmossl.inference.diagnostics.point`: NLL, posterior σ, FoM, bias/σ, RMSE, R²;
- :mod:`~cosmossl.inference.diagnostics.robustness`: a clean and a contaminated evaluation of
  the same test points side by side (bias in σ, coverage change, figure of merit kept).

All functions work on NumPy arrays and are vectorised over test points, with B test points,
n posterior samples each and P parameters: ``samples [n, B, P]``, ``truth [B, P]``, log
densities ``[n, B]`` (samples) and ``[B]`` (truth). Curves are on the credibility levels
:data:`GRID`. :func:`evaluate` draws the samples from a posterior and runs them all.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from cosmossl._util.files import write_text
from cosmossl.data.arrays import first_nonfinite
from cosmossl.errors import CosmosslError
from cosmossl.inference.diagnostics.coverage import hpd_coverage
from cosmossl.inference.diagnostics.levels import GRID
from cosmossl.inference.diagnostics.point import point_metrics
from cosmossl.inference.diagnostics.robustness import robustness_metrics
from cosmossl.inference.diagnostics.sbc import sbc
from cosmossl.inference.diagnostics.tarp import tarp

if TYPE_CHECKING:
    from cosmossl.inference.posterior import Posterior

__all__ = [
    "GRID",
    "Evaluation",
    "evaluate",
    "hpd_coverage",
    "point_metrics",
    "robustness_metrics",
    "sbc",
    "tarp",
    "write_metrics",
]


@dataclass
class Evaluation:
    """Diagnostics of one posterior on a test set: JSON-ready ``metrics`` plus the samples."""

    metrics: dict[str, Any]
    samples: np.ndarray  # [n, B, P]
    truth: np.ndarray  # [B, P]


def evaluate(
    posterior: Posterior,
    theta: np.ndarray | torch.Tensor,
    x: np.ndarray | torch.Tensor,
    *,
    n_samples: int = 1000,
    seed: int = 0,
    n_bootstrap: int = 200,
) -> Evaluation:
    """All diagnostics of ``posterior`` on test pairs ``theta [B, P]``, ``x [B, D]``."""
    theta_t = torch.as_tensor(np.asarray(theta), dtype=torch.float32)
    x_t = torch.as_tensor(np.asarray(x), dtype=torch.float32)
    samples_t = posterior.sample_batched(x_t, n_samples, seed=seed)
    samples = samples_t.cpu().double().numpy()
    _check_finite(samples, "samples")
    lp_samples = posterior.log_prob_batched(samples_t, x_t).cpu().double().numpy()
    _check_finite(np.where(np.isneginf(lp_samples), 0.0, lp_samples), "log densities")
    lp_truth = posterior.log_prob(theta_t, x_t).cpu().double().numpy()
    truth = theta_t.double().numpy()
    names = tuple(posterior.param_names)
    low = posterior.prior.low.cpu().double().numpy()
    high = posterior.prior.high.cpu().double().numpy()
    metrics = {
        "n_test": int(truth.shape[0]),
        "n_samples": int(n_samples),
        "param_names": list(names),
        **point_metrics(samples, truth, lp_truth, names),
        "coverage": hpd_coverage(lp_samples, lp_truth),
        "tarp": tarp(samples, truth, low, high, seed=seed, n_bootstrap=n_bootstrap),
        "sbc": sbc(samples, truth, names),
    }
    return Evaluation(metrics, samples, truth)


def _check_finite(values: np.ndarray, what: str) -> None:
    """No metric is computed over non-finite ``values`` ``[n, B, ...]`` of a posterior that
    failed (a log density of −∞ is allowed: a point outside the support)."""
    point = first_nonfinite(np.moveaxis(values, 1, 0))  # per test point
    if point is not None:
        raise CosmosslError(
            f"the posterior gave NaN or inf {what} for test point {point}: its metrics would be "
            "meaningless, so none are reported (the fit may have diverged: check the backend's "
            "training history, or fit again with another seed or backend setting)"
        )


def write_metrics(path: str | Path, metrics: dict[str, Any]) -> Path:
    """Write ``metrics`` as JSON atomically (temporary file, then rename)."""
    path = Path(path)
    write_text(path, json.dumps(metrics, indent=2, allow_nan=True))
    return path
