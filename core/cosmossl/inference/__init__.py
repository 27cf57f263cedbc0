"""Simulation-based inference on summaries: prior, split, posteriors, sampling, diagnostics.

Everything here is shared by all backends, so they are judged identically: the box prior,
the split by cosmology group, the standardisation fitted on training rows, posterior save/load,
and the diagnostics (:mod:`cosmossl.inference.diagnostics`). Names resolve lazily, so the
run-file settings (:class:`InferenceSettings`) import no torch.

Example::

    from cosmossl.inference import infer
    result = infer("examples/quickstart.toml")
    print(result.metrics["nll"], result.metrics["coverage"]["mean_abs_error"])
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cosmossl._util.lazy import lazy_attributes

_LAZY: dict[str, str] = {
    "BoxPrior": "cosmossl.inference.prior",
    "FitData": "cosmossl.inference.posterior",
    "InferenceResult": "cosmossl.inference.api",
    "InferenceSettings": "cosmossl.config.inference",
    "InferenceSplit": "cosmossl.inference.split",
    "LinearGaussian": "cosmossl.inference.simulators.linear_gaussian",
    "Posterior": "cosmossl.inference.posterior",
    "SamplerStats": "cosmossl.inference.sampling",
    "SavedPosterior": "cosmossl.inference.posterior",
    "Standardizer": "cosmossl.inference.standardize",
    "ThetaTransform": "cosmossl.inference.theta",
    "evaluate": "cosmossl.inference.diagnostics",
    "infer": "cosmossl.inference.api",
    "inference_split": "cosmossl.inference.split",
    "load_posterior": "cosmossl.inference.posterior",
    "read_posterior": "cosmossl.inference.posterior",
    "sample_prior_ratio": "cosmossl.inference.sampling",
}

__all__ = [
    "BoxPrior",
    "FitData",
    "InferenceResult",
    "InferenceSettings",
    "InferenceSplit",
    "LinearGaussian",
    "Posterior",
    "SamplerStats",
    "SavedPosterior",
    "Standardizer",
    "ThetaTransform",
    "evaluate",
    "infer",
    "inference_split",
    "load_posterior",
    "read_posterior",
    "sample_prior_ratio",
]


__getattr__, __dir__ = lazy_attributes(__name__, _LAZY)


if TYPE_CHECKING:
    from cosmossl.config.inference import InferenceSettings
    from cosmossl.inference.api import InferenceResult, infer
    from cosmossl.inference.diagnostics import evaluate
    from cosmossl.inference.posterior import (
        FitData,
        Posterior,
        SavedPosterior,
        load_posterior,
        read_posterior,
    )
    from cosmossl.inference.prior import BoxPrior
    from cosmossl.inference.sampling import SamplerStats, sample_prior_ratio
    from cosmossl.inference.simulators.linear_gaussian import LinearGaussian
    from cosmossl.inference.split import InferenceSplit, inference_split
    from cosmossl.inference.standardize import Standardizer
    from cosmossl.inference.theta import ThetaTransform
