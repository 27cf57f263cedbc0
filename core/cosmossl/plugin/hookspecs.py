"""The hooks a cosmossl plugin can implement — the plugin author's manual.

A plugin is any module or object with functions decorated by :data:`cosmossl.hookimpl`. Install it
through the ``cosmossl`` entry-point group of a distribution::

    # pyproject.toml of your package
    [project.entry-points.cosmossl]
    my_plugin = "my_package.plugin"

and cosmossl finds it at start-up (see ``docs/plugins.md``). Every hook is documented here, next to
its specification; a test checks that each hook has a docstring with an example.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from cosmossl.plugin.registry import Registry

PROJECT_NAME = "cosmossl"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def register_components(registry: Registry) -> None:
    """Register this plugin's components (any number, of any kind) with ``registry``.

    Called once per plugin when the registry is built. Register a component either by class or,
    to keep start-up fast, by a ``"module:attr"`` string that is imported only when the component
    is used. A name already taken by another plugin raises :class:`DuplicateComponentError`.

    Arguments:
        registry: the :class:`cosmossl.Registry` being built; call :meth:`Registry.add` on it.

    Example::

        from cosmossl import hookimpl

        @hookimpl
        def register_components(registry):
            registry.add("augmentation", "psf", "my_package.psf:PSF",
                         summary="Gaussian PSF convolution plus pixel noise.")
    """
