"""Building components by kind and name through the registry, with validated parameters."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cosmossl._util.suggest import did_you_mean
from cosmossl._util.validation import validate_model
from cosmossl.components.base import Component
from cosmossl.errors import ConfigError
from cosmossl.plugin.host import registry as default_registry
from cosmossl.plugin.registry import Registry


def create(kind: str, name: str, /, *, registry: Registry | None = None, **kwargs: Any) -> Any:
    """Build the component ``kind``/``name``.

    Keyword arguments that are fields of the component's ``Params`` model are validated by it;
    the others must be the construction context its kind declares (``context_keys``, e.g.
    ``input_shape`` for encoders).

    Example::

        encoder = cosmossl.create("encoder", "mlp", summary_dim=8, input_shape=(32,))
    """
    cls = (registry or default_registry()).load(kind, name)
    return build(cls, kwargs, where=f"{kind} '{name}':")


def build_component(spec: Any, *, registry: Registry | None = None, **context: Any) -> Any:
    """Instantiate a validated run-file slot (a :class:`cosmossl.config.run_file.ComponentSpec`).

    ``context`` may hold more keys than the component declares (``context_keys``); only those it
    declares are passed, so one call site can serve every component of a kind.
    """
    cls = (registry or default_registry()).load(spec.kind, spec.type)
    return cls(spec.params, **{k: v for k, v in context.items() if k in cls.context_keys})


def build(cls: type[Component], kwargs: Mapping[str, Any], *, where: str) -> Any:
    """Instantiate ``cls`` from parameters plus construction context (see :func:`create`)."""
    fields = set(cls.Params.model_fields)
    params = {k: v for k, v in kwargs.items() if k in fields}
    context = {k: v for k, v in kwargs.items() if k not in fields}
    unknown = sorted(set(context) - set(cls.context_keys))
    if unknown:
        options = sorted(fields | set(cls.context_keys))
        key = unknown[0]
        raise ConfigError(
            f"{where} unknown key '{key}'.{did_you_mean(key, options)} "
            f"Valid keys: {', '.join(options) or 'none'}."
        )
    return cls(validate_model(cls.Params, params, where=where), **context)
