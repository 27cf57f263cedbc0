"""Build hook: ship the top-level registry.toml inside the cosmossl_plugins package.

Everything else is declared in pyproject.toml. The manifest stays at the repository's top level,
where people look for it; a wheel carries a copy next to the built-in plugin modules.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

MANIFEST = "registry.toml"


class BuildPy(build_py):
    """``build_py`` that also copies the component manifest into the built package."""

    def run(self) -> None:
        super().run()
        if not self.editable_mode:
            target = Path(self.build_lib, "cosmossl_plugins", MANIFEST)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(Path(__file__).with_name(MANIFEST), target)


setup(cmdclass={"build_py": BuildPy})
