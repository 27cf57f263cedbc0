"""Diagnostic plots (PNG, matplotlib Agg): corner, coverage, TARP, predicted vs true."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from cosmossl._util.files import save_figure


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: Path) -> Path:
    return save_figure(fig, path, bbox_inches="tight")


def corner(
    samples: np.ndarray,
    truth: np.ndarray,
    names: Sequence[str],
    path: Path,
    low: np.ndarray | None = None,
    high: np.ndarray | None = None,
) -> Path:
    """Corner plot of ``samples [n, P]`` for one test point, with the truth ``[P]`` marked."""
    plt = _pyplot()
    p = samples.shape[1]
    fig, axes = plt.subplots(p, p, figsize=(2.2 * p + 0.5, 2.2 * p + 0.5), squeeze=False)
    ranges = []
    for i in range(p):
        # Include the truth, so a posterior that misses it still shows where it is.
        lo = min(float(samples[:, i].min()), float(truth[i]))
        hi = max(float(samples[:, i].max()), float(truth[i]))
        pad = 0.05 * (hi - lo or 1.0)
        ranges.append((lo - pad, hi + pad))
    for i in range(p):
        for j in range(p):
            ax = axes[i, j]
            if j > i:
                ax.axis("off")
                continue
            if i == j:
                ax.hist(samples[:, i], bins=40, range=ranges[i], color="C0", histtype="step")
                ax.axvline(truth[i], color="C3")
                ax.set_yticks([])
            else:
                ax.hist2d(
                    samples[:, j],
                    samples[:, i],
                    bins=40,
                    range=[ranges[j], ranges[i]],
                    cmap="Blues",
                )
                ax.plot(truth[j], truth[i], "o", color="C3", ms=4)
                ax.axvline(truth[j], color="C3", lw=0.7)
                ax.axhline(truth[i], color="C3", lw=0.7)
            if i == p - 1:
                ax.set_xlabel(names[j])
            if j == 0 and i > 0:
                ax.set_ylabel(names[i])
    fig.suptitle("posterior (truth in red)")
    return _save(fig, path)


def coverage_curve(coverage: dict[str, Any], path: Path) -> Path:
    """Expected coverage of highest-density regions against credibility level."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(4, 4))
    ax.plot([0, 1], [0, 1], "k--", lw=1, label="calibrated")
    ax.plot(coverage["alpha"], coverage["coverage"], color="C0", label="posterior")
    ax.set_xlabel("credibility level")
    ax.set_ylabel("expected coverage (HPD)")
    ax.set_title(f"mean |error| {coverage['mean_abs_error']:.3f}")
    ax.legend(loc="upper left")
    return _save(fig, path)


def tarp_curve(tarp: dict[str, Any], path: Path) -> Path:
    """TARP expected coverage probability with bootstrap bands."""
    plt = _pyplot()
    alpha = np.asarray(tarp["alpha"])
    fig, ax = plt.subplots(figsize=(4, 4))
    ax.fill_between(alpha, *tarp["band_95"], color="C0", alpha=0.15, label="95% band")
    ax.fill_between(alpha, *tarp["band_68"], color="C0", alpha=0.3, label="68% band")
    ax.plot(alpha, tarp["ecp"], color="C0", label="TARP ECP")
    ax.plot([0, 1], [0, 1], "k--", lw=1)
    ax.set_xlabel("credibility level")
    ax.set_ylabel("expected coverage (TARP)")
    ax.set_title(f"ATC {tarp['atc']:+.3f}, KS p = {tarp['ks_pvalue']:.2g}")
    ax.legend(loc="upper left")
    return _save(fig, path)


def predicted_vs_true(
    samples: np.ndarray, truth: np.ndarray, names: Sequence[str], path: Path
) -> Path:
    """Posterior mean ± std against the truth, one panel per parameter."""
    plt = _pyplot()
    p = truth.shape[1]
    mean, std = samples.mean(0), samples.std(0)
    fig, axes = plt.subplots(1, p, figsize=(3.8 * p, 3.5), squeeze=False, layout="constrained")
    for k, ax in enumerate(axes[0]):
        lo, hi = float(truth[:, k].min()), float(truth[:, k].max())
        ax.plot([lo, hi], [lo, hi], "k--", lw=1)
        ax.errorbar(
            truth[:, k], mean[:, k], yerr=std[:, k], fmt=".", ms=3, elinewidth=0.6, alpha=0.7
        )
        ax.set_xlabel(f"true {names[k]}")
        ax.set_ylabel(f"posterior mean {names[k]}")
    return _save(fig, path)
