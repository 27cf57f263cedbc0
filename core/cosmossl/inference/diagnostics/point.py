"""Point metrics of the posterior: test NLL, width, figure of merit, bias, RMSE, R².

- NLL = −mean_b log q(θ*_b|x_b) over finite values; the count of −∞ (truth outside the support)
  is reported separately.
- Posterior std per parameter, averaged over test points.
- Figure of merit FoM_b = det(Cov_b)^(−1/2) of the samples of test point b.
- Bias in units of σ: mean_b[(mean_b − θ*_b)/std_b] (and its RMS, ``rms_z``).
- RMSE and R² = 1 − Σ(mean − θ*)²/Σ(θ* − mean(θ*))² of the posterior mean.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def point_metrics(
    samples: np.ndarray, truth: np.ndarray, lp_truth: np.ndarray, names: tuple[str, ...]
) -> dict[str, Any]:
    """NLL, posterior std, figure of merit, bias/σ, RMSE and R² (per parameter) from
    ``samples [n, B, P]``, ``truth [B, P]`` and ``lp_truth [B]`` = log q(θ*_b | x_b)."""
    mean = samples.mean(0)  # [B, P]
    std = samples.std(0, ddof=1)
    centred = samples - mean[None]
    cov = np.einsum("nbi,nbj->bij", centred, centred) / max(samples.shape[0] - 1, 1)
    sign, logdet = np.linalg.slogdet(cov)
    log_fom = np.where(sign > 0, -0.5 * logdet, np.nan)
    finite = np.isfinite(lp_truth)
    resid = mean - truth
    sst = ((truth - truth.mean(0)) ** 2).sum(0)
    per_param = {}
    for p, name in enumerate(names):
        per_param[name] = {
            "posterior_std": float(std[:, p].mean()),
            "bias_sigma": float((resid[:, p] / std[:, p]).mean()),
            "rms_z": float(np.sqrt(((resid[:, p] / std[:, p]) ** 2).mean())),
            "rmse": float(np.sqrt((resid[:, p] ** 2).mean())),
            "r2": float(1.0 - (resid[:, p] ** 2).sum() / sst[p]) if sst[p] > 0 else math.nan,
        }
    return {
        "nll": float(-lp_truth[finite].mean()) if finite.any() else math.inf,
        "nll_infinite": int((~finite).sum()),
        "fom_mean": float(np.nanmean(np.exp(log_fom))),
        "fom_median": float(np.nanmedian(np.exp(log_fom))),
        "log_fom_mean": float(np.nanmean(log_fom)),
        "params": per_param,
    }
