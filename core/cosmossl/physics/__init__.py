"""Toolkit for simulator and statistic plugins: cosmology, linear power spectrum providers,
Gaussian and lognormal fields, the analytic Fisher limit of a field.

A public module: third-party plugins may import from it, e.g.
``from cosmossl.physics import cosmology, fields, fisher_limit`` (the submodules) or
``from cosmossl.physics import PowerSpectrumBins, linear_power_provider``. Names resolve lazily
(fields import torch).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from cosmossl._util.lazy import lazy_attributes

SUBMODULES = ("cosmology", "fields", "fisher_limit", "power_providers")

_LAZY: dict[str, str] = {
    "LinearPower": "cosmossl.physics.power_providers",
    "PowerSpectrumBins": "cosmossl.physics.fields",
    "field_fisher": "cosmossl.physics.fisher_limit",
    "linear_power": "cosmossl.physics.cosmology",
    "linear_power_provider": "cosmossl.physics.power_providers",
    "power_spectrum": "cosmossl.physics.fields",
}

__all__ = sorted([*_LAZY, *SUBMODULES])

_getattr, __dir__ = lazy_attributes(__name__, _LAZY)


def __getattr__(name: str) -> Any:
    if name in SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    return _getattr(name)


if TYPE_CHECKING:
    from cosmossl.physics import cosmology, fields, fisher_limit, power_providers
    from cosmossl.physics.cosmology import linear_power
    from cosmossl.physics.fields import PowerSpectrumBins, power_spectrum
    from cosmossl.physics.fisher_limit import field_fisher
    from cosmossl.physics.power_providers import LinearPower, linear_power_provider
