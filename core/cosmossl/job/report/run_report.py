"""The report of a main-job run: ``report.md`` and ``report.html`` (figures embedded) + JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cosmossl._util.files import save_figure, write_json
from cosmossl.config.run_file import RunConfig
from cosmossl.config.settings import InferenceSettings
from cosmossl.data.priors import PRIOR_SOURCES
from cosmossl.information.check import noise_warning
from cosmossl.information.fisher import NOISE_SHARE_LIMIT
from cosmossl.job.report.document import Report
from cosmossl.job.report.posterior_figures import PosteriorSource, posterior_figures, run_sources
from cosmossl.job.results import RunResult, epoch_history, headline
from cosmossl.job.run_dir import (
    REPORT,
    RESULTS,
    TRAINING_CURVES,
    TRAINING_METRICS,
    RunDirectory,
    inference,
)


def plot_training_curves(history: list[dict[str, Any]], path: Path) -> Path:
    """Training and validation loss per epoch, with the learning rate on a second axis."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = [r["epoch"] for r in history]
    fig, ax = plt.subplots(figsize=(6, 3.6), constrained_layout=True)
    ax.plot(epochs, [r["train_loss"] for r in history], "o-", label="train")
    val = [(r["epoch"], r["val_loss"]) for r in history if r.get("val_loss") is not None]
    if val:
        ax.plot(*zip(*val), "s-", label="validation")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.legend(loc="upper left")
    lr = ax.twinx()
    lr.plot(epochs, [r["lr"] for r in history], color="0.6", lw=1, ls="--")
    lr.set_ylabel("learning rate", color="0.4")
    return save_figure(fig, path)


def _inference_section(
    report: Report, label: str, metrics: dict[str, Any], root: Path, folder: str
) -> None:
    report.heading(f"Posterior from the {label} summaries")
    coverage, tarp = metrics["coverage"], metrics["tarp"]
    size = metrics.get("survey_size", 1)
    points = "test maps" if size == 1 else f"test surveys of {size} maps (mean summary)"
    report.paragraph(
        f"{metrics['n_test']} {points}, {metrics['n_samples']} posterior samples each. "
        f"Mean test negative log posterior density {metrics['nll']:.3f}; highest-density "
        f"coverage error {coverage['mean_abs_error']:.3f} on average; TARP ATC "
        f"{tarp['atc']:+.3f} (KS p = {tarp['ks_pvalue']:.2g})."
    )
    rows = [
        (name, p["posterior_std"], p["bias_sigma"], p["rmse"], p["r2"],
         metrics["sbc"]["ks"][name]["pvalue"])
        for name, p in metrics["params"].items()
    ]  # fmt: skip
    report.table(["parameter", "posterior σ", "bias / σ", "RMSE", "R²", "SBC KS p"], rows)
    for name, caption in (
        ("predicted_vs_true.png", "Posterior mean ± σ against the truth on test maps."),
        ("coverage.png", "Expected coverage of highest-density regions (diagonal: calibrated)."),
        ("tarp.png", "TARP expected coverage with bootstrap bands."),
    ):
        if (root / folder / name).exists():
            report.figure(f"{folder}/{name}", caption)


def posterior_section(
    report: Report,
    sources: list[PosteriorSource],
    root: Path,
    fisher: dict[str, Any] | None,
    *,
    options: InferenceSettings,
    seed: int,
) -> list[Path]:
    """The overlaid posteriors of a few test maps (``[inference]`` ``n_corner`` maps,
    ``n_samples`` samples each; test surveys of ``survey_size`` maps when it is above 1);
    nothing when ``plots`` is off. Returns the figures' paths."""
    if not options.plots:
        return []
    figures = posterior_figures(
        sources, root, fisher=fisher, n_maps=options.n_corner, n_samples=options.n_samples,
        seed=seed, survey_size=options.survey_size,
    )  # fmt: skip
    if figures:
        report.heading("Posteriors of test maps" if options.survey_size == 1
                       else "Posteriors of test surveys")  # fmt: skip
    for name, caption in figures:
        report.figure(name, caption)
    return [root / name for name, _ in figures]


def run_prior(metrics: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    """The prior the run's posteriors were fitted with (``{name: {low, high, source}}``, the
    same for every summary), or ``None`` without an inference."""
    return next((m["prior"] for m in metrics.values() if m.get("prior")), None)


def _prior_section(report: Report, prior: dict[str, Any] | None) -> None:
    """The prior every posterior was fitted with, and where it came from; a warning when it is
    the data's min–max (no prior stated)."""
    if not prior:
        return
    report.heading("Prior")
    guessed = [f"{n} ∈ [{p['low']:.6g}, {p['high']:.6g}]" for n, p in prior.items()
               if p["source"] == "data"]  # fmt: skip
    if guessed:
        report.warning(
            f"the prior of {', '.join(guessed)} is the data's min–max: no prior was stated. It "
            "is narrower than the box the parameters were drawn from, so the posteriors and "
            "every metric below are wrong near its edges. State the prior in the [dataset] "
            "table, e.g. priors = { name = [low, high] }."
        )
    rows = [(n, p["low"], p["high"], PRIOR_SOURCES.get(p["source"], p["source"]))
            for n, p in prior.items()]  # fmt: skip
    report.table(["parameter", "low", "high", "source"], rows)


def _fisher_section(report: Report, fisher: dict[str, Any]) -> None:
    names = fisher["param_names"]
    report.heading("Information against the analytic limit")
    fiducial = ", ".join(f"{n} = {v:g}" for n, v in zip(names, fisher["fiducial"]))
    simulator = "; ".join(f"{what}: {how}" for what, how in fisher.get("simulator", {}).items())
    if simulator:
        report.paragraph(f"Simulator: {simulator}.")
    report.paragraph(
        f"Fisher matrices at the fiducial point ({fiducial}) from {fisher['n_fiducial']} "
        f"fiducial and {fisher['n_derivative']} seed-matched derivative simulations per "
        "parameter; the limit is the field's analytic Fisher matrix. The figure-of-merit "
        "fraction is sqrt(det F / det F_limit) (1 = all the information); the interval is a "
        "68% jackknife interval over the simulations; the derivative noise tr(F⁻¹B) is the "
        "share of the raw estimate that the debiasing removed (above "
        f"{NOISE_SHARE_LIMIT} the figure needs more derivative simulations)."
    )
    rows = [("analytic limit", 1.0, "", "", *fisher["limit"]["sigma"])]
    notes = []
    for label, entry in fisher["summaries"].items():
        low, high = entry.get("fom_fraction_interval") or (None, None)
        interval = f"[{low:.3g}, {high:.3g}]" if low is not None else ""
        share = entry.get("noise_share")  # absent from fisher.json files before 0.2.0
        noise = f"{share:.3f}" if share is not None else ""
        rows.append((label, entry["fom_fraction"], interval, noise, *entry["sigma"]))
        if note := noise_warning(label, entry, fisher["n_derivative"]):
            notes.append(note)
    headers = ["summary", "FoM fraction", "68% interval", "derivative noise"]
    report.table([*headers, *(f"Cramér–Rao σ({n})" for n in names)], rows)
    for note in notes:
        report.paragraph(f"**Warning**: {note}.")


def _robustness_section(report: Report, label: str, robustness: dict[str, Any]) -> None:
    report.heading(f"Robustness of the {label} summaries")
    size, names = robustness["survey_size"], list(robustness["clean"]["params"])
    report.paragraph(
        f"The posterior fitted on clean maps, judged on {robustness['n_surveys']} test "
        f"{'maps' if size == 1 else f'surveys of {size} maps (mean summary)'}, clean and with "
        "each contamination put into the same maps. Bias: mean (posterior mean − truth) / "
        "posterior σ; shift: the paired change of that z-score caused by the contamination "
        "(± standard error); joint shift: the mean move of the posterior mean in units of the "
        "clean posterior covariance (large when it crosses a narrow degeneracy); FoM kept: the "
        "posterior figure of merit left (1: as tight as on clean maps)."
    )
    headers = ["contamination"]
    for name in names:
        headers += [f"bias/σ {name} (clean → contaminated)", f"shift/σ {name}"]
    headers += ["joint shift/σ", "68% coverage (clean → contaminated)", "FoM kept",
                "NLL (clean → contaminated)"]  # fmt: skip
    rows = []
    for contamination, m in robustness["contaminations"].items():
        row = [contamination]
        for name in names:
            p = m["params"][name]
            row += [f"{p['bias_sigma_clean']:+.2f} → {p['bias_sigma']:+.2f}",
                    f"{p['shift_sigma']:+.2f} ± {p['shift_sigma_se']:.2f}"]  # fmt: skip
        row += [f"{m['shift_joint_sigma']:.2f} ± {m['shift_joint_sigma_se']:.2f}",
                f"{m['coverage_68_clean']:.2f} → {m['coverage_68']:.2f}", m["fom_kept"],
                f"{m['nll_clean']:.3f} → {m['nll']:.3f}"]  # fmt: skip
        rows.append(row)
    report.table(headers, rows)


def write_run_report(config: RunConfig, run_dir: RunDirectory, result: RunResult) -> Path:
    """Write ``report.md``, ``report.html`` and ``results.json`` into the run directory."""
    report = Report(f"cosmossl run '{config.settings.name}'")
    report.paragraph(f"Run file: {config.source}. Run directory: {run_dir.root}.")
    report.heading("What ran")
    title, parts = config.outline()
    report.paragraph(f"{title}.")
    report.table(["part", "what"], parts)
    report.table(
        ["stage", "this time", "seconds"],
        [(name, "ran" if ran else "up to date", run_dir.seconds(name))
         for name, ran in result.ran.items()],
    )  # fmt: skip
    _prior_section(report, run_prior(result.metrics))
    history = epoch_history(run_dir.path(TRAINING_METRICS))
    if history:
        report.heading("Training")
        plot_training_curves(history, run_dir.path(TRAINING_CURVES))
        last = history[-1]
        report.paragraph(
            f"{last['epoch']} epochs, {last['step']} optimiser steps; best validation loss "
            f"{last.get('best_val_loss', float('nan')):.4g}."
        )
        report.figure(TRAINING_CURVES, "Loss per epoch (dashed: learning rate).")
    if result.fisher:
        _fisher_section(report, result.fisher)
    sources = run_sources(run_dir.root, list(result.metrics), result.fisher)
    posterior_section(report, sources, run_dir.root, result.fisher,
                      options=config.settings.inference, seed=config.settings.seed)  # fmt: skip
    for label, metrics in result.metrics.items():
        _inference_section(report, label, metrics, run_dir.root, inference(label))
        if label in result.robustness:
            _robustness_section(report, label, result.robustness[label])
    md, _ = report.write(run_dir.root, stem=REPORT)
    write_json(
        run_dir.path(RESULTS),
        {
            "name": config.settings.name,
            "stages": result.ran,
            "prior": run_prior(result.metrics),
            "summaries": {label: headline(m) for label, m in result.metrics.items()},
            "fisher": result.fisher,
            "robustness": result.robustness,
        },
    )
    return md
