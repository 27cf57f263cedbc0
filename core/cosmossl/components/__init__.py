"""Base classes of the six component kinds.

Importing this package is cheap; each base class is imported from its own module on first use
(the encoder and loss bases import torch).
"""

from __future__ import annotations

import importlib
from typing import Any

from cosmossl.components.base import Component

_BASES = {
    "dataset": ("cosmossl.components.dataset", "Dataset"),
    "augmentation": ("cosmossl.components.augmentation", "Augmentation"),
    "encoder": ("cosmossl.components.encoder", "Encoder"),
    "loss": ("cosmossl.components.loss", "Loss"),
    "backend": ("cosmossl.components.backend", "Backend"),
    "statistic": ("cosmossl.components.statistic", "Statistic"),
}


def base_class(kind: str) -> type[Component]:
    """The base class a component of ``kind`` must subclass."""
    module, name = _BASES[kind]
    return getattr(importlib.import_module(module), name)


def __getattr__(name: str) -> Any:
    for module, attr in _BASES.values():
        if attr == name:
            return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'cosmossl.components' has no attribute '{name}'")


__all__ = ["Component", "base_class", *(attr for _, attr in _BASES.values())]
