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
from cosmossl.job.report.labels import label
from cosmossl.job.results import ROBUST, CompareResult
from cosmossl.job.run_dir import COMPARE

#: Columns kept in the CSV and JSON but left out of the report's table (robustness columns
#: get their own table).
_NOT_SHOWN = ("rmse_", "r2_", "tarp_ks", ROBUST)


def _columns(table: list[dict[str, Any]]) -> list[str]:
    keys = dict.fromkeys(k for row in table for k in row)
    return [k for k in keys if k not in ("entry", "kind", "seeds") and not k.endswith("_std")]


def write_compare_report(config: RunConfig, root: Path, result: CompareResult) -> list[Path]:
    """Write the comparison's table (CSV, JSON), figure and report; returns the paths."""
    columns = _columns(result.table)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["entry", "kind", "seeds", *(c for k in columns for c in (k, f"{k}_std"))])
    for row in result.table:
        values = [row.get(c) for k in columns for c in (k, f"{k}_std")]
        writer.writerow([row["entry"], row["kind"], row["seeds"], *values])
    csv_path, json_path = root / f"{COMPARE}.csv", root / f"{COMPARE}.json"
    write_text(csv_path, buffer.getvalue())
    write_json(json_path, {"rows": result.rows, "table": result.table})

    report = Report(f"cosmossl compare '{config.settings.name}'")
    seeds = config.settings.compare.seeds
    report.paragraph(
        f"Same data, encoder, training budget and backend for every entry; mean ± standard "
        f"deviation over {len(seeds)} seed(s) ({', '.join(map(str, seeds))}). Losses train the "
        "encoder; statistics are used directly as summaries."
    )
    shown = [c for c in columns if not c.startswith(_NOT_SHOWN)]
    report.table(
        ["entry", *(label(c) for c in shown)],
        [[row["entry"], *(_pm(row, c) for c in shown)] for row in result.table],
    )
    _robustness_table(report, result.table)
    figures = plot_comparison(result.table, root)
    for path, caption in figures:
        report.figure(path.name, caption)
    md, page = report.write(root, stem=COMPARE)
    return [csv_path, json_path, md, page, *(p for p, _ in figures)]


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
    report.table(["entry", "contamination", *(_robust_label(m) for m in metrics)], rows)


def _robust_label(metric: str) -> str:
    names = {"shift_joint": "joint shift/σ", "coverage_68_change": "Δ 68% coverage",
             "fom_kept": "FoM kept"}  # fmt: skip
    if metric in names:
        return names[metric]
    for prefix, text in (("bias_clean_", "bias/σ clean"), ("bias_", "bias/σ"),
                         ("shift_", "shift/σ")):  # fmt: skip
        if metric.startswith(prefix):
            return f"{text} ({metric[len(prefix) :]})"
    return metric


def _pm(row: dict[str, Any], key: str) -> str:
    if key not in row:
        return "–"
    return f"{row[key]:.4g} ± {row.get(f'{key}_std', 0.0):.2g}"
