"""The run file: typed settings, loading and validation, the generated reference.

Imports no torch, so reading and validating a run file stays fast.
"""

from cosmossl.config.run_file import (
    SLOTS,
    ComponentSpec,
    RunConfig,
    contamination_spec,
    load_run_config,
    parse_run_config,
    validate_slot,
)
from cosmossl.config.settings import (
    CompareSettings,
    Contamination,
    FisherSettings,
    InferenceSettings,
    PairingSettings,
    RobustnessSettings,
    RunSettings,
    TrainSettings,
)

__all__ = [
    "SLOTS",
    "CompareSettings",
    "ComponentSpec",
    "Contamination",
    "FisherSettings",
    "InferenceSettings",
    "PairingSettings",
    "RobustnessSettings",
    "RunConfig",
    "RunSettings",
    "TrainSettings",
    "contamination_spec",
    "load_run_config",
    "parse_run_config",
    "validate_slot",
]
