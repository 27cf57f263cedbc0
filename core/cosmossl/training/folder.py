"""The layout of a training folder (``<run_dir>/train`` in a run directory)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar


@dataclass(frozen=True)
class TrainingFolder:
    """Where a training run writes: checkpoints, the metrics log, TensorBoard scalars.

    The names are spelled here only; the run directory (:mod:`cosmossl.job.run_dir`) composes
    them into its own paths.
    """

    LAST: ClassVar[str] = "checkpoints/last"
    BEST: ClassVar[str] = "checkpoints/best"
    METRICS: ClassVar[str] = "metrics.jsonl"
    TENSORBOARD: ClassVar[str] = "tensorboard"

    root: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root))  # a str works as well

    @property
    def last(self) -> Path:
        """The latest checkpoint: where an interrupted run resumes."""
        return self.root / self.LAST

    @property
    def best(self) -> Path:
        """The checkpoint with the lowest validation loss: the one to compress with."""
        return self.root / self.BEST

    @property
    def metrics(self) -> Path:
        return self.root / self.METRICS

    @property
    def tensorboard(self) -> Path:
        return self.root / self.TENSORBOARD
