"""Robustness: one posterior judged on clean and on contaminated versions of the same test points.

The two evaluations share the test points (same truths, same maps before the contamination), so
the difference is the contamination's effect alone. Per parameter, with z = (posterior mean −
truth) / posterior σ of each test point:

- ``bias_sigma_clean``, ``bias_sigma``: mean z on clean and contaminated inputs, with the standard
  error of the latter (``bias_sigma_se``);
- ``shift_sigma``: the paired mean of z_contaminated − z_clean ± its standard error: the bias the
  contamination causes, free of the clean bias and with much less noise;
- ``std_ratio``: mean posterior σ contaminated / clean.

Overall: the change of the 68% and 95% highest-density coverage and of its mean absolute error,
the NLL on both, and ``fom_kept`` = exp(mean log FoM contaminated − clean): the posterior
figure of merit left (1: as tight as on clean maps; < 1: wider).
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
    return {
        "n_test": int(clean.truth.shape[0]),
        "params": params,
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
