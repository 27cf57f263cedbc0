"""``cosmossl compare``: SSL losses head-to-head on the same data, encoder, budget and seeds.

Each entry of ``[compare] losses`` (and each loss among the baselines, e.g. ``supervised``) trains
the run file's encoder with the run file's ``[train]`` budget; each statistic among the baselines
(e.g. ``power-spectrum``) is used directly as the summary. Every entry runs once per seed, on the
data of that seed (simulated once and shared), and is judged by the same backend and diagnostics.
"""

from __future__ import annotations

import csv
import io
import logging
import math
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cosmossl._util.files import write_json, write_text
from cosmossl._util.suggest import did_you_mean
from cosmossl.config.run_file import RunConfig, load_run_config, parse_run_config
from cosmossl.errors import ConfigError
from cosmossl.job.report.run_report import epoch_history, headline
from cosmossl.job.stages import RunDirectory
from cosmossl.plugin.host import registry as default_registry

log = logging.getLogger("cosmossl.job.compare")


@dataclass
class CompareResult:
    """Per-run rows, the per-entry aggregate over seeds, and the files written."""

    out_dir: Path
    rows: list[dict[str, Any]] = field(default_factory=list)
    table: list[dict[str, Any]] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)


def entries(config: RunConfig) -> list[tuple[str, str]]:
    """``(name, kind)`` of every compared entry, ``kind`` being ``"loss"`` or ``"statistic"``."""
    registry = default_registry()
    options = config.settings.compare
    out = []
    for name in [*options.losses, *options.baselines]:
        if ("loss", name) in registry:
            out.append((name, "loss"))
        elif ("statistic", name) in registry:
            out.append((name, "statistic"))
        else:
            known = [*registry.names("loss"), *registry.names("statistic")]
            raise ConfigError(
                f"{config.source}: [compare] '{name}' is neither a registered loss nor a "
                f"statistic.{did_you_mean(name, known)} Losses: {', '.join(registry.names('loss'))}"
                f"; statistics: {', '.join(registry.names('statistic'))}."
            )
    if len({name for name, _ in out}) != len(out):
        raise ConfigError(f"{config.source}: [compare] lists an entry twice")
    return out


def entry_config(config: RunConfig, name: str, kind: str, seed: int) -> RunConfig:
    """The run file of one entry and seed: same data, encoder, budget; its own loss or statistic."""
    raw = {k: v for k, v in config.raw.items() if k not in ("loss", "statistic", "compare")}
    raw["seed"] = seed
    raw["name"] = f"{config.settings.name}-{name}-seed{seed}"
    if kind == "loss":
        raw["loss"] = {"type": name, **config.settings.compare.loss_params.get(name, {})}
    else:
        raw = {k: v for k, v in raw.items() if k not in ("encoder", "augmentations", "train")}
        raw["statistic"] = {"type": name}
    if kind == "loss" and "encoder" not in raw:
        raise ConfigError(f"{config.source}: comparing losses needs an [encoder] table")
    return parse_run_config(raw, source=f"{config.source} [compare {name}, seed {seed}]")


def compare(
    config: RunConfig | str | Path,
    *,
    out_dir: str | Path | None = None,
    progress: bool = True,
    force: bool = False,
) -> CompareResult:
    """Run every entry × seed (see the module docstring) and write the comparison."""
    from cosmossl.job.run import run
    from cosmossl.job.run_dir import ENCODER, run_directory

    if not isinstance(config, RunConfig):
        config = load_run_config(config)
    if config.component("backend") is None:
        raise ConfigError(f'{config.source}: compare needs a [backend] table (e.g. type = "sbi")')
    plan = entries(config)
    root = Path(out_dir) if out_dir is not None else run_directory(config)
    result = CompareResult(root)
    for seed in config.settings.compare.seeds:
        for name, kind in plan:
            log.info("compare: %s (%s), seed %d", name, kind, seed)
            sub = entry_config(config, name, kind, seed)
            run_dir = root / name / f"seed{seed}"
            outcome = run(
                sub, run_dir=run_dir, progress=progress, force=force,
                data_dir=root / "data" / f"seed{seed}",
            )  # fmt: skip
            label = ENCODER if kind == "loss" else name
            result.rows.append(_row(name, kind, seed, label, outcome, sub))
    result.table = aggregate(result.rows)
    result.files = _write(config, root, result)
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
        history = epoch_history(outcome.run_dir / "train" / "metrics.jsonl")
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


def _columns(table: list[dict[str, Any]]) -> list[str]:
    keys = dict.fromkeys(k for row in table for k in row)
    return [k for k in keys if k not in ("entry", "kind", "seeds") and not k.endswith("_std")]


def _write(config: RunConfig, root: Path, result: CompareResult) -> list[Path]:
    from cosmossl.job.report.compare_plots import plot_comparison
    from cosmossl.job.report.document import Report

    columns = _columns(result.table)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["entry", "kind", "seeds", *(c for k in columns for c in (k, f"{k}_std"))])
    for row in result.table:
        values = [row.get(c) for k in columns for c in (k, f"{k}_std")]
        writer.writerow([row["entry"], row["kind"], row["seeds"], *values])
    write_text(root / "compare.csv", buffer.getvalue())
    write_json(root / "compare.json", {"rows": result.rows, "table": result.table})

    report = Report(f"cosmossl compare '{config.settings.name}'")
    seeds = config.settings.compare.seeds
    report.paragraph(
        f"Same data, encoder, training budget and backend for every entry; mean ± standard "
        f"deviation over {len(seeds)} seed(s) ({', '.join(map(str, seeds))}). Losses train the "
        "encoder; statistics are used directly as summaries."
    )
    shown = [c for c in columns if not c.startswith(("rmse_", "r2_", "tarp_ks"))]
    report.table(
        ["entry", *(label(c) for c in shown)],
        [[row["entry"], *(_pm(row, c) for c in shown)] for row in result.table],
    )
    figures = plot_comparison(result.table, root)
    for path, caption in figures:
        report.figure(path.name, caption)
    md, page = report.write(root, stem="compare")
    return [root / "compare.csv", root / "compare.json", md, page, *(p for p, _ in figures)]


_LABELS = {
    "nll": "test NLL",
    "coverage_error": "HPD coverage |err|",
    "tarp_atc": "TARP ATC",
    "log_fom": "log FoM",
    "fom_fraction": "Fisher FoM fraction",
    "train_seconds": "train [s]",
    "maps_per_second": "maps/s",
}
_PREFIXES = {
    "cr_sigma_ratio_": "CR σ / limit",
    "cr_sigma_": "CR σ",
    "std_": "posterior σ",
    "bias_": "bias/σ",
}


def label(key: str) -> str:
    """A column's heading in the comparison report."""
    if key in _LABELS:
        return _LABELS[key]
    for prefix, text in _PREFIXES.items():
        if key.startswith(prefix):
            return f"{text} ({key[len(prefix) :]})"
    return key


def _pm(row: dict[str, Any], key: str) -> str:
    if key not in row:
        return "–"
    return f"{row[key]:.4g} ± {row.get(f'{key}_std', 0.0):.2g}"
