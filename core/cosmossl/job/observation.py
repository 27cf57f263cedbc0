"""``cosmossl posterior``: the posterior of maps a trained run has never seen, in one folder.

Everything that can refuse is checked before anything is written: the run directory, the map
files (shape, channels, content, box size, non-finite pixels; see
:mod:`cosmossl.data.observations`), the summaries asked for, the survey size, and the output
folder. The folder (default ``RUN_DIR/posterior/<name>``) is a cosmossl folder of its own, with
a marker, a lock and a stage cache (:class:`~cosmossl.job.run_dir.RunDirectory`), so each stage
is skipped when its inputs — the maps' content, the run's files, the options — are unchanged:

- ``sample``: compress the maps with each summary, check them against the training maps, draw
  the posterior samples → ``samples.h5`` (:mod:`cosmossl.data.draws`);
- ``rounds`` (with ``--rounds K``): the posterior refined near the observation in K rounds of
  truncated sequential NPE (:mod:`cosmossl.job.sequential`), each summary's rounds in
  ``rounds/<summary>/`` (resumable stages of their own) → ``samples-sequential.h5``;
- ``report``: ``posterior.json``, ``chains/`` (GetDist), the triangle plot(s) and
  ``report.md``/``.html`` from the last samples (with the rounds' table and figure).
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cosmossl._util.digest import file_fingerprint
from cosmossl._version import __version__
from cosmossl.data.draws import Draws, read_draws, write_draws
from cosmossl.data.observations import ObservedMaps
from cosmossl.errors import DataError, OutputError
from cosmossl.inference.sequential import RoundSettings
from cosmossl.job import run_dir as layout
from cosmossl.job.report.observation_report import (
    posterior_summary,
    write_observation_outputs,
)
from cosmossl.job.run_dir import RunDirectory
from cosmossl.job.sequential import SequentialSetup, run_rounds
from cosmossl.job.sequential_setup import check_one_observation, sequential_setup
from cosmossl.job.trained_run import Maps, TrainedRun

#: What an observation's name may hold (it is a folder name).
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")


@dataclass(frozen=True)
class ObservationOptions:
    """What ``cosmossl posterior`` was asked: the summaries (default: every summary of the run
    with a posterior), a survey or one posterior per map, samples per posterior, the sampling
    seed, the content and box size of maps without metadata, the Fisher ellipses, and the
    sequential rounds (``rounds`` of ``simulations`` each; 0 rounds: the amortised posterior)."""

    summaries: tuple[str, ...] = ()
    survey: bool = False
    n_samples: int = 5000
    seed: int = 0
    content: str | None = None
    box_size: float | None = None
    fisher: bool = False
    rounds: int = 0
    simulations: int = 500


@dataclass
class ObservationResult:
    """Where the outputs went, the draws (one per summary), ``posterior.json``'s content, and
    which stages ran (``False``: up to date)."""

    out_dir: Path
    draws: list[Draws]
    summary: dict[str, Any]
    ran: dict[str, bool] = field(default_factory=dict)


def observe(
    run_dir: str | Path,
    maps: Maps,
    options: ObservationOptions | None = None,
    *,
    out: str | Path | None = None,
    name: str | None = None,
    device: str = "auto",
    progress: bool = True,
    force: bool = False,
) -> ObservationResult:
    """The posterior of ``maps`` (map files or an array) under the trained run in ``run_dir``;
    outputs in ``out`` (default ``run_dir/posterior/<name>``, ``name`` defaulting to the first
    file's stem). See the module docstring."""
    options = options or ObservationOptions()
    run = TrainedRun(run_dir, device=device)
    summaries = options.summaries or run.labels
    for label in summaries:
        run.check_summary(label)
    if options.fisher and run.fisher is None:
        raise DataError(f"'{run.root}' has no {layout.FISHER} (its run made no Fisher check): "
                        "drop --fisher")  # fmt: skip
    observed = run.read(maps, content=options.content, box_size=options.box_size)
    if options.survey:
        for label in summaries:
            run.check_survey(len(observed), label)
    name = _name(name, maps)
    setups = _sequential_setups(run, len(observed), options, summaries)
    job = _Observation(run, observed, options, tuple(summaries), name, progress, force)
    job.setups = setups
    if out is not None:
        with RunDirectory(out, flag="--out") as folder:
            folder.check_writable()
            return job.execute(folder)
    with RunDirectory(run.root, flag="RUN_DIR") as directory:
        directory.claim(layout.observation(name))
        directory.check_writable()
        with RunDirectory(directory.path(layout.observation(name)), flag="--name") as folder:
            return job.execute(folder)


def _sequential_setups(
    run: TrainedRun, n_maps: int, options: ObservationOptions, summaries: Sequence[str]
) -> dict[str, SequentialSetup]:
    """Each summary's :class:`SequentialSetup` for ``--rounds``, built (and so refused: a run
    that cannot simulate, several maps without ``--survey``, too few simulations) before any
    work; none without rounds."""
    if not options.rounds:
        return {}
    if options.rounds < 0:
        raise DataError(f"--rounds must be 0 (none) or more, got {options.rounds}")
    check_one_observation(n_maps, options.survey)
    RoundSettings(simulations=options.simulations)
    return {label: sequential_setup(run, summary=label, survey_size=n_maps, seed=options.seed)
            for label in summaries}  # fmt: skip


def _name(name: str | None, maps: Maps) -> str:
    """The observation's name: given, or the stem of the first map file (``observation`` for
    an array)."""
    if name is None:
        first = maps if isinstance(maps, str | Path) else None
        if (
            first is None
            and isinstance(maps, Sequence)
            and maps
            and isinstance(maps[0], str | Path)
        ):
            first = maps[0]
        name = Path(first).name.split(".")[0] if first is not None else "observation"
    if not _NAME.match(name):
        raise OutputError(
            f"observation name {name!r} is not a simple folder name (letters, digits, '.', "
            "'_', '+', '-'): choose one with --name"
        )
    return name


class _Observation:
    def __init__(
        self,
        run: TrainedRun,
        observed: ObservedMaps,
        options: ObservationOptions,
        summaries: tuple[str, ...],
        name: str,
        progress: bool,
        force: bool,
    ) -> None:
        self.run, self.observed, self.options = run, observed, options
        self.summaries, self.name, self.progress, self.force = summaries, name, progress, force
        self.setups: dict[str, SequentialSetup] = {}

    def execute(self, folder: RunDirectory) -> ObservationResult:
        ran = {}
        sample_key, ran["sample"] = folder.run_stage(
            "sample", self.sample_inputs(), [layout.OBSERVATION_SAMPLES],
            lambda: self.sample(folder), force=self.force,
        )  # fmt: skip
        draws, provenance = read_draws(folder.path(layout.OBSERVATION_SAMPLES))
        key = sample_key
        if self.options.rounds:
            inputs = {"sample": sample_key, "rounds": self.options.rounds,
                      "simulations": self.options.simulations,
                      "setups": {k: v.identity for k, v in self.setups.items()}}  # fmt: skip
            key, ran["rounds"] = folder.run_stage(
                "rounds", inputs, [layout.OBSERVATION_REFINED],
                lambda: self.refine(folder, draws, provenance),
                owned=[layout.OBSERVATION_ROUNDS], force=self.force,
            )  # fmt: skip
            draws, provenance = read_draws(folder.path(layout.OBSERVATION_REFINED))
        outputs = [layout.OBSERVATION_SUMMARY, layout.OBSERVATION_CHAINS,
                   f"{layout.REPORT}.md", f"{layout.REPORT}.html", *self.figures()]  # fmt: skip
        fisher = self.run.fisher if self.options.fisher else None

        def report() -> None:
            write_observation_outputs(folder.root, draws, provenance, name=self.name,
                                      fisher=fisher)  # fmt: skip

        _, ran["report"] = folder.run_stage(
            "report", {"sample": key, "fisher": self.options.fisher, "name": self.name,
                       "version": __version__},
            outputs, report, force=self.force,
        )  # fmt: skip
        return ObservationResult(folder.root, draws, posterior_summary(draws, provenance), ran)

    def refine(self, folder: RunDirectory, draws: list[Draws], provenance: dict) -> None:
        """Each summary's rounds in ``rounds/<summary>/``; their last posterior's samples of
        the observation (the mean of the maps' summaries for a survey) replace the amortised
        ones in ``samples-sequential.h5``, the rounds' ``rounds.json`` in its provenance."""
        options = self.options
        settings = RoundSettings(simulations=options.simulations)
        refined, rounds = [], {}
        for d in draws:
            x = d.summaries.mean(0)
            result = run_rounds(
                self.setups[d.summary], x, folder.path(layout.observation_rounds(d.summary)),
                rounds=options.rounds, settings=settings, progress=self.progress,
                force=self.force,
            )  # fmt: skip
            samples = result.posterior.sample(x, options.n_samples, seed=options.seed)
            samples = samples.cpu().numpy().astype(np.float32)
            method = (f"{options.rounds} round(s) of truncated sequential NPE "
                      f"({options.simulations} simulations each; Deistler et al. 2022) started "
                      f"from {d.method}")  # fmt: skip
            diagnostics = {"start": {"method": d.method, **d.diagnostics},
                           "rounds": result.summary["rounds"]}  # fmt: skip
            if "assumption" in d.diagnostics:
                diagnostics["assumption"] = d.diagnostics["assumption"]
            refined.append(dataclasses.replace(
                d, samples=samples if d.survey else samples[:, None], method=method,
                diagnostics=diagnostics,
            ))  # fmt: skip
            rounds[d.summary] = {"folder": layout.observation_rounds(d.summary),
                                 **result.summary}  # fmt: skip
        write_draws(folder.path(layout.OBSERVATION_REFINED), refined,
                    {**provenance, "rounds": rounds})  # fmt: skip

    def figures(self) -> list[str]:
        count = 1 if self.options.survey else len(self.observed)
        if count == 1:
            return [layout.observation_triangle(None)]
        return [layout.observation_triangle(k) for k in range(count)]

    def sample_inputs(self) -> dict[str, Any]:
        maps = hashlib.sha256(self.observed.maps.tobytes()).hexdigest()
        files = {label: [file_fingerprint(p) for p in self.run.files(label)]
                 for label in self.summaries}  # fmt: skip
        options = self.options
        return {
            "maps": {"sha256": maps, "shape": list(self.observed.maps.shape)},
            "labels": list(self.observed.labels),
            "run": files,
            "summaries": list(self.summaries),
            "survey": options.survey,
            "n_samples": options.n_samples,
            "seed": options.seed,
            "version": __version__,
        }

    def sample(self, folder: RunDirectory) -> None:
        options = self.options
        draws = [
            self.run.sample(
                self.observed,
                options.n_samples,
                options.survey,
                summary=label,
                seed=options.seed,
                progress=self.progress,
            )
            for label in self.summaries
        ]
        provenance = {
            "run_dir": str(self.run.root.resolve()),
            "cosmossl": __version__,
            "maps": list(self.observed.files) or ["(array)"],
            "options": {
                "survey": options.survey,
                "n_samples": options.n_samples,
                "seed": options.seed,
                "content": options.content,
                "box_size": options.box_size,
            },
            "summaries": {
                label: self.run.summaries_file(label).provenance for label in self.summaries
            },
        }
        write_draws(folder.path(layout.OBSERVATION_SAMPLES), draws, provenance)
