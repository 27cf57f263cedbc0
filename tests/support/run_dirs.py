"""Another process that holds a run directory's lock, for the concurrency tests."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from support.paths import REPO


@contextmanager
def held_by_another_process(path: Path) -> Iterator[subprocess.Popen]:
    """A second Python process that takes the lock of the run directory ``path`` and waits; it
    is killed when the block ends."""
    code = textwrap.dedent(f"""
        import time
        from cosmossl.job.run_dir import RunDirectory
        with RunDirectory({str(path)!r}):
            print("locked", flush=True)
            time.sleep(60)
    """)
    pythonpath = os.pathsep.join([str(REPO / "core"), str(REPO / "plugins")])
    env = {**os.environ, "PYTHONPATH": pythonpath}
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                              env=env)  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "locked"
        yield holder
    finally:
        holder.kill()
        holder.wait()
