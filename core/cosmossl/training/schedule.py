"""The learning rate at each optimiser step: linear warm-up, then cosine, plateau or constant."""

from __future__ import annotations

import math

from cosmossl.config.settings import TrainSettings


def learning_rate(
    settings: TrainSettings,
    step: int,
    steps_per_epoch: int,
    total_steps: int,
    plateau_scale: float = 1.0,
) -> float:
    """The lr of optimiser step ``step`` (0-based), a pure function of the position in training.

    ``plateau_scale`` is the product of the reduce-on-plateau factors applied so far (the run
    state's ``plateau.scale``); it only matters for ``schedule = "plateau"``.
    """
    warmup = round(settings.warmup_epochs * steps_per_epoch)
    factor = min(1.0, (step + 1) / warmup) if warmup else 1.0
    if settings.schedule == "cosine" and step >= warmup:
        progress = (step - warmup) / max(1, total_steps - warmup)
        factor *= 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))
    if settings.schedule == "plateau":
        factor *= plateau_scale
    return settings.lr * factor
