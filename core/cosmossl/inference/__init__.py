"""Simulation-based inference on summaries: prior, split, fit, posteriors, sampling, diagnostics.

Everything here is shared by all backends, so they are judged identically: the box prior,
the split by cosmology group, :func:`fit` (validation, standardisation fitted on training
rows, seeding), posterior save/load, the diagnostics
(:mod:`cosmossl.inference.diagnostics`), and the truncated prior of sequential rounds
(:class:`TruncatedPrior`, :mod:`cosmossl.inference.sequential`). This module is the public
surface backend plugins import from. Names resolve lazily (most import torch).

Example::

    import cosmossl
    from cosmossl.inference import fit
    posterior = fit(cosmossl.create("backend", "lampe"), (theta, x), (theta_val, x_val), prior)
    samples = posterior.sample_batched(x_test, 1000, seed=0)  # [1000, B, P]
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cosmossl._util.lazy import lazy_attributes

_LAZY: dict[str, str] = {
    "BoxPrior": "cosmossl.inference.prior",
    # the diagnostics, one function each (evaluate runs them all)
    "Evaluation": "cosmossl.inference.diagnostics",
    "GRID": "cosmossl.inference.diagnostics",
    "hpd_coverage": "cosmossl.inference.diagnostics",
    "point_metrics": "cosmossl.inference.diagnostics",
    "robustness_metrics": "cosmossl.inference.diagnostics",
    "sbc": "cosmossl.inference.diagnostics",
    "tarp": "cosmossl.inference.diagnostics",
    # surveys: N maps of one cosmology, summarised by their mean summary
    "draw_surveys": "cosmossl.inference.surveys",
    "survey_mean": "cosmossl.inference.surveys",
    # figures
    "triangle": "cosmossl.inference.plots",
    "getdist_notes": "cosmossl.inference.plots",
    "FitData": "cosmossl.inference.posterior",
    "FitProgress": "cosmossl.inference.progress",
    "InferenceSplit": "cosmossl.inference.split",
    "LinearGaussian": "cosmossl.inference.simulators.linear_gaussian",
    "Posterior": "cosmossl.inference.posterior",
    "SamplerStats": "cosmossl.inference.sampling",
    "SavedPosterior": "cosmossl.inference.posterior",
    "ThetaTransform": "cosmossl.inference.theta",
    "TruncatedPrior": "cosmossl.inference.truncation",
    "TruncationStats": "cosmossl.inference.truncation",
    "evaluate": "cosmossl.inference.diagnostics",
    "fit": "cosmossl.inference.fitting",
    "inference_split": "cosmossl.inference.split",
    "load_posterior": "cosmossl.inference.posterior",
    "read_posterior": "cosmossl.inference.posterior",
    "sample_prior_ratio": "cosmossl.inference.sampling",
    "write_metrics": "cosmossl.inference.diagnostics",
    "DistanceReference": "cosmossl.inference.ood",
    "ProductSamples": "cosmossl.inference.combine",
    "check_distribution": "cosmossl.inference.ood",
    "metropolis": "cosmossl.inference.sampling",
    "sample_product": "cosmossl.inference.combine",
    "product_log_prob": "cosmossl.inference.combine",
    "write_chains": "cosmossl.inference.chains",
}

__all__ = sorted(_LAZY)


__getattr__, __dir__ = lazy_attributes(__name__, _LAZY)


if TYPE_CHECKING:
    from cosmossl.inference.chains import write_chains
    from cosmossl.inference.combine import ProductSamples, product_log_prob, sample_product
    from cosmossl.inference.diagnostics import (
        GRID,
        Evaluation,
        evaluate,
        hpd_coverage,
        point_metrics,
        robustness_metrics,
        sbc,
        tarp,
        write_metrics,
    )
    from cosmossl.inference.fitting import fit
    from cosmossl.inference.ood import DistanceReference, check_distribution
    from cosmossl.inference.plots import getdist_notes, triangle
    from cosmossl.inference.posterior import (
        FitData,
        Posterior,
        SavedPosterior,
        load_posterior,
        read_posterior,
    )
    from cosmossl.inference.prior import BoxPrior
    from cosmossl.inference.progress import FitProgress
    from cosmossl.inference.sampling import SamplerStats, metropolis, sample_prior_ratio
    from cosmossl.inference.simulators.linear_gaussian import LinearGaussian
    from cosmossl.inference.split import InferenceSplit, inference_split
    from cosmossl.inference.surveys import draw_surveys, survey_mean
    from cosmossl.inference.theta import ThetaTransform
    from cosmossl.inference.truncation import TruncatedPrior, TruncationStats
