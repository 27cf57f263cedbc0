"""The information check: Fisher matrices of summaries against the simulator's analytic limit.

For each summary (a trained encoder, a statistic) the Fisher matrix comes from seed-matched
simulations (:func:`cosmossl.information.fisher.simulate_summaries`, then
:func:`~cosmossl.information.fisher.estimate_fisher`); the figure-of-merit fraction
``sqrt(det F / det F_limit)`` and the Cramér–Rao σ's say how much of the field's information the
summary keeps.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from cosmossl.components.dataset import Simulator
from cosmossl.errors import CosmosslError
from cosmossl.information import fisher

log = logging.getLogger(__name__)

#: A summary as a function of numpy maps ``[B, C, H, W]`` → ``[B, D]`` (see
#: :func:`cosmossl.summaries.numpy_summarizer`).
Summarize = Callable[[np.ndarray], np.ndarray]


def fisher_entry(matrix: np.ndarray, limit: np.ndarray | None) -> dict[str, Any]:
    """Fisher matrix, Cramér–Rao σ's and, against ``limit``, the FoM fraction and σ ratios."""
    sigma = fisher.cramer_rao(matrix)
    entry: dict[str, Any] = {"fisher": matrix.tolist(), "sigma": sigma.tolist()}
    if limit is not None:
        entry["fom_fraction"] = fisher.fom_fraction(matrix, limit)
        entry["sigma_ratio"] = (sigma / fisher.cramer_rao(limit)).tolist()
    return entry


def information(
    simulator: Simulator,
    summarizers: Mapping[str, Summarize],
    *,
    n_fiducial: int = 500,
    n_derivative: int = 250,
    step: float = 0.005,
    seed: int = 0,
    stencil: int = 5,
) -> dict[str, Any]:
    """The analytic limit and each summary's Fisher matrix at the simulator's fiducial point.

    Returns ``{"param_names", "fiducial", "delta", "n_fiducial", "n_derivative", "estimator",
    "limit": {fisher, sigma}, "summaries": {label: {fisher, sigma, fom_fraction, sigma_ratio,
    fom_fraction_interval, noise_share, "raw": {fisher, sigma, fom_fraction, sigma_ratio},
    "noise_bias"}}
    "simulator": {what: how}}``, the last only for a simulator with a ``describe()`` method.
    The reported ``fisher`` is the noise-debiased estimate
    (:func:`cosmossl.information.fisher.estimate_fisher`); ``raw`` is the plain plug-in estimate,
    biased high by ``noise_bias``. Derivatives use the 5-point stencil by default
    (``stencil=3`` for plain central differences); ``fom_fraction_interval`` is the 68%
    jackknife interval of the debiased FoM fraction (it contains the estimate). ``noise_share``
    is tr(F̂⁻¹ B̂) (:attr:`~cosmossl.information.fisher.FisherEstimate.noise_share`); above
    :data:`~cosmossl.information.fisher.NOISE_SHARE_LIMIT` a warning says that the estimate
    needs more derivative simulations.
    """
    theta = np.asarray(simulator.fiducial, dtype=np.float64)
    delta = step * np.abs(theta)
    limit = np.asarray(simulator.fisher_limit(theta), dtype=np.float64)
    result: dict[str, Any] = {
        "param_names": list(simulator.param_names),
        "fiducial": theta.tolist(),
        "delta": delta.tolist(),
        "n_fiducial": n_fiducial,
        "n_derivative": n_derivative,
        "estimator": "debiased",
        "stencil": stencil,
        "limit": fisher_entry(limit, None),
        "summaries": {},
    }
    describe = getattr(simulator, "describe", None)
    if callable(describe):
        result["simulator"] = {str(k): str(v) for k, v in describe().items()}
    for label, summarize in summarizers.items():
        fid, derivatives = fisher.simulate_summaries(
            simulator.simulate, summarize, theta, delta,
            n_fiducial=n_fiducial, n_derivative=n_derivative, seed=seed, stencil=stencil,
        )  # fmt: skip
        if not (np.isfinite(fid).all() and np.isfinite(derivatives).all()):
            raise CosmosslError(
                f"the '{label}' summaries of maps simulated around the fiducial point hold NaN or "
                "inf values: no Fisher matrix is computed over them (for a trained encoder, the "
                "training may have diverged)"
            )
        estimate = fisher.estimate_fisher(fid, derivatives)
        entry = fisher_entry(estimate.fisher, limit)
        entry["fom_fraction_interval"] = list(
            fisher.fom_fraction_interval(fid, derivatives, limit, seed=seed)
        )
        entry["noise_share"] = estimate.noise_share
        entry["raw"] = fisher_entry(estimate.raw, limit)
        entry["noise_bias"] = estimate.noise_bias.tolist()
        if (note := noise_warning(label, entry, n_derivative)) is not None:
            log.warning(note)
        result["summaries"][label] = entry
    return result


def noise_warning(label: str, entry: Mapping[str, Any], n_derivative: int) -> str | None:
    """What to say when the derivative noise of ``entry``'s estimate is too large (else None)."""
    share = entry.get("noise_share")
    if share is None or share <= fisher.NOISE_SHARE_LIMIT:
        return None
    return (
        f"'{label}': derivative noise is {share:.2f} of its Fisher estimate (tr(F⁻¹B) above "
        f"{fisher.NOISE_SHARE_LIMIT}); its FoM fraction and interval are unreliable: raise "
        f"[fisher] n_derivative (now {n_derivative})"
    )
