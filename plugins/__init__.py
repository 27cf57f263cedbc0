"""cosmossl's built-in components, registered from the ``registry.toml`` manifest.

This package is an ordinary cosmossl plugin: its modules import only the public API of
``cosmossl``, exactly what a third-party plugin can import, and components are imported lazily.
"""

from importlib.resources import files

from cosmossl import hookimpl

MANIFEST = "registry.toml"


@hookimpl
def register_components(registry):
    manifest = files(__name__) / MANIFEST
    registry.add_manifest(manifest.read_text(encoding="utf-8"), source=MANIFEST)
