"""``cosmossl compare``: SSL losses head-to-head on the same data, encoder, budget and seeds.

Each entry of ``[compare] losses`` (and each loss among the baselines, e.g. ``supervised``) trains
the run file's encoder with the run file's ``[train]`` budget; each statistic among the baselines
(e.g. ``power-spectrum``) is used directly as the summary. Every entry runs once per seed and is
judged by the same backend and diagnostics. The seeds vary the training (initialisation,
batches, fresh realisations, the backend's fit); the data — maps, split, test surveys — is that
of the run file's data seed for every entry and seed (simulated once, shared), so that the
difference of two entries at one seed is theirs alone: :func:`paired_differences`.
"""

from __future__ import annotations

import logging
import math
import statistics
from pathlib import Path
from typing import Any

from cosmossl.config.run_file import RunConfig, load_run_config
from cosmossl.inference.plots import getdist_notes
from cosmossl.job import run_dir as layout
from cosmossl.job.plan import compare_plan
from cosmossl.job.report.compare_report import write_compare_report
from cosmossl.job.results import CompareResult, epoch_history, headline, robustness_columns
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
    data_dir = root / "data" / f"seed{config.settings.dataset_seed}"
    # GetDist's warnings of every figure of every entry: one line (plots.getdist_notes).
    with RunDirectory(root, flag="--out") as directory, getdist_notes():
        directory.check_writable()
        directory.claim(*dict.fromkeys(name for name, *_ in plan), "data")
        result = CompareResult(root)
        for name, kind, seed, sub in plan:
            log.info("compare: %s (%s), seed %d", name, kind, seed)
            run_dir = root / name / f"seed{seed}"
            outcome = run(sub, run_dir=run_dir, progress=progress, force=force,
                          data_dir=data_dir)  # fmt: skip
            label = layout.ENCODER if kind == "loss" else name
            result.rows.append(_row(name, kind, seed, label, outcome, sub))
            result.first_runs.setdefault(name, run_dir)
        result.table = aggregate(result.rows)
        result.paired = paired_differences(result.rows)
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
    row.update(robustness_columns(outcome.robustness.get(label)))
    if kind == "loss":
        history = epoch_history(outcome.run_dir / layout.TRAINING_METRICS)
        settings = sub.settings
        row.update(training_speed(history, settings.train.batch_size * settings.pairing.views))
    return row


def training_speed(history: list[dict[str, Any]], maps_per_step: int) -> dict[str, float]:
    """``train_seconds`` and ``maps_per_second`` of a training, from its epoch records.

    Both count the optimiser steps from the second one of each training on (the first pays
    one-off warm-up costs that would go to whichever entry runs first): the throughput is that
    of the timed steps, the training time is their mean step time times every step taken.
    Validation and checkpoints are left out. Empty when nothing was timed.
    """
    steps = sum(int(r.get("timed_steps", 0)) for r in history)
    seconds = sum(float(r.get("step_time_s", 0.0)) for r in history)
    if not history or steps == 0 or seconds <= 0:
        return {}
    return {
        "train_seconds": seconds / steps * history[-1]["step"],
        "maps_per_second": steps * maps_per_step / seconds,
    }


def aggregate(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Mean, standard deviation and standard error of the mean over seeds of every numeric
    column, per entry (``key``, ``key_std``, ``key_se``).

    With one seed there is no spread: the ``_std`` and ``_se`` columns are ``None``, not 0.
    """
    table = []
    for name in dict.fromkeys(r["entry"] for r in rows):
        group = [r for r in rows if r["entry"] == name]
        out: dict[str, Any] = {"entry": name, "kind": group[0]["kind"], "seeds": len(group)}
        keys = [k for k in group[0] if k not in ("entry", "kind", "seed")]
        for key in keys:
            values = [v for r in group if _number(v := r.get(key))]
            if values:
                out[key], out[f"{key}_std"], out[f"{key}_se"] = _mean_std_se(values)
        table.append(out)
    return table


#: The metrics whose paired differences a comparison reports: the information kept, and the
#: test NLL (lower is better).
PAIRED_METRICS = ("fom_fraction", "nll")


def paired_differences(
    rows: list[dict[str, Any]], metrics: tuple[str, ...] = PAIRED_METRICS
) -> dict[str, list[dict[str, Any]]]:
    """Per metric, every ordered pair of entries ``(a, b)``: the mean over seeds of
    ``a − b`` at the same seed (same data and split, see the module docstring), its standard
    deviation and standard error, and the number of seeds both have.

    The seed-to-seed spread of one entry is mostly shared by the other at the same seed, so the
    paired standard error is the one that says whether a beats b; with one seed it is ``None``.
    """
    names = list(dict.fromkeys(r["entry"] for r in rows))
    by_seed = {(r["entry"], r["seed"]): r for r in rows}
    seeds = list(dict.fromkeys(r["seed"] for r in rows))
    out: dict[str, list[dict[str, Any]]] = {}
    for metric in metrics:
        pairs = []
        for a in names:
            for b in names:
                if a == b:
                    continue
                diffs = []
                for seed in seeds:
                    x = by_seed.get((a, seed), {}).get(metric)
                    y = by_seed.get((b, seed), {}).get(metric)
                    if _number(x) and _number(y):
                        diffs.append(x - y)
                if diffs:
                    mean, std, se = _mean_std_se(diffs)
                    pairs.append({"a": a, "b": b, "mean": mean, "std": std, "se": se,
                                  "seeds": len(diffs)})  # fmt: skip
        if pairs:
            out[metric] = pairs
    return out


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _mean_std_se(values: list[float]) -> tuple[float, float | None, float | None]:
    mean = statistics.fmean(values)
    if len(values) < 2:
        return mean, None, None
    std = statistics.stdev(values)
    return mean, std, std / math.sqrt(len(values))
