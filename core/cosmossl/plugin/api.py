"""The modules a plugin may import: the public boundary between cosmossl and its plugins.

Built-in components (``cosmossl_plugins``) follow the same rule as third-party ones; a test
enforces it, and ``docs/plugins.md`` shows the list rendered by :func:`plugin_api_markdown`.
Everything else in ``cosmossl`` is the engine's own and may change without notice.
"""

from __future__ import annotations

#: Importable module → what a plugin finds there. Import from these modules only, never from
#: their submodules (``from cosmossl.nn import expander``, not ``cosmossl.nn.heads``).
PLUGIN_API: dict[str, str] = {
    "cosmossl": "component base classes (`Dataset`, `Augmentation`, `Encoder`, `Loss`, "
    "`Backend`, `Statistic`), `Params`, `MapMeta` (with `MapContent`), `MapSet`, errors, "
    "`hookimpl`, `create`, `derive_seed`, `resolve_device`, `split_by_group`",
    "cosmossl.data": "map sets and their HDF5 files, summaries files, `Split`, `Standardizer`",
    "cosmossl.nn": "for losses and encoders: expanders and predictors, `encode_views`, "
    "`per_view`, `full_precision`, collapse monitors, `gather_with_grad` and other DDP helpers",
    "cosmossl.physics": "for simulators and statistics: the `cosmology`, `fields`, "
    "`fisher_limit` and `power_providers` modules, `PowerSpectrumBins`, `LinearPower`, "
    "`linear_power_provider`",
    "cosmossl.inference": "for backends: `BoxPrior`, `FitData`, `Posterior`, `SavedPosterior`, "
    "`ThetaTransform`, sampling helpers, the diagnostics (`evaluate`, `hpd_coverage`, `tarp`, "
    "`sbc`, `point_metrics`, ...), surveys (`draw_surveys`, `survey_mean`), `triangle` plots",
    "cosmossl.information": "for simulators and statistics: a summary's Fisher matrix from "
    "simulations (`simulate_summaries`, `estimate_fisher`, `fom_fraction`, "
    "`fom_fraction_interval`, `cramer_rao`), the information check `information`, probes",
    "cosmossl.testing": "for your tests: contract checks of each kind (`check_loss`, "
    "`check_loss_distributed`, `check_augmentation`, `check_encoder`, `check_statistic`, "
    "`check_dataset`, `check_simulator`, `check_backend`) and `sample_meta`",
}


def plugin_api_markdown() -> str:
    """The list as Markdown bullets (what ``docs/plugins.md`` shows)."""
    return "\n".join(f"- `{module}`: {what}." for module, what in PLUGIN_API.items()) + "\n"
