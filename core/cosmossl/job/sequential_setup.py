"""What sequential rounds take from a finished run: simulator, summary, backend, rows, prior.

:func:`sequential_setup` reads them from a :class:`~cosmossl.job.trained_run.TrainedRun`
(``cosmossl.load_run(run_dir)``) and refuses, before anything else is read, a run whose dataset
cannot simulate maps on demand: rounds need new maps near the observation.

- the simulator: the dataset table the encoder was trained with (its checkpoint records it);
- the summary: the run's summary as it compressed its own maps
  (:meth:`~cosmossl.job.trained_run.TrainedRun.summary_fn`);
- the backend: that of the run's posterior, with its parameters;
- the base rows every refit includes: the run's training maps (split 0) for training and its
  validation maps (split 1) for validation, cut into surveys of N maps for N > 1 where every
  cosmology has N maps of distinct seeds;
- the start: the run's posterior when it was fitted for surveys of N maps.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import numpy as np

from cosmossl._util.devices import resolve_device
from cosmossl._util.digest import file_fingerprint
from cosmossl._util.seeds import derive_seed
from cosmossl.components.dataset import TrainingSimulator
from cosmossl.data.summaries import Summaries
from cosmossl.errors import ConfigError, DataError
from cosmossl.inference.surveys import draw_surveys, survey_mean
from cosmossl.job import run_dir as layout
from cosmossl.job.sequential import SequentialSetup
from cosmossl.plugin.factory import create
from cosmossl.plugin.provenance import code_identity
from cosmossl.summaries.summarize import numpy_summarizer

if TYPE_CHECKING:
    from cosmossl.job.trained_run import TrainedRun

log = logging.getLogger("cosmossl.sequential")

#: What the refusal of a dataset that cannot simulate says the rounds need.
NEEDS_SIMULATOR = (
    "sequential rounds (--rounds) simulate new maps near the observation, so the run's dataset "
    "must simulate on demand (a TrainingSimulator, such as the built-in 'lognormal')"
)
#: Separates the base surveys' draws from every other stream of the seed.
BASE_STREAM = 0x5E04


def require_simulator(dataset: Any, name: str) -> TrainingSimulator:
    """``dataset`` if it can simulate maps on demand, else a :class:`ConfigError` naming it."""
    if not isinstance(dataset, TrainingSimulator):
        raise ConfigError(
            f"{NEEDS_SIMULATOR}; this run's dataset '{name}' loads stored maps and cannot. "
            "Use the amortised posterior (leave out --rounds)"
        )
    return dataset


def check_one_observation(n_maps: int, survey: bool) -> None:
    """Rounds refine the posterior of one observation: one map, or N maps as one survey."""
    if n_maps > 1 and not survey:
        raise DataError(
            f"sequential rounds (--rounds) refine the posterior of one observation, but "
            f"{n_maps} maps were given without --survey: give one map, or --survey when they "
            "are independent maps of one universe (survey=True in Python)"
        )


def sequential_setup(
    run: TrainedRun,
    *,
    summary: str = layout.ENCODER,
    survey_size: int = 1,
    seed: int = 0,
) -> SequentialSetup:
    """The rounds' inputs from the finished run ``run`` (``cosmossl.load_run(run_dir)``; see
    the module docstring).

    ``summary`` is ``"encoder"`` or the name of the run's statistic; ``survey_size`` N the maps
    per observation; ``seed`` the seed every round derives its random numbers from (with the
    observation). A run of stored maps is refused before anything else is read.
    """
    table = run.dataset_table()
    name = table.pop("type")
    simulator = require_simulator(create("dataset", name, table, registry=run.registry), name)
    run.check_summary(summary)
    s = run.summaries_file(summary)
    sizes = run.survey_sizes(summary)
    start = run.posterior(summary, survey_size) if survey_size in sizes else None
    fitted = start or run.posterior(summary, sizes[0])
    backend = {"type": fitted.backend, **fitted.params}
    base_train, base_val = _base_rows(s, survey_size, seed)
    identity = {
        "files": [file_fingerprint(f) for f in run.files(summary)],
        "dataset": {"type": name, **table},
        "backend": backend,
        "summary": summary,
        "code": [code_identity("dataset", name), code_identity("backend", fitted.backend)],
    }
    device = str(resolve_device(run.device))
    return SequentialSetup(
        prior=fitted.prior,
        param_labels=dict(s.param_labels),
        simulator=simulator,
        summarize=numpy_summarizer(run.summary_fn(summary), device=device),
        backend=backend,
        survey_size=survey_size,
        start=start,
        base_train=base_train,
        base_val=base_val,
        identity=identity,
        nuisance_names=tuple(s.nuisance_names),
        seed=seed,
        device=device,
        registry=run.registry,
    )


def _base_rows(s: Summaries, survey_size: int, seed: int) -> tuple[Any, Any]:
    """``(θ, x)`` of the run's training and validation maps (survey means for N > 1), or
    ``(None, None)`` when its cosmologies hold fewer than N maps of distinct seeds."""
    out = []
    for code in (0, 1):
        rows = np.flatnonzero(s.split == code)
        try:
            surveys = draw_surveys(s.cosmology_id, s.seed_id, rows, survey_size,
                                   seed=derive_seed(seed, BASE_STREAM, code))  # fmt: skip
        except DataError as exc:
            log.info("the run's maps make no surveys of %d maps (%s): round 0 simulates them "
                     "from the prior", survey_size, exc)  # fmt: skip
            return None, None
        if len(surveys) < 2:
            return None, None
        out.append((s.params[surveys[:, 0]].astype(np.float64), survey_mean(s.summaries, surveys)))
    return out[0], out[1]
