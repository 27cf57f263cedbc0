"""A public name of a package is what its docs say, whatever was imported before."""

from __future__ import annotations

import importlib
import pkgutil
import types

import pytest

import cosmossl


def _packages() -> list[types.ModuleType]:
    packages = [cosmossl]
    for info in pkgutil.walk_packages(cosmossl.__path__, "cosmossl."):
        if info.name.endswith("__main__"):  # runs the CLI when imported
            continue
        try:
            module = importlib.import_module(info.name)
        except ImportError:  # an optional extra that is not installed
            continue
        if info.ispkg:
            packages.append(module)
    return packages


def test_no_public_function_is_hidden_by_a_submodule_of_the_same_name():
    hidden = []
    for package in _packages():  # every submodule is imported by now
        submodules = set(getattr(package, "SUBMODULES", ()))
        for name in getattr(package, "__all__", ()):
            value = getattr(package, name)
            if isinstance(value, types.ModuleType) and name not in submodules:
                hidden.append(f"{package.__name__}.{name}")
    assert not hidden, f"public names that resolve to a submodule: {hidden}"


@pytest.mark.parametrize("name", ["compress", "summarize"])
def test_the_summaries_functions_stay_functions_after_their_modules_are_imported(name):
    importlib.import_module(f"cosmossl.summaries.{name}")
    from cosmossl import summaries

    assert callable(getattr(summaries, name))
    assert not isinstance(getattr(summaries, name), types.ModuleType)
