"""The documentation and the examples point only at public homes: every ``cosmossl.…`` name they
mention or import resolves, without a deprecation, and is in the ``__all__`` of ``cosmossl`` or
of a module in ``cosmossl.PLUGIN_API`` (or is an attribute of such a name)."""

from __future__ import annotations

import importlib
import re
import warnings
from functools import cache

from support import api
from support.paths import REPO

SOURCES = sorted(
    [*(REPO / "docs").rglob("*.md"), REPO / "README.md"]
    + [p for p in (REPO / "examples").rglob("*") if p.suffix in {".md", ".py", ".toml"}]
)
DOTTED = re.compile(r"(?<![\w.])cosmossl(?:\.[A-Za-z_]\w*)+")
IMPORT = re.compile(r"^\s*from (cosmossl(?:\.\w+)*) import (\([^)]*\)|[\w, ]+)", re.M)
FILE_SUFFIXES = (".toml", ".py", ".md", ".json", ".h5", ".txt", ".png")


def references(text: str) -> list[tuple[int, str]]:
    """``(line, dotted name)`` of every cosmossl name that ``text`` mentions or imports."""
    found = [(m.start(), m.group()) for m in DOTTED.finditer(text)]
    for m in IMPORT.finditer(text):
        names = [n.strip() for n in m.group(2).strip("()").replace("\n", ",").split(",")]
        names = [n for n in names if n]
        found += [(m.start(), f"{m.group(1)}.{name}") for name in names]
    return [
        (text.count("\n", 0, at) + 1, ref) for at, ref in found if not ref.endswith(FILE_SUFFIXES)
    ]


@cache
def public_modules() -> dict[str, set[str]]:
    return {name: set(api.exports(importlib.import_module(name))) for name in api.public_modules()}


def problem(ref: str) -> str | None:
    """Why ``ref`` is not a public home (``None`` when it is)."""
    parts = ref.split(".")
    modules = public_modules()
    depth = max(i for i in range(1, len(parts) + 1) if ".".join(parts[:i]) in modules)
    module, rest = ".".join(parts[:depth]), parts[depth:]
    if rest and rest[0] not in modules[module]:
        return f"{module}.{rest[0]} is not a public name of {module}"
    value = importlib.import_module(module)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        for i, attr in enumerate(rest):
            try:
                value = getattr(value, attr)
            except (AttributeError, DeprecationWarning) as error:
                return f"{'.'.join(parts[: depth + i + 1])}: {error}"
    return None


def public_home_of(name: str) -> str | None:
    homes = [f"{m}.{name}" for m, names in public_modules().items() if name in names]
    return homes[0] if homes else None


def test_docs_and_examples_name_only_public_homes():
    bad = []
    for path in SOURCES:
        for line, ref in references(path.read_text(encoding="utf-8")):
            why = problem(ref)
            if why is not None:
                home = public_home_of(ref.rsplit(".", 1)[1])
                hint = f"; public home: {home}" if home and home != ref else ""
                bad.append(f"{path.relative_to(REPO)}:{line}: {ref} ({why}{hint})")
    assert not bad, "documentation that points at non-public homes:\n" + "\n".join(bad)


def test_a_private_path_and_a_deprecated_one_are_caught():
    assert problem("cosmossl.nn.gather_with_grad") is None
    assert problem("cosmossl.physics.fields.PowerSpectrumBins") is None
    assert problem("cosmossl.Posterior.sample_batched") is None
    assert problem("cosmossl.nn.distributed.gather_with_grad") == (
        "cosmossl.nn.distributed is not a public name of cosmossl.nn"
    )
    assert problem("cosmossl.distributed.gather_with_grad") == (
        "cosmossl.distributed is not a public name of cosmossl"
    )
    assert problem("cosmossl.nn.no_such_thing") == (
        "cosmossl.nn.no_such_thing is not a public name of cosmossl.nn"
    )


def test_imports_in_code_blocks_are_read():
    text = "```python\nfrom cosmossl.training import (\n    TrainSettings,\n    train,\n)\n```\n"
    assert references(text) == [
        (2, "cosmossl.training"),
        (2, "cosmossl.training.TrainSettings"),
        (2, "cosmossl.training.train"),
    ]
