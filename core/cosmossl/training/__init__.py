"""Training encoders with SSL objectives, and compressing maps into summaries.

Public names are resolved lazily: the run-file settings (:class:`TrainSettings`) import no torch.

Example::

    from cosmossl.training import train
    result = train("examples/quickstart.toml")
    print(result.best_val_loss, result.checkpoint)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cosmossl._util.lazy import lazy_attributes

_LAZY: dict[str, str] = {
    "TrainSettings": "cosmossl.config.training",
    "train": "cosmossl.training.api",
    "train_components": "cosmossl.training.loop",
    "TrainResult": "cosmossl.training.loop",
    "Checkpoint": "cosmossl.training.checkpoint",
    "load_checkpoint": "cosmossl.training.checkpoint",
    "load_encoder": "cosmossl.training.checkpoint",
    "Standardizer": "cosmossl.data.standardize",
    "compress": "cosmossl.summaries.compress",
    "compress_statistic": "cosmossl.summaries.compress",
    "fisher_of_encoder": "cosmossl.summaries.compress",
}

__all__ = [
    "Checkpoint",
    "Standardizer",
    "TrainResult",
    "TrainSettings",
    "compress",
    "compress_statistic",
    "fisher_of_encoder",
    "load_checkpoint",
    "load_encoder",
    "train",
    "train_components",
]


__getattr__, __dir__ = lazy_attributes(__name__, _LAZY)


if TYPE_CHECKING:
    from cosmossl.config.training import TrainSettings
    from cosmossl.data.standardize import Standardizer
    from cosmossl.summaries.compress import compress, compress_statistic, fisher_of_encoder
    from cosmossl.training.api import train
    from cosmossl.training.checkpoint import Checkpoint, load_checkpoint, load_encoder
    from cosmossl.training.loop import TrainResult, train_components
