"""How each metric of a run or a comparison is named in tables and figures: the one table."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    """A reported number.

    Attributes:
        key: its key in ``results.json`` and ``compare.json`` (a prefix for per-parameter
            metrics, e.g. ``"bias_"`` for ``bias_omega_m``).
        label: the heading in tables and the title of its figure panel.
        hint: how to read it, added to figure titles (``"lower is better"``).
        reference: a value drawn as a dashed line in figures (1 for the Fisher FoM fraction).
        panel: whether comparison figures show it.
    """

    key: str
    label: str
    hint: str = ""
    reference: float | None = None
    panel: bool = True

    @property
    def title(self) -> str:
        return f"{self.label} ({self.hint})" if self.hint else self.label


#: Scalar metrics, in the order tables and figures show them.
METRICS: tuple[Metric, ...] = (
    Metric("fom_fraction", "Fisher FoM fraction", "1 = limit", reference=1.0),
    Metric("nll", "test NLL", "lower is better"),
    Metric("coverage_error", "HPD coverage |error|"),
    Metric("tarp_atc", "TARP ATC", "0 = calibrated"),
    Metric("log_fom", "log FoM", panel=False),
    Metric("train_seconds", "training time [s]", "steps after the first"),
    Metric("maps_per_second", "training throughput [maps/s]", "steps after the first"),
)
#: Per-parameter metrics (``<prefix><parameter name>``); longer prefixes first.
PER_PARAMETER: tuple[Metric, ...] = (
    Metric("cr_sigma_ratio_", "Cramér–Rao σ / limit σ", reference=1.0),
    Metric("cr_sigma_", "Cramér–Rao σ", panel=False),
    Metric("std_", "posterior σ"),
    Metric("bias_", "bias / posterior σ"),
)
_BY_KEY = {m.key: m for m in METRICS}
#: Suffixes of the spread columns of a comparison's table (``nll_std``, ``nll_se``).
SPREADS = ("_std", "_se")


def is_spread(key: str) -> bool:
    """Whether ``key`` is a spread column (standard deviation or error) of another."""
    return key.endswith(SPREADS)


def metric(key: str) -> Metric | None:
    """The :class:`Metric` of ``key`` (a per-parameter one named after its parameter)."""
    if key in _BY_KEY:
        return _BY_KEY[key]
    for m in PER_PARAMETER:
        if key.startswith(m.key):
            name = key[len(m.key) :]
            return Metric(key, f"{m.label} ({name})", m.hint, m.reference, m.panel)
    return None


def label(key: str) -> str:
    """A column's heading: the metric's label, or the key itself for unknown columns."""
    found = metric(key)
    return found.label if found else key


#: Robustness metrics of a comparison (columns ``robust:<contamination>:<metric>``).
ROBUSTNESS: tuple[Metric, ...] = (
    Metric("shift_joint", "joint shift/σ"),
    Metric("coverage_68_change", "Δ 68% coverage"),
    Metric("fom_kept", "FoM kept"),
)
#: Per-parameter robustness metrics (``<prefix><parameter name>``); longer prefixes first.
ROBUSTNESS_PER_PARAMETER: tuple[Metric, ...] = (
    Metric("bias_clean_", "bias/σ clean"),
    Metric("bias_", "bias/σ"),
    Metric("shift_", "shift/σ"),
)


def robustness_label(key: str) -> str:
    """The heading of a robustness metric (``fom_kept``, ``shift_omega_m``, ...), or the key."""
    for m in ROBUSTNESS:
        if key == m.key:
            return m.label
    for m in ROBUSTNESS_PER_PARAMETER:
        if key.startswith(m.key):
            return f"{m.label} ({key[len(m.key) :]})"
    return key
