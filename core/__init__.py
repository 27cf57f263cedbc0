"""cosmossl: self-supervised compression of cosmological maps and simulation-based inference.

This module is the public API, the only one plugins (built-in or third-party) import from.
Names are resolved lazily so that ``import cosmossl`` stays fast and does not import torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cosmossl._lazy import lazy_attributes
from cosmossl._version import __version__
from cosmossl.errors import (
    ConfigError,
    CosmosslError,
    DataError,
    DuplicateComponentError,
    PluginLoadError,
    UnknownComponentError,
)
from cosmossl.hookspecs import hookimpl, hookspec

_LAZY: dict[str, str] = {
    # components (the encoder and loss bases import torch)
    "Component": "cosmossl.components.base",
    "Params": "cosmossl.params",
    "Dataset": "cosmossl.components.dataset",
    "Simulator": "cosmossl.components.dataset",
    "Augmentation": "cosmossl.components.augmentation",
    "Encoder": "cosmossl.components.encoder",
    "EncoderParams": "cosmossl.components.encoder",
    "Loss": "cosmossl.components.loss",
    "LossOutput": "cosmossl.components.loss",
    "Backend": "cosmossl.components.backend",
    "Statistic": "cosmossl.components.statistic",
    "MapMeta": "cosmossl.meta",
    "split_by_group": "cosmossl.data.splits",
    # registry and plugins
    "KINDS": "cosmossl.component_registry",
    "Registry": "cosmossl.component_registry",
    "ComponentEntry": "cosmossl.component_registry",
    "Provider": "cosmossl.component_registry",
    "PluginHost": "cosmossl.plugins",
    "PluginWarning": "cosmossl.plugins",
    "load_plugins": "cosmossl.plugins",
    "plugin_host": "cosmossl.plugins",
    "registry": "cosmossl.plugins",
    "register_plugin": "cosmossl.plugins",
    "reset_plugins": "cosmossl.plugins",
    "create": "cosmossl.factory",
    # pairing of views (simulation-based augmentation)
    "ViewSampler": "cosmossl.pairing",
    "make_views": "cosmossl.pairing",
    # summaries and inference
    "Summaries": "cosmossl.summaries",
    "read_summaries": "cosmossl.summaries",
    "write_summaries": "cosmossl.summaries",
    "BoxPrior": "cosmossl.inference.prior",
    "Posterior": "cosmossl.inference.posterior",
    "load_posterior": "cosmossl.inference.posterior",
    # configuration
    "RunConfig": "cosmossl.config",
    "load_run_config": "cosmossl.config",
    # training and compression
    "train": "cosmossl.training.api",
    "compress": "cosmossl.training.compression",
    "TrainSettings": "cosmossl.training.settings",
    # probes: how much of a quantity summaries keep
    "linear_probe_r2": "cosmossl.probes",
    "mlp_probe_r2": "cosmossl.probes",
}

__all__ = [
    "ConfigError",
    "CosmosslError",
    "DataError",
    "DuplicateComponentError",
    "PluginLoadError",
    "UnknownComponentError",
    "__version__",
    "hookimpl",
    "hookspec",
    *_LAZY,
]


__getattr__, __dir__ = lazy_attributes(__name__, _LAZY)


if TYPE_CHECKING:
    from cosmossl.component_registry import KINDS, ComponentEntry, Provider, Registry
    from cosmossl.components.augmentation import Augmentation
    from cosmossl.components.backend import Backend
    from cosmossl.components.base import Component
    from cosmossl.components.dataset import Dataset, Simulator
    from cosmossl.components.encoder import Encoder, EncoderParams
    from cosmossl.components.loss import Loss, LossOutput
    from cosmossl.components.statistic import Statistic
    from cosmossl.config import RunConfig, load_run_config
    from cosmossl.data.splits import split_by_group
    from cosmossl.factory import create
    from cosmossl.inference.posterior import Posterior, load_posterior
    from cosmossl.inference.prior import BoxPrior
    from cosmossl.meta import MapMeta
    from cosmossl.pairing import ViewSampler, make_views
    from cosmossl.params import Params
    from cosmossl.plugins import (
        PluginHost,
        PluginWarning,
        load_plugins,
        plugin_host,
        register_plugin,
        registry,
        reset_plugins,
    )
    from cosmossl.probes import linear_probe_r2, mlp_probe_r2
    from cosmossl.summaries import Summaries, read_summaries, write_summaries
    from cosmossl.training.api import train
    from cosmossl.training.compression import compress
    from cosmossl.training.settings import TrainSettings
