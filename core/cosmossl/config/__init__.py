"""The run file: typed settings, loading and validation, the generated reference.

Imports no torch, so reading and validating a run file stays fast.
"""

from cosmossl.config.run_file import (
    SLOTS,
    ComponentSpec,
    RunConfig,
    load_run_config,
    parse_run_config,
    validate_slot,
)
from cosmossl.config.settings import (
    CompareSettings,
    FisherSettings,
    InferenceSettings,
    PairingSettings,
    RunSettings,
    TrainSettings,
)

__all__ = [
    "SLOTS",
    "CompareSettings",
    "ComponentSpec",
    "FisherSettings",
    "InferenceSettings",
    "PairingSettings",
    "RunConfig",
    "RunSettings",
    "TrainSettings",
    "load_run_config",
    "parse_run_config",
    "validate_slot",
]
