"""``cosmossl compare``: SSL losses head-to-head on the same data, encoder, budget and seeds.

Each entry of ``[compare] losses`` (and each loss among the baselines, e.g. ``supervised``) trains
the run file's encoder with the run file's ``[train]`` budget; each statistic among the baselines
(e.g. ``power-spectrum``) is used directly as the summary. Every entry runs once per seed, on the
data of that seed (simulated once and shared), and is judged by the same backend and diagnostics.
"""

from __future__ import annotations

import logging
import math
import statistics
from pathlib import Path
from typing import Any

from cosmossl.config.run_file import RunConfig, load_run_config
from cosmossl.job import run_dir as layout
from cosmossl.job.plan import compare_plan
from cosmossl.job.report.compare_report import write_compare_report
from cosmossl.job.results import CompareResult, epoch_history, headline
from cosmossl.job.run_dir import RunDirectory, run_directory

log = logging.getLogger("cosmossl.job.compare")


def compare(
    config: RunConfig | str | Path,
    *,
    out_dir: str | Path | None = None,
    progress: bool = True,
    force: bool = False,
) -> CompareResult:
    """Run every entry × seed (see the module docstring) and write the comparison.

    Every entry is validated (its component imported, its parameters checked) before the first
    one runs; the output folder is a run directory (marked, locked) holding one run directory
    per entry and seed and one data folder per seed.
    """
    from cosmossl.job.run import run

    if not isinstance(config, RunConfig):
        config = load_run_config(config)
    plan = compare_plan(config)
    root = Path(out_dir) if out_dir is not None else run_directory(config)
    with RunDirectory(root) as directory:
        directory.check_writable()
        directory.claim(*dict.fromkeys(name for name, *_ in plan), "data")
        result = CompareResult(root)
        for name, kind, seed, sub in plan:
            log.info("compare: %s (%s), seed %d", name, kind, seed)
            run_dir = root / name / f"seed{seed}"
            outcome = run(
                sub, run_dir=run_dir, progress=progress, force=force,
                data_dir=root / "data" / f"seed{seed}",
            )  # fmt: skip
            label = layout.ENCODER if kind == "loss" else name
            result.rows.append(_row(name, kind, seed, label, outcome, sub))
            result.first_runs.setdefault(name, run_dir)
        result.table = aggregate(result.rows)
        result.files = write_compare_report(config, root, result)
    return result


def _row(name: str, kind: str, seed: int, label: str, outcome: Any, sub: RunConfig) -> dict:
    row: dict[str, Any] = {"entry": name, "kind": kind, "seed": seed}
    row.update(headline(outcome.metrics[label]))
    if outcome.fisher:
        entry = outcome.fisher["summaries"][label]
        row["fom_fraction"] = entry["fom_fraction"]
        for param, sigma, ratio in zip(
            outcome.fisher["param_names"], entry["sigma"], entry["sigma_ratio"]
        ):
            row[f"cr_sigma_{param}"] = sigma
            row[f"cr_sigma_ratio_{param}"] = ratio
    if kind == "loss":
        train_seconds = RunDirectory(outcome.run_dir).seconds("train")
        history = epoch_history(outcome.run_dir / layout.TRAINING_METRICS)
        if train_seconds and history:
            settings = sub.settings
            maps = history[-1]["step"] * settings.train.batch_size * settings.pairing.views
            row["train_seconds"] = train_seconds
            row["maps_per_second"] = maps / train_seconds
    return row


def aggregate(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Mean and standard deviation over seeds of every numeric column, per entry."""
    table = []
    for name in dict.fromkeys(r["entry"] for r in rows):
        group = [r for r in rows if r["entry"] == name]
        out: dict[str, Any] = {"entry": name, "kind": group[0]["kind"], "seeds": len(group)}
        keys = [k for k in group[0] if k not in ("entry", "kind", "seed")]
        for key in keys:
            values = [r[key] for r in group if isinstance(r.get(key), int | float)]
            values = [v for v in values if math.isfinite(v)]
            if values:
                out[key] = statistics.fmean(values)
                out[f"{key}_std"] = statistics.stdev(values) if len(values) > 1 else 0.0
        table.append(out)
    return table
