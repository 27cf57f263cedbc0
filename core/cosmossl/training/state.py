"""The run state kept in a checkpoint's ``state.json``: counters, best loss, schedule trackers."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from cosmossl.config.settings import TrainSettings

#: Relative improvement that counts as better (torch's ReduceLROnPlateau default threshold).
IMPROVEMENT = 1e-4


@dataclass
class Plateau:
    """Reduce-on-plateau tracker: best metric, epochs without improvement, lr factor so far."""

    best: float | None = None
    bad_epochs: int = 0
    scale: float = 1.0


@dataclass
class TrainState:
    """Where a training run stands; everything here is saved with each checkpoint.

    Attributes:
        epoch: completed epochs. step: optimiser steps taken. step_in_epoch: steps of the
        current epoch. train_loss_sum: sum of the current epoch's step losses.
        best_val_loss / best_epoch: of the best checkpoint.
        epochs_without_improvement: for early stopping. stopped_early / finished: how it ended.
        plateau: the reduce-on-plateau tracker. history: one record per finished epoch.
        warned_epoch: the epoch of the last collapse warning (not saved: warn again on resume).
    """

    epoch: int = 0
    step: int = 0
    step_in_epoch: int = 0
    train_loss_sum: float = 0.0
    best_val_loss: float | None = None
    best_epoch: int | None = None
    epochs_without_improvement: int = 0
    stopped_early: bool = False
    finished: bool = False
    plateau: Plateau = field(default_factory=Plateau)
    history: list[dict[str, Any]] = field(default_factory=list)
    warned_epoch: int | None = field(default=None, metadata={"saved": False})

    def update_trackers(self, metric: float, settings: TrainSettings) -> bool:
        """Best loss, early stopping and reduce-on-plateau after an epoch; ``True`` if improved.

        Reduce-on-plateau follows torch's ``ReduceLROnPlateau`` (mode min, relative threshold
        1e-4, no cooldown): after more than ``plateau_patience`` epochs without improvement the
        learning rate is multiplied by ``plateau_factor``.
        """
        plateau = self.plateau
        if _better(metric, plateau.best):
            plateau.best, plateau.bad_epochs = metric, 0
        else:
            plateau.bad_epochs += 1
            if plateau.bad_epochs > settings.plateau_patience:
                plateau.scale *= settings.plateau_factor
                plateau.bad_epochs = 0
        improved = _better(metric, self.best_val_loss)
        if improved:
            self.best_val_loss, self.best_epoch = metric, self.epoch
            self.epochs_without_improvement = 0
        else:
            self.epochs_without_improvement += 1
            patience = settings.early_stopping
            if patience is not None and self.epochs_without_improvement >= patience:
                self.stopped_early = True
        return improved

    def to_json(self) -> dict[str, Any]:
        """The saved fields as JSON-ready data."""
        data = asdict(self)
        return {f.name: data[f.name] for f in fields(self) if f.metadata.get("saved", True)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TrainState:
        """The state :meth:`to_json` wrote (other keys of ``state.json`` are ignored)."""
        saved = {f.name for f in fields(cls) if f.metadata.get("saved", True)}
        values = {k: data[k] for k in saved if k in data}
        values["plateau"] = Plateau(**values.get("plateau", {}))
        return cls(**values)


def _better(metric: float, best: float | None) -> bool:
    return best is None or metric < best - abs(best) * IMPROVEMENT
