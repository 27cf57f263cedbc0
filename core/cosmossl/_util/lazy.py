"""Lazy public names for a package: ``import cosmossl`` stays fast and imports no torch."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

from cosmossl._util.moved import moved_attribute


def lazy_attributes(
    package: str, names: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``, importing ``names[attr]`` on first use.

    A resolved name is stored in the package's namespace, so the import happens once. A name
    that is not there but moved elsewhere since 0.1.0 is served with a DeprecationWarning
    (:mod:`cosmossl._util.moved`).
    """

    def __getattr__(name: str) -> Any:
        module = names.get(name)
        if module is None:
            return moved_attribute(package, name)
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(getattr(sys.modules[package], "__all__", ())) | set(names))

    return __getattr__, __dir__
