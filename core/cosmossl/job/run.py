"""The main job: simulate or load → train → compress → infer → information check → report.

Every stage writes into one run directory and is skipped on a re-run when its inputs (its config
section, the run seed, and the keys of the stages it consumes) are unchanged (see
:mod:`cosmossl.job.stages`).
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cosmossl._util.files import write_json
from cosmossl.components.dataset import Simulator
from cosmossl.config.run_file import ComponentSpec, RunConfig, load_run_config
from cosmossl.data.hdf5 import read_mapset, write_mapset
from cosmossl.data.mapset import MapSet
from cosmossl.data.summaries import write_summaries
from cosmossl.errors import ConfigError
from cosmossl.information.check import encoder_summarizer, information, statistic_summarizer
from cosmossl.job import run_dir as layout
from cosmossl.job.run_dir import BEST_CHECKPOINT, ENCODER, FISHER, MAPS, TRAIN, run_directory
from cosmossl.job.stages import RunDirectory
from cosmossl.plugin.factory import build_component

log = logging.getLogger("cosmossl.run")


@dataclass
class RunResult:
    """What :func:`run` did and where it put it.

    Attributes:
        run_dir: the run directory.
        ran: stage name → whether it ran (``False``: skipped, inputs unchanged).
        metrics: summary label (``"encoder"`` or a statistic name) → inference metrics.
        fisher: the information check (``None`` without a simulator or when disabled).
        report: path of ``report.md`` (``report.html`` beside it).
    """

    run_dir: Path
    ran: dict[str, bool] = field(default_factory=dict)
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)
    fisher: dict[str, Any] | None = None
    report: Path | None = None


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
    :class:`RunResult`.
    """
    if not isinstance(config, RunConfig):
        config = load_run_config(config)
    root = run_directory(config, run_dir)
    data = RunDirectory(data_dir) if data_dir is not None else None
    return _Job(config, root, progress, force, data).execute()


class _Job:
    def __init__(
        self,
        config: RunConfig,
        root: Path,
        progress: bool,
        force: bool,
        data_dir: RunDirectory | None,
    ) -> None:
        self.config = config
        self.settings = config.settings
        self.dir = RunDirectory(root)
        self.data_dir = data_dir or self.dir
        self.progress = progress
        self.force = force
        self.result = RunResult(root)
        self.dataset_spec = _required(config, "dataset")

    def _stage(
        self, name: str, inputs: dict[str, Any], outputs: list[str], action, *, where=None
    ) -> str:
        where = where or self.dir
        key, ran = where.run_stage(name, inputs, outputs, action, force=self.force)
        self.result.ran[name] = ran
        return key

    def execute(self) -> RunResult:
        dataset = build_component(self.dataset_spec)
        mapset, data_key = self.data(dataset)
        sources: dict[str, tuple[str, str]] = {}  # label -> (summaries file, stage key)
        checkpoint, train_key = None, None
        if self.config.component("encoder") and self.config.component("loss"):
            checkpoint, train_key = self.train(mapset, data_key)
            sources[ENCODER] = self.compress_encoder(mapset, checkpoint, train_key)
        statistic_spec = self.config.component("statistic")
        if statistic_spec is not None:
            sources[statistic_spec.type] = self.compress_statistic(mapset, data_key)
        if not sources:
            raise ConfigError(
                f"{self.config.source}: nothing to summarise: give [encoder] and [loss] tables "
                "(a trained summary) and/or a [statistic] table (e.g. power-spectrum)"
            )
        if self.config.component("backend") is not None:
            for label, (path, key) in sources.items():
                self.result.metrics[label] = self.infer(label, path, key)
        if isinstance(dataset, Simulator) and self.settings.fisher.enabled:
            self.result.fisher = self.fisher(dataset, mapset, checkpoint, train_key, data_key)
        from cosmossl.job.report.run_report import write_run_report

        self.result.report = write_run_report(self.config, self.dir, self.result)
        return self.result

    # ---- stages -------------------------------------------------------------------------------

    def data(self, dataset: Any) -> tuple[MapSet, str]:
        inputs = {"dataset": self.dataset_spec.to_table(), "seed": self.settings.seed}
        if not isinstance(dataset, Simulator):
            # Files on disk (CAMELS, npy, hdf5) are read in place, never copied.
            key = self._stage("data", inputs, [], lambda: None)
            return dataset.load(seed=self.settings.seed, progress=self.progress), key
        maps = self.data_dir.path(MAPS)

        def simulate() -> None:
            write_mapset(dataset.load(seed=self.settings.seed, progress=self.progress), maps)

        key = self._stage("data", inputs, [MAPS], simulate, where=self.data_dir)
        return read_mapset(maps), key

    def train(self, mapset: MapSet, data_key: str) -> tuple[Path, str]:
        from cosmossl.training import train

        config, settings = self.config, self.settings
        inputs = {
            "data": data_key,
            "seed": settings.seed,
            "encoder": config.component("encoder").to_table(),
            "loss": config.component("loss").to_table(),
            "augmentations": [spec.to_table() for spec in config.augmentations],
            "pairing": settings.pairing.model_dump(mode="json"),
            "train": settings.train.model_dump(mode="json"),
        }
        train_dir = self.dir.path(TRAIN)

        def fit(resume: bool) -> None:
            train(config, self.dir.root, mapset=mapset, record=inputs, resume=resume,
                  progress=self.progress)  # fmt: skip

        def action() -> None:
            if not self.force and (train_dir / "checkpoints" / "last").exists():
                # An interrupted run with the same inputs continues where it stopped.
                try:
                    return fit(resume=True)
                except ConfigError as exc:
                    log.warning("not resuming the training in %s (%s): starting over", train_dir,
                                str(exc).splitlines()[0])  # fmt: skip
            shutil.rmtree(train_dir, ignore_errors=True)
            fit(resume=False)

        key = self._stage("train", inputs, [BEST_CHECKPOINT], action)
        return self.dir.path(BEST_CHECKPOINT), key

    def compress_encoder(self, mapset: MapSet, checkpoint: Path, train_key: str):
        from cosmossl.training import compress

        out = layout.summaries(ENCODER)

        def action() -> None:
            summaries = compress(
                mapset, checkpoint, device=self.settings.device, progress=self.progress
            )
            write_summaries(self.dir.path(out), summaries)

        key = self._stage(f"compress-{ENCODER}", {"train": train_key}, [out], action)
        return out, key

    def compress_statistic(self, mapset: MapSet, data_key: str):
        from cosmossl.training import compress_statistic

        spec = self.config.component("statistic")
        out = layout.summaries(spec.type)

        def action() -> None:
            statistic = build_component(spec, meta=mapset.meta)
            summaries = compress_statistic(
                mapset,
                statistic,
                name=spec.type,
                device=self.settings.device,
                progress=self.progress,
            )
            write_summaries(self.dir.path(out), summaries)

        inputs = {"data": data_key, "statistic": spec.to_table()}
        key = self._stage(f"compress-{spec.type}", inputs, [out], action)
        return out, key

    def infer(self, label: str, summaries: str, summaries_key: str) -> dict[str, Any]:
        from cosmossl.inference import infer

        out_dir = layout.inference(label)
        inputs = {
            "summaries": summaries_key,
            "backend": self.config.component("backend").to_table(),
            "inference": self.settings.inference.model_dump(mode="json"),
            "seed": self.settings.seed,
        }

        def action() -> None:
            infer(
                self.config,
                summaries=self.dir.path(summaries),
                out=self.dir.path(out_dir),
                progress=self.progress,
            )

        self._stage(f"infer-{label}", inputs, [f"{out_dir}/metrics.json"], action)
        return _read_json(self.dir.path(out_dir, "metrics.json"))

    def fisher(
        self,
        simulator: Simulator,
        mapset: MapSet,
        checkpoint: Path | None,
        train_key: str | None,
        data_key: str,
    ) -> dict[str, Any]:
        options = self.settings.fisher
        statistic_spec = self.config.component("statistic")
        inputs = {
            "data": data_key,
            "train": train_key,
            "statistic": statistic_spec.to_table() if statistic_spec else None,
            "fisher": options.model_dump(mode="json"),
            "seed": self.settings.seed,
        }

        def action() -> None:
            from cosmossl.training import load_encoder

            summarizers = {}
            if checkpoint is not None:
                encoder, standardizer, _ = load_encoder(checkpoint)
                summarizers[ENCODER] = encoder_summarizer(
                    encoder, standardizer, device=self.settings.device
                )
            if statistic_spec is not None:
                statistic = build_component(statistic_spec, meta=mapset.meta)
                summarizers[statistic_spec.type] = statistic_summarizer(statistic)
            result = information(
                simulator,
                summarizers,
                mapset.param_names,
                n_fiducial=options.n_fiducial,
                n_derivative=options.n_derivative,
                step=options.step,
                seed=self.settings.seed,
            )
            write_json(self.dir.path(FISHER), result)

        self._stage("fisher", inputs, [FISHER], action)
        return _read_json(self.dir.path(FISHER))


def _required(config: RunConfig, slot: str) -> ComponentSpec:
    spec = config.component(slot)
    if spec is None:
        raise ConfigError(f"{config.source}: the run needs a [{slot}] table")
    return spec


def _read_json(path: Path) -> dict[str, Any]:
    import json

    return json.loads(path.read_text(encoding="utf-8"))
