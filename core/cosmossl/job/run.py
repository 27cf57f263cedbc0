"""The main job: simulate or load → train → compress → harden → infer → robustness →
information check → report.

Every stage writes into one run directory and is skipped on a re-run when its inputs are
unchanged: its config section, the run seed, the keys of the stages it consumes, the files a
file dataset reads (:meth:`~cosmossl.Dataset.files`) and the code of the components it runs
(:func:`~cosmossl.plugin.provenance.code_identity`); see :mod:`cosmossl.job.run_dir`.

Before any work the run file is checked (:func:`cosmossl.job.plan.check_config`), so are the
files it reads, their splits and the size of the encoder it trains
(:func:`~cosmossl.job.plan.check_dataset`), the run directory is claimed and locked, and every
folder in it is checked to be writable.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from cosmossl._util.digest import file_fingerprint
from cosmossl._util.files import write_json
from cosmossl.components.dataset import Simulator
from cosmossl.config.run_file import ComponentSpec, RunConfig, contamination_spec, load_run_config
from cosmossl.data.hdf5 import read_mapset, write_mapset
from cosmossl.data.mapset import MapSet
from cosmossl.data.summaries import write_summaries
from cosmossl.errors import ConfigError, DataError
from cosmossl.inference.plots import getdist_notes
from cosmossl.job import run_dir as layout
from cosmossl.job.plan import (
    build_dataset,
    check_config,
    check_data,
    check_dataset,
    check_hardening,
    contamination_dataset,
)
from cosmossl.job.report.run_report import write_run_report
from cosmossl.job.results import RunResult, read_json
from cosmossl.job.run_dir import RunDirectory, run_directory
from cosmossl.plugin.factory import create
from cosmossl.plugin.provenance import code_identity
from cosmossl.training.checkpoint import find_checkpoint
from cosmossl.training.folder import TrainingFolder

log = logging.getLogger("cosmossl.run")

__all__ = ["RunResult", "run"]


def run(
    config: RunConfig | str | Path,
    *,
    run_dir: str | Path | None = None,
    progress: bool = True,
    force: bool = False,
    data_dir: str | Path | None = None,
) -> RunResult:
    """Run the whole job described by a run file; see the module docstring.

    ``force=True`` reruns every stage. ``data_dir`` puts the data stage (simulated maps) in
    another folder so that several runs on the same data share it. Returns a
    :class:`~cosmossl.job.results.RunResult`.
    """
    if not isinstance(config, RunConfig):
        config = load_run_config(config)
    check_config(config, "run")
    check_dataset(config, "`cosmossl run`", command="run")
    with (
        _directories(run_directory(config, run_dir), data_dir) as (directory, data),
        getdist_notes(),  # GetDist's warnings of every figure of the run: one line
    ):
        return _Job(config, directory, progress, force, data).execute()


@contextmanager
def _directories(
    root: Path, data_dir: str | Path | None
) -> Iterator[tuple[RunDirectory, RunDirectory]]:
    """The run directory and the data directory (the same unless given), claimed, locked and
    checked to be writable."""
    with RunDirectory(root) as directory:
        data_context = RunDirectory(data_dir) if data_dir is not None else nullcontext(directory)
        with data_context as data:
            directory.check_writable()
            data.check_writable()
            yield directory, data


def _code(*specs: ComponentSpec | None) -> list[dict[str, Any]]:
    """The code identity of each component (see :mod:`cosmossl.plugin.provenance`)."""
    return [code_identity(spec.kind, spec.type) for spec in specs if spec is not None]


class _Job:
    def __init__(
        self,
        config: RunConfig,
        directory: RunDirectory,
        progress: bool,
        force: bool,
        data_dir: RunDirectory,
    ) -> None:
        self.config = config
        self.settings = config.settings
        self.dir = directory
        self.data_dir = data_dir
        self.progress = progress
        self.force = force
        self.result = RunResult(directory.root)
        self.dataset_spec = config.require("dataset")

    def _stage(
        self,
        name: str,
        inputs: dict[str, Any],
        outputs: list[str],
        action: Callable[[], None],
        *,
        where: RunDirectory | None = None,
        owned: list[str] | None = None,
    ) -> str:
        where = where or self.dir
        key, ran = where.run_stage(
            name, inputs, outputs, action, force=self.force, owned=owned or ()
        )
        self.result.ran[name] = ran
        return key

    def execute(self) -> RunResult:
        dataset = build_dataset(self.config, "`cosmossl run`")
        # Built before any work, so that their own checks fail now rather than after training.
        contaminations = {
            index: contamination_dataset(self.config, index)
            for index, c in enumerate(self.settings.robustness.contaminations)
            if c.dataset is not None
        }
        check_hardening(self.config, dataset)
        mapset, data_key = self.data(dataset)
        check_data(self.config, mapset)  # what the inference will need, before any training
        sources: dict[str, tuple[str, str]] = {}  # label -> (summaries file, stage key)
        checkpoint, train_key = None, None
        if self.config.component("encoder") and self.config.component("loss"):
            checkpoint, train_key = self.train(mapset, data_key)
            sources[layout.ENCODER] = self.compress_encoder(mapset, checkpoint, train_key)
        statistic_spec = self.config.component("statistic")
        if statistic_spec is not None:
            sources[statistic_spec.type] = self.compress_statistic(mapset, data_key)
        if self.settings.hardening.nuisance:
            for label, (path, key) in list(sources.items()):
                sources[layout.hardened(label)] = self.harden(
                    dataset, mapset, label, path, key, checkpoint
                )
        if self.config.component("backend") is not None:
            for label, (path, key) in sources.items():
                self.result.metrics[label] = self.infer(label, path, key)
            if self.settings.robustness.contaminations:
                contaminated = self.contaminate(mapset, data_key, contaminations)
                for label, (path, key) in sources.items():
                    self.result.robustness[label] = self.robustness(
                        label, path, key, mapset, checkpoint, contaminated
                    )
        if isinstance(dataset, Simulator) and self.settings.fisher.enabled:
            self.result.fisher = self.fisher(dataset, mapset, checkpoint, train_key, data_key)
        self.result.report = write_run_report(self.config, self.dir, self.result)
        return self.result

    # ---- stages -------------------------------------------------------------------------------

    def data(self, dataset: Any) -> tuple[MapSet, str]:
        inputs = {
            "dataset": self.dataset_spec.to_table(),
            "seed": self.settings.dataset_seed,  # the data's seed alone: runs may share it
            "code": _code(self.dataset_spec),
        }
        if not isinstance(dataset, Simulator):
            # Files on disk (CAMELS, npy, hdf5) are read in place, never copied; their
            # fingerprints (taken once they are opened and checked) are the stage's input.
            mapset = dataset.load(seed=self.settings.dataset_seed, progress=self.progress)
            inputs["files"] = self._fingerprints(dataset)
            key = self._stage("data", inputs, [], lambda: None)
            return mapset, key
        maps = self.data_dir.path(layout.MAPS)

        def simulate() -> None:
            mapset = dataset.load(seed=self.settings.dataset_seed, progress=self.progress)
            write_mapset(mapset, maps)

        key = self._stage("data", inputs, [layout.MAPS], simulate, where=self.data_dir)
        return read_mapset(maps), key

    def _fingerprints(self, dataset: Any) -> list[dict[str, Any]]:
        """The fingerprints of the files a file dataset reads (part of its stage's key)."""
        content = self.settings.digest_data
        return [file_fingerprint(f, content=content) for f in dataset.files()]

    def train(self, mapset: MapSet, data_key: str) -> tuple[Path, str]:
        from cosmossl.job.train import train

        inputs = {
            "data": data_key,
            "record": self.config.training_record(),
            "train": self.settings.train.model_dump(mode="json"),
        }
        folder = TrainingFolder(self.dir.path(layout.TRAIN))

        def fit(resume: bool) -> None:
            train(self.config, self.dir.root, mapset=mapset, resume=resume, progress=self.progress)

        def action() -> None:
            if not self.force and find_checkpoint(folder.last) is not None:
                # An interrupted run with the same inputs (code included: the record holds it)
                # continues from its last complete checkpoint.
                try:
                    return fit(resume=True)
                except (ConfigError, DataError) as exc:
                    log.warning("not resuming the training in %s (%s): starting over",
                                folder.root, str(exc).splitlines()[0])  # fmt: skip
            self.dir.remove(layout.TRAIN)  # claimed by the stage: written by cosmossl
            fit(resume=False)

        key = self._stage("train", inputs, [layout.BEST_CHECKPOINT], action, owned=[layout.TRAIN])
        return self.dir.path(layout.BEST_CHECKPOINT), key

    def compress_encoder(self, mapset: MapSet, checkpoint: Path, train_key: str):
        from cosmossl.summaries.compress import compress

        out = layout.summaries(layout.ENCODER)

        def action() -> None:
            summaries = compress(
                mapset, checkpoint, device=self.settings.device, progress=self.progress
            )
            write_summaries(self.dir.path(out), summaries)

        key = self._stage(f"compress-{layout.ENCODER}", {"train": train_key}, [out], action)
        return out, key

    def compress_statistic(self, mapset: MapSet, data_key: str):
        from cosmossl.summaries.compress import compress_statistic

        spec = self.config.require("statistic")
        out = layout.summaries(spec.type)

        def action() -> None:
            statistic = create("statistic", spec.type, spec.params, meta=mapset.meta)
            summaries = compress_statistic(
                mapset,
                statistic,
                name=spec.type,
                device=self.settings.device,
                progress=self.progress,
            )
            write_summaries(self.dir.path(out), summaries)

        inputs = {"data": data_key, "statistic": spec.to_table(), "code": _code(spec)}
        key = self._stage(f"compress-{spec.type}", inputs, [out], action)
        return out, key

    def harden(
        self,
        simulator: Any,
        mapset: MapSet,
        label: str,
        summaries: str,
        summaries_key: str,
        checkpoint: Path | None,
    ) -> tuple[str, str]:
        """The hardened twin of the summaries ``label`` (``[hardening]``), and the fitted
        hardening in ``hardening/<label>.json``."""
        from cosmossl.data.summaries import read_summaries
        from cosmossl.job.hardening import fit_run_hardening, harden_summaries

        out, fitted = layout.summaries(layout.hardened(label)), layout.hardening(label)
        spec = self._summary_spec(label)

        def action() -> None:
            hardening = fit_run_hardening(
                self.config, simulator, label, spec, checkpoint=checkpoint, meta=mapset.meta
            )
            write_json(self.dir.path(fitted), hardening.to_dict())
            s = read_summaries(self.dir.path(summaries))
            write_summaries(self.dir.path(out), harden_summaries(s, hardening, label))

        inputs = {
            "summaries": summaries_key,
            "hardening": self.settings.hardening.model_dump(mode="json"),
            "dataset": self.dataset_spec.to_table(),
            "seed": self.settings.seed,
            "code": _code(spec, self.dataset_spec),
        }
        key = self._stage(f"harden-{label}", inputs, [out, fitted], action)
        return out, key

    def _summary_spec(self, label: str) -> ComponentSpec:
        """The component that makes the summaries ``label`` (hardened or not)."""
        if layout.base_label(label) == layout.ENCODER:
            return self.config.require("encoder")
        return self.config.require("statistic")

    def infer(self, label: str, summaries: str, summaries_key: str) -> dict[str, Any]:
        from cosmossl.job.infer import infer

        out_dir = layout.inference(label)
        metrics = f"{out_dir}/{layout.METRICS}"
        inputs = {
            "summaries": summaries_key,
            "backend": self.config.require("backend").to_table(),
            "inference": self.settings.inference.model_dump(mode="json"),
            "seed": self.settings.seed,
            "code": _code(self.config.require("backend")),
        }

        def action() -> None:
            infer(
                self.config,
                summaries=self.dir.path(summaries),
                out=self.dir.path(out_dir),
                progress=self.progress,
            )

        self._stage(f"infer-{label}", inputs, [metrics], action, owned=[out_dir])
        return read_json(self.dir.path(metrics))

    def contaminate(
        self, mapset: MapSet, data_key: str, datasets: dict[int, Any]
    ) -> dict[str, tuple[str, str]]:
        """The contaminated test maps of every ``[[robustness.contaminations]]`` table, in the
        data folder (shared by runs on the same data): ``{name: (maps file, stage key)}``.
        ``datasets``: the dataset of each dataset contamination, by its index."""
        from cosmossl.job.robustness import contaminate

        out = {}
        for index, contamination in enumerate(self.settings.robustness.contaminations):
            path = layout.contaminated_maps(index, contamination.label)
            spec = contamination_spec(self.config, contamination)
            inputs: dict[str, Any] = {
                "data": data_key,
                "contamination": spec.to_table(),
                "seed": self.settings.dataset_seed,
                "code": _code(spec),
            }
            dataset = datasets.get(index)
            if dataset is not None and not isinstance(dataset, Simulator):
                inputs["files"] = self._fingerprints(dataset)

            def action(index: int = index, path: str = path, dataset: Any = dataset) -> None:
                maps = contaminate(self.config, mapset, index, dataset=dataset,
                                   progress=self.progress)  # fmt: skip
                write_mapset(maps, self.data_dir.path(path))

            name = f"contaminate-{Path(path).stem}"
            key = self._stage(name, inputs, [path], action, where=self.data_dir)
            out[contamination.label] = (path, key)
        return out

    def robustness(
        self,
        label: str,
        summaries: str,
        summaries_key: str,
        mapset: MapSet,
        checkpoint: Path | None,
        contaminated: dict[str, tuple[str, str]],
    ) -> dict[str, Any]:
        from cosmossl.data.summaries import read_summaries
        from cosmossl.information.hardening import NuisanceHardening
        from cosmossl.job.robustness import evaluate_robustness, read_contaminated
        from cosmossl.summaries.compress import compress, compress_statistic

        out_dir = layout.robustness(label)
        metrics = f"{out_dir}/{layout.METRICS}"
        # The summary that is run again on the contaminated maps: the trained encoder, or the
        # statistic (its code is part of the key, as for the stages that made the summaries),
        # then the fitted hardening for a hardened label.
        summary_spec = self._summary_spec(label)
        base = layout.base_label(label)
        inputs = {
            "summaries": summaries_key,
            "infer": self.dir.key(f"infer-{label}"),
            "contaminated": {name: key for name, (_, key) in contaminated.items()},
            "robustness": self.settings.robustness.model_dump(mode="json"),
            "inference": self.settings.inference.model_dump(mode="json"),
            "backend": self.config.require("backend").to_table(),
            "seed": self.settings.seed,
            "code": _code(summary_spec, self.config.require("backend")),
        }
        if base != label:  # the hardened twin hardens the contaminated summaries of its base
            inputs["base"] = self.dir.key(f"robustness-{base}")
        device = self.settings.device

        def summarize(maps: MapSet) -> Any:
            if base == layout.ENCODER:
                values = compress(maps, checkpoint, device=device, progress=False).summaries
            else:
                statistic = create(
                    "statistic", summary_spec.type, summary_spec.params, meta=mapset.meta
                )
                values = compress_statistic(
                    maps, statistic, name=summary_spec.type, device=device, progress=False
                ).summaries
            return values if base == label else hardening()(values)

        def hardening() -> NuisanceHardening:
            return NuisanceHardening.from_dict(read_json(self.dir.path(layout.hardening(base))))

        def action() -> None:
            test_sets: dict[str, Any] = {name: read_mapset(self.data_dir.path(path))
                                         for name, (path, _) in contaminated.items()}  # fmt: skip
            kept = None
            if base != label:
                kept = read_contaminated(
                    self.dir.path(layout.robustness(base), layout.CONTAMINATED_SUMMARIES)
                )
            if kept is not None and set(kept) == set(test_sets):
                test_sets = {name: hardening()(values) for name, values in kept.items()}
            evaluate_robustness(
                self.config,
                read_summaries(self.dir.path(summaries)),
                summarize,
                test_sets,
                self.dir.path(out_dir),
                posterior_dir=self.dir.path(layout.inference(label), layout.POSTERIOR),
                progress=self.progress,
            )

        self._stage(f"robustness-{label}", inputs, [metrics], action, owned=[out_dir])
        return read_json(self.dir.path(metrics))

    def fisher(
        self,
        simulator: Simulator,
        mapset: MapSet,
        checkpoint: Path | None,
        train_key: str | None,
        data_key: str,
    ) -> dict[str, Any]:
        statistic_spec = self.config.component("statistic")
        inputs = {
            "data": data_key,
            "train": train_key,
            "statistic": statistic_spec.to_table() if statistic_spec else None,
            "fisher": self.settings.fisher.model_dump(mode="json"),
            "seed": self.settings.seed,
            "code": _code(statistic_spec),
        }

        def action() -> None:
            from cosmossl.job.fisher import check_information

            statistics = {}
            if statistic_spec is not None:
                statistics[statistic_spec.type] = create(
                    "statistic", statistic_spec.type, statistic_spec.params, meta=mapset.meta
                )
            result = check_information(
                self.config, simulator, checkpoint=checkpoint, statistics=statistics
            )
            write_json(self.dir.path(layout.FISHER), result)

        self._stage("fisher", inputs, [layout.FISHER], action)
        return read_json(self.dir.path(layout.FISHER))
