"""Which cosmossl releases an installed plugin declares it works with.

A plugin declares it the way every Python package declares a dependency: a ``cosmossl``
requirement with a version range in its distribution's metadata (``dependencies =
["cosmossl>=0.2,<0.4"]`` in its ``pyproject.toml``, recorded by pip as ``Requires-Dist``).
``cosmossl plugins`` warns when that range excludes the running version.
"""

from __future__ import annotations

from importlib import metadata

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from cosmossl._version import __version__


def running_version() -> str:
    """The version of the cosmossl code that runs (``cosmossl.__version__``: an editable
    install's recorded metadata keeps the version it was installed at)."""
    return __version__


def declared_range(distribution: str) -> str | None:
    """The cosmossl version range ``distribution`` requires (``None``: it declares none)."""
    try:
        requires = metadata.distribution(distribution).requires or []
    except metadata.PackageNotFoundError:
        return None
    for line in requires:
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue
        applies = requirement.marker is None or requirement.marker.evaluate({"extra": ""})
        if canonicalize_name(requirement.name) == "cosmossl" and applies:
            return str(requirement.specifier)
    return None


def version_conflict(distribution: str | None, version: str | None = None) -> str | None:
    """What to tell the user when ``distribution`` excludes the running cosmossl (else None)."""
    if distribution is None or canonicalize_name(distribution) == "cosmossl":
        return None
    declared = declared_range(distribution)
    running = version or running_version()
    if not declared or Requirement(f"cosmossl{declared}").specifier.contains(
        running, prereleases=True
    ):
        return None
    return (
        f"{distribution} requires cosmossl{declared}, and this is cosmossl {running}: its "
        f"components may fail; look for a release of {distribution} made for cosmossl {running}"
    )
