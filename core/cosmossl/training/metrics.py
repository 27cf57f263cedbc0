"""Collapse warnings, step timing and the metrics log (JSON lines, optionally TensorBoard)."""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable
from typing import Any

import torch

from cosmossl._util.files import write_text
from cosmossl.training.folder import TrainingFolder

log = logging.getLogger("cosmossl.training")


def collapse_warning(
    monitors: dict[str, float], dim: int, std_factor: float, min_rank: float
) -> str | None:
    """A message when the monitors say the representation collapsed, else ``None``."""
    healthy = 1.0 / math.sqrt(dim)
    std, rank = monitors["embedding_std"], monitors["rankme"]
    if std < std_factor * healthy or rank < min_rank:
        return (
            f"representation collapse: std of normalised embeddings {std:.3g} (healthy ≈ "
            f"{healthy:.3g} = 1/sqrt({dim})), RankMe {rank:.3g} of at most {dim}. The summaries "
            "carry little information: check the loss weights (e.g. VICReg's variance term), "
            "lower the learning rate, or add views/augmentations."
        )
    return None


def step_metrics(loss: Any, terms: dict[str, Any], embeddings: Any) -> dict[str, float]:
    """The step's loss and named terms averaged over processes, and the collapse monitors of the
    (gathered) embeddings when there are at least two."""
    from cosmossl.nn import all_reduce_mean, collapse_monitors

    record = {"loss": float(all_reduce_mean(loss))}
    record.update({k: float(all_reduce_mean(v.detach().float())) for k, v in terms.items()})
    if embeddings is not None and embeddings.shape[0] > 1:
        record.update({k: float(v) for k, v in collapse_monitors(embeddings).items()})
    return record


class MetricsLog:
    """Appends one JSON object per line to ``metrics.jsonl``; mirrors numbers to TensorBoard."""

    def __init__(self, folder: TrainingFolder, *, tensorboard: bool, enabled: bool = True) -> None:
        self.path = folder.metrics
        self.enabled = enabled
        self.writer = None
        if enabled and tensorboard:
            from torch.utils.tensorboard import SummaryWriter

            self.writer = SummaryWriter(log_dir=str(folder.tensorboard))

    def truncate_after(self, step: int) -> None:
        """Drop lines logged after ``step`` (a resumed run logs them again), and a last line
        left half-written by a process killed while writing it."""
        if not self.enabled or not self.path.is_file():
            return
        keep = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line) if line.strip() else None
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict) and record.get("step", 0) <= step:
                keep.append(line)
        write_text(self.path, "".join(line + "\n" for line in keep))

    def write(self, record: dict[str, Any]) -> None:
        if not self.enabled:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
        if self.writer is not None:
            prefix = record.get("kind", "step")
            for key, value in record.items():
                if key not in {"kind", "step", "epoch"} and isinstance(value, (int, float)):
                    self.writer.add_scalar(f"{prefix}/{key}", value, record["step"])

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


class StepTimer:
    """Wall time of the optimiser steps, from this trainer's second step on.

    The first step pays one-off costs (lazy initialisation of kernels and of the autograd
    engine, allocator growth, first reads of the map store) that would otherwise be charged to
    whichever training a process happens to run first. :meth:`take` gives each epoch's
    ``step_time_s`` and ``timed_steps``; on CUDA the clock is read after a synchronisation.
    """

    def __init__(self, device: torch.device, clock: Callable[[], float] = time.perf_counter):
        self.device, self.clock = device, clock
        self._warm = False
        self._start: float | None = None
        self._steps = 0

    def _now(self) -> float:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        return self.clock()

    def epoch_started(self) -> None:
        """Start the clock at an epoch's first step (after the warm-up step)."""
        if self._warm:
            self._start = self._now()

    def step_done(self) -> None:
        """One optimiser step finished; the first one of the trainer only ends the warm-up."""
        if self._warm:
            self._steps += 1
        else:
            self._warm = True
            self._start = self._now()

    def take(self) -> dict[str, float | int]:
        """``step_time_s`` and ``timed_steps`` since :meth:`epoch_started`; the clock stops."""
        seconds = 0.0 if self._start is None else self._now() - self._start
        record = {"step_time_s": seconds if self._steps else 0.0, "timed_steps": self._steps}
        self._start, self._steps = None, 0
        return record
