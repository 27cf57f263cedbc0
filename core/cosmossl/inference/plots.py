"""Diagnostic plots (PNG, matplotlib Agg): posterior triangle plots (GetDist), coverage, TARP,
predicted vs true."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from cosmossl._util.files import save_figure

log = logging.getLogger("cosmossl.plots")


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: Path) -> Path:
    return save_figure(fig, path, bbox_inches="tight")


def latex_label(name: str, labels: Mapping[str, str] | None = None) -> str:
    """How a figure writes parameter ``name``: its declared LaTeX label, else the name upright."""
    if labels and name in labels:
        return labels[name]
    return r"\mathrm{" + name.replace("_", r"\_") + "}"


#: Credibility of the two contours of the triangle plots (GetDist's default levels).
CONTOURS = (0.68, 0.95)


class _GetDistNotes(logging.Filter):
    """Holds back GetDist's log lines (it logs through the root logger) and remembers which
    parameters they were about (GetDist's names ``p0``, ``p1``... mapped to ours)."""

    def __init__(self) -> None:
        super().__init__()
        self.depth, self.count = 0, 0
        self.names: dict[str, str] = {}
        self.about: dict[str, None] = {}  # ordered set of our names

    def filter(self, record: logging.LogRecord) -> bool:
        if "getdist" not in record.pathname.replace("\\", "/").split("/"):
            return True
        self.count += 1
        for key in re.findall(r"\bp\d+\b", record.getMessage()):
            self.about[self.names.get(key, key)] = None
        return False


_NOTES = _GetDistNotes()


@contextmanager
def getdist_notes() -> Iterator[None]:
    """GetDist's warnings of the figures made in the block, as one log line at its end.

    GetDist chooses each density's smoothing width automatically (Botev et al.'s improved
    Sheather–Jones bandwidth); when that width comes out below 1% of the 0.1–99.9% range of the
    samples, it logs "auto bandwidth for p1 very small or failed" and uses a normal-reference
    width instead. No GetDist setting prevents it short of giving up automatic smoothing for
    every figure; it happens when posterior samples fill the prior box evenly, pile up at its
    edges or have far outliers (a posterior fitted with too narrow a prior does), so it is worth one
    line, not one per density. Blocks may nest: the outermost one says it. Other log records
    pass as usual.
    """
    root = logging.getLogger()
    if _NOTES.depth == 0:
        _NOTES.count, _NOTES.about = 0, {}
        root.addFilter(_NOTES)
    _NOTES.depth += 1
    try:
        yield
    finally:
        _NOTES.depth -= 1
        if _NOTES.depth == 0:
            root.removeFilter(_NOTES)
            if _NOTES.count:
                log.warning(
                    "GetDist's automatic smoothing width failed for %s (%d %s; it used its "
                    "fallback width): posterior samples that fill the prior box, pile up at "
                    "its edges or have far outliers do this (is the prior right?)",
                    ", ".join(_NOTES.about) or "some densities", _NOTES.count,
                    "density" if _NOTES.count == 1 else "densities",
                )  # fmt: skip


def triangle(
    samples: Mapping[str, np.ndarray],
    names: Sequence[str],
    path: Path,
    *,
    labels: Mapping[str, str] | None = None,
    truth: np.ndarray | None = None,
    ranges: Mapping[str, tuple[float, float]] | None = None,
    fiducial: np.ndarray | None = None,
    limit: np.ndarray | None = None,
    cramer_rao: Mapping[str, np.ndarray] | None = None,
    centres: Mapping[str, np.ndarray] | None = None,
    title: str | None = None,
) -> Path:
    """GetDist triangle plot of posteriors of one observation, several overlaid.

    ``samples`` maps a legend label to posterior samples ``[n, P]`` (filled 68% and 95%
    contours, one colour each); ``names`` are the P parameter names, written with ``labels``
    (LaTeX, see :func:`latex_label`). ``truth`` ``[P]`` is marked by dotted lines. ``ranges``
    (``{name: (low, high)}``, the prior box) keep the density estimates inside the prior.
    ``limit`` (a Fisher matrix ``[P, P]``) adds the analytic limit's 68/95% ellipses (black) and
    ``cramer_rao`` (legend label of ``samples`` → its Fisher matrix) each summary's Cramér–Rao
    ellipses (dashed, in its colour), all centred on ``fiducial`` ``[P]``: the contours of the
    Gaussian N(fiducial, F⁻¹), drawn exactly (with its marginals on the diagonal); ``centres``
    (legend label → ``[P]``) centres a summary's ellipses elsewhere, e.g. on its posterior mean
    (``fiducial`` is then not needed for them). ``title`` heads the legend.
    """
    import contextlib
    import io

    _pyplot()
    from getdist import MCSamples

    keys = [f"p{i}" for i in range(len(names))]  # GetDist names; the labels carry the text
    tex = [latex_label(name, labels) for name in names]
    bounds = {k: ranges[n] for k, n in zip(keys, names) if ranges and n in ranges}
    colors = {label: f"C{i}" for i, label in enumerate(samples)}
    roots = []
    # GetDist prints a line per MCSamples ("Removed no burn in"): keep stdout clean.
    with contextlib.redirect_stdout(io.StringIO()):
        for label, draws in samples.items():
            roots.append(MCSamples(samples=np.asarray(draws, dtype=np.float64), names=keys,
                                   labels=tex, label=label, ranges=bounds))  # fmt: skip
    # legend, centre, covariance, colour, style
    ellipses: list[tuple[str, np.ndarray, np.ndarray, str, str]] = []
    centres = centres or {}
    if (limit is not None or set(cramer_rao or {}) - set(centres)) and fiducial is None:
        raise ValueError("Fisher ellipses need the fiducial point they are centred on")
    if limit is not None:
        ellipses.append(("Fisher limit", fiducial, np.linalg.inv(limit), "k", "-"))
    for label, fisher in (cramer_rao or {}).items():
        covariance = np.linalg.inv(np.asarray(fisher, dtype=np.float64))
        ellipses.append((f"{label}, Cramér–Rao", centres.get(label, fiducial), covariance,
                         colors.get(label, "0.4"), "--"))  # fmt: skip
    with getdist_notes():
        _NOTES.names.update(zip(keys, names))
        plotter = _triangle_plot(roots, keys, names, colors, truth)
    box = [ranges.get(name) if ranges else None for name in names]
    for _, centre, covariance, color, style in ellipses:
        _draw_gaussian(plotter.subplots, np.asarray(centre, np.float64), covariance, color,
                       style, box)  # fmt: skip
    _legend(plotter.fig, colors, ellipses, title)
    # GetDist already laid the figure out tightly: no second pass (bbox_inches) needed.
    return save_figure(plotter.fig, path)


def _triangle_plot(
    roots: list[Any],
    keys: list[str],
    names: Sequence[str],
    colors: Mapping[str, str],
    truth: np.ndarray | None,
) -> Any:
    from getdist import plots

    plotter = plots.get_subplot_plotter(width_inch=2.2 * len(names) + 1.6)
    plotter.settings.num_plot_contours = len(CONTOURS)
    plotter.triangle_plot(
        roots,
        filled=True,
        contour_colors=list(colors.values()),
        legend_labels=[],  # our legend below also lists the ellipses
        markers=None if truth is None else dict(zip(keys, map(float, truth))),
        marker_args={"color": "0.25", "ls": ":", "lw": 1.0},
    )
    return plotter


def _draw_gaussian(
    axes: np.ndarray,
    centre: np.ndarray,
    covariance: np.ndarray,
    color: str,
    style: str,
    box: Sequence[tuple[float, float] | None],
) -> None:
    """The 68/95% contours of N(centre, covariance) on a triangle's 2D panels, its marginals
    (peak 1, as GetDist's) on the diagonal; widens the axes to show the 95% contour, but not
    beyond the prior ``box`` (``(low, high)`` or None per parameter)."""
    sigma = np.sqrt(np.diag(covariance))
    reach = np.sqrt(-2.0 * np.log(1.0 - max(CONTOURS)))  # 95% contour's half-width in σ
    n = len(centre)
    for j in range(n):  # widen column j (x) and row j (y) where the contour would be cut
        low, high = axes[j, j].get_xlim()
        want = (centre[j] - reach * sigma[j], centre[j] + reach * sigma[j])
        if box[j] is not None:
            want = (max(want[0], box[j][0]), min(want[1], box[j][1]))
        low, high = min(low, want[0]), max(high, want[1])
        for i in range(j, n):
            axes[i, j].set_xlim(low, high)
        for k in range(j):
            axes[j, k].set_ylim(low, high)
    angle = np.linspace(0.0, 2.0 * np.pi, 241)
    circle = np.stack([np.cos(angle), np.sin(angle)])
    for i in range(n):
        x = np.linspace(*axes[i, i].get_xlim(), 400)
        axes[i, i].plot(x, np.exp(-0.5 * ((x - centre[i]) / sigma[i]) ** 2), color=color,
                        ls=style, lw=1.0)  # fmt: skip
        for j in range(i):
            block = covariance[np.ix_([j, i], [j, i])]
            values, vectors = np.linalg.eigh(block)
            for level in CONTOURS:
                radius = np.sqrt(-2.0 * np.log(1.0 - level))  # Δχ² of a 2D Gaussian
                xy = centre[[j, i], None] + vectors @ (np.sqrt(values)[:, None] * radius * circle)
                axes[i, j].plot(xy[0], xy[1], color=color, ls=style, lw=1.0)


def _legend(
    fig: Any, colors: Mapping[str, str], ellipses: Sequence[tuple], title: str | None
) -> None:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles = [Patch(facecolor=c, edgecolor=c, alpha=0.7) for c in colors.values()]
    handles += [Line2D([], [], color=color, ls=style) for *_, color, style in ellipses]
    texts = [*colors, *(legend for legend, *_ in ellipses)]
    fig.legend(handles, texts, loc="upper right", frameon=False, fontsize=9, title=title,
               title_fontsize=9, alignment="left")  # fmt: skip


def coverage_curve(coverage: dict[str, Any], path: Path) -> Path:
    """Expected coverage of highest-density regions against credibility level."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(4, 4))
    ax.plot([0, 1], [0, 1], "k--", lw=1, label="calibrated")
    ax.plot(coverage["alpha"], coverage["coverage"], color="C0", label="posterior")
    ax.set_xlabel("credibility level")
    ax.set_ylabel("expected coverage (HPD)")
    ax.set_title(f"mean |error| {coverage['mean_abs_error']:.3f}")
    ax.legend(loc="upper left")
    return _save(fig, path)


def tarp_curve(tarp: dict[str, Any], path: Path) -> Path:
    """TARP expected coverage probability with bootstrap bands."""
    plt = _pyplot()
    alpha = np.asarray(tarp["alpha"])
    fig, ax = plt.subplots(figsize=(4, 4))
    ax.fill_between(alpha, *tarp["band_95"], color="C0", alpha=0.15, label="95% band")
    ax.fill_between(alpha, *tarp["band_68"], color="C0", alpha=0.3, label="68% band")
    ax.plot(alpha, tarp["ecp"], color="C0", label="TARP ECP")
    ax.plot([0, 1], [0, 1], "k--", lw=1)
    ax.set_xlabel("credibility level")
    ax.set_ylabel("expected coverage (TARP)")
    ax.set_title(f"ATC {tarp['atc']:+.3f}, KS p = {tarp['ks_pvalue']:.2g}")
    ax.legend(loc="upper left")
    return _save(fig, path)


def predicted_vs_true(
    samples: np.ndarray,
    truth: np.ndarray,
    names: Sequence[str],
    path: Path,
    labels: Mapping[str, str] | None = None,
) -> Path:
    """Posterior mean ± std against the truth, one panel per parameter (``labels``: LaTeX)."""
    plt = _pyplot()
    p = truth.shape[1]
    mean, std = samples.mean(0), samples.std(0)
    fig, axes = plt.subplots(1, p, figsize=(3.8 * p, 3.5), squeeze=False, layout="constrained")
    for k, ax in enumerate(axes[0]):
        lo, hi = float(truth[:, k].min()), float(truth[:, k].max())
        ax.plot([lo, hi], [lo, hi], "k--", lw=1)
        ax.errorbar(
            truth[:, k], mean[:, k], yerr=std[:, k], fmt=".", ms=3, elinewidth=0.6, alpha=0.7
        )
        tex = latex_label(names[k], labels)
        ax.set_xlabel(f"true ${tex}$")
        ax.set_ylabel(f"posterior mean ${tex}$")
    return _save(fig, path)
