"""Building a component by kind and name: the one factory every part of cosmossl uses."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cosmossl._util.suggest import did_you_mean
from cosmossl._util.validation import validate_model
from cosmossl.components import base_class
from cosmossl.components.params import Params
from cosmossl.errors import ConfigError
from cosmossl.plugin.host import registry as default_registry
from cosmossl.plugin.registry import Registry


def create(
    kind: str,
    name: str,
    params: Params | Mapping[str, Any] | None = None,
    /,
    *,
    registry: Registry | None = None,
    **kwargs: Any,
) -> Any:
    """Build the component ``kind``/``name``.

    ``params`` is the component's validated ``Params`` (e.g. a run-file slot's) or a mapping
    that its model validates; keyword arguments that are fields of that model are validated the
    same way. The other keywords are the construction context the engine supplies
    (``input_shape`` for encoders, ``meta`` for augmentations and statistics, ``summary_dim`` and
    ``param_dim`` for losses): a key the kind may receive but this component does not declare in
    its ``context_keys`` is ignored, so one call serves every component of a kind; any other key
    is an error that names the valid ones.

    Example::

        encoder = cosmossl.create("encoder", "mlp", summary_dim=8, input_shape=(32,))
    """
    cls = (registry or default_registry()).load(kind, name)
    where = f"{kind} '{name}':"
    fields = set(cls.Params.model_fields)
    if not isinstance(params, Params):
        raw = {**(params or {}), **{k: v for k, v in kwargs.items() if k in fields}}
        params = validate_model(cls.Params, raw, where=where)
        kwargs = {k: v for k, v in kwargs.items() if k not in fields}
    context_keys = set(base_class(kind).context_keys) | set(cls.context_keys)
    unknown = sorted(set(kwargs) - context_keys)
    if unknown:
        options = sorted(fields | context_keys)
        key = unknown[0]
        raise ConfigError(
            f"{where} unknown key '{key}'.{did_you_mean(key, options)} "
            f"Valid keys: {', '.join(options) or 'none'}."
        )
    return cls(params, **{k: v for k, v in kwargs.items() if k in cls.context_keys})
