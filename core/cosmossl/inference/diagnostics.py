"""Posterior diagnostics computed by cosmossl, identically for every backend.

All functions are vectorised over test points. Conventions (B test points, n samples each,
P parameters):

- **HPD expected coverage.** For test point b, the credibility of the truth is the fraction of
  posterior samples with a *higher* density than the truth, c_b = mean_i[log q(θ_i|x_b) >
  log q(θ*_b|x_b)]. The truth lies in the level-α highest-density region iff c_b < α, so the
  coverage curve is C(α) = mean_b[c_b < α]; a calibrated posterior has C(α) = α.
- **TARP** (Lemos et al. 2023, arXiv:2302.03026). Parameters are rescaled to the unit box of
  the prior; one reference point θ_r ~ U(box) per test point; f_b = mean_i[‖θ_i − θ_r‖ <
  ‖θ*_b − θ_r‖]; ECP(α) = mean_b[f_b < α] on a fixed grid of [0, 1]. ATC is the signed area
  ∫(ECP(α) − α)dα (> 0: under-confident, < 0: over-confident, or biased); the KS test compares
  the f_b with U(0, 1); bands are percentiles of ECP over bootstrap resamples of test points.
- **SBC ranks** (Talts et al. 2018, arXiv:1804.06788): rank_bp = #{i: θ_ibp < θ*_bp}, tested
  for uniformity per parameter with a KS test on (rank + 0.5)/(n + 1).
- **Point metrics.** NLL = −mean_b log q(θ*_b|x_b) (finite values; the count of −∞ is reported);
  posterior std per parameter; figure of merit FoM_b = det(Cov_b)^(−1/2); bias in units of σ
  mean_b[(mean_b − θ*_b)/std_b]; RMSE and R² = 1 − Σ(mean − θ*)²/Σ(θ* − mean(θ*))² of the
  posterior mean.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from scipy import stats

from cosmossl._util.files import write_text

#: Credibility levels of the coverage and TARP curves.
GRID = np.linspace(0.0, 1.0, 101)


def hpd_coverage(lp_samples: np.ndarray, lp_truth: np.ndarray) -> dict[str, Any]:
    """Coverage curve from ``lp_samples [n, B]`` and ``lp_truth [B]`` (log densities)."""
    credibility = (lp_samples > lp_truth[None]).mean(0)  # [B]
    curve = (credibility[None] < GRID[:, None]).mean(1)
    error = curve - GRID
    return {
        "alpha": GRID.tolist(),
        "coverage": curve.tolist(),
        "max_abs_error": float(np.abs(error).max()),
        "mean_abs_error": float(np.abs(error).mean()),
        "coverage_68": float((credibility < 0.6827).mean()),
        "coverage_95": float((credibility < 0.9545).mean()),
    }


def tarp(
    samples: np.ndarray,
    truth: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    *,
    seed: int = 0,
    n_bootstrap: int = 200,
) -> dict[str, Any]:
    """TARP expected coverage of ``samples [n, B, P]`` for ``truth [B, P]`` in the box."""
    rng = np.random.default_rng(seed)
    scale = high - low
    s = (samples - low) / scale
    t = (truth - low) / scale
    ref = rng.uniform(size=t.shape)
    d_samples = np.linalg.norm(s - ref[None], axis=-1)  # [n, B]
    d_truth = np.linalg.norm(t - ref, axis=-1)  # [B]
    f = (d_samples < d_truth[None]).mean(0)  # [B]
    ecp = _ecp(f)
    boot = np.stack([_ecp(f[rng.integers(0, len(f), len(f))]) for _ in range(n_bootstrap)])
    ks = stats.kstest(f, "uniform")
    return {
        "alpha": GRID.tolist(),
        "ecp": ecp.tolist(),
        "band_68": np.percentile(boot, [16, 84], axis=0).tolist(),
        "band_95": np.percentile(boot, [2.5, 97.5], axis=0).tolist(),
        "atc": float(np.trapezoid(ecp - GRID, GRID)),
        "abs_area": float(np.trapezoid(np.abs(ecp - GRID), GRID)),
        "ks_statistic": float(ks.statistic),
        "ks_pvalue": float(ks.pvalue),
    }


def _ecp(f: np.ndarray) -> np.ndarray:
    return (f[None] < GRID[:, None]).mean(1)


def sbc(samples: np.ndarray, truth: np.ndarray, names: tuple[str, ...]) -> dict[str, Any]:
    """SBC ranks ``[B, P]`` of the truth among the samples, with a KS test per parameter."""
    n = samples.shape[0]
    ranks = (samples < truth[None]).sum(0)  # [B, P]
    out: dict[str, Any] = {"n_samples": n, "ranks": ranks.tolist(), "ks": {}}
    for p, name in enumerate(names):
        ks = stats.kstest((ranks[:, p] + 0.5) / (n + 1), "uniform")
        out["ks"][name] = {"statistic": float(ks.statistic), "pvalue": float(ks.pvalue)}
    return out


def point_metrics(
    samples: np.ndarray, truth: np.ndarray, lp_truth: np.ndarray, names: tuple[str, ...]
) -> dict[str, Any]:
    """NLL, posterior std, figure of merit, bias/σ, RMSE and R² (per parameter)."""
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


@dataclass
class Evaluation:
    """Diagnostics of one posterior on a test set: JSON-ready ``metrics`` plus the samples."""

    metrics: dict[str, Any]
    samples: np.ndarray  # [n, B, P]
    truth: np.ndarray  # [B, P]


def evaluate(
    posterior: Any,
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
    samples_t = posterior.sample(x_t, n_samples, seed=seed)
    lp_samples = posterior.log_prob_many(samples_t, x_t).cpu().double().numpy()
    lp_truth = posterior.log_prob(theta_t, x_t).cpu().double().numpy()
    samples = samples_t.cpu().double().numpy()
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


def write_metrics(path: str | Path, metrics: dict[str, Any]) -> Path:
    """Write ``metrics`` as JSON atomically (temporary file, then rename)."""
    path = Path(path)
    write_text(path, json.dumps(metrics, indent=2, allow_nan=True))
    return path
