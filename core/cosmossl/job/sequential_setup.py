"""What sequential rounds take from a trained run: simulator, summary, backend, rows, prior.

:func:`setup_from_run` reads them from a run directory and refuses, before any work, a run
whose dataset cannot simulate maps on demand (rounds need new maps near the observation).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from cosmossl._util.devices import resolve_device
from cosmossl.components.dataset import TrainingSimulator
from cosmossl.config.run_file import RunConfig
from cosmossl.data.summaries import read_summaries
from cosmossl.errors import ConfigError, DataError
from cosmossl.inference.posterior import load_posterior
from cosmossl.inference.prior import BoxPrior
from cosmossl.inference.surveys import survey_mean
from cosmossl.job import run_dir as layout
from cosmossl.job.infer import survey_rows
from cosmossl.job.plan import build_dataset
from cosmossl.job.run_dir import RunDirectory, run_directory
from cosmossl.job.sequential import SequentialSetup
from cosmossl.plugin.factory import create
from cosmossl.plugin.provenance import code_identity
from cosmossl.summaries.summarize import encoder_summary, numpy_summarizer
from cosmossl.training.checkpoint import load_encoder

log = logging.getLogger("cosmossl.sequential")

#: What the refusal of a dataset that cannot simulate says the rounds need.
NEEDS_SIMULATOR = (
    "sequential rounds (--rounds) simulate new maps near the observation, so the run's dataset "
    "must simulate on demand (a TrainingSimulator, such as the built-in 'lognormal')"
)


def require_simulator(dataset: Any, name: str) -> TrainingSimulator:
    """``dataset`` if it can simulate maps on demand, else a :class:`ConfigError` naming it."""
    if not isinstance(dataset, TrainingSimulator):
        raise ConfigError(
            f"{NEEDS_SIMULATOR}; this run's dataset '{name}' loads stored maps and cannot. "
            "Use the amortised posterior (leave out --rounds)"
        )
    return dataset


def setup_from_run(
    config: RunConfig,
    *,
    run_dir: str | Path | None = None,
    summary: str = layout.ENCODER,
    survey_size: int = 1,
    registry: Any = None,
) -> SequentialSetup:
    """The rounds' inputs from the run of ``config`` (in ``run_dir``, default the run file's).

    ``summary`` is ``"encoder"`` (the trained encoder's best checkpoint) or the run's statistic;
    ``survey_size`` N the maps per observation. The run's posterior for ``summary`` starts the
    rounds when the run was fitted for surveys of N maps; otherwise round 0 is fitted first (see
    :mod:`cosmossl.job.sequential`).
    """
    spec = config.require("dataset", "sequential rounds", 'type = "lognormal"')
    simulator = require_simulator(build_dataset(config, "sequential rounds"), spec.type)
    backend = config.require("backend", "sequential rounds", 'type = "sbi"')
    settings = config.settings
    device = str(resolve_device(settings.device))
    directory = RunDirectory(run_directory(config, run_dir))
    s = read_summaries(directory.path(layout.summaries(summary)))
    summarize = _summarizer(config, directory, summary, simulator, registry)
    base_train = base_val = None
    try:
        rows = survey_rows(config, s, survey_size)
        base_train = (s.params[rows.train[:, 0]], survey_mean(s.summaries, rows.train))
        base_val = (s.params[rows.val[:, 0]], survey_mean(s.summaries, rows.val))
    except DataError as exc:
        log.info("the run's rows give no surveys of %d maps (%s): round 0 simulates from the "
                 "prior", survey_size, exc)  # fmt: skip
    start = None
    if survey_size == settings.inference.survey_size:
        start = load_posterior(
            directory.path(layout.inference(summary), layout.POSTERIOR),
            device=device,
            registry=registry,
        )
    stages = ("data", "train", f"compress-{summary}", f"infer-{summary}")
    identity = {
        "stages": {stage: directory.key(stage) for stage in stages},
        "dataset": spec.to_table(),
        "backend": backend.to_table(),
        "summary": summary,
        "code": [code_identity(c.kind, c.type) for c in (spec, backend)],
    }
    return SequentialSetup(
        prior=BoxPrior.from_ranges(s.priors, s.param_names, device=device),
        param_labels=dict(s.param_labels),
        simulator=simulator,
        summarize=summarize,
        backend=backend,
        survey_size=survey_size,
        start=start,
        base_train=base_train,
        base_val=base_val,
        identity=identity,
        nuisance_names=tuple(s.nuisance_names),
        seed=settings.seed,
        device=device,
        registry=registry,
    )


def _summarizer(
    config: RunConfig, directory: RunDirectory, summary: str, simulator: Any, registry: Any
) -> Any:
    """The run's summary ``summary`` as a function of numpy maps (see
    :func:`cosmossl.summaries.numpy_summarizer`)."""
    device = config.settings.device
    if summary == layout.ENCODER:
        encoder, standardizer, _ = load_encoder(
            directory.path(layout.BEST_CHECKPOINT), registry=registry
        )
        return numpy_summarizer(encoder_summary(encoder, standardizer, device), device=device)
    spec = config.component("statistic")
    if spec is None or spec.type != summary:
        known = [layout.ENCODER] + ([spec.type] if spec else [])
        raise ConfigError(f"the run has no summary '{summary}' (it has: {', '.join(known)})")
    statistic = create("statistic", spec.type, spec.params, meta=simulator.meta, registry=registry)
    return numpy_summarizer(statistic, device="cpu")
