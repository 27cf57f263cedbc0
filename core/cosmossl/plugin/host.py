"""The plugin host: a typed façade over pluggy that builds the component registry.

Built-in components come from the ``cosmossl_plugins`` package (always loaded, even with every
third-party plugin disabled); third-party plugins come from the ``cosmossl`` entry-point group.

Environment variables:

- ``COSMOSSL_STRICT_PLUGINS=1``: a plugin that fails to load is fatal instead of a warning.
- ``COSMOSSL_DISABLE_PLUGINS=a,b``: never load these plugins (entry-point or distribution names).
- ``COSMOSSL_LOAD_PLUGINS=a,b``: load only these third-party plugins; set but empty loads none.
- ``COSMOSSL_DEBUG=1`` (or ``cosmossl --debug``): a plugin that fails to load shows its traceback.

Plugin code runs inside a guard: whatever it raises while loading — an exception, a
``sys.exit()``, a ``KeyboardInterrupt`` that did not come from the user's Ctrl-C — makes that
plugin fail (skipped with a warning, or fatal in strict mode), never the command.
"""

from __future__ import annotations

import importlib
import importlib.metadata as metadata
import os
import signal
import sys
import threading
import traceback
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import ModuleType
from typing import TypeVar

import pluggy

from cosmossl.errors import DEBUG_HINT, DuplicateComponentError, PluginLoadError, debug_enabled
from cosmossl.plugin import hookspecs
from cosmossl.plugin.compat import running_version
from cosmossl.plugin.registry import Provider, Registry

ENTRY_POINT_GROUP = "cosmossl"
BUILTIN_PACKAGE = "cosmossl_plugins"
BUILTIN_PLUGIN_NAME = "cosmossl"


class PluginWarning(UserWarning):
    """A third-party plugin was skipped because it failed to load."""


@dataclass
class PluginInfo:
    """A loaded plugin and what it contributed."""

    name: str
    distribution: str | None
    version: str | None
    entry_point: str | None
    components: list[str] = field(default_factory=list)


@dataclass
class PluginFailure:
    """A plugin that was skipped, and why."""

    name: str
    distribution: str | None
    version: str | None
    entry_point: str | None
    error: str


@dataclass(frozen=True)
class PluginSelection:
    """Which third-party plugins to load, read from the environment."""

    strict: bool = False
    disabled: frozenset[str] = frozenset()
    only: frozenset[str] | None = None

    @classmethod
    def from_env(cls, environ: os._Environ[str] | dict[str, str] | None = None) -> PluginSelection:
        env = os.environ if environ is None else environ
        only = env.get("COSMOSSL_LOAD_PLUGINS")
        return cls(
            strict=env.get("COSMOSSL_STRICT_PLUGINS", "").strip().lower() in {"1", "true", "yes"},
            disabled=_names(env.get("COSMOSSL_DISABLE_PLUGINS", "")),
            only=None if only is None else _names(only),
        )

    def allows(self, *names: str | None) -> bool:
        given = {n for n in names if n}
        if given & self.disabled:
            return False
        return self.only is None or bool(given & self.only)


def _names(value: str) -> frozenset[str]:
    return frozenset(part.strip() for part in value.split(",") if part.strip())


def make_plugin_manager() -> pluggy.PluginManager:
    """A fresh pluggy manager for the ``cosmossl`` project with the hook specifications added."""
    manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    return manager


T = TypeVar("T")


class _PluginExit(Exception):
    """A ``SystemExit`` or ``KeyboardInterrupt`` raised by plugin code, not by the user."""

    def __init__(self, cause: BaseException) -> None:
        kind = type(cause).__name__
        detail = f"({cause.code!r})" if isinstance(cause, SystemExit) else ""
        super().__init__(f"the plugin raised {kind}{detail} while loading")


@contextmanager
def _user_interrupts() -> Iterator[list[bool]]:
    """Record whether a real Ctrl-C (SIGINT) arrives inside the block (main thread only)."""
    seen: list[bool] = []
    if threading.current_thread() is not threading.main_thread():
        seen.append(True)  # cannot tell: treat every interrupt as the user's
        yield seen
        return
    previous = signal.getsignal(signal.SIGINT)

    def handler(signum: int, frame: object) -> None:
        seen.append(True)
        raise KeyboardInterrupt

    try:
        signal.signal(signal.SIGINT, handler)
    except ValueError:  # signals unavailable here
        seen.append(True)
        yield seen
        return
    try:
        yield seen
    finally:
        signal.signal(signal.SIGINT, previous)


def _guarded(call: Callable[[], T]) -> T:
    """``call()``, with a ``SystemExit`` or a ``KeyboardInterrupt`` that the user did not cause
    turned into an ordinary exception (so the plugin fails, not the command)."""
    with _user_interrupts() as user:
        try:
            return call()
        except SystemExit as exc:
            raise _PluginExit(exc) from exc
        except KeyboardInterrupt as exc:
            if user:
                raise
            raise _PluginExit(exc) from exc


class PluginHost:
    """Loads plugins into a pluggy manager and builds the :class:`Registry` from their hooks."""

    def __init__(self, manager: pluggy.PluginManager | None = None) -> None:
        self.manager = manager or make_plugin_manager()
        self.registry = Registry()
        self.plugins: list[PluginInfo] = []
        self.failures: list[PluginFailure] = []

    def load_builtins(self) -> None:
        """Register the built-in components (``cosmossl_plugins``)."""
        module = importlib.import_module(BUILTIN_PACKAGE)
        self.add_plugin(
            module, PluginInfo(BUILTIN_PLUGIN_NAME, "cosmossl", running_version(), None)
        )

    def load_entry_points(self, selection: PluginSelection | None = None) -> None:
        """Load third-party plugins from the ``cosmossl`` entry-point group.

        A plugin that fails (import error, invalid hooks, an exception in its hook) is skipped
        with a :class:`PluginWarning` and recorded in :attr:`failures`, unless ``strict``.
        """
        selection = selection or PluginSelection.from_env()
        seen: set[tuple[str | None, str]] = set()
        for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
            dist = ep.dist.name if ep.dist else None
            key = (dist, ep.name)
            if key in seen or not selection.allows(ep.name, dist):
                continue
            seen.add(key)
            info = PluginInfo(ep.name, dist, ep.dist.version if ep.dist else None, ep.value)
            try:
                plugin = _guarded(ep.load)
            except Exception as exc:
                self._fail(info, exc, selection.strict, _STRICT_ENV)
                continue
            self.add_plugin(plugin, info, strict=selection.strict, fatal_because=_STRICT_ENV)

    def add_plugin(
        self, plugin: object, info: PluginInfo, *, strict: bool = True, fatal_because: str = ""
    ) -> None:
        """Register ``plugin`` (a module or object with hook implementations) and its components.

        A failure is a warning, or with ``strict`` a :class:`PluginLoadError` (whose message
        ends with ``fatal_because``, e.g. the setting that made it fatal). Two plugins providing
        one component name is always a :class:`DuplicateComponentError`; either way nothing of
        the plugin stays registered.
        """
        try:
            self.manager.register(plugin, name=info.name)
            self.manager.check_pending()
        except Exception as exc:
            if self.manager.is_registered(plugin):
                self.manager.unregister(plugin)
            self._fail(info, exc, strict, fatal_because)
            return
        provider = Provider(info.name, info.distribution, info.version)
        impls = [
            impl
            for impl in self.manager.hook.register_components.get_hookimpls()
            if impl.plugin is plugin
        ]
        with self.registry.provided_by(provider):
            try:
                for impl in impls:
                    _guarded(lambda impl=impl: impl.function(registry=self.registry))
            except Exception as exc:
                self.registry.remove_provided_by(info.name)
                self.manager.unregister(plugin)
                if isinstance(exc, DuplicateComponentError):
                    raise
                self._fail(info, exc, strict, fatal_because)
                return
        info.components = [
            f"{e.kind}:{e.name}" for e in self.registry.entries() if e.provider == provider
        ]
        self.plugins.append(info)

    def register(self, plugin: object, name: str) -> PluginInfo:
        """Add ``plugin`` at run time under ``name``, replacing the plugin it is a copy of.

        The plugin it replaces, with all its components: one registered under ``name``, the
        same object under another name (an installed plugin's entry point loads the very module
        you import), or another copy of the same module or class (re-imported from a working
        copy). So editing a plugin, reloading its modules and registering it again uses the new
        code. Errors say what to do and are never warnings.
        """
        if not isinstance(name, str) or not name.strip():
            raise PluginLoadError(f"register_plugin needs a non-empty plugin name, got {name!r}")
        replaced = self._copies_of(plugin, name)
        for old in replaced:
            if old.name == BUILTIN_PLUGIN_NAME and self.manager.get_plugin(old.name) is not plugin:
                raise PluginLoadError(
                    f"register_plugin: '{BUILTIN_PLUGIN_NAME}' is the name of the built-in "
                    "components; register your plugin under another name"
                )
        same_object = next(
            (old for old in replaced if self.manager.get_plugin(old.name) is plugin), None
        )
        for old in replaced:
            self.remove_plugin(old.name)
        info = PluginInfo(name, None, None, None)
        if same_object is not None:  # the installed plugin itself: keep where it came from
            info = PluginInfo(
                name, same_object.distribution, same_object.version, same_object.entry_point
            )
        try:
            self.add_plugin(plugin, info, strict=True)
        except DuplicateComponentError as exc:
            raise DuplicateComponentError(_clash_message(exc, name)) from None
        return info

    def _copies_of(self, plugin: object, name: str) -> list[PluginInfo]:
        """Registered plugins that ``plugin`` (to be registered as ``name``) replaces."""
        key = _identity(plugin)
        out = []
        for info in [*self.plugins, *self.failures]:
            registered = self.manager.get_plugin(info.name)
            if (
                info.name == name
                or registered is plugin
                or (registered is not None and _identity(registered) == key)
            ):
                out.append(info)
        return out

    def remove_plugin(self, name: str) -> None:
        """Forget the plugin ``name``: its hooks, its components, its failure record."""
        registered = self.manager.get_plugin(name)
        if registered is not None:
            self.manager.unregister(registered, name=name)
        self.registry.remove_provided_by(name)
        self.plugins = [p for p in self.plugins if p.name != name]
        self.failures = [f for f in self.failures if f.name != name]

    def _fail(self, info: PluginInfo, exc: BaseException, strict: bool, because: str = "") -> None:
        error = str(exc) if isinstance(exc, _PluginExit) else _one_line(exc)
        if info.entry_point or info.distribution:
            entry_point = f"{info.name} = {info.entry_point}" if info.entry_point else info.name
            where = f"distribution '{info.distribution or '?'}', entry point '{entry_point}'"
        else:
            where = f"plugin '{info.name}'"
        if debug_enabled():
            cause = exc.__cause__ if isinstance(exc, _PluginExit) else exc
            print(f"traceback of plugin '{info.name}' ({where}):", file=sys.stderr)
            traceback.print_exception(cause, file=sys.stderr)
            hint = ""
        else:
            hint = f"; {DEBUG_HINT}"
        if strict:
            suffix = f" ({because})" if because else ""
            raise PluginLoadError(
                f"plugin failed to load ({where}): {error}{suffix}{hint}"
            ) from exc
        warnings.warn(f"plugin skipped ({where}): {error}{hint}", PluginWarning, stacklevel=3)
        self.failures.append(
            PluginFailure(info.name, info.distribution, info.version, info.entry_point, error)
        )


_STRICT_ENV = "COSMOSSL_STRICT_PLUGINS=1"


def _identity(plugin: object) -> str:
    """What makes two plugin objects copies of one plugin: the module's or the class's name."""
    if isinstance(plugin, ModuleType):
        return f"module {plugin.__name__}"
    cls = plugin if isinstance(plugin, type) else type(plugin)
    return f"class {cls.__module__}.{cls.__qualname__}"


def _one_line(exc: BaseException) -> str:
    """``Type: message`` on one line; pluggy's dumps of every registered plugin left out."""
    lines = [line for line in str(exc).splitlines() if line.strip()]
    lines = [line for line in lines if not (line.startswith("{") and line.endswith("}"))]
    return f"{type(exc).__name__}: {' '.join(lines)}" if lines else type(exc).__name__


def _clash_message(exc: DuplicateComponentError, name: str) -> str:
    existing = getattr(exc, "existing", None)
    if existing is None:
        return str(exc)
    what = f"{exc.kind} '{exc.name}'"
    return (
        f"register_plugin: {what} is already provided by {existing}, so plugin '{name}' cannot "
        f"add it. If '{name}' is a working copy of that plugin, register it under its name "
        f"(register_plugin(plugin, name='{existing.plugin}')), which replaces it; otherwise "
        f"give your component another name."
    )


def load_plugins(selection: PluginSelection | None = None, *, autoload: bool = True) -> PluginHost:
    """A new host with the built-ins and (when ``autoload``) the selected third-party plugins."""
    host = PluginHost()
    host.load_builtins()
    if autoload:
        host.load_entry_points(selection)
    return host


_default_host: PluginHost | None = None


def plugin_host() -> PluginHost:
    """The process-wide host, built on first use from the environment's plugin selection."""
    global _default_host
    if _default_host is None:
        _default_host = load_plugins()
    return _default_host


def registry() -> Registry:
    """The process-wide component registry (see :func:`plugin_host`)."""
    return plugin_host().registry


def register_plugin(plugin: ModuleType | object, name: str) -> PluginInfo:
    """Add a plugin object at run time, e.g. from a notebook or a test.

    Registering a plugin that is already there replaces it (see :meth:`PluginHost.register`):
    a plugin installed with ``pip install -e`` can be edited, reloaded and registered again.
    """
    return plugin_host().register(plugin, name)


def reset_plugins() -> None:
    """Forget the process-wide host; the next :func:`registry` call loads plugins again."""
    global _default_host
    _default_host = None
