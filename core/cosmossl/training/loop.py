"""The training loop: groups × views → augmentations → encoder + loss → AdamW.

Everything random is keyed by (seed, epoch, step, rank) — batch composition, view choice and
augmentation draws — and the torch RNG state travels with the checkpoint, so an interrupted and
resumed run ends with exactly the weights of an uninterrupted one on CPU.

The parts live in their own modules: batches and views in :mod:`cosmossl.training.views`, checkpoint
save/restore in :mod:`~cosmossl.training.resume`, the learning rate in
:mod:`~cosmossl.training.schedule`, background reading in :mod:`~cosmossl.training.prefetch`,
metrics and collapse warnings in :mod:`~cosmossl.training.metrics`.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from cosmossl._util.devices import resolve_device
from cosmossl._util.seeds import derive_seed
from cosmossl.components.dataset import TrainingSimulator
from cosmossl.config.settings import PairingSettings, TrainSettings
from cosmossl.data.mapset import MapSet
from cosmossl.data.splits import Split
from cosmossl.data.standardize import Standardizer
from cosmossl.errors import ConfigError
from cosmossl.nn.distributed import all_reduce_mean, rank, world_size
from cosmossl.training import resume as run_resume
from cosmossl.training.folder import TrainingFolder
from cosmossl.training.fresh import FreshMaps
from cosmossl.training.metrics import MetricsLog, StepTimer, collapse_warning, step_metrics
from cosmossl.training.prefetch import read_ahead
from cosmossl.training.process_group import join_process_group
from cosmossl.training.schedule import learning_rate
from cosmossl.training.state import TrainState
from cosmossl.training.views import ViewSampler, group_members, make_views

log = logging.getLogger("cosmossl.training")


@dataclass
class TrainResult:
    """What :func:`train` did.

    Attributes:
        run_dir: the run folder (``metrics.jsonl``, ``tensorboard/``, ``checkpoints/``).
        checkpoint: the best checkpoint (lowest validation loss; the last epoch's for a loss
            with ``select_by_validation = False``) — use it for compression.
        last_checkpoint: the latest checkpoint (resume point).
        epochs: epochs completed; steps: optimiser steps taken.
        best_val_loss / best_epoch: the lowest validation loss and its epoch (training loss
            without a val split).
        checkpoint_epoch: the epoch whose weights ``checkpoint`` holds.
        stopped_early: early stopping ended the run; interrupted: ``stop_after_steps`` did.
        history: one dict per epoch (train_loss, val_loss, lr, ...).
        rank: this process's rank under DDP (0 in one process; only rank 0 wrote files).
    """

    run_dir: Path
    checkpoint: Path
    last_checkpoint: Path
    epochs: int
    steps: int
    best_val_loss: float | None
    best_epoch: int | None
    stopped_early: bool = False
    interrupted: bool = False
    checkpoint_epoch: int | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    rank: int = 0


class Objective(nn.Module):
    """Encoder + loss as one module, so DDP synchronises the gradients of both (heads too)."""

    def __init__(self, encoder: nn.Module, loss: nn.Module) -> None:
        super().__init__()
        self.encoder = encoder
        self.loss = loss

    def forward(self, views: torch.Tensor, theta: torch.Tensor | None) -> tuple[Any, ...]:
        out = self.loss(self.encoder, views, theta)
        # A tuple, not the LossOutput dataclass: DDP walks outputs to find tensors.
        return out.loss, out.terms, out.embeddings


@dataclass(frozen=True)
class TrainJob:
    """Everything a training run is made of, besides the modules it trains.

    Attributes:
        mapset: the maps; training and validation use their ``train`` and ``val`` splits.
        folder: where checkpoints, metrics and TensorBoard scalars go.
        settings: the ``[train]`` table. pairing: the ``[pairing]`` table (views per group,
            pairing level, small groups).
        augmentations: applied to every view independently, in order.
        seed: the run seed. device: the resolved training device.
        record: JSON stored with each checkpoint (the run file's parts that define the run); it
            enters the configuration hash that a resume checks.
        progress: show a progress bar (rank 0 only).
        simulator: when given, every training step draws new realisations of its cosmologies
            from it (:mod:`cosmossl.training.fresh`); validation keeps the stored maps.
    """

    mapset: MapSet
    folder: TrainingFolder
    settings: TrainSettings
    pairing: PairingSettings
    augmentations: tuple[Any, ...] = ()
    seed: int = 0
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))
    record: dict[str, Any] = field(default_factory=dict)
    progress: bool = True
    simulator: TrainingSimulator | None = None


def train_components(
    mapset: MapSet,
    encoder: nn.Module,
    loss: nn.Module,
    *,
    run_dir: str | Path,
    augmentations: Sequence[Any] = (),
    settings: TrainSettings | None = None,
    pairing: PairingSettings | None = None,
    seed: int = 0,
    device: str = "auto",
    resume: bool = False,
    progress: bool = True,
    stop_after_steps: int | None = None,
    record: dict[str, Any] | None = None,
    simulator: TrainingSimulator | None = None,
    **deprecated: Any,
) -> TrainResult:
    """Train ``encoder`` with ``loss`` on the training split of ``mapset``.

    ``run_dir`` is the training folder (checkpoints, ``metrics.jsonl``, TensorBoard scalars);
    ``settings`` and ``pairing`` are the run file's ``[train]`` and ``[pairing]`` tables
    (defaults when omitted); ``record`` is JSON stored with each checkpoint (the run file,
    component names): it enters the configuration hash that ``resume`` checks.
    ``stop_after_steps`` stops (with a resumable checkpoint) once that many optimiser steps were
    taken in total. ``simulator`` (a :class:`~cosmossl.components.dataset.TrainingSimulator`)
    makes every training batch afresh from the cosmologies of the training split. Under
    ``torchrun`` every process calls this; each trains on its share of each batch (and
    simulates only that share) and only rank 0 writes.

    cosmossl 0.1.0's keywords ``views``, ``level`` and ``small_groups`` still work until 0.3.0,
    with a DeprecationWarning: they are the fields of ``pairing`` now.
    """
    pairing = _pairing_of_0_1(pairing, deprecated)
    dev = resolve_device(device)
    job = TrainJob(
        mapset=mapset,
        folder=TrainingFolder(Path(run_dir)),
        settings=settings or TrainSettings(),
        pairing=pairing,
        augmentations=tuple(augmentations),
        seed=seed,
        device=dev,
        record=record or {},
        progress=progress,
        simulator=simulator,
    )
    owns_group = join_process_group(dev)
    try:
        return _Trainer(job, encoder, loss).run(resume=resume, stop_after_steps=stop_after_steps)
    finally:
        if owns_group:
            torch.distributed.destroy_process_group()


def _pairing_of_0_1(pairing: PairingSettings | None, keywords: dict[str, Any]) -> PairingSettings:
    """``pairing`` with cosmossl 0.1.0's ``views``/``level``/``small_groups`` keywords in it."""
    unknown = set(keywords) - set(PairingSettings.model_fields)
    if unknown:
        raise TypeError(f"train_components() got unexpected keyword arguments {sorted(unknown)}")
    if not keywords:
        return pairing or PairingSettings()
    if pairing is not None:
        raise TypeError(f"train_components(): give pairing or {sorted(keywords)}, not both")
    given = ", ".join(f"{k}={v!r}" for k, v in keywords.items())
    warnings.warn(
        f"train_components({given}) is deprecated since cosmossl 0.2.0 (removed in 0.3.0): pass "
        f"pairing=cosmossl.PairingSettings({given})",
        DeprecationWarning,
        stacklevel=3,
    )
    return PairingSettings(**keywords)


class _Trainer:
    def __init__(self, job: TrainJob, encoder: nn.Module, loss: nn.Module) -> None:
        self.job = job
        self.mapset, self.settings, self.seed, self.dev = (
            job.mapset,
            job.settings,
            job.seed,
            job.device,
        )
        self.augmentations = list(job.augmentations)
        self.folder, self.progress = job.folder, job.progress
        self.rank, self.world = rank(), world_size()
        self.is_main = self.rank == 0
        pairing, settings, dev = job.pairing, job.settings, job.device
        # With fresh maps the sampler only picks the cosmologies (one map index per row).
        fresh = job.simulator is not None
        self.train_batches = ViewSampler.from_mapset(
            job.mapset,
            "train",
            pairing.level,
            1 if fresh else pairing.views,
            settings.batch_size,
            seed=job.seed,
            steps_per_epoch=settings.steps_per_epoch,
            rank=self.rank,
            world_size=self.world,
            small_groups=pairing.small_groups,
        )
        self.fresh = None
        if fresh:
            self.fresh = FreshMaps(
                job.simulator,
                job.mapset,
                pairing.level,
                pairing.views,
                job.seed,
                dev,
                first_row=self.rank * (settings.batch_size // self.world),
                paired_fraction=pairing.paired_fraction,
            )
        elif pairing.paired_fraction < 1.0:
            raise ConfigError(
                f"[pairing] paired_fraction = {pairing.paired_fraction} mixes positives of fresh "
                "training maps: it needs a simulator dataset and [train] fresh = true or 'auto'"
            )
        self.val_batches = self._val_batches(pairing)
        self.steps_per_epoch = len(self.train_batches)
        self.total_steps = settings.epochs * self.steps_per_epoch
        if self.world > 1 and settings.sync_batchnorm and dev.type == "cuda":
            # SyncBatchNorm needs GPUs; on CPU each process normalises its own share.
            encoder = nn.SyncBatchNorm.convert_sync_batchnorm(encoder)
            loss = nn.SyncBatchNorm.convert_sync_batchnorm(loss)
        self.objective = Objective(encoder, loss).to(dev)
        self.model: nn.Module = self.objective
        if self.world > 1:
            self.model = nn.parallel.DistributedDataParallel(
                self.objective, device_ids=[dev.index] if dev.type == "cuda" else None
            )
        trainable = [p for p in self.objective.parameters() if p.requires_grad]
        self.optimizer = torch.optim.AdamW(
            trainable, lr=settings.lr, weight_decay=settings.weight_decay
        )
        self.autocast = dev.type == "cuda" and settings.bf16
        # Supervised losses see θ standardised with the training split's mean and std per
        # parameter: a Gaussian-NLL head should not have to learn the scale of Ω_m against σ_8.
        theta = np.asarray(job.mapset.params, dtype=np.float64)
        scale = Standardizer.fit(theta[job.mapset.indices("train")])
        self.params = torch.as_tensor(scale(theta), dtype=torch.float32)
        self.state = TrainState()
        self.standardizer = Standardizer()
        self.log = MetricsLog(self.folder, tensorboard=settings.tensorboard, enabled=self.is_main)
        self.step_timer = StepTimer(dev)
        self.timing: dict[str, float | int] = {}
        identity = run_resume.identity(
            record=job.record,
            settings=settings,
            seed=job.seed,
            views=pairing.views,
            world=self.world,
            n_maps=len(job.mapset),
            encoder=self.encoder,
            loss=self.loss,
        )
        self.checkpoints = run_resume.RunCheckpoints(
            self.folder, self.encoder, self.loss, self.optimizer, dev, identity, self.is_main
        )

    @property
    def encoder(self) -> nn.Module:
        return self.objective.encoder

    @property
    def loss(self) -> nn.Module:
        return self.objective.loss

    # ---- setup -------------------------------------------------------------------------------

    def _val_batches(self, pairing: PairingSettings) -> ViewSampler | None:
        level, views, small_groups = pairing.level, pairing.views, pairing.small_groups
        _, members = group_members(self.mapset.group_ids(level), self.mapset.indices("val"))
        if small_groups == "skip":
            members = [m for m in members if len(m) >= views]
        # A smaller last-resort batch when the val split has fewer groups than one batch.
        size = min(self.settings.batch_size, len(members) // self.world * self.world)
        if size < max(2, self.world):
            if self.is_main:
                log.warning(
                    "no validation split (or under 2 groups): the best checkpoint is chosen "
                    "by the training loss"
                )
            return None
        # One fixed epoch (0) of every val group once: the same validation batches every epoch.
        return ViewSampler.from_mapset(
            self.mapset,
            "val",
            level,
            views,
            size,
            seed=self.seed,
            rank=self.rank,
            world_size=self.world,
            small_groups=small_groups,
        )

    def _start(self, resume: bool) -> None:
        if self.checkpoints.exists():
            if not resume:
                raise ConfigError(
                    f"run directory '{self.folder.root}' already holds a training run "
                    f"({TrainingFolder.LAST}): pass --resume (resume=True) to continue it, or "
                    "choose another run directory (--run-dir)"
                )
            self.state, self.standardizer = self.checkpoints.restore()
            self.log.truncate_after(self.state.step)
            return
        if resume:
            log.info("nothing to resume in %s: starting a new run", self.folder.root)
        torch.manual_seed(self.seed)
        if self.settings.standardize:
            self.standardizer = Standardizer.fit_maps(self.mapset, "train")

    # ---- the loop ----------------------------------------------------------------------------

    def run(self, *, resume: bool, stop_after_steps: int | None) -> TrainResult:
        self._start(resume)
        s = self.state
        bar = tqdm(
            total=self.total_steps,
            initial=s.step,
            desc="train",
            unit="step",
            disable=None if self.progress and self.is_main else True,
            dynamic_ncols=True,
        )
        try:
            while s.epoch < self.settings.epochs and not s.stopped_early:
                if self._train_epoch(bar, stop_after_steps):
                    self._save_last()
                    return self._result(interrupted=True)
                self._end_epoch()
        finally:
            bar.close()
            self.log.close()
        s.finished = True
        self._save_last()
        return self._result()

    def _train_epoch(self, bar: tqdm, stop_after_steps: int | None) -> bool:
        """Steps of the current epoch from where the state stands; ``True`` when told to stop."""
        s = self.state
        epoch, first = s.epoch, s.step_in_epoch
        keys = list(range(first, self.steps_per_epoch))
        if stop_after_steps is not None:
            keys = keys[: max(0, stop_after_steps - s.step)]

        def read(step_in_epoch: int) -> tuple[np.ndarray, np.ndarray | torch.Tensor]:
            rows = self.train_batches.batch(epoch, step_in_epoch)
            if self.fresh is not None:
                return self.fresh(epoch, step_in_epoch, rows)
            return rows, self.mapset.read(rows.reshape(-1))

        self.objective.train()
        loss_sum = torch.zeros((), dtype=torch.float64, device=self.dev)
        batches = read_ahead(read, keys, self.settings.workers)
        self.step_timer.epoch_started()
        for step_in_epoch, (rows, maps) in zip(keys, batches):
            loss, terms, embeddings = self._step(epoch, step_in_epoch, rows, maps)
            self.step_timer.step_done()
            loss_sum += loss
            s.step += 1
            s.step_in_epoch = step_in_epoch + 1
            bar.update(1)
            if s.step % self.settings.log_every == 0:
                self._log_step(bar, loss, terms, embeddings)
        s.train_loss_sum += float(all_reduce_mean(loss_sum))
        self.timing = self.step_timer.take()
        return s.step_in_epoch < self.steps_per_epoch

    def _views(self, rows: np.ndarray, maps: Any, stream: str, epoch: int, step: int):
        """Augmented, standardised views ``[B, V, C, H, W]`` and the groups' parameters."""
        generator = torch.Generator(device=self.dev)
        generator.manual_seed(derive_seed(self.seed, Split.parse(stream), epoch, step, self.rank))
        views = make_views(
            self.mapset,
            rows,
            self.augmentations,
            generator,
            self.dev,
            standardize=self.standardizer,
            maps=maps,
        )
        return views, self.params[rows[:, 0]].to(self.dev, non_blocking=True)

    def _step(self, epoch: int, step_in_epoch: int, rows: np.ndarray, maps: Any):
        s = self.state
        views, theta = self._views(rows, maps, "train", epoch, step_in_epoch)
        lr = learning_rate(
            self.settings,
            s.step,
            self.steps_per_epoch,
            self.total_steps,
            s.plateau.scale,
        )
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        with torch.autocast(device_type=self.dev.type, dtype=torch.bfloat16, enabled=self.autocast):
            loss, terms, embeddings = self.model(views, theta)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if self.settings.grad_clip is not None:
            nn.utils.clip_grad_norm_(self.objective.parameters(), self.settings.grad_clip)
        self.optimizer.step()
        self.loss.after_step(self.encoder, s.step, self.total_steps)
        return loss.detach(), terms, embeddings

    def _log_step(self, bar: tqdm, loss, terms, embeddings) -> None:
        s = self.state
        lr = self.optimizer.param_groups[0]["lr"]
        metrics = step_metrics(loss, terms, embeddings)
        self.log.write({"kind": "step", "step": s.step, "epoch": s.epoch, "lr": lr, **metrics})
        if "rankme" in metrics and self.is_main and s.warned_epoch != s.epoch:
            settings = self.settings
            dim = embeddings.shape[1]
            message = collapse_warning(metrics, dim, settings.collapse_std, settings.collapse_rank)
            if message:
                s.warned_epoch = s.epoch  # once per epoch
                log.warning("step %d: %s", s.step, message)
        bar.set_postfix({k: f"{v:.3g}" for k, v in metrics.items()}, refresh=False)

    @torch.no_grad()
    def _validate(self) -> float | None:
        if self.val_batches is None:
            return None
        self.objective.eval()
        total = 0.0
        for k in range(len(self.val_batches)):
            rows = self.val_batches.batch(0, k)
            views, theta = self._views(rows, self.mapset.read(rows.reshape(-1)), "val", 0, k)
            with torch.autocast(
                device_type=self.dev.type, dtype=torch.bfloat16, enabled=self.autocast
            ):
                loss, _, _ = self.objective(views, theta)
            total += float(all_reduce_mean(loss.float()))
        self.objective.train()
        return total / len(self.val_batches)

    def _end_epoch(self) -> None:
        s = self.state
        started = time.perf_counter()
        val_loss = self._validate()
        train_loss = s.train_loss_sum / self.steps_per_epoch
        s.epoch += 1
        s.step_in_epoch = 0
        s.train_loss_sum = 0.0
        metric = val_loss if val_loss is not None else train_loss
        improved = s.update_trackers(metric, self.settings)
        record = {
            "kind": "epoch",
            "epoch": s.epoch,
            "step": s.step,
            "train_loss": train_loss,
            "val_loss": val_loss,
            "lr": self.optimizer.param_groups[0]["lr"],
            "best_val_loss": s.best_val_loss,
            "maps_seen": s.step * self.settings.batch_size * self.job.pairing.views,
            "val_time_s": time.perf_counter() - started,
            **self.timing,
        }
        s.history.append(record)
        self.log.write({k: v for k, v in record.items() if v is not None})
        # A loss whose value does not rank epochs (a moving target) keeps its last epoch.
        if improved or not self.loss.select_by_validation:
            self.checkpoints.save(self.folder.best, s, self.standardizer, optimizer=False)
        self._save_last()

    def _save_last(self) -> None:
        self.checkpoints.save(self.folder.last, self.state, self.standardizer, optimizer=True)

    def _result(self, *, interrupted: bool = False) -> TrainResult:
        s = self.state
        return TrainResult(
            run_dir=self.folder.root,
            checkpoint=self.folder.best,
            last_checkpoint=self.folder.last,
            epochs=s.epoch,
            steps=s.step,
            best_val_loss=s.best_val_loss,
            best_epoch=s.best_epoch,
            stopped_early=s.stopped_early,
            interrupted=interrupted,
            checkpoint_epoch=s.best_epoch if self.loss.select_by_validation else s.epoch or None,
            history=list(s.history),
            rank=self.rank,
        )
