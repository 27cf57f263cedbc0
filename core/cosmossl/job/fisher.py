"""The information check of a run file: every summary's Fisher matrix against the limit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cosmossl.components.dataset import Simulator
from cosmossl.config.run_file import RunConfig
from cosmossl.config.settings import FisherSettings
from cosmossl.information.check import information
from cosmossl.job.run_dir import ENCODER
from cosmossl.summaries.compress import check_maps_fit
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
        encoder, standardizer, ckpt = load_encoder(checkpoint)
        trained_on = (ckpt.state.get("encoder") or {}).get("input_shape")
        if trained_on is not None:
            check_maps_fit(simulator.meta.shape, trained_on, f"checkpoint '{ckpt.path}'",
                           f"the [dataset] of '{config.source}'")  # fmt: skip
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
