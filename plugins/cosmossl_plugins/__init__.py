"""cosmossl's built-in components, registered from the ``registry.toml`` manifest.

This package is an ordinary cosmossl plugin: its modules import only the public modules of
``cosmossl`` (``cosmossl.PLUGIN_API``), exactly what a third-party plugin can import, and
components are imported lazily.
"""

from importlib.resources import files
from pathlib import Path

from cosmossl import hookimpl

MANIFEST = "registry.toml"


def manifest_text() -> str:
    """The manifest: shipped inside the wheel, or at the top of a source checkout."""
    packaged = files(__name__) / MANIFEST
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    # An editable install runs from the source tree, where the manifest sits at the top level.
    return (Path(__file__).resolve().parents[2] / MANIFEST).read_text(encoding="utf-8")


@hookimpl
def register_components(registry):
    registry.add_manifest(manifest_text(), source=MANIFEST)
