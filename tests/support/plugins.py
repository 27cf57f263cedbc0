"""Installed distributions with ``cosmossl`` entry points: fake ones for plugin-host tests, and
real ``pip install --target`` installs of a plugin source folder."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

from cosmossl import PluginWarning


def make_distribution(
    root: Path,
    dist: str,
    version: str,
    entry_points: dict[str, str],
    modules: dict[str, str],
    requires: tuple[str, ...] = (),
) -> None:
    """Write ``dist-version.dist-info`` and the modules into ``root`` (a sys.path entry);
    ``requires`` are its ``Requires-Dist`` lines (``"cosmossl>=0.2"``)."""
    info = root / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    requirements = "".join(f"Requires-Dist: {line}\n" for line in requires)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n{requirements}",
        encoding="utf-8",
    )
    lines = "\n".join(f"{name} = {target}" for name, target in entry_points.items())
    (info / "entry_points.txt").write_text(f"[cosmossl]\n{lines}\n", encoding="utf-8")
    for name, source in modules.items():
        (root / f"{name}.py").write_text(textwrap.dedent(source), encoding="utf-8")


def plugin_warnings(record: list[warnings.WarningMessage]) -> list[str]:
    """The messages of the ``PluginWarning``s in a ``pytest.warns`` record (it also catches any
    unrelated warning the interpreter emits meanwhile, such as a ``ResourceWarning`` from GC)."""
    return [str(w.message) for w in record if issubclass(w.category, PluginWarning)]


GOOD_PLUGIN = """
    import torch
    import cosmossl

    class Negate(cosmossl.Augmentation):
        '''Multiply maps by -1.'''
        role = "symmetry"

        def __call__(self, maps, generator):
            return -maps

    @cosmossl.hookimpl
    def register_components(registry):
        registry.add("augmentation", "negate", Negate)
"""

BROKEN_PLUGIN = """
    raise RuntimeError("this plugin is broken on purpose")
"""


def pip_install(source: Path, target: Path) -> None:
    """``pip install --no-deps --target`` without network (build with the venv's setuptools).

    The source is copied first: an in-tree build would leave build/ and *.egg-info behind.
    """
    copy = target.parent / f"{source.name}-copy"
    shutil.copytree(source, copy, ignore=shutil.ignore_patterns("build", "*.egg-info"))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--disable-pip-version-check",
            "--target",
            str(target),
            str(copy),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
