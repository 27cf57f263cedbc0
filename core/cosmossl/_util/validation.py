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


def _section(model: type[BaseModel], loc: tuple) -> tuple[type[BaseModel], str, str]:
    """The (sub)model that holds the last key of ``loc``, its table prefix, and the key."""
    prefix = ""
    depth = 0
    for part in loc[:-1]:
        field = model.model_fields.get(str(part))
        inner = getattr(field, "annotation", None)
        if not (isinstance(inner, type) and issubclass(inner, BaseModel)):
            break
        model, prefix = inner, f"[{part}] " if not prefix else f"{prefix[:-2]}.{part}] "
        depth += 1
    rest = loc[depth:]
    # An item of a list field: "seeds[1]" (the field's description still applies).
    key = str(rest[0]) + "".join(f"[{p}]" for p in rest[1:]) if rest else ""
    return model, prefix, key


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
        else:
            field = key.split("[")[0]
            expected = f" (expected {describe_field(section, field)})" if field in keys else ""
            lines.append(f"{prefix}key '{key}': {error['msg']}, got {error['input']!r}{expected}.")
    return lines


def validate_model(model: type[M], raw: Mapping[str, Any], *, where: str) -> M:
    """``model(**raw)``, raising :class:`ConfigError` prefixed with ``where`` on failure."""
    try:
        return model.model_validate(dict(raw))
    except ValidationError as exc:
        lines = validation_messages(exc, model)
        raise ConfigError("\n".join(f"{where} {line}" for line in lines)) from None
