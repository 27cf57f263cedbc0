"""Which code a component runs: the identity the stage cache keys on.

A component installed from a package index is identified by the distribution and version that
provide it (:class:`~cosmossl.plugin.registry.Provider`): upgrading the plugin changes the key.
A component whose code can change without a new version — registered at run time
(``register_plugin``, no distribution), or installed from a local folder (editable or not, as
``direct_url.json`` of the distribution says) — is identified by a digest of its source: every
``.py`` file of the top-level package that defines it (or its single module).
"""

from __future__ import annotations

import importlib.metadata as metadata
import inspect
import json
import logging
import sys
from pathlib import Path
from typing import Any

from cosmossl._util.digest import digest, source_digest
from cosmossl.plugin.host import registry as default_registry
from cosmossl.plugin.registry import Registry

log = logging.getLogger(__name__)


def code_identity(kind: str, name: str, registry: Registry | None = None) -> dict[str, Any]:
    """``{kind, name, plugin, distribution, version}`` of a registered component, plus
    ``source`` (a digest of its code) when the code may change without a new version."""
    entry = (registry or default_registry()).get(kind, name)
    provider = entry.provider
    identity: dict[str, Any] = {
        "kind": kind,
        "name": name,
        "plugin": provider.plugin,
        "distribution": provider.distribution,
        "version": provider.version,
    }
    if is_local(provider.distribution):
        identity["source"] = _source_of(entry.load())
    return identity


def is_local(distribution: str | None) -> bool:
    """Whether a distribution's code may change in place: none (code registered at run time),
    not installed, or installed from a local folder (``direct_url.json``: ``file://``)."""
    if distribution is None:
        return True
    try:
        dist = metadata.distribution(distribution)
    except metadata.PackageNotFoundError:
        return True
    text = dist.read_text("direct_url.json")
    if not text:
        return False
    try:
        url = json.loads(text)
    except ValueError:
        return True
    editable = bool((url.get("dir_info") or {}).get("editable"))
    return editable or str(url.get("url", "")).startswith("file://")


def _source_of(cls: type) -> str:
    files = _source_files(cls.__module__)
    if files:
        return source_digest(files)
    try:  # a class defined in a notebook or a script: its own source text
        return digest(inspect.getsource(cls))
    except (OSError, TypeError):
        log.warning(
            "cannot read the source of %s.%s: the stage cache will not notice edits to it "
            "(use --force after changing it)",
            cls.__module__,
            cls.__qualname__,
        )
        return "unknown"


def _source_files(module_name: str) -> list[Path]:
    """The ``.py`` files of the top-level package of ``module_name`` (or its single file)."""
    top = sys.modules.get(module_name.split(".")[0])
    if top is None or top.__name__ == "__main__":
        return []
    folders = [Path(p) for p in getattr(top, "__path__", [])]
    if folders:
        return sorted({f for folder in folders for f in folder.rglob("*.py")})
    file = getattr(top, "__file__", None)
    return [Path(file)] if file and file.endswith(".py") else []
