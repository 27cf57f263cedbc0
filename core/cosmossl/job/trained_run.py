"""A finished run taken to new maps: :func:`load_run` and :class:`TrainedRun`.

A run directory holds what an observation needs: the trained encoder (its best checkpoint, with
the input standardisation it was trained with), a summaries file per summary (which records the
geometry and content of the maps it came from, the statistic's parameters, and the training
maps' summaries that the out-of-distribution check compares with) and the posteriors fitted on
them (``inference/<summary>/posterior``, for surveys of ``survey_size`` maps, and
``robustness/<summary>/posterior`` when the robustness survey size differs). ``cosmossl
posterior`` and ``cosmossl export`` are thin layers over this class.

Example::

    import cosmossl
    run = cosmossl.load_run("runs/quickstart")
    draws = run.sample("obs.npy", 5000)            # or an array [H, W], [N, H, W], [N, C, H, W]
    print(draws.samples.mean(0))                    # [N, P]: each map's posterior mean
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from cosmossl.components.meta import MapMeta
from cosmossl.data.draws import Draws
from cosmossl.data.observations import ObservedMaps, as_maps, check_maps, read_observations
from cosmossl.data.summaries import Summaries, read_summaries
from cosmossl.errors import DataError
from cosmossl.inference.combine import INDEPENDENCE, sample_product
from cosmossl.inference.ood import DistanceReference, DistributionCheck, check_distribution
from cosmossl.inference.posterior import Posterior, load_posterior
from cosmossl.inference.prior import BoxPrior
from cosmossl.inference.surveys import survey_mean
from cosmossl.job import run_dir as layout
from cosmossl.plugin.factory import create
from cosmossl.summaries.summarize import SummaryFn, encoder_summary, summarize
from cosmossl.training.checkpoint import load_checkpoint, load_encoder

if TYPE_CHECKING:
    from cosmossl.job.sequential import SequentialResult

log = logging.getLogger("cosmossl.posterior")

#: What :meth:`TrainedRun.compress` and :meth:`TrainedRun.sample` accept as maps: an array, or
#: the path(s) of map files.
Maps = np.ndarray | str | Path | Sequence[str | Path]


def load_run(run_dir: str | Path, *, device: str = "auto", registry: Any = None) -> TrainedRun:
    """The finished run in ``run_dir``, ready for new maps (see :class:`TrainedRun`)."""
    return TrainedRun(run_dir, device=device, registry=registry)


class TrainedRun:
    """A finished run directory: its summaries (the trained encoder and any statistic), their
    posteriors, and the metadata of the maps it was trained on (see the module docstring)."""

    def __init__(self, run_dir: str | Path, *, device: str = "auto", registry: Any = None):
        self.root = Path(run_dir)
        self.device = device
        self.registry = registry
        if not self.root.is_dir():
            raise DataError(f"run directory '{self.root}' does not exist")
        self.labels = tuple(
            path.stem
            for path in sorted((self.root / layout.SUMMARIES).glob("*.h5"))
            if (self.root / layout.inference(path.stem) / layout.POSTERIOR).is_dir()
        )
        if not self.labels:
            raise DataError(
                f"'{self.root}' holds no summaries with a fitted posterior "
                "(summaries/<name>.h5 and inference/<name>/posterior): give the run directory "
                "of a finished `cosmossl run` (or of `cosmossl compress` + `cosmossl infer`)"
            )
        self._posteriors: dict[tuple[str, int], Posterior] = {}
        self._summaries: dict[str, Summaries] = {}
        self._summary_fns: dict[str, SummaryFn] = {}

    def __repr__(self) -> str:
        return f"TrainedRun('{self.root}', summaries {', '.join(self.labels)})"

    # ---- what the run knows -------------------------------------------------------------------

    def summaries_file(self, summary: str = layout.ENCODER) -> Summaries:
        """The run's summaries file of ``summary`` (its training maps' summaries)."""
        self.check_summary(summary)
        if summary not in self._summaries:
            self._summaries[summary] = read_summaries(self.root / layout.summaries(summary))
        return self._summaries[summary]

    @cached_property
    def meta(self) -> MapMeta:
        """Geometry and content of the maps the run was trained on."""
        for label in self.labels:
            recorded = self.summaries_file(label).provenance.get("maps")
            if isinstance(recorded, dict):
                return MapMeta.from_dict(recorded)
        maps = self.root / layout.MAPS
        if maps.is_file():  # runs whose summaries files predate the record
            from cosmossl.data.hdf5 import read_mapset

            return read_mapset(maps).meta
        raise DataError(
            f"'{self.root}': its summaries files do not record the maps they came from (written "
            "by an older cosmossl): compress again with `cosmossl compress RUN_FILE` (and "
            "`--statistic NAME`), or rerun the run with --force"
        )

    @property
    def param_names(self) -> tuple[str, ...]:
        return self.prior.names

    @property
    def param_labels(self) -> dict[str, str]:
        return self.summaries_file(self.labels[0]).param_labels

    @property
    def prior(self) -> BoxPrior:
        """The prior of the run's posteriors (the one every sample lies in)."""
        return self.posterior(self.labels[0], self.survey_sizes(self.labels[0])[0]).prior

    def survey_sizes(self, summary: str = layout.ENCODER) -> list[int]:
        """The survey sizes the run has a posterior for (1: single maps), smallest first."""
        return sorted(self._posterior_folders(summary))

    def _posterior_folders(self, summary: str) -> dict[int, Path]:
        self.check_summary(summary)
        folders = {}
        for folder in (layout.robustness(summary), layout.inference(summary)):
            posterior = self.root / folder / layout.POSTERIOR
            if posterior.is_dir():
                size = _survey_size(self.root / folder / layout.METRICS)
                folders[size] = posterior  # the inference stage's posterior wins a tie
        return folders

    @cached_property
    def fisher(self) -> dict[str, Any] | None:
        """The run's ``fisher.json`` (Fisher matrices of one map at the fiducial point)."""
        path = self.root / layout.FISHER
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None

    def dataset(self) -> Any:
        """The run's dataset component, rebuilt from the table its encoder was trained with
        (e.g. to simulate maps at known parameters with a simulator)."""
        table = self.dataset_table()
        kind = table.pop("type")
        return create("dataset", kind, table, registry=self.registry)

    def dataset_table(self) -> dict[str, Any]:
        """The dataset table (``type`` and parameters) the run's encoder was trained with, as
        its checkpoint records it."""
        checkpoint = load_checkpoint(self.root / layout.BEST_CHECKPOINT)
        table = dict(((checkpoint.state.get("identity") or {}).get("record") or {})
                     .get("dataset") or {})  # fmt: skip
        if "type" not in table:
            raise DataError(f"'{self.root}': its checkpoint does not record the dataset table")
        return table

    def files(self, summary: str = layout.ENCODER) -> list[Path]:
        """The files the posterior of new maps under ``summary`` depends on: its summaries
        file, its posteriors and (for the encoder) the checkpoint's weights and state."""
        files = [self.root / layout.summaries(summary)]
        for folder in self._posterior_folders(summary).values():
            files += sorted(p for p in folder.iterdir() if p.is_file())
        if self.summaries_file(summary).provenance.get("kind") != "statistic":
            checkpoint = self.root / layout.BEST_CHECKPOINT
            files += sorted(p for p in checkpoint.iterdir() if p.is_file())
        return files

    def check_summary(self, summary: str) -> None:
        """A :class:`DataError` naming the run's summaries unless it has ``summary``."""
        if summary not in self.labels:
            raise DataError(
                f"the run '{self.root}' has no summary '{summary}' with a posterior; it has "
                f"{', '.join(self.labels)}"
            )

    # ---- compress -----------------------------------------------------------------------------

    def read(self, maps: Maps, *, content: str | None = None,
             box_size: float | None = None) -> ObservedMaps:  # fmt: skip
        """Maps ``[N, *meta.shape]`` from map file(s) or an array, checked against the run's
        maps (see :mod:`cosmossl.data.observations`); ``content`` and ``box_size`` state what
        maps without metadata hold, to be checked too."""
        if isinstance(maps, str | Path) or (
            isinstance(maps, Sequence) and maps and isinstance(maps[0], str | Path)
        ):
            paths = [maps] if isinstance(maps, str | Path) else list(maps)
            return read_observations(paths, self.meta, content=content, box_size=box_size)
        array = as_maps(maps, self.meta.shape, "maps")
        stated = MapMeta(shape=self.meta.shape, box_size=box_size, content=content)
        check_maps(array, self.meta, "maps", stated=stated)
        labels = ("map",) if len(array) == 1 else tuple(f"map {i}" for i in range(len(array)))
        return ObservedMaps(array, labels)

    def summary_fn(self, summary: str = layout.ENCODER) -> SummaryFn:
        """The summary ``summary`` as a function of map tensors ``[B, *shape]`` → ``[B, D]``:
        the trained encoder (with its input standardisation and D4 averaging) or the statistic
        with the parameters it was computed with."""
        if summary not in self._summary_fns:
            self._summary_fns[summary] = self._build_summary(summary)
        return self._summary_fns[summary]

    def _build_summary(self, summary: str) -> SummaryFn:
        provenance = self.summaries_file(summary).provenance
        if provenance.get("kind") == "statistic":
            return create("statistic", provenance["statistic"], provenance.get("params") or {},
                          meta=self.meta, registry=self.registry)  # fmt: skip
        checkpoint = self.root / layout.BEST_CHECKPOINT
        encoder, standardizer, ckpt = load_encoder(checkpoint, registry=self.registry)
        step = provenance.get("step")
        if step is not None and step != ckpt.state["step"]:
            raise DataError(
                f"'{self.root / layout.summaries(summary)}' was compressed with the checkpoint of "
                f"step {step}, but '{checkpoint}' is of step {ckpt.state['step']}: its posterior "
                "belongs to another encoder; rerun the run so both match"
            )
        return encoder_summary(encoder, standardizer, self.device)

    def compress(self, maps: Maps, summary: str = layout.ENCODER, *, batch_size: int = 256,
                 progress: bool = False, content: str | None = None,
                 box_size: float | None = None) -> np.ndarray:  # fmt: skip
        """Summaries ``[N, D]`` (float64) of maps (an array or map file(s), see :meth:`read`),
        exactly as the run compressed its own maps."""
        observed = maps if isinstance(maps, ObservedMaps) else self.read(
            maps, content=content, box_size=box_size)  # fmt: skip
        return self._compress(observed, summary, batch_size, progress)

    def _compress(self, observed: ObservedMaps, summary: str, batch_size: int,
                  progress: bool) -> np.ndarray:  # fmt: skip
        values = summarize(self.summary_fn(summary), observed.maps, batch_size=batch_size,
                           device=self.device, progress=progress)  # fmt: skip
        bad = np.flatnonzero(~np.isfinite(values).all(axis=1))
        if bad.size:
            raise DataError(f"the {summary} summary of {observed.labels[bad[0]]} is NaN or inf "
                            "although its pixels are finite")  # fmt: skip
        return values

    # ---- posteriors ---------------------------------------------------------------------------

    def posterior(self, summary: str = layout.ENCODER, survey_size: int = 1) -> Posterior:
        """The run's posterior of ``summary`` fitted on surveys of ``survey_size`` maps (1:
        single maps)."""
        folders = self._posterior_folders(summary)
        if survey_size not in folders:
            raise DataError(
                f"the run '{self.root}' has no {summary} posterior for "
                f"{'single maps' if survey_size == 1 else f'surveys of {survey_size} maps'}; it "
                f"has posteriors for surveys of {', '.join(map(str, sorted(folders)))} map(s)"
            )
        key = (summary, survey_size)
        if key not in self._posteriors:
            self._posteriors[key] = load_posterior(folders[survey_size], device=self.device,
                                                   registry=self.registry)  # fmt: skip
        return self._posteriors[key]

    def check_distribution(self, summary: str, x: np.ndarray) -> DistributionCheck:
        """The out-of-distribution check of summaries ``x [N, D]`` (see
        :mod:`cosmossl.inference.ood`) against the run's own maps."""
        s = self.summaries_file(summary)
        reference = DistanceReference.fit(
            s.summaries[s.indices("train")], s.summaries[s.split != 0]
        )
        return check_distribution(reference, x)

    def sample(self, maps: Maps, n: int = 5000, survey: bool = False, *,
               summary: str = layout.ENCODER, seed: int = 0, content: str | None = None,
               box_size: float | None = None, progress: bool = False) -> Draws:  # fmt: skip
        """Posterior samples of new maps under ``summary`` (see :class:`Draws`).

        Without ``survey`` each map gets its own posterior (samples ``[n, N, P]``). With
        ``survey`` the N maps are one survey of independent maps of one universe (samples
        ``[n, P]``): the run's posterior for surveys of N maps when it has one (on the mean of
        the maps' summaries, as it was fitted), else the product of the single-map posteriors
        (:func:`~cosmossl.inference.combine.sample_product`). Samples never leave the prior.
        """
        observed = maps if isinstance(maps, ObservedMaps) else self.read(
            maps, content=content, box_size=box_size)  # fmt: skip
        sizes = self.survey_sizes(summary)
        n_maps = len(observed)
        if survey:
            self.check_survey(n_maps, summary)
        x = self._compress(observed, summary, 256, progress)
        check = self.check_distribution(summary, x)
        for label, percentile in zip(observed.labels, check.percentile):
            if percentile > check.threshold:
                log.warning(
                    "%s lies outside what the %s summary was trained on: its summary is further "
                    "from the training maps' than %.1f%% of the run's own held-out maps (is it "
                    "in the run's transform, box and resolution, without extra noise?); its "
                    "posterior may mean nothing", label, summary, percentile)  # fmt: skip
        posterior = self.posterior(summary, n_maps if survey and n_maps in sizes else 1)
        common = {
            "summary": summary, "summaries": x, "survey": survey, "labels": observed.labels,
            "check": check.to_dict(), "param_names": posterior.param_names,
            "priors": prior_ranges(posterior.prior),
            "param_labels": self.param_labels,
        }  # fmt: skip
        if not survey:
            samples = posterior.sample_batched(x, n, seed=seed).cpu().numpy()
            return Draws(**common, samples=samples, method="the run's single-map posterior")
        if n_maps in sizes:
            mean = survey_mean(x, np.arange(n_maps)[None])
            samples = posterior.sample(mean, n, seed=seed).cpu().numpy()
            method = (f"the run's posterior for surveys of {n_maps} maps, on the mean of their "
                      "summaries (as it was fitted)")  # fmt: skip
            return Draws(**common, samples=samples, method=method,
                         diagnostics={"assumption": INDEPENDENCE})  # fmt: skip
        product = sample_product(posterior, x, n, seed=seed)
        if not product.converged:
            d = product.diagnostics
            log.warning(
                "the combined posterior of the %d maps may be unreliable: importance effective "
                "sample size %.0f (needed %.0f), Pareto k̂ %.2f (needed < %.1f); the maps' "
                "single-map posteriors may disagree", n_maps, d["importance_ess"], d["min_ess"],
                d["pareto_khat"], d["max_khat"])  # fmt: skip
        method = f"the product of {n_maps} single-map posteriors divided by the prior^{n_maps - 1}"
        return Draws(**common, samples=product.samples.astype(np.float32), method=method,
                     diagnostics=product.diagnostics)  # fmt: skip

    def check_survey(self, n_maps: int, summary: str = layout.ENCODER) -> None:
        """Check, before any work, that the run can give the posterior of a survey of
        ``n_maps`` maps: two or more, and a single-map posterior unless the run has one for
        surveys of exactly that size."""
        _check_survey(n_maps, self.survey_sizes(summary), summary)

    def refine(self, maps: Maps, out: str | Path, *, rounds: int, simulations: int = 500,
               survey: bool = False, summary: str = layout.ENCODER, seed: int = 0,
               content: str | None = None, box_size: float | None = None,
               progress: bool = False) -> SequentialResult:  # fmt: skip
        """The posterior of one observation — one map, or with ``survey`` N maps of one
        universe — refined in ``rounds`` rounds of truncated sequential NPE with
        ``simulations`` new simulations each (see :mod:`cosmossl.job.sequential`), in the
        folder ``out`` (resumable: a second call continues or reuses it). Needs a run whose
        dataset simulates; ``result.posterior`` is the refined posterior."""
        from cosmossl.inference.sequential import RoundSettings
        from cosmossl.job.sequential import run_rounds
        from cosmossl.job.sequential_setup import check_one_observation, sequential_setup

        observed = maps if isinstance(maps, ObservedMaps) else self.read(
            maps, content=content, box_size=box_size)  # fmt: skip
        check_one_observation(len(observed), survey)
        if survey:
            self.check_survey(len(observed), summary)
        settings = RoundSettings(simulations=simulations)
        setup = sequential_setup(self, summary=summary, survey_size=len(observed), seed=seed)
        x = self._compress(observed, summary, 256, progress).mean(0)
        return run_rounds(setup, x, out, rounds=rounds, settings=settings, progress=progress)


def prior_ranges(prior: BoxPrior) -> dict[str, tuple[float, float]]:
    """``{name: (low, high)}`` of a box prior, as the run file wrote them (the posterior keeps
    them in float32: 7 significant digits undo that)."""

    def exact(values: Any) -> list[float]:
        return [float(f"{v:.7g}") for v in values.tolist()]

    return dict(zip(prior.names, zip(exact(prior.low), exact(prior.high))))


def _check_survey(n_maps: int, sizes: list[int], summary: str) -> None:
    if n_maps < 2:
        raise DataError(
            f"a survey needs at least 2 maps, got {n_maps}: drop --survey (survey=False) for "
            "the posterior of one map"
        )
    if n_maps not in sizes and 1 not in sizes:
        raise DataError(
            f"a survey of {n_maps} maps: the run's {summary} posterior was fitted on surveys of "
            f"{', '.join(map(str, sizes))} maps only, and combining maps needs its single-map "
            f"posterior; give {' or '.join(map(str, sizes))} maps, or fit a single-map "
            "posterior ([inference] survey_size = 1)"
        )


def _survey_size(metrics: Path) -> int:
    """The survey size a posterior was fitted for, from its stage's ``metrics.json`` (1 when
    it does not say)."""
    try:
        return int(json.loads(metrics.read_text(encoding="utf-8")).get("survey_size", 1))
    except (OSError, ValueError, TypeError, AttributeError):
        return 1
