"""What sequential rounds take from a finished run: simulator, summary, backend, rows, prior.

:func:`sequential_setup` reads them from a run directory alone (no run file) and refuses, before
any work, a run whose dataset cannot simulate maps on demand: rounds need new maps near the
observation.

- the simulator: the dataset table the encoder was trained with (its checkpoint records it);
- the summary: the trained encoder (best checkpoint, input standardisation, D4 averaging) or the
  statistic with the parameters it was computed with;
- the backend: the one of the run's posterior, with its parameters;
- the base rows every refit includes: the run's training maps (split 0) for training and its
  validation maps (split 1) for validation, cut into surveys of N maps for N > 1 where every
  cosmology has N maps of distinct seeds;
- the start: the run's posterior when it was fitted for surveys of N maps.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np

from cosmossl._util.devices import resolve_device
from cosmossl._util.digest import file_fingerprint
from cosmossl._util.seeds import derive_seed
from cosmossl.components.dataset import TrainingSimulator
from cosmossl.data.summaries import Summaries, read_summaries
from cosmossl.errors import ConfigError, DataError
from cosmossl.inference.posterior import Posterior, load_posterior, read_posterior
from cosmossl.inference.prior import BoxPrior
from cosmossl.inference.surveys import draw_surveys, survey_mean
from cosmossl.job import run_dir as layout
from cosmossl.job.sequential import SequentialSetup
from cosmossl.plugin.factory import create
from cosmossl.plugin.provenance import code_identity
from cosmossl.summaries.summarize import encoder_summary, numpy_summarizer
from cosmossl.training.checkpoint import load_checkpoint, load_encoder

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


def sequential_setup(
    run_dir: str | Path,
    *,
    summary: str = layout.ENCODER,
    survey_size: int = 1,
    seed: int = 0,
    device: str = "auto",
    registry: Any = None,
) -> SequentialSetup:
    """The rounds' inputs from the finished run in ``run_dir`` (see the module docstring).

    ``summary`` is ``"encoder"`` or the name of the run's statistic; ``survey_size`` N the maps
    per observation; ``seed`` the seed every round derives its random numbers from (with the
    observation). The dataset is checked first: a run of stored maps is refused before anything
    else is read.
    """
    root = Path(run_dir)
    table = _dataset_table(root)
    name = table.pop("type")
    simulator = require_simulator(create("dataset", name, table, registry=registry), name)
    device = str(resolve_device(device))
    s = read_summaries(root / layout.summaries(summary))
    posterior_dir = root / layout.inference(summary) / layout.POSTERIOR
    saved = read_posterior(posterior_dir)
    start = _start(root, summary, survey_size, device, registry)
    base_train, base_val = _base_rows(s, survey_size, seed)
    files = [root / layout.summaries(summary), *sorted(posterior_dir.glob("*"))]
    if s.provenance.get("kind") != "statistic":
        files += sorted((root / layout.BEST_CHECKPOINT).glob("*"))
    identity = {
        "files": [file_fingerprint(f) for f in files if f.is_file()],
        "dataset": {"type": name, **table},
        "backend": {"type": saved.backend, **saved.params},
        "summary": summary,
        "code": [code_identity("dataset", name), code_identity("backend", saved.backend)],
    }
    return SequentialSetup(
        prior=BoxPrior.from_ranges(s.priors, s.param_names, device=device),
        param_labels=dict(s.param_labels),
        simulator=simulator,
        summarize=_summarizer(root, s, summary, simulator, device, registry),
        backend={"type": saved.backend, **saved.params},
        survey_size=survey_size,
        start=start,
        base_train=base_train,
        base_val=base_val,
        identity=identity,
        nuisance_names=tuple(s.nuisance_names),
        seed=seed,
        device=device,
        registry=registry,
    )


def _dataset_table(root: Path) -> dict[str, Any]:
    """The dataset table the run's encoder was trained with (its checkpoint records it)."""
    checkpoint = root / layout.BEST_CHECKPOINT
    if not checkpoint.is_dir():
        raise DataError(
            f"'{root}' has no trained encoder ({checkpoint}): sequential rounds need a finished "
            "run with a trained encoder (its checkpoint records the dataset that simulates)"
        )
    record = (load_checkpoint(checkpoint).state.get("identity") or {}).get("record") or {}
    table = dict(record.get("dataset") or {})
    if "type" not in table:
        raise DataError(f"'{checkpoint}' does not record the dataset it was trained on")
    return table


def _start(
    root: Path, summary: str, survey_size: int, device: str, registry: Any
) -> Posterior | None:
    """The run's posterior of ``summary`` for surveys of ``survey_size`` maps, if it has one."""
    for folder in (layout.inference(summary), layout.robustness(summary)):
        posterior = root / folder / layout.POSTERIOR
        try:
            size = json.loads((root / folder / layout.METRICS).read_text(encoding="utf-8"))
            size = int(size.get("survey_size", 1))
        except (OSError, ValueError, TypeError, AttributeError):
            continue
        if size == survey_size and posterior.is_dir():
            return load_posterior(posterior, device=device, registry=registry)
    return None


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


def _summarizer(
    root: Path, s: Summaries, summary: str, simulator: Any, device: str, registry: Any
) -> Any:
    """The run's summary ``summary`` as a function of numpy maps (see
    :func:`cosmossl.summaries.summarize.numpy_summarizer`)."""
    if s.provenance.get("kind") == "statistic":
        statistic = create("statistic", s.provenance["statistic"], s.provenance.get("params") or {},
                           meta=simulator.meta, registry=registry)  # fmt: skip
        return numpy_summarizer(statistic, device="cpu")
    encoder, standardizer, _ = load_encoder(root / layout.BEST_CHECKPOINT, registry=registry)
    return numpy_summarizer(encoder_summary(encoder, standardizer, device), device=device)
