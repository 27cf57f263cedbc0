"""Exceptions raised by cosmossl.

Every error meant for a user derives from :class:`CosmosslError`; the CLI prints those without a
traceback and exits with status 2.
"""

from __future__ import annotations


class CosmosslError(Exception):
    """An error caused by the user's input (a config, a name, a file), not by a bug."""


class ConfigError(CosmosslError):
    """A run file or component parameters failed validation."""


class UnknownComponentError(CosmosslError, LookupError):
    """A component name that no plugin registered."""


class DuplicateComponentError(CosmosslError):
    """Two plugins registered a component of the same kind under the same name."""


class PluginLoadError(CosmosslError):
    """A third-party plugin failed to load while ``COSMOSSL_STRICT_PLUGINS=1``."""


class DataError(CosmosslError):
    """A data file is missing, malformed or inconsistent."""
