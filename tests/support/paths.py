"""Where the repository is, the plugin environment variables, and running the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PLUGIN_ENV = (
    "COSMOSSL_STRICT_PLUGINS",
    "COSMOSSL_DISABLE_PLUGINS",
    "COSMOSSL_LOAD_PLUGINS",
    "COSMOSSL_DEBUG",
)


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
