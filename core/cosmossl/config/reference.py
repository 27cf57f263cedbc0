"""The configuration reference, generated from the parameter models of every component.

``cosmossl schema --markdown > docs/configuration.md`` regenerates the file; a test fails when
the committed copy is stale.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

from cosmossl._util.validation import field_type
from cosmossl.components import KIND_TABLE
from cosmossl.config.settings import RunSettings
from cosmossl.errors import CosmosslError
from cosmossl.plugin.registry import ComponentEntry, Registry

HEADER = """# Configuration reference

Generated from the parameter models of the core and of every registered component by
`cosmossl schema --markdown > docs/configuration.md` (a test fails when this file is stale).
Third-party plugins' components appear in your own `cosmossl schema --markdown` output.

A run file is TOML. Top-level keys and core tables come first; then each component slot is a
table with `type = "<name>"` plus that component's parameters.
"""


def _default(field: Any) -> str:
    if field.is_required():
        return "required"
    value = field.get_default(call_default_factory=True)
    if isinstance(value, BaseModel):
        return "(table)"
    return f"`{json.dumps(value, default=str)}`"


def fields_table(model: type[BaseModel]) -> list[str]:
    """Markdown table rows describing ``model``'s fields."""
    rows = ["| key | type | default | description |", "|---|---|---|---|"]
    for key, field in model.model_fields.items():
        description = (field.description or "").replace("|", "\\|").replace("\n", " ")
        type_name = field_type(model, key).replace("|", "\\|")
        rows.append(f"| `{key}` | {type_name} | {_default(field)} | {description} |")
    return rows


def _nested_sections(model: type[BaseModel]) -> list[tuple[str, type[BaseModel]]]:
    return [
        (key, field.annotation)
        for key, field in model.model_fields.items()
        if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)
    ]


def _table_arrays(model: type[BaseModel]) -> list[tuple[str, type[BaseModel]]]:
    """Fields that are lists of tables (``[[section.key]]`` in TOML)."""
    out = []
    for key, field in model.model_fields.items():
        args = getattr(field.annotation, "__args__", ())
        item = args[0] if len(args) == 1 else None
        is_list = getattr(field.annotation, "__origin__", None) is list
        if is_list and isinstance(item, type) and issubclass(item, BaseModel):
            out.append((key, item))
    return out


def _first_line(model: type[BaseModel]) -> str:
    return (model.__doc__ or "").strip().splitlines()[0] if model.__doc__ else ""


def _loaded(
    registry: Registry, kind: str, skipped: list[str] | None
) -> Iterator[tuple[ComponentEntry, type]]:
    """Each component of ``kind`` with its class. One that cannot be loaded (its module fails to
    import, its ``Params`` is not a model class) is an error, or, when a ``skipped`` list is
    given, left out with the reason appended to it: one broken plugin does not hide the rest."""
    for entry in registry.entries(kind):
        try:
            yield entry, entry.load()
        except CosmosslError as exc:
            if skipped is None:
                raise
            skipped.append(str(exc))


def configuration_markdown(registry: Registry, skipped: list[str] | None = None) -> str:
    """The whole reference as Markdown (``skipped``: see :func:`configuration_schema`)."""
    lines = [HEADER, "## Top-level keys", "", *fields_table(RunSettings), ""]
    for key, model in _nested_sections(RunSettings):
        lines += [f"### `[{key}]`", "", _first_line(model), "", *fields_table(model), ""]
        for item_key, item in _table_arrays(model):
            lines += [f"#### `[[{key}.{item_key}]]`", "", _first_line(item), "",
                      *fields_table(item), ""]  # fmt: skip
    lines += ["## Components", ""]
    for kind in KIND_TABLE:
        lines += [f"### {kind.name} — `{kind.table}`", ""]
        for entry, cls in _loaded(registry, kind.name, skipped):
            role = f" ({cls.role})" if getattr(cls, "role", None) else ""
            lines += [f'#### `type = "{entry.name}"`{role}', "", entry.summary, ""]
            if cls.Params.model_fields:
                lines += [*fields_table(cls.Params), ""]
            else:
                lines += ["No parameters.", ""]
    return "\n".join(lines).rstrip() + "\n"


def configuration_schema(registry: Registry, skipped: list[str] | None = None) -> dict[str, Any]:
    """A JSON schema of the run file (component slots as ``type``-discriminated unions).

    A component that cannot be loaded is an error; with a ``skipped`` list it is left out and
    the reason, naming it and its plugin, appended to the list."""
    schema = RunSettings.model_json_schema()
    properties = schema.setdefault("properties", {})
    for kind in KIND_TABLE:
        options = []
        for entry, cls in _loaded(registry, kind.name, skipped):
            sub = cls.Params.model_json_schema()
            sub.setdefault("properties", {})["type"] = {"const": entry.name}
            sub["required"] = ["type", *sub.get("required", [])]
            sub["title"] = f"{kind.name} {entry.name}"
            options.append(sub)
        one = {"oneOf": options}
        properties[kind.slot] = {"type": "array", "items": one} if kind.many else one
    return schema
