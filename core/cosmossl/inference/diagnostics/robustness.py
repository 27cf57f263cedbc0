"""Robustness: one posterior judged on clean and on contaminated versions of the same test points.

The two evaluations share the test points (same truths, same maps before the contamination), so
the difference is the contamination's effect alone. Per parameter, with z = (posterior mean −
truth) / posterior σ of each test point:

- ``bias_sigma_clean``, ``bias_sigma``: mean z on clean and contaminated inputs, with the standard
  error of the latter (``bias_sigma_se``);
- ``shift_sigma``: the paired mean of z_contaminated − z_clean ± its standard error: the bias the
  contamination causes, free of the clean bias and with much less noise;
- ``std_ratio``: mean posterior σ contaminated / clean.

Overall: ``shift_joint_sigma``, the length of the mean shift of the posterior mean in units of
the clean posterior covariance, |mean_b Σ_b^(−1/2) (μ_b,contaminated − μ_b,clean)| (± its
standard error along that direction): with correlated parameters a shift across a narrow
degeneracy is small in each marginal σ and large here; the change of the 68% and 95%
highest-density coverage and of its mean absolute error, the NLL on both, and ``fom_kept`` =
exp(mean log FoM contaminated − clean): the posterior figure of merit left (1: as tight as on
clean maps; < 1: wider).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from cosmossl.inference.diagnostics import Evaluation


def _z(evaluation: Evaluation) -> tuple[np.ndarray, np.ndarray]:
    """``(z [B, P], σ [B, P])`` of an evaluation's samples."""
    samples = evaluation.samples
    sigma = samples.std(axis=0, ddof=1)
    return (samples.mean(axis=0) - evaluation.truth) / sigma, sigma


def _se(values: np.ndarray) -> float:
    return float(values.std(ddof=1) / math.sqrt(len(values))) if len(values) > 1 else math.nan


def _joint_shift(clean: Evaluation, contaminated: Evaluation) -> tuple[float, float]:
    """``(|w̄|, se)``: w_b = Σ_b^(−1/2) Δμ_b with Σ_b the clean posterior covariance."""
    samples = clean.samples
    centred = samples - samples.mean(axis=0)
    cov = np.einsum("nbi,nbj->bij", centred, centred) / max(samples.shape[0] - 1, 1)
    values, vectors = np.linalg.eigh(cov)  # [B, P], [B, P, P]
    inverse_root = np.einsum("bij,bj,bkj->bik", vectors, 1.0 / np.sqrt(values), vectors)
    delta = contaminated.samples.mean(axis=0) - samples.mean(axis=0)  # [B, P]
    w = np.einsum("bij,bj->bi", inverse_root, delta)
    mean = w.mean(axis=0)
    length = float(np.linalg.norm(mean))
    direction = mean / length if length > 0 else mean
    return length, _se(w @ direction)


def robustness_metrics(clean: Evaluation, contaminated: Evaluation) -> dict[str, Any]:
    """Bias, coverage and information of ``contaminated`` next to ``clean`` (see the module
    docstring); both must be evaluations of one posterior on the same test points."""
    if clean.truth.shape != contaminated.truth.shape or not np.array_equal(
        clean.truth, contaminated.truth
    ):
        raise ValueError("robustness: the clean and contaminated evaluations differ in test points")
    z_clean, sigma_clean = _z(clean)
    z, sigma = _z(contaminated)
    names = clean.metrics["param_names"]
    params = {}
    for i, name in enumerate(names):
        shift = z[:, i] - z_clean[:, i]
        params[name] = {
            "bias_sigma_clean": float(z_clean[:, i].mean()),
            "bias_sigma_clean_se": _se(z_clean[:, i]),
            "bias_sigma": float(z[:, i].mean()),
            "bias_sigma_se": _se(z[:, i]),
            "shift_sigma": float(shift.mean()),
            "shift_sigma_se": _se(shift),
            "std_ratio": float(sigma[:, i].mean() / sigma_clean[:, i].mean()),
        }
    before, after = clean.metrics["coverage"], contaminated.metrics["coverage"]
    joint, joint_se = _joint_shift(clean, contaminated)
    return {
        "n_test": int(clean.truth.shape[0]),
        "params": params,
        "shift_joint_sigma": joint,
        "shift_joint_sigma_se": joint_se,
        "coverage_68_clean": before["coverage_68"],
        "coverage_68": after["coverage_68"],
        "coverage_68_change": after["coverage_68"] - before["coverage_68"],
        "coverage_95_change": after["coverage_95"] - before["coverage_95"],
        "coverage_error_clean": before["mean_abs_error"],
        "coverage_error": after["mean_abs_error"],
        "nll_clean": clean.metrics["nll"],
        "nll": contaminated.metrics["nll"],
        "log_fom_clean": clean.metrics["log_fom_mean"],
        "log_fom": contaminated.metrics["log_fom_mean"],
        "fom_kept": math.exp(contaminated.metrics["log_fom_mean"] - clean.metrics["log_fom_mean"]),
    }
