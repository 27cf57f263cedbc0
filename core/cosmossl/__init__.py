"""cosmossl: self-supervised compression of cosmological maps and simulation-based inference.

This module is the public API, the only one plugins (built-in or third-party) import from.
Names are resolved lazily so that ``import cosmossl`` stays fast and does not import torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cosmossl._util.lazy import lazy_attributes
from cosmossl._version import __version__
from cosmossl.errors import (
    ConfigError,
    CosmosslError,
    DataError,
    DuplicateComponentError,
    PluginLoadError,
    UnknownComponentError,
)
from cosmossl.plugin.hookspecs import hookimpl, hookspec

_LAZY: dict[str, str] = {
    # components (the encoder and loss bases import torch)
    "Component": "cosmossl.components.base",
    "Params": "cosmossl.components.params",
    "Dataset": "cosmossl.components.dataset",
    "Simulator": "cosmossl.components.dataset",
    "Augmentation": "cosmossl.components.augmentation",
    "Encoder": "cosmossl.components.encoder",
    "EncoderParams": "cosmossl.components.encoder",
    "Loss": "cosmossl.components.loss",
    "LossOutput": "cosmossl.components.loss",
    "Backend": "cosmossl.components.backend",
    "Statistic": "cosmossl.components.statistic",
    "MapMeta": "cosmossl.components.meta",
    "split_by_group": "cosmossl.data.splits",
    # registry and plugins
    "KINDS": "cosmossl.plugin.registry",
    "Registry": "cosmossl.plugin.registry",
    "ComponentEntry": "cosmossl.plugin.registry",
    "Provider": "cosmossl.plugin.registry",
    "PluginHost": "cosmossl.plugin.host",
    "PluginWarning": "cosmossl.plugin.host",
    "load_plugins": "cosmossl.plugin.host",
    "plugin_host": "cosmossl.plugin.host",
    "registry": "cosmossl.plugin.host",
    "register_plugin": "cosmossl.plugin.host",
    "reset_plugins": "cosmossl.plugin.host",
    "create": "cosmossl.plugin.factory",
    # pairing of views (simulation-based augmentation)
    "ViewSampler": "cosmossl.training.views",
    "make_views": "cosmossl.training.views",
    # summaries and inference
    "Summaries": "cosmossl.data.summaries",
    "read_summaries": "cosmossl.data.summaries",
    "write_summaries": "cosmossl.data.summaries",
    "BoxPrior": "cosmossl.inference.prior",
    "Posterior": "cosmossl.inference.posterior",
    "load_posterior": "cosmossl.inference.posterior",
    # configuration
    "RunConfig": "cosmossl.config.run_file",
    "load_run_config": "cosmossl.config.run_file",
    # training and compression
    "train": "cosmossl.training.api",
    "compress": "cosmossl.summaries.compress",
    "TrainSettings": "cosmossl.config.training",
    # probes: how much of a quantity summaries keep
    "linear_probe_r2": "cosmossl.information.probes",
    "mlp_probe_r2": "cosmossl.information.probes",
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
    from cosmossl.components.augmentation import Augmentation
    from cosmossl.components.backend import Backend
    from cosmossl.components.base import Component
    from cosmossl.components.dataset import Dataset, Simulator
    from cosmossl.components.encoder import Encoder, EncoderParams
    from cosmossl.components.loss import Loss, LossOutput
    from cosmossl.components.meta import MapMeta
    from cosmossl.components.params import Params
    from cosmossl.components.statistic import Statistic
    from cosmossl.config.run_file import RunConfig, load_run_config
    from cosmossl.config.training import TrainSettings
    from cosmossl.data.splits import split_by_group
    from cosmossl.data.summaries import Summaries, read_summaries, write_summaries
    from cosmossl.inference.posterior import Posterior, load_posterior
    from cosmossl.inference.prior import BoxPrior
    from cosmossl.information.probes import linear_probe_r2, mlp_probe_r2
    from cosmossl.plugin.factory import create
    from cosmossl.plugin.host import (
        PluginHost,
        PluginWarning,
        load_plugins,
        plugin_host,
        register_plugin,
        registry,
        reset_plugins,
    )
    from cosmossl.plugin.registry import KINDS, ComponentEntry, Provider, Registry
    from cosmossl.summaries.compress import compress
    from cosmossl.training.api import train
    from cosmossl.training.views import ViewSampler, make_views
