"""Bar charts of a comparison: one panel per metric, mean ± standard deviation over seeds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cosmossl._util.files import save_figure

PANELS: tuple[tuple[str, str], ...] = (
    ("fom_fraction", "Fisher FoM fraction (1 = limit)"),
    ("nll", "test NLL (lower is better)"),
    ("coverage_error", "HPD coverage |error|"),
    ("tarp_atc", "TARP ATC (0 = calibrated)"),
    ("train_seconds", "training time [s]"),
    ("maps_per_second", "training throughput [maps/s]"),
)
PER_PARAMETER: tuple[tuple[str, str], ...] = (
    ("cr_sigma_ratio_", "Cramér–Rao σ / limit σ"),
    ("std_", "posterior σ"),
    ("bias_", "bias / posterior σ"),
)


def _panels(table: list[dict[str, Any]]) -> list[tuple[str, str]]:
    keys = {k for row in table for k in row}
    panels = [(k, t) for k, t in PANELS if k in keys]
    for prefix, title in PER_PARAMETER:
        for key in sorted(k for k in keys if k.startswith(prefix) and not k.endswith("_std")):
            panels.append((key, f"{title}: {key[len(prefix) :]}"))
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
    for ax, (key, title) in zip(axes.flat, panels):
        values = [row.get(key, float("nan")) for row in table]
        errors = [row.get(f"{key}_std", 0.0) for row in table]
        ax.bar(names, values, yerr=errors, color=colors, capsize=3)
        ax.set_title(title, fontsize=9)
        ax.tick_params(axis="x", labelrotation=30, labelsize=8)
        if key == "fom_fraction" or key.startswith("cr_sigma_ratio_"):
            ax.axhline(1.0, color="k", lw=0.8, ls="--")
    for ax in list(axes.flat)[len(panels) :]:
        ax.axis("off")
    path = save_figure(fig, folder / "compare.png", dpi=100)
    caption = "Each panel: mean ± std over seeds; blue: SSL/supervised losses, grey: statistics."
    return [(path, caption)]
