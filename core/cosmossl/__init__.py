"""cosmossl: self-supervised compression of cosmological maps and simulation-based inference.

This module is THE public API: every name a user or a plugin needs, in one lazy table. Plugins
may import from it and from the few public modules listed in :data:`PLUGIN_API`. Names are
resolved on first use, so ``import cosmossl`` stays fast and does not import torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cosmossl._util.lazy import lazy_attributes
from cosmossl._version import __version__
from cosmossl.errors import (
    ConfigError,
    CosmosslError,
    CosmosslWarning,
    DataError,
    DuplicateComponentError,
    PluginLoadError,
    PriorWarning,
    TruncationError,
    UnknownComponentError,
)
from cosmossl.plugin.api import PLUGIN_API
from cosmossl.plugin.hookspecs import hookimpl, hookspec

_LAZY: dict[str, str] = {
    # the component contracts (the encoder and loss bases import torch)
    "KINDS": "cosmossl.components",
    "Component": "cosmossl.components.base",
    "Params": "cosmossl.components.params",
    "MapMeta": "cosmossl.components.meta",
    "MapContent": "cosmossl.components.meta",
    "MAP_CONTENTS": "cosmossl.components.meta",
    "Dataset": "cosmossl.components.dataset",
    "Simulator": "cosmossl.components.dataset",
    "TrainingSimulator": "cosmossl.components.dataset",
    "NuisanceSimulator": "cosmossl.components.dataset",
    "Augmentation": "cosmossl.components.augmentation",
    "Encoder": "cosmossl.components.encoder",
    "EncoderParams": "cosmossl.components.encoder",
    "Loss": "cosmossl.components.loss",
    "LossOutput": "cosmossl.components.loss",
    "TrainingData": "cosmossl.components.training_data",
    "FiducialSimulations": "cosmossl.components.training_data",
    "FiducialBatch": "cosmossl.components.training_data",
    "Backend": "cosmossl.components.backend",
    "Statistic": "cosmossl.components.statistic",
    # data
    "MapSet": "cosmossl.data.mapset",
    "Split": "cosmossl.data.splits",
    "split_by_group": "cosmossl.data.splits",
    "Summaries": "cosmossl.data.summaries",
    "read_summaries": "cosmossl.data.summaries",
    "write_summaries": "cosmossl.data.summaries",
    # seeds and devices
    "derive_seed": "cosmossl._util.seeds",
    "resolve_device": "cosmossl._util.devices",
    # plugins, the registry and the factory
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
    # the run file
    "RunConfig": "cosmossl.config.run_file",
    "load_run_config": "cosmossl.config.run_file",
    "TrainSettings": "cosmossl.config.settings",
    "PairingSettings": "cosmossl.config.settings",
    "InferenceSettings": "cosmossl.config.settings",
    # the stages
    "ViewSampler": "cosmossl.training.views",
    "make_views": "cosmossl.training.views",
    "train_components": "cosmossl.training.loop",
    "TrainResult": "cosmossl.training.loop",
    "compress": "cosmossl.summaries.compress",
    "compress_statistic": "cosmossl.summaries.compress",
    "BoxPrior": "cosmossl.inference.prior",
    "Posterior": "cosmossl.inference.posterior",
    "load_posterior": "cosmossl.inference.posterior",
    "linear_probe_r2": "cosmossl.information.probes",
    "mlp_probe_r2": "cosmossl.information.probes",
    # the job: a whole run from a run file, and comparisons
    "run": "cosmossl.job.run",
    "RunResult": "cosmossl.job.results",
    "compare": "cosmossl.job.compare",
    "train": "cosmossl.job.train",
    "infer": "cosmossl.job.infer",
    "InferenceResult": "cosmossl.job.infer",
    # a finished run taken to new maps: compress, posterior, sample; export
    "load_run": "cosmossl.job.trained_run",
    "TrainedRun": "cosmossl.job.trained_run",
    "Draws": "cosmossl.data.draws",
    "observe": "cosmossl.job.observation",
    "ObservationOptions": "cosmossl.job.observation",
    "export": "cosmossl.job.export",
    # sequential rounds (truncated NPE) for one observation
    "RoundSettings": "cosmossl.inference.sequential",
    "RoundRecord": "cosmossl.job.sequential",
    "SequentialSetup": "cosmossl.job.sequential",
    "SequentialResult": "cosmossl.job.sequential",
    "run_rounds": "cosmossl.job.sequential",
    "sequential_setup": "cosmossl.job.sequential_setup",
}

__all__ = [
    "PLUGIN_API",
    "ConfigError",
    "CosmosslError",
    "CosmosslWarning",
    "DataError",
    "DuplicateComponentError",
    "PluginLoadError",
    "PriorWarning",
    "TruncationError",
    "UnknownComponentError",
    "__version__",
    "hookimpl",
    "hookspec",
    *_LAZY,
]


__getattr__, __dir__ = lazy_attributes(__name__, _LAZY)


if TYPE_CHECKING:
    from cosmossl._util.devices import resolve_device
    from cosmossl._util.seeds import derive_seed
    from cosmossl.components import KINDS
    from cosmossl.components.augmentation import Augmentation
    from cosmossl.components.backend import Backend
    from cosmossl.components.base import Component
    from cosmossl.components.dataset import (
        Dataset,
        NuisanceSimulator,
        Simulator,
        TrainingSimulator,
    )
    from cosmossl.components.encoder import Encoder, EncoderParams
    from cosmossl.components.loss import Loss, LossOutput
    from cosmossl.components.meta import MAP_CONTENTS, MapContent, MapMeta
    from cosmossl.components.params import Params
    from cosmossl.components.statistic import Statistic
    from cosmossl.components.training_data import (
        FiducialBatch,
        FiducialSimulations,
        TrainingData,
    )
    from cosmossl.config.run_file import RunConfig, load_run_config
    from cosmossl.config.settings import InferenceSettings, PairingSettings, TrainSettings
    from cosmossl.data.draws import Draws
    from cosmossl.data.mapset import MapSet
    from cosmossl.data.splits import Split, split_by_group
    from cosmossl.data.summaries import Summaries, read_summaries, write_summaries
    from cosmossl.inference.posterior import Posterior, load_posterior
    from cosmossl.inference.prior import BoxPrior
    from cosmossl.inference.sequential import RoundSettings
    from cosmossl.information.probes import linear_probe_r2, mlp_probe_r2
    from cosmossl.job.compare import compare
    from cosmossl.job.export import export
    from cosmossl.job.infer import InferenceResult, infer
    from cosmossl.job.observation import ObservationOptions, observe
    from cosmossl.job.results import RunResult
    from cosmossl.job.run import run
    from cosmossl.job.sequential import (
        RoundRecord,
        SequentialResult,
        SequentialSetup,
        run_rounds,
    )
    from cosmossl.job.sequential_setup import sequential_setup
    from cosmossl.job.train import train
    from cosmossl.job.trained_run import TrainedRun, load_run
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
    from cosmossl.plugin.registry import ComponentEntry, Provider, Registry
    from cosmossl.summaries.compress import compress, compress_statistic
    from cosmossl.training.loop import TrainResult, train_components
    from cosmossl.training.views import ViewSampler, make_views
