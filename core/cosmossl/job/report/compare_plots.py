"""Bar charts of a comparison: one panel per metric, mean ± standard error over seeds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cosmossl._util.files import save_figure
from cosmossl.job.report.labels import METRICS, PER_PARAMETER, Metric, is_spread, metric
from cosmossl.job.run_dir import COMPARE


def _panels(table: list[dict[str, Any]]) -> list[Metric]:
    keys = {k for row in table for k in row}
    panels = [m for m in METRICS if m.panel and m.key in keys]
    for family in PER_PARAMETER:
        if not family.panel:
            continue
        chosen = sorted(k for k in keys if k.startswith(family.key) and not is_spread(k))
        panels += [m for m in map(metric, chosen) if m is not None]
    return panels


def plot_comparison(table: list[dict[str, Any]], folder: Path) -> list[tuple[Path, str]]:
    """Write ``compare.png`` (all panels); returns ``[(path, caption)]``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = _panels(table)
    if not panels:
        return []
    cols = 3
    rows = -(-len(panels) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 2.9 * rows), squeeze=False,
                             constrained_layout=True)  # fmt: skip
    names = [row["entry"] for row in table]
    colors = ["C0" if row["kind"] == "loss" else "C7" for row in table]
    for ax, panel in zip(axes.flat, panels):
        values = [row.get(panel.key, float("nan")) for row in table]
        errors = [row.get(f"{panel.key}_se") for row in table]
        spread = None if all(e is None for e in errors) else [e or 0.0 for e in errors]
        ax.bar(names, values, yerr=spread, color=colors, capsize=3)
        ax.set_title(panel.title, fontsize=9)
        ax.tick_params(axis="x", labelrotation=30, labelsize=8)
        if panel.reference is not None:
            ax.axhline(panel.reference, color="k", lw=0.8, ls="--")
    for ax in list(axes.flat)[len(panels) :]:
        ax.axis("off")
    path = save_figure(fig, folder / f"{COMPARE}.png", dpi=100)
    several = any(row.get("seeds", 1) > 1 for row in table)
    spread = "mean ± standard error over seeds" if several else "one seed, no error bars"
    caption = f"Each panel: {spread}; blue: SSL/supervised losses, grey: statistics."
    return [(path, caption)]
