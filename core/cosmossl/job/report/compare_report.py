"""The report of ``cosmossl compare``: ``compare.md``/``.html``, ``compare.csv``/``.json`` and
``compare.png`` in the comparison's folder."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from cosmossl._util.files import write_json, write_text
from cosmossl.config.run_file import RunConfig
from cosmossl.job.report.compare_plots import plot_comparison
from cosmossl.job.report.document import Report
from cosmossl.job.report.labels import is_spread, label, robustness_label
from cosmossl.job.report.posterior_figures import run_sources
from cosmossl.job.report.run_report import posterior_section
from cosmossl.job.results import ROBUST, CompareResult, read_json
from cosmossl.job.run_dir import COMPARE, ENCODER, FISHER

#: Columns kept in the CSV and JSON but left out of the report's table (robustness columns
#: get their own table).
_NOT_SHOWN = ("rmse_", "r2_", "tarp_ks", ROBUST)


def _columns(table: list[dict[str, Any]]) -> list[str]:
    keys = dict.fromkeys(k for row in table for k in row)
    return [k for k in keys if k not in ("entry", "kind", "seeds") and not is_spread(k)]


def write_compare_report(config: RunConfig, root: Path, result: CompareResult) -> list[Path]:
    """Write the comparison's table (CSV, JSON), figure and report; returns the paths."""
    columns = _columns(result.table)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    spread = [(k, f"{k}_std", f"{k}_se") for k in columns]
    writer.writerow(["entry", "kind", "seeds", *(c for group in spread for c in group)])
    for row in result.table:
        values = [row.get(c) for group in spread for c in group]
        writer.writerow([row["entry"], row["kind"], row["seeds"], *values])
    csv_path, json_path = root / f"{COMPARE}.csv", root / f"{COMPARE}.json"
    write_text(csv_path, buffer.getvalue())
    write_json(json_path, {"rows": result.rows, "table": result.table, "paired": result.paired})

    report = Report(f"cosmossl compare '{config.settings.name}'")
    seeds = config.settings.compare.seeds
    spread = (
        f"mean ± standard error of the mean over {len(seeds)} seeds ({', '.join(map(str, seeds))})"
        if len(seeds) > 1
        else f"one seed ({seeds[0]}), so no spread is shown"
    )
    report.paragraph(
        f"Same data, split, encoder, training budget and backend for every entry; {spread}. The "
        "seeds vary the training (initialisation, batches, fresh realisations, the backend's "
        f"fit); every entry and seed has the data and split of data seed "
        f"{config.settings.dataset_seed}. Losses "
        "train the encoder; statistics are used directly as summaries. Training time and "
        "throughput count the optimiser steps from the second one of each training on (the "
        "first pays one-off warm-up costs, which would otherwise go to whichever entry runs "
        "first); the time is the mean step time times the steps taken, without validation."
    )
    shown = [c for c in columns if not c.startswith(_NOT_SHOWN)]
    report.table(
        ["entry", *(label(c) for c in shown)],
        [[row["entry"], *(_pm(row, c) for c in shown)] for row in result.table],
    )
    _paired_tables(report, result)
    _robustness_table(report, result.table)
    figures = plot_comparison(result.table, root)
    for path, caption in figures:
        report.figure(path.name, caption)
    posteriors = _posterior_section(report, config, result, root)
    md, page = report.write(root, stem=COMPARE)
    return [csv_path, json_path, md, page, *(p for p, _ in figures), *posteriors]


def _posterior_section(
    report: Report, config: RunConfig, result: CompareResult, root: Path
) -> list[Path]:
    """Every entry's posterior (its first seed's run) on the same test maps, overlaid."""
    sources, fisher = [], None
    for row in result.table:
        name = row["entry"]
        run_dir = result.first_runs.get(name)
        if run_dir is None:
            continue
        own = read_json(run_dir / FISHER) if (run_dir / FISHER).is_file() else None
        fisher = fisher or own
        label = ENCODER if row["kind"] == "loss" else name
        sources += run_sources(run_dir, [label], own, legend=name)
    return posterior_section(report, sources, root, fisher, options=config.settings.inference,
                             seed=config.settings.compare.seeds[0])  # fmt: skip


def _paired_tables(report: Report, result: CompareResult) -> None:
    """Per headline metric, a matrix of paired differences: row entry − column entry at the
    same seed, mean over seeds ± its standard error."""
    if not result.paired:
        return
    names = [row["entry"] for row in result.table]
    seeds = max(pair["seeds"] for pairs in result.paired.values() for pair in pairs)
    report.heading("Paired differences")
    report.paragraph(
        "Row entry minus column entry, at the same seed (same data, split and test maps), "
        f"averaged over the {seeds} seed{'s' if seeds != 1 else ''} both ran ± the standard "
        "error of that mean. Most of the seed-to-seed spread of one entry is shared by the "
        "others at that seed, so this standard error, not those of the table above, says "
        "whether one entry beats another: a difference beyond about twice it is one the seeds "
        "agree on. Higher is better for the Fisher FoM fraction, lower for the test NLL."
    )
    for key, pairs in result.paired.items():
        cells = {(p["a"], p["b"]): _difference(p) for p in pairs}
        rows = [[a, *(cells.get((a, b), "–") for b in names)] for a in names]
        report.paragraph(f"{label(key)}: row − column.")
        report.table([label(key), *names], rows)


def _difference(pair: dict[str, Any]) -> str:
    se = pair["se"]
    return f"{pair['mean']:+.3g}" if se is None else f"{pair['mean']:+.3g} ± {se:.2g}"


def _robustness_table(report: Report, table: list[dict[str, Any]]) -> None:
    """Entries × contaminations: bias and shift in posterior σ, coverage change, FoM kept."""
    # Keys are robust:<contamination>:<metric>; a contamination's name may hold colons.
    keys = [k.removeprefix(ROBUST).rsplit(":", 1) for k in _columns(table) if k.startswith(ROBUST)]
    contaminations = list(dict.fromkeys(name for name, _ in keys))
    if not contaminations:
        return
    metrics = list(dict.fromkeys(metric for _, metric in keys))
    report.heading("Robustness")
    report.paragraph(
        "Each summary's posterior, fitted on clean maps, on test maps with a contamination put "
        "in ([robustness] in the run file): bias = mean (posterior mean − truth) / posterior σ "
        "on clean and contaminated maps, shift = the paired change caused by the contamination, "
        "the change of the 68% coverage, and the figure of merit kept."
    )
    rows = [
        [row["entry"], name, *(_pm(row, f"{ROBUST}{name}:{m}") for m in metrics)]
        for name in contaminations
        for row in table
    ]
    report.table(["entry", "contamination", *(robustness_label(m) for m in metrics)], rows)


def _pm(row: dict[str, Any], key: str) -> str:
    """``mean ± standard error``, or the value alone when there is no spread (a single seed)."""
    if key not in row:
        return "–"
    se = row.get(f"{key}_se")
    return f"{row[key]:.4g}" if se is None else f"{row[key]:.4g} ± {se:.2g}"
