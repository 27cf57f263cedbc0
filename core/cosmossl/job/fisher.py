"""The information check of a run file: every summary's Fisher matrix against the limit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cosmossl.components.dataset import Simulator
from cosmossl.config.run_file import RunConfig
from cosmossl.config.settings import FisherSettings
from cosmossl.information.check import information
from cosmossl.job.run_dir import ENCODER
from cosmossl.summaries.summarize import encoder_summary, numpy_summarizer
from cosmossl.training.checkpoint import load_encoder


def check_information(
    config: RunConfig,
    simulator: Simulator,
    *,
    checkpoint: str | Path | None = None,
    statistics: dict[str, Any] | None = None,
    options: FisherSettings | None = None,
) -> dict[str, Any]:
    """:func:`cosmossl.information.check.information` for a run: the encoder of ``checkpoint``
    (labelled ``"encoder"``) and each built statistic of ``statistics`` (label → component),
    with the run's ``[fisher]`` settings unless ``options`` are given, and the run seed."""
    options = options or config.settings.fisher
    device = config.settings.device
    summarizers = {}
    if checkpoint is not None:
        encoder, standardizer, _ = load_encoder(checkpoint)
        summary = encoder_summary(encoder, standardizer, device)
        summarizers[ENCODER] = numpy_summarizer(summary, device=device)
    for label, statistic in (statistics or {}).items():
        summarizers[label] = numpy_summarizer(statistic, device="cpu")
    return information(
        simulator,
        summarizers,
        n_fiducial=options.n_fiducial,
        n_derivative=options.n_derivative,
        step=options.step,
        seed=config.settings.seed,
    )
