"""Expected coverage of highest-posterior-density (HPD) regions.

For test point b, the credibility of the truth is the fraction of posterior samples with a
*higher* density than the truth, c_b = mean_i[log q(θ_i|x_b) > log q(θ*_b|x_b)]. The truth lies
in the level-α highest-density region iff c_b < α, so the coverage curve is
C(α) = mean_b[c_b < α]; a calibrated posterior has C(α) = α, an over-confident one lies below
the diagonal, an under-confident one above.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cosmossl.inference.diagnostics.levels import GRID, coverage_curve


def hpd_coverage(lp_samples: np.ndarray, lp_truth: np.ndarray) -> dict[str, Any]:
    """Coverage curve from ``lp_samples [n, B]`` and ``lp_truth [B]`` (log densities)."""
    credibility = (lp_samples > lp_truth[None]).mean(0)  # [B]
    curve = coverage_curve(credibility)
    error = curve - GRID
    return {
        "alpha": GRID.tolist(),
        "coverage": curve.tolist(),
        "max_abs_error": float(np.abs(error).max()),
        "mean_abs_error": float(np.abs(error).mean()),
        "coverage_68": float((credibility < 0.6827).mean()),
        "coverage_95": float((credibility < 0.9545).mean()),
    }
