"""The component contracts: the one table of kinds, and a base class per kind.

Importing this package is cheap; each base class is imported from its own module on first use
(the encoder and loss bases import torch).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from cosmossl.components.base import Component


@dataclass(frozen=True)
class Kind:
    """One kind of component.

    Attributes:
        name: the kind's name (``"loss"``), used in the registry and in messages.
        base: ``"module:attr"`` of the base class every component of the kind subclasses.
        slot: the run-file table that holds it (``loss`` → ``[loss]``).
        many: whether the slot is an array of tables (``[[augmentations]]``).
    """

    name: str
    base: str
    slot: str
    many: bool = False

    @property
    def table(self) -> str:
        """How the slot is written in a run file: ``[loss]`` or ``[[augmentations]]``."""
        return f"[[{self.slot}]]" if self.many else f"[{self.slot}]"

    def base_class(self) -> type[Component]:
        module, attr = self.base.split(":")
        return getattr(importlib.import_module(module), attr)


#: Every kind of component, in the order listings show them.
KIND_TABLE: tuple[Kind, ...] = (
    Kind("dataset", "cosmossl.components.dataset:Dataset", "dataset"),
    Kind("augmentation", "cosmossl.components.augmentation:Augmentation", "augmentations", True),
    Kind("encoder", "cosmossl.components.encoder:Encoder", "encoder"),
    Kind("loss", "cosmossl.components.loss:Loss", "loss"),
    Kind("backend", "cosmossl.components.backend:Backend", "backend"),
    Kind("statistic", "cosmossl.components.statistic:Statistic", "statistic"),
)
#: The kind names.
KINDS: tuple[str, ...] = tuple(kind.name for kind in KIND_TABLE)
_BY_NAME = {kind.name: kind for kind in KIND_TABLE}


def kind(name: str) -> Kind:
    """The :class:`Kind` called ``name`` (``KeyError`` for an unknown name)."""
    return _BY_NAME[name]


def base_class(name: str) -> type[Component]:
    """The base class a component of kind ``name`` must subclass."""
    return _BY_NAME[name].base_class()


def __getattr__(name: str) -> Any:
    for entry in KIND_TABLE:
        if entry.base.endswith(f":{name}"):
            return entry.base_class()
    raise AttributeError(f"module 'cosmossl.components' has no attribute '{name}'")


__all__ = [
    "KINDS",
    "KIND_TABLE",
    "Component",
    "Kind",
    "base_class",
    "kind",
    *(entry.base.split(":")[1] for entry in KIND_TABLE),
]
