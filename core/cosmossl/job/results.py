"""What a run produced, read back: the result of :func:`cosmossl.job.run.run`, the training
history and the headline numbers of an inference."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class RunResult:
    """What :func:`cosmossl.run` did and where it put it.

    Attributes:
        run_dir: the run directory.
        ran: stage name → whether it ran (``False``: skipped, inputs unchanged).
        metrics: summary label (``"encoder"`` or a statistic name) → inference metrics.
        fisher: the information check (``None`` without a simulator or when disabled).
        robustness: summary label → robustness metrics (``[robustness]``; empty without it).
        report: path of ``report.md`` (``report.html`` beside it).
    """

    run_dir: Path
    ran: dict[str, bool] = field(default_factory=dict)
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)
    fisher: dict[str, Any] | None = None
    robustness: dict[str, dict[str, Any]] = field(default_factory=dict)
    report: Path | None = None


@dataclass
class CompareResult:
    """Per-run rows, the per-entry aggregate over seeds, the paired differences of entries
    (metric → ``[{a, b, mean, std, se, seeds}]``), the files written, and the run directory of
    each entry's first seed (the posterior figures overlay those runs)."""

    out_dir: Path
    rows: list[dict[str, Any]] = field(default_factory=list)
    table: list[dict[str, Any]] = field(default_factory=list)
    paired: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    first_runs: dict[str, Path] = field(default_factory=dict)


def epoch_history(path: Path) -> list[dict[str, Any]]:
    """The per-epoch records of a training ``metrics.jsonl`` (empty if there is none).

    A line that is not JSON (the half-written last line of a killed run) is skipped."""
    if not path.exists():
        return []
    records = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            continue
    return [r for r in records if isinstance(r, dict) and r.get("kind") == "epoch"]


def headline(metrics: dict[str, Any]) -> dict[str, Any]:
    """The numbers of an inference ``metrics.json`` that a comparison table shows."""
    out = {
        "nll": metrics["nll"],
        "coverage_error": metrics["coverage"]["mean_abs_error"],
        "tarp_atc": metrics["tarp"]["atc"],
        "tarp_ks_pvalue": metrics["tarp"]["ks_pvalue"],
        "log_fom": metrics["log_fom_mean"],
    }
    for name, p in metrics["params"].items():
        out[f"std_{name}"] = p["posterior_std"]
        out[f"bias_{name}"] = p["bias_sigma"]
        out[f"rmse_{name}"] = p["rmse"]
        out[f"r2_{name}"] = p["r2"]
    return out


#: Prefix of the robustness columns: ``robust:<contamination>:<metric>``.
ROBUST = "robust:"


def robustness_columns(robustness: dict[str, Any] | None) -> dict[str, float]:
    """The numbers of one run's robustness metrics that a comparison shows, per contamination:
    bias and shift per parameter in posterior σ, the change of the 68% coverage, FoM kept."""
    if not robustness:
        return {}
    out = {}
    for name, m in robustness["contaminations"].items():
        prefix = f"{ROBUST}{name}:"
        for param, p in m["params"].items():
            out[f"{prefix}bias_clean_{param}"] = p["bias_sigma_clean"]
            out[f"{prefix}bias_{param}"] = p["bias_sigma"]
            out[f"{prefix}shift_{param}"] = p["shift_sigma"]
        out[f"{prefix}shift_joint"] = m["shift_joint_sigma"]
        out[f"{prefix}coverage_68_change"] = m["coverage_68_change"]
        out[f"{prefix}fom_kept"] = m["fom_kept"]
    return out


def read_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))
