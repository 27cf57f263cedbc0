"""cosmossl's public API as stub text, and the breaking changes between two versions of it.

The public API is every name in the ``__all__`` of ``cosmossl`` and of the modules in
``cosmossl.PLUGIN_API`` (and of the modules those export, such as ``cosmossl.physics.fields``):
for a function its signature, for a class its bases and public members (with ``__init__`` and
``__call__``), recursively. :func:`public_api` renders it as one stub per module (Python syntax,
read from the source by griffe, so that signatures keep their annotations and defaults as
written); :func:`breaking_changes` parses two such sets of stubs with griffe and lists what
griffe's API checker calls breaking: a name or member removed, a parameter removed, moved,
made required or of another kind, a required parameter added. A name that left ``__all__``
but still resolves with a :class:`DeprecationWarning` (a shim, see
``cosmossl._util.moved``) is not a break; neither is a changed default value (the changelog says
so) nor an addition.

The committed snapshot is ``tests/architecture/api/``. After an intended change of the API::

    python tests/support/api.py            # writes the snapshot; refuses breaking changes
    python tests/support/api.py --accept-breaking   # a removal after its deprecation period
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import re
import sys
import types
import warnings
from functools import cache
from pathlib import Path
from typing import Any

import griffe

REPO = Path(__file__).resolve().parents[2]
SNAPSHOT = REPO / "tests/architecture/api"
REGENERATE = "python tests/support/api.py"

#: griffe's breakages that are not breaks of cosmossl's promise: a default value or an annotation
#: is behaviour or documentation, not a signature a caller's code depends on.
NOT_BREAKING = {
    griffe.BreakageKind.PARAMETER_CHANGED_DEFAULT,
    griffe.BreakageKind.RETURN_CHANGED_TYPE,
    griffe.BreakageKind.ATTRIBUTE_CHANGED_TYPE,
    griffe.BreakageKind.ATTRIBUTE_CHANGED_VALUE,
}
#: Class members that are part of the API although they start with an underscore.
DUNDERS = ("__init__", "__call__")


@cache
def _source() -> griffe.Module:
    return griffe.load("cosmossl", search_paths=[REPO / "core"], resolve_aliases=False)


def public_modules() -> list[str]:
    """``cosmossl``, the modules of ``PLUGIN_API``, and the modules they export by name."""
    import cosmossl

    modules = list(dict.fromkeys(["cosmossl", *cosmossl.PLUGIN_API]))
    for name in list(modules):
        module = importlib.import_module(name)
        for attr in module.__all__:
            value = getattr(module, attr)
            if isinstance(value, types.ModuleType) and value.__name__ not in modules:
                modules.append(value.__name__)
    return modules


def exports(module: types.ModuleType) -> list[str]:
    """The public names of a public module: its ``__all__``, or what it defines (no imports)."""
    if hasattr(module, "__all__"):
        return sorted(module.__all__)
    source = _source()[module.__name__.removeprefix("cosmossl.")]
    return sorted(name for name, member in source.members.items() if member.is_public)


def public_api() -> dict[str, str]:
    """``{module: stub text}`` of the public API as it is now."""
    return {name: module_stub(name) for name in public_modules()}


def module_stub(name: str) -> str:
    """The stub of one public module as it is now."""
    module = importlib.import_module(name)
    lines: list[str] = []
    for name in exports(module):
        value = getattr(module, name)
        found = _static(value)
        if found is None:
            lines.append(f"{name}: {_runtime_type(value)}")
        else:
            lines.extend(_render(found, name, ""))
    return "\n".join(lines) + "\n"


def _static(value: Any) -> griffe.Object | None:
    """The griffe object of a function or class defined in cosmossl (``None`` for values)."""
    if isinstance(value, types.ModuleType) or not (
        inspect.isfunction(value) or inspect.isclass(value)
    ):
        return None
    if not value.__module__.startswith("cosmossl"):
        return None
    path = f"{value.__module__}.{value.__qualname__}".removeprefix("cosmossl").lstrip(".")
    return _source()[path]


def _runtime_type(value: Any) -> str:
    if isinstance(value, types.ModuleType):
        return "module"
    return type(value).__name__


def _render(obj: griffe.Object, name: str, indent: str) -> list[str]:
    if obj.is_function:
        return [indent + line for line in _function(obj, name)]
    if obj.is_class:
        return _class(obj, name, indent)
    annotation = f": {_flat(obj.annotation)}" if obj.annotation is not None else ""
    return [f"{indent}{name}{annotation} = ..."]


def _flat(expression: Any) -> str:
    return " ".join(str(expression).split())


def _function(function: griffe.Function, name: str) -> list[str]:
    parts: list[str] = []
    kinds = griffe.ParameterKind
    star = any(p.kind is kinds.var_positional for p in function.parameters)
    for index, parameter in enumerate(function.parameters):
        previous = function.parameters[index - 1].kind if index else None
        if previous is kinds.positional_only and parameter.kind is not kinds.positional_only:
            parts.append("/")
        if parameter.kind is kinds.keyword_only and not star and previous is not kinds.keyword_only:
            parts.append("*")
        text = {kinds.var_positional: "*", kinds.var_keyword: "**"}.get(parameter.kind, "")
        text += parameter.name
        if parameter.annotation is not None:
            text += f": {_flat(parameter.annotation)}"
        if parameter.default is not None and not text.startswith("*"):
            text += f" = {_flat(parameter.default)}"
        parts.append(text)
    if function.parameters and function.parameters[-1].kind is kinds.positional_only:
        parts.append("/")
    returns = f" -> {_flat(function.returns)}" if function.returns is not None else ""
    decorators = [
        f"@{label}" for label in ("classmethod", "staticmethod") if label in function.labels
    ]
    return [*decorators, f"def {name}({', '.join(parts)}){returns}: ..."]


def _class(cls: griffe.Class, name: str, indent: str) -> list[str]:
    bases = f"({', '.join(_flat(base) for base in cls.bases)})" if cls.bases else ""
    lines = [f"{indent}class {name}{bases}:"]
    for member_name, member in sorted(cls.all_members.items()):
        if member.is_alias or (member_name.startswith("_") and member_name not in DUNDERS):
            continue
        lines.extend(_render(member, member_name, indent + "    "))
    if len(lines) == 1:
        lines.append(f"{indent}    ...")
    return lines


def read_snapshot(folder: Path = SNAPSHOT) -> dict[str, str]:
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.txt"))}


def write_snapshot(api: dict[str, str], folder: Path = SNAPSHOT) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for stale in set(read_snapshot(folder)) - set(api):
        (folder / f"{stale}.txt").unlink()
    for module, text in api.items():
        (folder / f"{module}.txt").write_text(text, encoding="utf-8")


def breaking_changes(old: dict[str, str], new: dict[str, str]) -> list[str]:
    """What breaks code written against ``old`` (``{module: stub}``) when it meets ``new``."""
    found = []
    for module, old_text in sorted(old.items()):
        if module not in new:
            if not _still_importable(module):
                found.append(f"{module}: the module is gone")
            continue
        before, after = _parse(module, old_text), _parse(module, new[module])
        for breakage in griffe.find_breaking_changes(before, after):
            if breakage.kind in NOT_BREAKING or _deprecated(breakage):
                continue
            found.append(_explain(module, breakage))
    return found


def _parse(module: str, text: str) -> griffe.Module:
    return griffe.visit(module, filepath=Path(f"{module}.pyi"), code=text)


def _explain(module: str, breakage: griffe.Breakage) -> str:
    """``module.name(param): what broke: old -> new`` from griffe's Markdown explanation."""
    text = breakage.explain(style=griffe.ExplanationStyle.MARKDOWN)
    match = re.fullmatch(r"- `(.+?)`: \*(.+?)\*(.*)", text, re.S)
    if match is None:
        return f"{module}: {text}"
    where, what, change = match.groups()
    details = f" ({breakage.details})" if breakage.details else ""
    return f"{module}.{where}: {what}{change.replace('`', '')}{details}"


def _still_importable(module: str) -> bool:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            importlib.import_module(module)
        except ImportError:
            return False
    return any(issubclass(w.category, DeprecationWarning) for w in caught)


def _deprecated(breakage: griffe.Breakage) -> bool:
    """A top-level name gone from the stubs that still resolves with a DeprecationWarning."""
    obj = breakage.obj
    if breakage.kind is not griffe.BreakageKind.OBJECT_REMOVED or not obj.parent.is_module:
        return False
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            getattr(importlib.import_module(obj.parent.path), obj.name)
        except (AttributeError, ImportError):
            return False
    return any(issubclass(w.category, DeprecationWarning) for w in caught)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write cosmossl's API snapshot.")
    parser.add_argument(
        "--accept-breaking",
        action="store_true",
        help="write it even though names or signatures broke (a removal after its deprecation)",
    )
    args = parser.parse_args(argv)
    api = public_api()
    broken = breaking_changes(read_snapshot(), api)
    if broken and not args.accept_breaking:
        print("breaking changes against the snapshot (not written):", file=sys.stderr)
        print("\n".join(f"  {line}" for line in broken), file=sys.stderr)
        print(
            "keep the old names working (a deprecation shim, cosmossl/_util/moved.py), or pass "
            "--accept-breaking for a removal after its deprecation period",
            file=sys.stderr,
        )
        return 1
    write_snapshot(api)
    print(f"wrote {len(api)} modules to {SNAPSHOT.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
