"""Sequential rounds for one observation (TSNPE), as resumable stages of a posterior folder.

``cosmossl posterior RUN_DIR MAPS --rounds K --simulations M`` refines the run's amortised
posterior near one observation: each round draws M points from the prior truncated to the
current posterior's highest-probability region (:mod:`cosmossl.inference.sequential`),
simulates them with the run's simulator (a survey of N maps per point for surveys, nuisances
drawn from their prior), compresses them with the run's summary (the trained encoder, or a
statistic) and refits the run's backend on the run's own training rows plus every round so far.

Every round is two stages of a :class:`~cosmossl.job.run_dir.RunDirectory` (the rounds
folder): ``round-<r>-simulate`` writes the round's simulations as a summaries file (points,
noise seeds, nuisances, per-map summaries; train/val by point) and the truncation's statistics;
``round-<r>-fit`` writes the refitted posterior. A killed command continues where it stopped;
a finished round is never recomputed while its inputs (the run's stages, the observation, the
settings, the earlier rounds) are unchanged.

When the run has no posterior for surveys of N maps, round 0 is fitted first: on the run's
training rows cut into surveys of N maps where they have N distinct seeds per cosmology,
otherwise on M surveys simulated from the whole prior (TSNPE's first round).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from cosmossl._util.digest import digest
from cosmossl._util.files import write_json
from cosmossl._util.seeds import derive_seed
from cosmossl.data.summaries import Summaries, read_summaries, write_summaries
from cosmossl.errors import DataError
from cosmossl.inference.posterior import CONFIG_FILE, WEIGHTS_FILE, Posterior, load_posterior
from cosmossl.inference.prior import BoxPrior
from cosmossl.inference.sequential import (
    RoundSettings,
    RoundSimulations,
    propose,
    refit,
    validation_points,
)
from cosmossl.inference.surveys import survey_mean
from cosmossl.inference.truncation import TruncationStats
from cosmossl.job import run_dir as layout
from cosmossl.job.run_dir import RunDirectory
from cosmossl.plugin.factory import create

if TYPE_CHECKING:
    from cosmossl.components.dataset import TrainingSimulator

    Rows = tuple[np.ndarray, np.ndarray]

log = logging.getLogger("cosmossl.sequential")

#: Separate the rounds' noise seeds, nuisance draws and truncations from every other stream.
NOISE_STREAM, NUISANCE_STREAM, ROUND_STREAM = 0x5E01, 0x5E02, 0x5E03
#: Maps simulated and summarised at a time.
BATCH = 256


@dataclass
class SequentialSetup:
    """What the rounds use from a trained run (:func:`cosmossl.sequential_setup` builds it
    from a run directory).

    Attributes:
        prior: the run's prior (the one the user stated).
        param_labels: how figures write each parameter.
        simulator: the run's dataset, which must simulate on demand.
        summarize: the run's summary of numpy maps ``[B, C, H, W]`` → ``[B, D]``
            (:func:`cosmossl.summaries.summarize.numpy_summarizer`).
        backend: the backend's table (``type`` and its parameters), that of the run's
            posterior; every round fits it afresh.
        survey_size: N, maps per observation (the summary is the mean of theirs).
        start: the posterior the first truncation comes from; ``None`` fits round 0 first.
        base_train, base_val: the run's own rows ``(θ [n, P], x [n, D])`` every fit includes
            (survey means for N > 1), or ``None`` when the run's data cannot make them.
        identity: everything about the run the stage keys must cover (its stage keys, tables,
            code), JSON-serialisable.
        nuisance_names: the names of the simulator's nuisance parameters, if any.
        seed: the run seed; every round's random numbers derive from it and the observation.
        device: where maps are simulated and summarised and posteriors fitted.
    """

    prior: BoxPrior
    param_labels: dict[str, str]
    simulator: TrainingSimulator
    summarize: Callable[[np.ndarray], np.ndarray]
    backend: dict[str, Any]
    survey_size: int
    start: Posterior | None
    base_train: Rows | None
    base_val: Rows | None
    identity: dict[str, Any]
    nuisance_names: tuple[str, ...] = ()
    seed: int = 0
    device: str = "cpu"
    registry: Any = None


@dataclass
class RoundRecord:
    """One round as stored: its simulations, truncation and posterior (round 0: the start)."""

    index: int
    posterior: Posterior
    simulations: RoundSimulations | None = None
    truncation: TruncationStats | None = None
    seconds: dict[str, float] = field(default_factory=dict)


@dataclass
class SequentialResult:
    """The rounds of one observation: each round's record and the report's content
    (``rounds.json``: widths, truncation and seconds per round)."""

    records: list[RoundRecord]
    summary: dict[str, Any]
    folder: Path

    @property
    def posterior(self) -> Posterior:
        """The posterior after the last round."""
        return self.records[-1].posterior


def run_rounds(
    setup: SequentialSetup,
    observation: np.ndarray,
    folder: str | Path,
    *,
    rounds: int,
    settings: RoundSettings,
    truth: np.ndarray | None = None,
    progress: bool = True,
    force: bool = False,
) -> SequentialResult:
    """Rounds 0 … ``rounds`` for the observation's summary ``[D]`` in ``folder`` (created, or
    continued), then their report (:mod:`cosmossl.job.report.sequential_report`; ``truth``
    ``[P]`` is marked on its figure when known). Round 0 is the starting posterior; see the
    module docstring. ``force`` runs every round again."""
    from cosmossl.job.report import sequential_report as report

    if rounds < 1:
        raise DataError(f"--rounds must be at least 1, got {rounds}")
    observation = np.asarray(observation, dtype=np.float64).reshape(-1)
    with RunDirectory(folder, flag="--out") as directory:
        records = _Rounds(setup, observation, directory, settings, progress, force).run(rounds)
        directory.claim(report.JSON, report.FIGURE, f"{report.STEM}.md", f"{report.STEM}.html")
        summary = report.write_rounds_report(
            records, observation, directory.root, labels=setup.param_labels, truth=truth
        )
    return SequentialResult(records, summary, directory.root)


class _Rounds:
    def __init__(
        self,
        setup: SequentialSetup,
        observation: np.ndarray,
        directory: RunDirectory,
        settings: RoundSettings,
        progress: bool,
        force: bool = False,
    ) -> None:
        self.setup, self.observation, self.dir = setup, observation, directory
        self.settings, self.progress, self.force = settings, progress, force
        # Another observation, other noise: seeds derive from the run seed and the observation.
        self.seed = derive_seed(setup.seed, int(digest(observation.tolist())[:15], 16))
        self.base_key = digest({
            "run": setup.identity,
            "observation": observation.tolist(),
            "survey_size": setup.survey_size,
            "seed": setup.seed,
            "settings": vars(settings),
        })  # fmt: skip

    def run(self, rounds: int) -> list[RoundRecord]:
        records, fit_key, simulate_keys = self.round_zero()
        for r in range(1, rounds + 1):
            simulate_keys.append(self.simulate(r, records[-1].posterior, fit_key))
            simulations = [rec.simulations for rec in records if rec.simulations is not None]
            simulations.append(self.read_simulations(r))
            fit_key = self.fit(r, simulate_keys, simulations)
            records.append(self.record(r, simulations[-1]))
        return records

    # ---- round 0: the posterior the first truncation comes from ----

    def round_zero(self) -> tuple[list[RoundRecord], str, list[str]]:
        """``([round 0], the key later rounds follow, the simulate keys so far)``."""
        setup = self.setup
        if setup.start is not None:
            return [RoundRecord(0, setup.start)], self.base_key, []
        if setup.base_train is not None:
            # The run's rows cut into surveys of this size: the amortised posterior for them.
            key = self.fit(0, [], [])
            return [self.record(0, None)], key, []
        # No rows of the run's own for surveys of this size: TSNPE's first round, from the
        # whole prior.
        simulate_key = self.simulate(0, None, self.base_key)
        simulations = self.read_simulations(0)
        key = self.fit(0, [simulate_key], [simulations])
        return [self.record(0, simulations)], key, [simulate_key]

    # ---- the two stages of a round ----

    def simulate(self, r: int, posterior: Posterior | None, previous_key: str) -> str:
        inputs = {"base": self.base_key, "previous": previous_key, "round": r}
        outputs = [layout.round_simulations(r), layout.round_truncation(r)]
        seed = derive_seed(self.seed, ROUND_STREAM, r)

        def action() -> None:
            theta, stats = self._points(posterior, seed)
            if stats is not None:
                log.info("round %d: the truncated prior accepts %.3g of prior draws (effective "
                         "prior volume %.3g)", r, stats.acceptance, stats.volume)  # fmt: skip
            s = simulate_summaries(self.setup, theta, seed=seed,
                                   val_fraction=self.settings.val_fraction,
                                   progress=self.progress)  # fmt: skip
            s.provenance.update({"round": r, "truncation": stats and stats.to_dict()})
            write_summaries(self.dir.path(layout.round_simulations(r)), s)
            write_json(
                self.dir.path(layout.round_truncation(r)),
                {"round": r, "truncation": stats and stats.to_dict()},
            )

        key, _ = self.dir.run_stage(f"round-{r}-simulate", inputs, outputs, action,
                                    force=self.force)  # fmt: skip
        return key

    def _points(
        self, posterior: Posterior | None, seed: int
    ) -> tuple[np.ndarray, TruncationStats | None]:
        if posterior is None:
            import torch

            generator = torch.Generator().manual_seed(seed)
            prior = self.setup.prior.to("cpu")
            unit = torch.rand((self.settings.simulations, prior.dim), generator=generator)
            return (prior.low + (prior.high - prior.low) * unit).double().numpy(), None
        return propose(posterior, self.observation, self.settings, seed=seed)

    def fit(self, r: int, simulate_keys: list[str], simulations: list[RoundSimulations]) -> str:
        setup = self.setup
        inputs = {
            "base": self.base_key,
            "simulations": simulate_keys,
            "backend": setup.backend,
        }
        folder = layout.round_posterior(r)

        def action() -> None:
            params = {k: v for k, v in setup.backend.items() if k != "type"}
            backend = create("backend", setup.backend["type"], params, registry=setup.registry)
            log.info("round %d: fitting on %d simulated points", r,
                     sum(len(s.theta) for s in simulations))  # fmt: skip
            posterior = refit(
                backend,
                setup.base_train,
                setup.base_val,
                simulations,
                setup.prior,
                seed=derive_seed(self.seed, ROUND_STREAM, r, 1),
                progress=self.progress,
                device=setup.device,
            )
            posterior.save(self.dir.path(folder))

        outputs = [f"{folder}/{CONFIG_FILE}", f"{folder}/{WEIGHTS_FILE}"]
        key, _ = self.dir.run_stage(f"round-{r}-fit", inputs, outputs, action, owned=[folder],
                                    force=self.force)  # fmt: skip
        return key

    # ---- what the stages left ----

    def read_simulations(self, r: int) -> RoundSimulations:
        s = read_summaries(self.dir.path(layout.round_simulations(r)))
        return stored_round(s, self.setup.survey_size)

    def record(self, r: int, simulations: RoundSimulations | None) -> RoundRecord:
        posterior = load_posterior(
            self.dir.path(layout.round_posterior(r)),
            device=self.setup.device,
            registry=self.setup.registry,
        )
        truncation = None
        if simulations is not None:
            s = read_summaries(self.dir.path(layout.round_simulations(r)))
            saved = s.provenance.get("truncation")
            truncation = TruncationStats.from_dict(saved) if saved else None
        seconds = {
            stage: self.dir.seconds(f"round-{r}-{stage}") or 0.0 for stage in ("simulate", "fit")
        }
        return RoundRecord(r, posterior, simulations, truncation, seconds)


def simulate_summaries(
    setup: SequentialSetup,
    theta: np.ndarray,
    *,
    seed: int,
    val_fraction: float = 0.1,
    progress: bool = False,
) -> Summaries:
    """Summaries of a survey of N maps at each point of ``theta [M, P]``: M·N rows (point i's
    maps are rows i·N … i·N + N − 1, cosmology id i), each with its own noise seed and nuisance
    draw; ``val_fraction`` of the points are validation points (split 1). Deterministic for a
    ``seed``."""
    from tqdm.auto import tqdm

    n = setup.survey_size
    m = len(theta)
    point = np.repeat(np.arange(m), n)
    member = np.tile(np.arange(n), m)
    seeds = np.array([derive_seed(seed, NOISE_STREAM, i, j) for i, j in zip(point, member)])
    keys = [derive_seed(seed, NUISANCE_STREAM, i, j) for i, j in zip(point, member)]
    nuisance = np.asarray(setup.simulator.draw_nuisance(keys), dtype=np.float64)
    rows = np.asarray(theta, dtype=np.float64)[point]
    parts = []
    for start in tqdm(range(0, len(rows), BATCH), desc="simulate", unit="batch",
                      disable=None if progress else True, dynamic_ncols=True):  # fmt: skip
        sl = slice(start, start + BATCH)
        maps = setup.simulator.simulate_tensor(
            rows[sl], seeds[sl].tolist(), nuisance[sl] if nuisance.shape[1] else None
        )
        parts.append(setup.summarize(maps.cpu().numpy()))
    is_val = validation_points(m, val_fraction, seed=derive_seed(seed, ROUND_STREAM, 2))
    names = setup.prior.names
    bounds = zip(names, setup.prior.low.tolist(), setup.prior.high.tolist())
    return Summaries(
        summaries=np.concatenate(parts),
        params=rows,
        param_names=names,
        cosmology_id=point,
        simulation_id=np.arange(len(rows)),
        seed_id=seeds,
        split=np.where(is_val[point], 1, 0).astype(np.int8),
        nuisance=nuisance.astype(np.float32),
        nuisance_names=setup.nuisance_names,
        priors={name: (float(low), float(high)) for name, low, high in bounds},
        param_labels=setup.param_labels,
        provenance={"survey_size": n, "points": m},
    )


def stored_round(s: Summaries, survey_size: int) -> RoundSimulations:
    """A round's stored simulations (:func:`simulate_summaries`) as points with survey means."""
    m = len(s) // survey_size
    stored = int(s.provenance.get("survey_size", survey_size))
    if m * survey_size != len(s) or stored != survey_size:
        raise DataError(f"stored round simulations hold surveys of {stored} maps, not "
                        f"{survey_size}")  # fmt: skip
    surveys = np.arange(m * survey_size).reshape(m, survey_size)
    return RoundSimulations(
        theta=np.asarray(s.params, dtype=np.float64)[surveys[:, 0]],
        summaries=survey_mean(s.summaries, surveys),
        is_val=s.split[surveys[:, 0]] == 1,
    )
