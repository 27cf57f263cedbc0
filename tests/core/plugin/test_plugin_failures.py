"""Plugin code that fails in any way — an exception, sys.exit(), a KeyboardInterrupt that is not
the user's — fails that plugin, never the command; --debug shows where."""

from __future__ import annotations

import os
import sys

import pytest
from support.plugins import make_distribution, plugin_warnings

import cosmossl
from cosmossl import CosmosslError, PluginLoadError, PluginWarning
from cosmossl.plugin.host import PluginSelection, load_plugins

EXITS = """
    import sys
    sys.exit(3)
"""

INTERRUPTS = """
    raise KeyboardInterrupt
"""

EXITS_IN_HOOK = """
    import sys
    import cosmossl

    @cosmossl.hookimpl
    def register_components(registry):
        sys.exit("no")
"""

LAZY_BROKEN = """
    import cosmossl

    @cosmossl.hookimpl
    def register_components(registry):
        registry.add("loss", "lazy-broken", "lazy_broken_impl:Loss", summary="imports badly")
"""

LAZY_BROKEN_IMPL = """
    import sys
    sys.exit("the component module exits")
"""


@pytest.fixture(autouse=True)
def _forget_plugin_modules():
    """Each test imports its own version of the plugin modules."""
    before = set(sys.modules)
    yield
    for name in set(sys.modules) - before:
        del sys.modules[name]


def install(root, monkeypatch, name, source, **extra):
    make_distribution(
        root, f"{name}-dist", "0.1", {name: f"{name}_mod"}, {f"{name}_mod": source, **extra}
    )
    monkeypatch.syspath_prepend(str(root))


@pytest.mark.parametrize(
    ("source", "error"),
    [
        (EXITS, "the plugin raised SystemExit(3) while loading"),
        (INTERRUPTS, "the plugin raised KeyboardInterrupt while loading"),
        (EXITS_IN_HOOK, "the plugin raised SystemExit('no') while loading"),
    ],
    ids=["sys.exit at import", "KeyboardInterrupt at import", "sys.exit in its hook"],
)
def test_a_plugin_that_exits_is_skipped_like_any_failing_plugin(
    tmp_path, monkeypatch, source, error
):
    install(tmp_path, monkeypatch, "quits", source)
    with pytest.warns(PluginWarning) as record:
        host = load_plugins()
    (message,) = plugin_warnings(record)
    assert message == (
        "plugin skipped (distribution 'quits-dist', entry point 'quits = quits_mod'): "
        f"{error}; run with --debug (or COSMOSSL_DEBUG=1) for the traceback"
    )
    assert [f.name for f in host.failures] == ["quits"]
    assert ("augmentation", "d4") in host.registry


def test_strict_mode_makes_an_exiting_plugin_fatal(tmp_path, monkeypatch):
    install(tmp_path, monkeypatch, "quits", EXITS)
    with pytest.raises(PluginLoadError, match=r"SystemExit\(3\).*COSMOSSL_STRICT_PLUGINS=1"):
        load_plugins(PluginSelection.from_env({"COSMOSSL_STRICT_PLUGINS": "1"}))


def test_debug_prints_the_traceback_of_a_failing_plugin(tmp_path, monkeypatch, capsys):
    install(tmp_path, monkeypatch, "quits", EXITS)
    monkeypatch.setenv("COSMOSSL_DEBUG", "1")
    with pytest.warns(PluginWarning) as record:
        load_plugins()
    err = capsys.readouterr().err
    assert "traceback of plugin 'quits'" in err
    assert f'File "{tmp_path / "quits_mod.py"}", line 3' in err and "sys.exit(3)" in err
    assert "--debug" not in plugin_warnings(record)[0]


def test_the_cli_survives_an_exiting_plugin_and_says_how_to_see_why(tmp_path, cli):
    make_distribution(tmp_path, "quits-dist", "0.1", {"quits": "quits_mod"}, {"quits_mod": EXITS})
    env = {"PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}
    result = cli("components", "loss", env=env)
    assert result.returncode == 0, result.stderr
    assert "vicreg" in result.stdout
    assert "SystemExit(3)" in result.stderr and "run with --debug" in result.stderr
    debug = cli("--debug", "components", "loss", env=env)
    assert debug.returncode == 0
    assert "Traceback (most recent call last)" in debug.stderr and "sys.exit(3)" in debug.stderr


def test_a_component_module_that_exits_is_a_user_error_naming_it(tmp_path, monkeypatch):
    install(tmp_path, monkeypatch, "lazy", LAZY_BROKEN, lazy_broken_impl=LAZY_BROKEN_IMPL)
    cosmossl.reset_plugins()
    with pytest.raises(CosmosslError) as info:
        cosmossl.registry().load("loss", "lazy-broken")
    assert str(info.value) == (
        "loss 'lazy-broken' from plugin 'lazy' (lazy-dist 0.1) could not be loaded from "
        "'lazy_broken_impl:Loss': SystemExit: the component module exits (run with --debug "
        "(or COSMOSSL_DEBUG=1) for the traceback)"
    )


def test_a_real_ctrl_c_while_plugins_load_still_interrupts(tmp_path, monkeypatch):
    user_presses_ctrl_c = """
        import os, signal, time
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(5)
    """
    install(tmp_path, monkeypatch, "slow", user_presses_ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        load_plugins()
