"""The built-in components of a kind (provided by the cosmossl distribution itself)."""

from __future__ import annotations

from cosmossl.plugin.host import load_plugins


def builtin_names(kind: str) -> list[str]:
    """Names of the built-in components of ``kind``, from registry.toml."""
    return load_plugins(autoload=False).registry.names(kind)
