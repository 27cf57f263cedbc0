"""The plugin host: entry points, failures, strict mode, allow/block lists, duplicates."""

from __future__ import annotations

import pytest
from support.plugins import BROKEN_PLUGIN, GOOD_PLUGIN, make_distribution, plugin_warnings

import cosmossl
from cosmossl import DuplicateComponentError, PluginLoadError, PluginWarning
from cosmossl.plugin.host import PluginSelection, load_plugins


@pytest.fixture
def installed(tmp_path, monkeypatch):
    """A good plugin 'good' (dist good-dist 1.5) and a broken one 'broken' (bad-dist 0.1)."""
    make_distribution(
        tmp_path, "good-dist", "1.5", {"good": "good_plugin"}, {"good_plugin": GOOD_PLUGIN}
    )
    make_distribution(
        tmp_path, "bad-dist", "0.1", {"broken": "broken_plugin"}, {"broken_plugin": BROKEN_PLUGIN}
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def test_entry_point_plugin_registers_with_distribution_and_version(installed):
    with pytest.warns(PluginWarning):
        host = load_plugins()
    entry = host.registry.get("augmentation", "negate")
    assert (entry.provider.plugin, entry.provider.distribution, entry.provider.version) == (
        "good",
        "good-dist",
        "1.5",
    )
    info = next(p for p in host.plugins if p.name == "good")
    assert info.components == ["augmentation:negate"]


def test_broken_plugin_is_skipped_with_warning_naming_it(installed):
    with pytest.warns(PluginWarning) as record:
        host = load_plugins()
    (message,) = plugin_warnings(record)
    assert "distribution 'bad-dist'" in message
    assert "entry point 'broken = broken_plugin'" in message
    assert "RuntimeError: this plugin is broken on purpose" in message
    assert [f.name for f in host.failures] == ["broken"]
    assert ("augmentation", "negate") in host.registry
    assert ("augmentation", "d4") in host.registry


def test_strict_mode_makes_a_broken_plugin_fatal(installed):
    with pytest.raises(PluginLoadError, match="COSMOSSL_STRICT_PLUGINS=1"):
        load_plugins(PluginSelection.from_env({"COSMOSSL_STRICT_PLUGINS": "1"}))


def test_disable_blocks_plugins_by_name(installed):
    host = load_plugins(PluginSelection.from_env({"COSMOSSL_DISABLE_PLUGINS": "broken, good"}))
    assert host.failures == []
    assert ("augmentation", "negate") not in host.registry


def test_load_only_listed_plugins(installed):
    host = load_plugins(PluginSelection.from_env({"COSMOSSL_LOAD_PLUGINS": "good"}))
    assert [p.name for p in host.plugins] == ["cosmossl", "good"]
    assert host.failures == []


def test_empty_load_list_loads_only_builtins(installed):
    host = load_plugins(PluginSelection.from_env({"COSMOSSL_LOAD_PLUGINS": ""}))
    assert [p.name for p in host.plugins] == ["cosmossl"]
    assert ("augmentation", "d4") in host.registry


def test_builtins_load_when_autoloading_is_off():
    host = load_plugins(autoload=False)
    assert ("encoder", "mlp") in host.registry
    assert [p.name for p in host.plugins] == ["cosmossl"]


def test_plugin_whose_hook_raises_is_rolled_back(tmp_path, monkeypatch):
    source = """
        import cosmossl

        @cosmossl.hookimpl
        def register_components(registry):
            registry.add("loss", "half", "half_plugin:Nothing")
            raise ValueError("failed half-way")
    """
    make_distribution(
        tmp_path, "half-dist", "0.2", {"half": "half_plugin"}, {"half_plugin": source}
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.warns(PluginWarning, match="ValueError: failed half-way"):
        host = load_plugins()
    assert ("loss", "half") not in host.registry


def test_misspelled_hook_is_reported(tmp_path, monkeypatch):
    source = """
        import cosmossl

        @cosmossl.hookimpl
        def register_component(registry):
            pass
    """
    make_distribution(
        tmp_path, "typo-dist", "1.0", {"typo": "typo_plugin"}, {"typo_plugin": source}
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.warns(PluginWarning, match="unknown hook 'register_component'"):
        load_plugins()


def test_plugin_reusing_a_builtin_name_is_an_error_naming_both(tmp_path, monkeypatch):
    source = """
        import cosmossl

        @cosmossl.hookimpl
        def register_components(registry):
            registry.add("augmentation", "d4", "clash_plugin:D4", summary="mine")
    """
    make_distribution(
        tmp_path, "clash-dist", "3.0", {"clash": "clash_plugin"}, {"clash_plugin": source}
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(DuplicateComponentError) as info:
        load_plugins()
    assert "plugin 'cosmossl' (cosmossl" in str(info.value)
    assert "plugin 'clash' (clash-dist 3.0)" in str(info.value)


def test_register_plugin_at_run_time():
    class Plugin:
        @cosmossl.hookimpl
        def register_components(self, registry):
            registry.add("augmentation", "runtime-flip", "cosmossl_plugins.augmentations.d4:D4")

    cosmossl.register_plugin(Plugin(), name="notebook")
    assert cosmossl.registry().get("augmentation", "runtime-flip").provider.plugin == "notebook"


def test_plugin_manager_factory_has_no_global_state():
    first, second = (
        cosmossl.plugin.host.make_plugin_manager(),
        cosmossl.plugin.host.make_plugin_manager(),
    )
    assert first is not second
    assert first.project_name == "cosmossl"


def test_every_hook_is_documented_with_an_example():
    manager = cosmossl.plugin.host.make_plugin_manager()
    for name in manager.hook.__dict__:
        if name.startswith("_"):
            continue
        doc = getattr(cosmossl.plugin.hookspecs, name).__doc__ or ""
        assert "Example::" in doc and "Arguments:" in doc, f"hook {name} is not documented"


def test_register_plugin_of_an_installed_plugin_replaces_it(installed):
    """pip install -e: the entry point already loaded the module the notebook imports."""
    import good_plugin

    with pytest.warns(PluginWarning):
        host = cosmossl.plugin_host()
    info = cosmossl.register_plugin(good_plugin, name="good")
    assert (info.distribution, info.version, info.components) == (
        "good-dist",
        "1.5",
        ["augmentation:negate"],
    )
    assert [p.name for p in host.plugins].count("good") == 1
    # Under another name, the same object moves there; its components follow it.
    cosmossl.register_plugin(good_plugin, name="notebook")
    assert "good" not in [p.name for p in host.plugins]
    assert cosmossl.registry().get("augmentation", "negate").provider.plugin == "notebook"


def test_register_plugin_again_picks_up_edited_code(installed):
    import importlib
    import sys

    with pytest.warns(PluginWarning):
        cosmossl.registry()
    path = installed / "good_plugin.py"
    path.write_text(path.read_text().replace("return -maps", "return 2 * maps"))
    # A working copy imported again (a new module object of the same name) replaces the
    # installed one without a duplicate-name error.
    del sys.modules["good_plugin"]
    importlib.invalidate_caches()
    edited = importlib.import_module("good_plugin")
    cosmossl.register_plugin(edited, name="good-dev")
    negate = cosmossl.create("augmentation", "negate")
    import torch

    assert torch.equal(
        negate(torch.ones(1, 1, 2, 2), torch.Generator()), torch.full((1, 1, 2, 2), 2.0)
    )
    assert cosmossl.registry().get("augmentation", "negate").provider.plugin == "good-dev"


def test_register_plugin_clashing_with_another_plugin_says_what_to_do(installed):
    class Clash:
        @cosmossl.hookimpl
        def register_components(self, registry):
            registry.add("augmentation", "negate", "cosmossl_plugins.augmentations.d4:D4")

    with pytest.warns(PluginWarning):
        cosmossl.registry()
    with pytest.raises(DuplicateComponentError) as info:
        cosmossl.register_plugin(Clash(), name="mine")
    message = str(info.value)
    assert message == (
        "register_plugin: augmentation 'negate' is already provided by plugin 'good' "
        "(good-dist 1.5), so plugin 'mine' cannot add it. If 'mine' is a working copy of that "
        "plugin, register it under its name (register_plugin(plugin, name='good')), which "
        "replaces it; otherwise give your component another name."
    )
    assert "COSMOSSL" not in message
    assert "mine" not in [p.name for p in cosmossl.plugin_host().plugins]


def test_register_plugin_with_a_bad_hook_is_one_plain_line():
    class Bad:
        @cosmossl.hookimpl
        def register_components(self, registry, extra):
            pass

    with pytest.raises(PluginLoadError) as info:
        cosmossl.register_plugin(Bad(), name="bad")
    message = str(info.value)
    assert message.startswith("plugin failed to load (plugin 'bad'): PluginValidationError:")
    assert "\n" not in message and "<module" not in message
    assert "COSMOSSL_STRICT_PLUGINS" not in message


def test_register_plugin_refuses_the_builtin_name():
    class Mine:
        @cosmossl.hookimpl
        def register_components(self, registry):
            pass

    with pytest.raises(PluginLoadError, match="'cosmossl' is the name of the built-in"):
        cosmossl.register_plugin(Mine(), name="cosmossl")
    assert ("augmentation", "d4") in cosmossl.registry()
