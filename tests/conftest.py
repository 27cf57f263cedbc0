"""Shared fixtures: a clean plugin state for every test, and a CLI runner."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import cosmossl

REPO = Path(__file__).resolve().parents[1]
PLUGIN_ENV = ("COSMOSSL_STRICT_PLUGINS", "COSMOSSL_DISABLE_PLUGINS", "COSMOSSL_LOAD_PLUGINS")


@pytest.fixture(autouse=True)
def _fresh_plugins(monkeypatch):
    """Each test starts from a registry built from the built-ins and installed plugins."""
    for name in PLUGIN_ENV:
        monkeypatch.delenv(name, raising=False)
    cosmossl.reset_plugins()
    yield
    cosmossl.reset_plugins()


def run_cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None):
    """Run ``python -m cosmossl ARGS`` in a subprocess; returns the CompletedProcess."""
    full_env = {k: v for k, v in os.environ.items() if k not in PLUGIN_ENV}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "cosmossl", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd or REPO,
        timeout=300,
    )


@pytest.fixture
def cli():
    return run_cli
