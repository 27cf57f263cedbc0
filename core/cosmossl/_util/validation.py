"""Turning pydantic validation errors into messages that name the place and the fix."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from cosmossl._util.suggest import did_you_mean
from cosmossl.errors import ConfigError

M = TypeVar("M", bound=BaseModel)


def describe_field(model: type[BaseModel], key: str) -> str:
    """``int, default 16`` style description of one field of ``model``."""
    field = model.model_fields[key]
    annotation = getattr(field.annotation, "__name__", None) or str(field.annotation)
    annotation = annotation.replace("typing.", "")
    if field.is_required():
        return f"{annotation}, required"
    return f"{annotation}, default {field.get_default(call_default_factory=True)!r}"


def _is_model(value: Any) -> bool:
    return isinstance(value, type) and issubclass(value, BaseModel)


def _section(model: type[BaseModel], loc: tuple) -> tuple[type[BaseModel], str, str]:
    """The (sub)model that holds the key of ``loc``, its table prefix (``[a.b]``, or
    ``[[a.b]] #i`` for an array of tables), and the key (empty: the table itself)."""
    prefix, path, rest = "", [], list(loc)
    while rest:
        inner = getattr(model.model_fields.get(str(rest[0])), "annotation", None)
        args = getattr(inner, "__args__", ())
        if _is_model(inner):
            path.append(str(rest.pop(0)))
            model, prefix = inner, f"[{'.'.join(path)}] "
        elif getattr(inner, "__origin__", None) is list and len(args) == 1 and _is_model(args[0]):
            if len(rest) < 2 or not isinstance(rest[1], int):
                break
            path.append(str(rest.pop(0)))
            model, prefix = args[0], f"[[{'.'.join(path)}]] #{rest.pop(0) + 1} "
        else:
            break
    return model, prefix, str(rest[0]) if rest else ""


def validation_messages(exc: ValidationError, model: type[BaseModel]) -> list[str]:
    """One line per pydantic error: the key, what was expected, what was given, close matches."""
    lines = []
    for error in exc.errors():
        section, prefix, key = _section(model, tuple(error["loc"]))
        keys = list(section.model_fields)
        if error["type"] == "extra_forbidden":
            valid = ", ".join(keys) if keys else "none"
            lines.append(
                f"{prefix}unknown key '{key}'.{did_you_mean(key, keys)} Valid keys: {valid}."
            )
        elif error["type"] == "missing":
            lines.append(f"{prefix}missing key '{key}' ({describe_field(section, key)}).")
        elif not key:  # a check of the whole table
            lines.append(f"{prefix}{error['msg'].removeprefix('Value error, ')}.")
        else:
            expected = f" (expected {describe_field(section, key)})" if key in keys else ""
            lines.append(f"{prefix}key '{key}': {error['msg']}, got {error['input']!r}{expected}.")
    return lines


def validate_model(model: type[M], raw: Mapping[str, Any], *, where: str) -> M:
    """``model(**raw)``, raising :class:`ConfigError` prefixed with ``where`` on failure."""
    try:
        return model.model_validate(dict(raw))
    except ValidationError as exc:
        lines = validation_messages(exc, model)
        raise ConfigError("\n".join(f"{where} {line}" for line in lines)) from None
