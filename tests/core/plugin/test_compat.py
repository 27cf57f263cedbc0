"""A plugin declares the cosmossl releases it works with as a ``cosmossl`` requirement of its
distribution (``Requires-Dist``); ``cosmossl plugins`` warns when the running one is excluded."""

from __future__ import annotations

import json

import pytest
from support.plugins import GOOD_PLUGIN, make_distribution

import cosmossl
from cosmossl.plugin.compat import declared_range, version_conflict


def _install(root, dist, requires):
    module = dist.replace("-", "_")
    make_distribution(root, dist, "1.0", {module: module}, {module: GOOD_PLUGIN}, requires)


@pytest.fixture
def site(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def test_the_declared_range_is_the_cosmossl_requirement_of_the_distribution(site):
    _install(site, "ranged", ("numpy>=1", "cosmossl>=0.1,<0.2", "pytest; extra == 'test'"))
    _install(site, "undeclared", ("numpy>=1",))
    _install(site, "test-only", ("cosmossl<0.1; extra == 'test'",))
    assert declared_range("ranged") == "<0.2,>=0.1"
    assert declared_range("undeclared") is None
    assert declared_range("test-only") is None  # an extra's requirement is not the plugin's
    assert declared_range("not-installed") is None


def test_a_range_that_excludes_the_running_version_is_a_conflict_that_says_what_to_do(site):
    _install(site, "old-plugin", ("cosmossl>=0.1,<0.2",))
    assert version_conflict("old-plugin", "0.2.0") == (
        "old-plugin requires cosmossl<0.2,>=0.1, and this is cosmossl 0.2.0: its components may "
        "fail; look for a release of old-plugin made for cosmossl 0.2.0"
    )
    assert version_conflict("old-plugin", "0.1.3") is None


@pytest.mark.parametrize(
    "requires", [(), ("cosmossl",), ("cosmossl>=0.2",), ("cosmossl>=0.2.0rc1",)]
)
def test_no_conflict_without_a_range_or_within_it(site, requires):
    _install(site, "fine", requires)
    assert version_conflict("fine", "0.2.0") is None


def test_cosmossl_plugins_warns_about_a_plugin_whose_range_excludes_this_version(site, cli):
    _install(site, "old-plugin", ("cosmossl<0.2",))
    done = cli("plugins", env={"PYTHONPATH": str(site)})
    assert done.returncode == 0
    assert (
        "warning: plugin 'old_plugin': old-plugin requires cosmossl<0.2, and this is cosmossl "
        f"{cosmossl.__version__}: its components may fail"
    ) in done.stderr
    assert "old_plugin" in done.stdout


def test_cosmossl_plugins_is_quiet_about_a_plugin_whose_range_includes_this_version(site, cli):
    _install(site, "new-plugin", ("cosmossl>=0.2,<1",))
    done = cli("plugins", "--json", env={"PYTHONPATH": str(site)})
    assert done.returncode == 0
    assert "warning" not in done.stderr
    plugin = next(p for p in json.loads(done.stdout)["plugins"] if p["name"] == "new_plugin")
    assert plugin["version_conflict"] is None
