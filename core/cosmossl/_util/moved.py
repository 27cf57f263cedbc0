"""Public names that moved or went since cosmossl 0.1.0: the one table, and the lookup that
serves it to the old modules.

A name that moved keeps working at its old path for one minor release and warns with a
:class:`DeprecationWarning` naming its new home; a name that is gone for good raises an
:class:`ImportError` naming what replaces it. The old top-level modules of 0.1.0
(``cosmossl/distributed.py``, ...) are three-line shims over :func:`shim_attributes`; the
packages that still exist (``cosmossl.training``, ...) fall back on :func:`moved_attribute`
through :func:`cosmossl._util.lazy.lazy_attributes`. The policy is in docs/plugins.md
("Compatibility").
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable
from typing import Any

#: The release that moved the names, and the one that will drop the old paths.
MOVED_IN = "0.2.0"
REMOVED_IN = "0.3.0"


def _to(home: str, *names: str) -> dict[str, str]:
    return {name: f"{home}:{name}" for name in names}


_FIELDS = (
    "PowerSpectrumBins", "cpu_chunk_size", "exp_minus_one", "full_plane_weights",
    "gaussian_field", "lognormal_exact", "lognormal_gaussian_power", "lognormal_paper",
    "map_variance", "power_spectrum", "white_noise", "wavenumbers",
)  # fmt: skip
_COSMOLOGY = (
    "T_CMB", "alpha_gamma_eh98", "baryon_suppression", "feedback_to_st", "linear_power",
    "projected_power", "sound_horizon_eh98", "tophat_sigma2", "transfer_eh98",
)  # fmt: skip
_FISHER_ESTIMATOR = (
    "FisherEstimate", "STENCILS", "cramer_rao", "fom_fraction", "fom_fraction_interval",
    "hartlap_factor", "simulate_summaries",
)  # fmt: skip

#: Old module → {old name: new public home ``"module:name"``}, for every 0.1.0 public name that
#: moved: the ``__all__`` of ``cosmossl.training`` and ``cosmossl.inference``, and the modules
#: that 0.1.0's documentation and built-in plugins imported from.
MOVED: dict[str, dict[str, str]] = {
    "cosmossl.distributed": _to(
        "cosmossl.nn",
        "all_reduce_mean",
        "gather_with_grad",
        "is_distributed",
        "is_main_process",
        "rank",
        "world_size",
    ),
    "cosmossl.heads": _to(
        "cosmossl.nn",
        "BatchNormScope",
        "GlobalBatchNorm1d",
        "batch_norm_1d",
        "byol_mlp",
        "encode_views",
        "expander",
        "full_precision",
        "per_view",
    ),
    "cosmossl.monitors": _to("cosmossl.nn", "collapse_monitors", "embedding_std", "rankme"),
    "cosmossl.fields": _to("cosmossl.physics.fields", *_FIELDS),
    "cosmossl.cosmology": _to("cosmossl.physics.cosmology", *_COSMOLOGY),
    "cosmossl.fisher": {
        **_to(
            "cosmossl.physics.fisher_limit",
            "SpectrumFn",
            "field_fisher",
            "full_plane_k",
            "gaussian_score",
            "log_power_derivatives",
        ),
        **_to("cosmossl.information", *_FISHER_ESTIMATOR),
    },
    "cosmossl.devices": _to("cosmossl", "resolve_device"),
    "cosmossl.pairing": _to("cosmossl", "ViewSampler", "make_views"),
    "cosmossl.probes": {
        **_to("cosmossl", "linear_probe_r2", "mlp_probe_r2"),
        **_to("cosmossl.information", "r2_score"),
    },
    "cosmossl.hookspecs": _to("cosmossl", "hookimpl", "hookspec"),
    "cosmossl.runner": _to("cosmossl", "RunResult", "run"),
    "cosmossl.summaries": _to("cosmossl", "Summaries", "read_summaries", "write_summaries"),
    "cosmossl.training": {
        **_to("cosmossl", "TrainSettings", "compress", "compress_statistic", "train"),
        **_to("cosmossl.data", "Standardizer"),
    },
    "cosmossl.inference": {
        **_to("cosmossl", "InferenceResult", "InferenceSettings", "infer"),
        **_to("cosmossl.data", "Standardizer"),
    },
}

#: The old modules that are gone as a whole, and where their public names live now.
SHIMS: dict[str, str] = {
    "cosmossl.distributed": "cosmossl.nn",
    "cosmossl.heads": "cosmossl.nn",
    "cosmossl.monitors": "cosmossl.nn",
    "cosmossl.fields": "cosmossl.physics.fields",
    "cosmossl.cosmology": "cosmossl.physics.cosmology",
    "cosmossl.fisher": "cosmossl.information and cosmossl.physics.fisher_limit",
    "cosmossl.devices": "cosmossl",
    "cosmossl.pairing": "cosmossl",
    "cosmossl.probes": "cosmossl and cosmossl.information",
    "cosmossl.hookspecs": "cosmossl",
    "cosmossl.runner": "cosmossl",
}

_ESTIMATE = "cosmossl.information.estimate_fisher"
_SIMULATE = "cosmossl.information.simulate_summaries"

#: ``"module.name"`` of a 0.1.0 public name gone for good → what to use instead.
GONE: dict[str, str] = {
    "cosmossl.training.fisher_of_encoder": (
        "the Fisher matrix of a trained encoder is `cosmossl fisher RUN_FILE --checkpoint "
        "CHECKPOINT`, or cosmossl.information.information(simulator, {'encoder': summary})"
    ),
    "cosmossl.fisher.summary_fisher": f"use {_ESTIMATE} (its .fisher is debiased, .raw is not)",
    "cosmossl.fisher.summary_fisher_estimate": (
        f"use {_ESTIMATE}(fid, cosmossl.information.central_differences(plus, minus, delta))"
    ),
    "cosmossl.fisher.fisher_from_derivatives": f"use {_ESTIMATE}(fid, derivatives)",
    "cosmossl.fisher.fisher_from_simulator": f"use {_SIMULATE}, then {_ESTIMATE}",
    "cosmossl.fisher.simulation_seeds": "use cosmossl.derive_seed",
}


def moved_attribute(module: str, name: str, *, stacklevel: int = 3) -> Any:
    """``module.name`` from its new home with a DeprecationWarning, or the error saying where
    it went (``stacklevel`` 3: the warning points at the code that asked for the name, seen
    through a module's ``__getattr__``)."""
    target = MOVED.get(module, {}).get(name)
    if target is not None:
        home, attr = target.split(":")
        new = f"{home}.{attr}"
        warnings.warn(
            f"{module}.{name} moved to {new} in cosmossl {MOVED_IN}; import it from {home} "
            f"(the old path goes in {REMOVED_IN})",
            DeprecationWarning,
            stacklevel=stacklevel,
        )
        return getattr(importlib.import_module(home), attr)
    if (replacement := GONE.get(f"{module}.{name}")) is not None:
        # An ImportError, not an AttributeError: `from m import x` keeps only an ImportError's
        # message.
        raise ImportError(
            f"{module}.{name} was removed in cosmossl {MOVED_IN}: {replacement}", name=module
        )
    hint = f" (its public names moved to {SHIMS[module]})" if module in SHIMS else ""
    raise AttributeError(f"module '{module}' has no attribute '{name}'{hint}")


def shim_attributes(module: str) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` of an old module that is only a shim now."""

    def __getattr__(name: str) -> Any:
        return moved_attribute(module, name)

    def __dir__() -> list[str]:
        return sorted(MOVED[module])

    return __getattr__, __dir__
