"""Turning pydantic models and their validation errors into words a user reads.

:func:`type_label` writes a field's type as a person would (``list[int > 0] | None``,
``Literal['log1p', 'delta']``, ``0 <= float <= 1``); :func:`validation_messages` turns each
pydantic error into one line naming the key (or, for a validator that checks several keys
together, the keys it is about), what was expected and what was given.
"""

from __future__ import annotations

import re
import types
from collections.abc import Iterable, Mapping
from typing import Annotated, Any, Literal, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from cosmossl._util.suggest import did_you_mean
from cosmossl.errors import ConfigError

M = TypeVar("M", bound=BaseModel)

#: annotated-types / pydantic constraint attribute → how it reads after the type.
_LOWER = (("gt", "<"), ("ge", "<="))
_UPPER = (("lt", "<"), ("le", "<="))


def type_label(annotation: Any, metadata: Iterable[Any] = ()) -> str:
    """A readable type: ``int > 0``, ``list[int > 0] | None``, ``Literal['a', 'b']``.

    ``metadata`` are the field-level constraints (``FieldInfo.metadata``, e.g. ``Gt(0)`` from
    ``Field(gt=0)``); they apply to the type, or to its non-``None`` part for an optional one.
    """
    constraints = _constraints(metadata)
    origin = get_origin(annotation)
    if origin is Annotated:
        base, *extra = get_args(annotation)
        return type_label(base, [*metadata, *extra])
    if origin in (Union, types.UnionType):
        parts = [
            "None" if arg is type(None) else type_label(arg, metadata)
            for arg in get_args(annotation)
        ]
        return " | ".join(parts)
    return _with_constraints(_plain_label(annotation), constraints)


def _plain_label(annotation: Any) -> str:
    if annotation is type(None):
        return "None"
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Literal:
        return f"Literal[{', '.join(repr(a) for a in args)}]"
    if origin is not None:
        name = getattr(origin, "__name__", None) or str(origin).replace("typing.", "")
        if not args:
            return name
        inner = ", ".join("..." if a is Ellipsis else type_label(a) for a in args)
        return f"{name}[{inner}]"
    name = getattr(annotation, "__name__", None)
    return name if name else str(annotation).replace("typing.", "")


def _constraints(metadata: Iterable[Any]) -> dict[str, Any]:
    """The bounds, lengths and multiples in ``metadata`` (FieldInfo objects are opened)."""
    found: dict[str, Any] = {}
    for item in metadata:
        if isinstance(item, FieldInfo):
            found.update(_constraints(item.metadata))
            continue
        for key in ("gt", "ge", "lt", "le", "multiple_of", "min_length", "max_length"):
            value = getattr(item, key, None)
            if value is not None:
                found[key] = value
    return found


def _with_constraints(label: str, c: dict[str, Any]) -> str:
    lower = next(((c[k], op) for k, op in _LOWER if k in c), None)
    upper = next(((c[k], op) for k, op in _UPPER if k in c), None)
    if lower and upper:
        label = f"{lower[0]!r} {lower[1]} {label} {upper[1]} {upper[0]!r}"
    elif lower:
        label = f"{label} {'>' if lower[1] == '<' else '>='} {lower[0]!r}"
    elif upper:
        label = f"{label} {upper[1]} {upper[0]!r}"
    extras = []
    if "min_length" in c and "max_length" in c:
        extras.append(f"length {c['min_length']} to {c['max_length']}")
    elif "min_length" in c:
        extras.append(f"length >= {c['min_length']}")
    elif "max_length" in c:
        extras.append(f"length <= {c['max_length']}")
    if "multiple_of" in c:
        extras.append(f"multiple of {c['multiple_of']!r}")
    return f"{label} ({', '.join(extras)})" if extras else label


def field_type(model: type[BaseModel], key: str) -> str:
    """The readable type of one field of ``model`` (see :func:`type_label`)."""
    field = model.model_fields[key]
    return type_label(field.annotation, field.metadata)


def describe_field(model: type[BaseModel], key: str) -> str:
    """``int > 0, default 16`` style description of one field of ``model``."""
    field = model.model_fields[key]
    if field.is_required():
        return f"{field_type(model, key)}, required"
    return f"{field_type(model, key)}, default {field.get_default(call_default_factory=True)!r}"


def _is_model(value: Any) -> bool:
    return isinstance(value, type) and issubclass(value, BaseModel)


def _section(model: type[BaseModel], loc: tuple) -> tuple[type[BaseModel], str, str, str]:
    """Where an error is: the (sub)model holding it, its table prefix (``[train] ``, or
    ``[[robustness.contaminations]] #2 `` for an array of tables), the key as the user writes it
    (``expander_dims[0]``) and the model field it belongs to.

    The key is ``""`` when the error is about the (sub)model as a whole: a validator that
    checks several of its keys together.
    """
    prefix, path, i = "", [], 0
    while i < len(loc):
        part = loc[i]
        inner = getattr(model.model_fields.get(str(part)), "annotation", None)
        args = get_args(inner)
        if _is_model(inner):
            path.append(str(part))
            model, prefix, i = inner, f"[{'.'.join(path)}] ", i + 1
        elif (
            get_origin(inner) is list
            and len(args) == 1
            and _is_model(args[0])
            and i + 1 < len(loc)
            and isinstance(loc[i + 1], int)
        ):
            path.append(str(part))
            model, prefix = args[0], f"[[{'.'.join(path)}]] #{loc[i + 1] + 1} "
            i += 2
        else:
            key = str(part) + "".join(
                f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc[i + 1 :]
            )
            return model, prefix, key, str(part)
    return model, prefix, "", ""


def _message(error: Mapping[str, Any]) -> str:
    """pydantic's message without its ``Value error, `` prefix for errors a validator raised."""
    if error["type"] == "value_error" and "error" in error.get("ctx", {}):
        return str(error["ctx"]["error"])
    return str(error["msg"])


def _keys_mentioned(message: str, keys: list[str]) -> list[str]:
    return [k for k in keys if re.search(rf"(?<![\w.]){re.escape(k)}(?!\w)", message)]


def _cross_field_line(prefix: str, section: type[BaseModel], error: Mapping[str, Any]) -> str:
    """A validator of the whole table failed: name the keys it is about, with their values."""
    message = _message(error).rstrip(".")
    given = error.get("input") if isinstance(error.get("input"), Mapping) else {}
    keys = list(section.model_fields)
    named = _keys_mentioned(message, keys) or [k for k in keys if k in given]
    if not named:
        return f"{prefix}{message}."
    values = ", ".join(
        f"{k} = {given[k]!r}"
        if k in given
        else f"{k} = {section.model_fields[k].default!r} (default)"
        for k in named
    )
    which = "key" if len(named) == 1 else "keys"
    names = ", ".join(f"'{k}'" for k in named)
    return f"{prefix}{which} {names}: {message} (given {values})."


def validation_messages(exc: ValidationError, model: type[BaseModel]) -> list[str]:
    """One line per pydantic error: the key, what was expected, what was given, close matches."""
    lines = []
    for error in exc.errors():
        section, prefix, key, field = _section(model, tuple(error["loc"]))
        keys = list(section.model_fields)
        if error["type"] == "extra_forbidden":
            valid = ", ".join(keys) if keys else "none"
            lines.append(
                f"{prefix}unknown key '{key}'.{did_you_mean(key, keys)} Valid keys: {valid}."
            )
        elif error["type"] == "missing":
            lines.append(f"{prefix}missing key '{key}' ({describe_field(section, key)}).")
        elif not key:
            lines.append(_cross_field_line(prefix, section, error))
        else:
            expected = f" (expected {describe_field(section, field)})" if field in keys else ""
            message = _message(error)
            lines.append(f"{prefix}key '{key}': {message}, got {error['input']!r}{expected}.")
    return lines


def validate_model(model: type[M], raw: Mapping[str, Any], *, where: str) -> M:
    """``model(**raw)``, raising :class:`ConfigError` prefixed with ``where`` on failure."""
    try:
        return model.model_validate(dict(raw))
    except ValidationError as exc:
        lines = validation_messages(exc, model)
        raise ConfigError("\n".join(f"{where} {line}" for line in lines)) from None
