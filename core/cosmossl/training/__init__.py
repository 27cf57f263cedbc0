"""Training encoders with SSL objectives: the loop, view sampling, checkpoints and resume.

The loop receives built components (:func:`train_components`); building them from a run file is
the job layer's :func:`cosmossl.train`. Names resolve lazily (they import torch).

Example::

    from cosmossl.training import train_components
    result = train_components(mapset, encoder, loss, run_dir="runs/mine/train")
    print(result.best_val_loss, result.checkpoint)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cosmossl._util.lazy import lazy_attributes

_LAZY: dict[str, str] = {
    "Checkpoint": "cosmossl.training.checkpoint",
    "TrainJob": "cosmossl.training.loop",
    "TrainResult": "cosmossl.training.loop",
    "TrainState": "cosmossl.training.state",
    "TrainingFolder": "cosmossl.training.folder",
    "ViewSampler": "cosmossl.training.views",
    "load_checkpoint": "cosmossl.training.checkpoint",
    "load_encoder": "cosmossl.training.checkpoint",
    "make_views": "cosmossl.training.views",
    "train_components": "cosmossl.training.loop",
}

__all__ = sorted(_LAZY)

__getattr__, __dir__ = lazy_attributes(__name__, _LAZY)

if TYPE_CHECKING:
    from cosmossl.training.checkpoint import Checkpoint, load_checkpoint, load_encoder
    from cosmossl.training.folder import TrainingFolder
    from cosmossl.training.loop import TrainJob, TrainResult, train_components
    from cosmossl.training.state import TrainState
    from cosmossl.training.views import ViewSampler, make_views
