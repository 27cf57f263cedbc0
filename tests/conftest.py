"""Shared fixtures: a clean plugin state for every test, and a CLI runner.

Test folders mirror the source (``core/<package>``, ``plugins/<kind>``), with slow end-to-end
runs in ``e2e/`` and the layer rules in ``architecture/``; helpers live in ``support/``.
"""

from __future__ import annotations

import pytest
from support.paths import PLUGIN_ENV, run_cli

import cosmossl

#: A third-party plugin's own tests, run by tests/e2e/test_plugin_written_for_0_1_0.py as its
#: author would (installed, from its folder), not collected with cosmossl's.
collect_ignore = ["e2e/plugin_0_1_0"]


@pytest.fixture(autouse=True)
def _fresh_plugins(monkeypatch):
    """Each test starts from a registry built from the built-ins and installed plugins."""
    for name in PLUGIN_ENV:
        monkeypatch.delenv(name, raising=False)
    cosmossl.reset_plugins()
    yield
    cosmossl.reset_plugins()


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture(scope="session")
def observed_run(tmp_path_factory):
    """A small finished run (see :mod:`support.observations`), made once per test session;
    tests that write into it take a copy (``support.observations.copy_run``)."""
    from support.observations import make_run

    return make_run(tmp_path_factory.mktemp("observed") / "run")
