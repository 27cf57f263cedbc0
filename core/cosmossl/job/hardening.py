"""Nuisance hardening of a run's summaries: the ``harden-<label>`` stages of the main job.

With ``[hardening] nuisance = [...]`` every summary of the run (the trained encoder, each
statistic) is hardened against those nuisance parameters of the simulator
(:mod:`cosmossl.information.hardening`, Alsing & Wandelt 2019): simulations at the fiducial
point give the summary's mean, covariance and derivatives in θ and in the nuisance parameters,
and the fitted linear map turns every summary into its hardened twin ``<label>-hardened``
(estimates of θ, one column per parameter), which the main job infers from and judges for
robustness like any other summary.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from cosmossl._util.seeds import derive_seed
from cosmossl.components.meta import MapMeta
from cosmossl.config.run_file import ComponentSpec, RunConfig
from cosmossl.data.summaries import Summaries
from cosmossl.errors import DataError
from cosmossl.information.hardening import (
    HARDENING_STREAM,
    NuisanceHardening,
    fit_hardening,
    simulate_with_nuisance,
)
from cosmossl.plugin.factory import create
from cosmossl.summaries.summarize import encoder_summary, numpy_summarizer
from cosmossl.training.checkpoint import load_encoder


def summary_function(
    config: RunConfig, spec: ComponentSpec, checkpoint: Path | None, meta: MapMeta
) -> Callable[[np.ndarray], np.ndarray]:
    """The summary of the trained encoder of ``checkpoint`` (when given) or of the statistic
    ``spec``, as a function of numpy maps ``[B, C, H, W]`` → ``[B, D]``."""
    device = config.settings.device
    if checkpoint is not None and spec.kind == "encoder":
        encoder, standardizer, _ = load_encoder(checkpoint)
        return numpy_summarizer(encoder_summary(encoder, standardizer, device), device=device)
    statistic = create("statistic", spec.type, spec.params, meta=meta)
    return numpy_summarizer(statistic, device="cpu")


def fit_run_hardening(
    config: RunConfig,
    simulator: Any,
    label: str,
    spec: ComponentSpec,
    *,
    checkpoint: Path | None,
    meta: MapMeta,
) -> NuisanceHardening:
    """The hardening of the summaries ``label`` (made by the encoder of ``checkpoint`` or the
    statistic ``spec``) with the run's ``[hardening]`` settings, from simulations seeded by the
    run seed."""
    options = config.settings.hardening
    summarize = summary_function(config, spec, checkpoint, meta)
    fid, derivatives, _ = simulate_with_nuisance(
        simulator,
        summarize,
        options.nuisance,
        n_fiducial=options.n_fiducial,
        n_derivative=options.n_derivative,
        step=options.step,
        nuisance_step=options.nuisance_step,
        seed=derive_seed(config.settings.seed, HARDENING_STREAM),
        anchors=[[anchor[name] for name in options.nuisance] for anchor in options.anchors],
    )
    if not (np.isfinite(fid).all() and np.isfinite(derivatives).all()):
        raise DataError(
            f"nuisance hardening: the '{label}' summaries of maps simulated around the fiducial "
            "point hold NaN or inf values (for a trained encoder, the training may have diverged)"
        )
    return fit_hardening(fid, derivatives, simulator.fiducial, tuple(simulator.param_names),
                         options.nuisance)  # fmt: skip


def harden_summaries(s: Summaries, hardening: NuisanceHardening, label: str) -> Summaries:
    """The hardened twin of the summaries ``s`` (made by ``label``): the same rows, each
    summary replaced by its hardened estimate of θ."""
    made = {
        "of": label,
        "nuisance": list(hardening.nuisance_names),
        "method": hardening.to_dict()["method"],
    }
    provenance = {**s.provenance, "hardening": made}
    return dataclasses.replace(s, summaries=hardening(s.summaries), provenance=provenance)
