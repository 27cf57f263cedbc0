"""The component registry: who provides which ``(kind, name)``, loaded lazily."""

from __future__ import annotations

import contextlib
import fnmatch
import importlib
import inspect
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from cosmossl._util.suggest import did_you_mean
from cosmossl.components import KINDS, base_class
from cosmossl.errors import (
    DEBUG_HINT,
    CosmosslError,
    DuplicateComponentError,
    UnknownComponentError,
)


@dataclass(frozen=True)
class Provider:
    """The plugin that registered a component, and the distribution it came from."""

    plugin: str
    distribution: str | None = None
    version: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        """``{"plugin", "distribution", "version"}``, e.g. for a file's provenance."""
        return {"plugin": self.plugin, "distribution": self.distribution, "version": self.version}

    def __str__(self) -> str:
        if self.distribution is None:
            return f"plugin '{self.plugin}'"
        dist = f"{self.distribution} {self.version}" if self.version else self.distribution
        return f"plugin '{self.plugin}' ({dist})"


@dataclass
class ComponentEntry:
    """One registered component. ``target`` is a class or a ``"module:attr"`` import path."""

    kind: str
    name: str
    target: str | type
    summary: str
    provider: Provider
    _loaded: type | None = field(default=None, repr=False)

    @property
    def target_path(self) -> str:
        """The ``"module:attr"`` path of the component class."""
        if isinstance(self.target, str):
            return self.target
        return f"{self.target.__module__}:{self.target.__qualname__}"

    def load(self) -> type:
        """Import (once) and return the component class, checked against its kind's base class."""
        if self._loaded is None:
            obj = self.target if not isinstance(self.target, str) else self._import()
            self._check_kind(obj)
            self._loaded = obj
        return self._loaded

    def _import(self) -> Any:
        module_name, _, attr = self.target_path.partition(":")
        try:
            module = importlib.import_module(module_name)
            return getattr(module, attr) if attr else module
        except (Exception, SystemExit) as exc:  # a plugin's sys.exit() is its failure too
            raise CosmosslError(
                f"{self.kind} '{self.name}' from {self.provider} could not be loaded from "
                f"'{self.target_path}': {type(exc).__name__}: {exc} ({DEBUG_HINT})"
            ) from exc

    def _check_kind(self, obj: Any) -> None:
        base = base_class(self.kind)
        if not (inspect.isclass(obj) and issubclass(obj, base)):
            raise CosmosslError(
                f"{self.kind} '{self.name}' from {self.provider} points at '{self.target_path}', "
                f"which is not a subclass of cosmossl.{base.__name__}."
            )
        from pydantic import BaseModel  # loaded with the component's own module anyway

        params = getattr(obj, "Params", None)
        if not (inspect.isclass(params) and issubclass(params, BaseModel)):
            what = f"a {type(params).__name__} instance" if params is not None else "None"
            raise CosmosslError(
                f"{self.kind} '{self.name}' from {self.provider}: its Params is {what}, not a "
                "class deriving from cosmossl.Params; declare it as `class Params(cosmossl.Params)`"
            )


class Registry:
    """All components known to this process, by kind and name.

    Plugins receive the registry in the ``register_components`` hook and call :meth:`add`. The rest
    of cosmossl asks it for entries with :meth:`get` (which explains unknown names).
    """

    def __init__(self) -> None:
        self._entries: dict[str, dict[str, ComponentEntry]] = {kind: {} for kind in KINDS}
        self._provider = Provider(plugin="<direct>")

    @contextlib.contextmanager
    def provided_by(self, provider: Provider) -> Iterator[None]:
        """Attribute every :meth:`add` inside the block to ``provider``."""
        previous, self._provider = self._provider, provider
        try:
            yield
        finally:
            self._provider = previous

    def add(
        self, kind: str, name: str, target: str | type, *, summary: str | None = None
    ) -> ComponentEntry:
        """Register ``target`` (a class or ``"module:attr"``) as the component ``kind``/``name``.

        ``summary`` is one line shown by ``cosmossl components``; for a class it defaults to the
        first line of its docstring. A string target is imported only when first used.
        """
        _check_kind(kind)
        if not isinstance(name, str) or not name or name != name.strip():
            raise CosmosslError(f"component names must be non-empty strings, got {name!r}")
        if isinstance(target, str) and ":" not in target:
            raise CosmosslError(
                f"{kind} '{name}': target '{target}' must have the form 'module:attr'"
            )
        existing = self._entries[kind].get(name)
        if existing is not None:
            error = DuplicateComponentError(
                f"{kind} '{name}' is registered twice: by {existing.provider} and by "
                f"{self._provider}. Uninstall one, or block a plugin with "
                f"COSMOSSL_DISABLE_PLUGINS={self._provider.plugin}."
            )
            error.kind, error.name, error.existing = kind, name, existing.provider
            raise error
        if summary is None:
            doc = inspect.getdoc(target) if not isinstance(target, str) else None
            summary = doc.splitlines()[0] if doc else ""
        entry = ComponentEntry(kind, name, target, summary, self._provider)
        self._entries[kind][name] = entry
        return entry

    def add_manifest(self, text: str, *, source: str = "<manifest>") -> list[ComponentEntry]:
        """Register every component listed in a TOML manifest (see :func:`read_manifest`)."""
        return [
            self.add(kind, name, target, summary=summary)
            for kind, name, target, summary in read_manifest(text, source=source)
        ]

    def remove_provided_by(self, plugin: str) -> None:
        """Forget every entry a plugin registered (used when its hook fails half-way)."""
        for entries in self._entries.values():
            for name in [n for n, e in entries.items() if e.provider.plugin == plugin]:
                del entries[name]

    def get(self, kind: str, name: str) -> ComponentEntry:
        """The entry for ``kind``/``name``; unknown names list close matches and what exists."""
        _check_kind(kind)
        try:
            return self._entries[kind][name]
        except KeyError:
            raise UnknownComponentError(self.unknown_message(kind, name)) from None

    def unknown_message(self, kind: str, name: str) -> str:
        """The message for an unknown name: close matches, then every candidate and provider."""
        entries = self._entries[kind]
        missing = (
            f" If '{name}' comes from a plugin, that plugin may not be installed in this "
            "environment (`cosmossl plugins` lists the loaded ones and those that failed)."
        )
        if not entries:
            return f"no {kind} named '{name}': no {kind} components are registered.{missing}"
        available = ", ".join(f"{n} ({e.provider.plugin})" for n, e in sorted(entries.items()))
        close = did_you_mean(name, entries)
        return f"no {kind} named '{name}'.{close} Available: {available}.{'' if close else missing}"

    def provenance(self, kind: str, spec: dict[str, Any]) -> dict[str, Any]:
        """``spec`` (``{"type": name, ...}``) with the ``provider`` that registered the
        component: plugin, distribution, version (``None`` for an unregistered one)."""
        name = spec.get("type")
        entry = self._entries[_check_kind(kind)].get(name) if isinstance(name, str) else None
        return {**spec, "provider": entry.provider.to_dict() if entry else None}

    def load(self, kind: str, name: str) -> type:
        """The component class for ``kind``/``name`` (imports it on first use)."""
        return self.get(kind, name).load()

    def names(self, kind: str) -> list[str]:
        """Sorted names of the registered components of ``kind``."""
        _check_kind(kind)
        return sorted(self._entries[kind])

    def entries(self, kind: str | None = None, pattern: str = "*") -> list[ComponentEntry]:
        """Entries sorted by kind then name, optionally of one kind and matching a shell pattern."""
        kinds = KINDS if kind is None else (_check_kind(kind),)
        return [
            entry
            for k in kinds
            for name, entry in sorted(self._entries[k].items())
            if fnmatch.fnmatchcase(name, pattern)
        ]

    def __contains__(self, key: tuple[str, str]) -> bool:
        kind, name = key
        return name in self._entries.get(kind, {})

    def __len__(self) -> int:
        return sum(len(v) for v in self._entries.values())


def _check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise UnknownComponentError(
            f"unknown component kind '{kind}'.{did_you_mean(kind, KINDS)} "
            f"Kinds: {', '.join(KINDS)}."
        )
    return kind


MANIFEST_KEYS = frozenset({"target", "summary"})


def read_manifest(text: str, *, source: str = "<manifest>") -> list[tuple[str, str, str, str]]:
    """Parse a component manifest into ``(kind, name, target, summary)`` rows.

    The manifest is TOML with one table per component, ``[kind.name]``, holding ``target``
    (``"module:attr"``) and ``summary`` (one line). The built-ins are listed this way in
    ``registry.toml``; a third-party plugin may ship its own manifest.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CosmosslError(f"{source}: not valid TOML: {exc}") from exc
    rows = []
    for kind, table in data.items():
        _check_kind(kind)
        for name, spec in table.items():
            where = f"{source}: [{kind}.{name}]"
            if not isinstance(spec, dict) or not isinstance(spec.get("target"), str):
                raise CosmosslError(f"{where} needs a string 'target = \"module:attr\"'")
            extra = set(spec) - MANIFEST_KEYS
            if extra:
                raise CosmosslError(f"{where} has unknown keys: {', '.join(sorted(extra))}")
            rows.append((kind, name, spec["target"], str(spec.get("summary", ""))))
    return rows
