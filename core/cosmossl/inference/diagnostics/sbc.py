"""Simulation-based calibration ranks (Talts et al. 2018, arXiv:1804.06788).

rank_bp = #{i: θ_ibp < θ*_bp}, the rank of the truth among the n samples of test point b for
parameter p; for a calibrated posterior the ranks are uniform on {0, …, n}. Uniformity is tested
per parameter with a KS test on (rank + 0.5)/(n + 1). Unlike the ATC, a bias shows up here.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import stats


def sbc(samples: np.ndarray, truth: np.ndarray, names: tuple[str, ...]) -> dict[str, Any]:
    """SBC ranks ``[B, P]`` of ``truth [B, P]`` among ``samples [n, B, P]``, KS per parameter."""
    n = samples.shape[0]
    ranks = (samples < truth[None]).sum(0)  # [B, P]
    out: dict[str, Any] = {"n_samples": n, "ranks": ranks.tolist(), "ks": {}}
    for p, name in enumerate(names):
        ks = stats.kstest((ranks[:, p] + 0.5) / (n + 1), "uniform")
        out["ks"][name] = {"statistic": float(ks.statistic), "pvalue": float(ks.pvalue)}
    return out
