"""Study: do summaries trained on paired simulations ignore baryonic feedback, on survey posteriors?

Four summaries of the same CAMELS-like maps (``examples/baryons.toml``: 64² lognormal slabs of a
25 Mpc/h box with a Schneider & Teyssier suppression driven by four feedback amplitudes), the
three learned ones trained on fresh realisations at every step:

(a) ``paired``: VICReg whose two views share cosmology AND seed and differ only in their feedback
    draw (paired simulations: the pairing level ``paired``);
(a′) ``across``: views of one cosmology from two simulations: other seed and other feedback
    (``across-simulations``);
(b) ``control``: views are two maps of one simulation: other seeds, the SAME feedback
    (``same-simulation``): nothing teaches it to ignore feedback;
(c) ``power-spectrum``: the binned P(k).

Each runs through :func:`cosmossl.job.run.run` on one shared data folder, with the run file's
``[robustness]`` section: the posterior of each summary, fitted on clean surveys of N maps of one
cosmology (``[inference] survey_size``), judges the test surveys clean, with the AGN feedback
prior shifted ×2 (``feedback-shift``) and with pixel noise (``gaussian-noise``, a third-party-style
systematic through the same generic evaluation). Per summary we also measure how much feedback it
keeps: the held-out R² of an MLP (and a linear) probe reading log10 M_c from the summaries
together with the true (Ω_m, σ_8).

Usage::

    OMP_NUM_THREADS=1 python benchmarks/baryons.py      # ~1 hour on one core, from scratch
    python benchmarks/baryons.py --config my.toml --runs runs/my-study --out results/my-study

Writes ``benchmarks/results/robustness.json`` (one record per summary, parameter and
contamination) and ``results.md`` plus figures in ``benchmarks/results/baryons/``.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

import cosmossl
from cosmossl._util.files import write_json, write_text
from cosmossl.config.run_file import RunConfig, load_run_config, parse_run_config
from cosmossl.information.probes import linear_probe_r2, mlp_probe_r2
from cosmossl.job.results import RunResult
from cosmossl.job.run import run
from cosmossl.job.run_dir import ENCODER, summaries
from cosmossl.physics import cosmology

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_CONFIG = REPO / "examples" / "baryons.toml"
DEFAULT_OUT = HERE / "results"
DEFAULT_RUNS = REPO / "runs" / "baryons-study"
#: Summary name → pairing level of its positives (``None``: the statistic).
VARIANTS = {
    "paired": "paired",
    "across": "across-simulations",
    "control": "same-simulation",
    "power-spectrum": None,
}
STATISTIC = "power-spectrum"
COSMOLOGY = ("omega_m", "sigma_8")
SHIFT = "feedback-shift"  # the contamination names of examples/baryons.toml
NOISE = "gaussian-noise"
#: Aims of the study (issue 13), checked and reported, never tuned towards.
AIM_BIASED, AIM_ROBUST = 1.0, 0.3
AIM_KEEPS, AIM_FORGETS = 0.5, 0.1
#: Rows of the summaries file given to the probes (a random subset: the MLP probe's cost).
PROBE_ROWS = {"train": 8000, "test": 4000}


# ---- runs -----------------------------------------------------------------------------------


def variant_config(config: RunConfig, variant: str) -> RunConfig:
    """The run file of one variant: same data, encoder, budget, backend and robustness."""
    raw = {k: v for k, v in config.to_table().items() if k not in ("statistic", "compare")}
    raw["name"] = f"{config.settings.name}-{variant}"
    level = VARIANTS[variant]
    if level is None:
        for key in ("encoder", "loss", "augmentations", "train", "pairing"):
            raw.pop(key, None)
        raw["statistic"] = {"type": STATISTIC}
    else:
        raw["pairing"] = {**raw.get("pairing", {}), "level": level}
    return parse_run_config(raw, source=f"{config.source} [{variant}]")


def summary_label(variant: str) -> str:
    return STATISTIC if VARIANTS[variant] is None else ENCODER


def run_variants(
    config: RunConfig, runs: Path, *, progress: bool = True, force: bool = False
) -> dict[str, RunResult]:
    """Run every variant through the main job, on one shared data folder."""
    out = {}
    for variant in VARIANTS:
        started = time.perf_counter()
        out[variant] = run(
            variant_config(config, variant),
            run_dir=runs / variant,
            progress=progress,
            force=force,
            data_dir=runs / "data",
        )
        print(f"[baryons] {variant}: done in {time.perf_counter() - started:.0f} s", flush=True)
    return out


# ---- feedback information: probes -------------------------------------------------------------


def log10_mc(nuisance: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    """log10 M_c ``[N]`` of feedback amplitudes ``[N, 4]`` (the simulator's heuristic mapping)."""
    amplitudes = np.asarray(nuisance, dtype=np.float64)
    order = [names.index(n) for n in ("A_SN1", "A_AGN1", "A_SN2", "A_AGN2")]
    return cosmology.feedback_to_st(*amplitudes[:, order].T)[0]


def probe_rows(s: Any, split: str, seed: int) -> np.ndarray:
    """A random subset of the rows of one split (at most ``PROBE_ROWS[split]``), sorted."""
    rows = s.indices(split)
    rng = np.random.default_rng([seed, len(split)])
    if rows.size > PROBE_ROWS[split]:
        rows = np.sort(rng.choice(rows, PROBE_ROWS[split], replace=False))
    return rows


def probe_feedback(summaries_path: Path, seed: int, *, use_params: bool = False) -> dict[str, Any]:
    """Held-out R² of log10 M_c from the summaries with the true (Ω_m, σ_8), and without them.

    Given the cosmology, a summary that ignores feedback leaves nothing to read (R² ≈ 0); one
    that keeps it lets the probe read it. ``use_params`` probes (Ω_m, σ_8) alone: the floor.
    """
    s = cosmossl.read_summaries(summaries_path)
    target = log10_mc(s.nuisance, s.nuisance_names)
    train, test = probe_rows(s, "train", seed), probe_rows(s, "test", seed)
    inputs = {"given_cosmology": s.params if use_params else np.hstack([s.summaries, s.params])}
    if not use_params:
        inputs["marginal"] = s.summaries
    out: dict[str, Any] = {"n_train": int(train.size), "n_test": int(test.size)}
    for name, x in inputs.items():
        args = (x[train], target[train], x[test], target[test])
        out[name] = {
            "mlp": float(mlp_probe_r2(*args, groups=s.simulation_id[train], seed=seed)[0]),
            "linear": float(linear_probe_r2(*args)[0]),
        }
    return out


# ---- the study ---------------------------------------------------------------------------------


def study(
    config_path: str | Path = DEFAULT_CONFIG,
    *,
    runs: str | Path = DEFAULT_RUNS,
    progress: bool = True,
    force: bool = False,
) -> dict[str, Any]:
    """Run the four variants (with their robustness stages) and the probes; return every number."""
    config = load_run_config(config_path)
    runs = Path(runs)
    started = time.perf_counter()
    results = run_variants(config, runs, progress=progress, force=force)
    table: dict[str, dict[str, Any]] = {}
    for variant, result in results.items():
        label = summary_label(variant)
        metrics = result.metrics[label]
        table[variant] = {
            "probe_log10_mc": probe_feedback(
                result.run_dir / summaries(label), config.settings.seed
            ),
            "nll": metrics["nll"],
            "log_fom": metrics["log_fom_mean"],
            "coverage_error": metrics["coverage"]["mean_abs_error"],
            "posterior_std": {n: p["posterior_std"] for n, p in metrics["params"].items()},
            "robustness": result.robustness[label],
        }
    first = next(iter(results.values()))
    floor = probe_feedback(first.run_dir / summaries(summary_label(next(iter(VARIANTS)))),
                           config.settings.seed, use_params=True)  # fmt: skip
    out = {
        "config": _relative(config_path),
        "survey_size": config.settings.inference.survey_size,
        "variants": table,
        "probe_floor": floor,
        "seconds": time.perf_counter() - started,
        "stage_seconds": {v: _stage_seconds(runs / v) for v in VARIANTS},
        "machine": machine(),
    }
    out["records"] = records(out)
    out["aims"] = aims(out)
    return out


def records(results: dict[str, Any]) -> list[dict[str, Any]]:
    """One flat record per summary, parameter and contamination (robustness.json)."""
    rows = []
    for variant, row in results["variants"].items():
        robustness = row["robustness"]
        for contamination, m in robustness["contaminations"].items():
            for parameter, p in m["params"].items():
                rows.append({
                    "summary": variant,
                    "parameter": parameter,
                    "contamination": contamination,
                    "survey_size": robustness["survey_size"],
                    "n_surveys": robustness["n_surveys"],
                    "bias_sigma_clean": p["bias_sigma_clean"],
                    "bias_sigma_clean_se": p["bias_sigma_clean_se"],
                    "bias_sigma_shifted": p["bias_sigma"],
                    "bias_sigma_shifted_se": p["bias_sigma_se"],
                    "shift_sigma": p["shift_sigma"],
                    "shift_sigma_se": p["shift_sigma_se"],
                    "shift_joint_sigma": m["shift_joint_sigma"],
                    "coverage_68_clean": m["coverage_68_clean"],
                    "coverage_68_shifted": m["coverage_68"],
                    "fom_kept": m["fom_kept"],
                    "log_fom": row["log_fom"],
                    "nll": row["nll"],
                    "probe_r2_given_cosmology": row["probe_log10_mc"]["given_cosmology"]["mlp"],
                    "probe_r2_given_cosmology_linear":
                        row["probe_log10_mc"]["given_cosmology"]["linear"],
                    "probe_r2_marginal": row["probe_log10_mc"]["marginal"]["mlp"],
                })  # fmt: skip
    return rows


def aims(results: dict[str, Any]) -> dict[str, Any]:
    """The issue's aims, checked on the measured numbers."""
    variants = results["variants"]

    def worst(variant: str, contamination: str = SHIFT) -> float:
        params = variants[variant]["robustness"]["contaminations"][contamination]["params"]
        return max(abs(params[p]["bias_sigma"]) for p in COSMOLOGY)

    def r2(variant: str) -> float:
        return variants[variant]["probe_log10_mc"]["given_cosmology"]["mlp"]

    def joint(variant: str) -> float:
        return variants[variant]["robustness"]["contaminations"][SHIFT]["shift_joint_sigma"]

    return {
        "max_abs_shifted_bias": {v: worst(v) for v in variants},
        "joint_shift": {v: joint(v) for v in variants},
        "probe_r2_given_cosmology": {v: r2(v) for v in variants},
        "pk_and_control_biased_ge_1": min(worst(STATISTIC), worst("control")) >= AIM_BIASED,
        "paired_robust_lt_0.3": worst("paired") < AIM_ROBUST,
        "control_and_pk_keep_feedback_ge_0.5": min(r2("control"), r2(STATISTIC)) >= AIM_KEEPS,
        "paired_forgets_feedback_le_0.1": r2("paired") <= AIM_FORGETS,
        "fom_ratio_paired_over_control": float(
            np.exp(variants["paired"]["log_fom"] - variants["control"]["log_fom"])
        ),
        "fom_ratio_across_over_control": float(
            np.exp(variants["across"]["log_fom"] - variants["control"]["log_fom"])
        ),
    }


def _relative(path: str | Path) -> str:
    """``path`` relative to the repository when it lies inside it (for portable reports)."""
    resolved = Path(path).resolve()
    return str(resolved.relative_to(REPO)) if resolved.is_relative_to(REPO) else str(path)


def _stage_seconds(run_dir: Path) -> dict[str, float]:
    import json

    stages = json.loads((run_dir / "stages.json").read_text(encoding="utf-8"))
    return {name: entry.get("seconds") for name, entry in stages.items()}


def machine() -> dict[str, Any]:
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "torch": torch.__version__,
        "cosmossl": cosmossl.__version__,
    }


# ---- output -------------------------------------------------------------------------------------

NAMES = {"paired": "(a) paired", "across": "(a′) across", "control": "(b) control",
         "power-spectrum": "(c) power-spectrum"}  # fmt: skip


def robustness_table(results: dict[str, Any], contamination: str) -> str:
    """Bias (clean → contaminated) and paired shift per parameter, the joint shift in units
    of the posterior covariance, coverage, FoM kept."""
    head = ["summary"]
    for name in COSMOLOGY:
        head += [f"bias {name}: clean → {contamination}", f"shift {name}"]
    head += ["joint shift", "68% coverage: clean → contaminated", "FoM kept"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for variant, row in results["variants"].items():
        m = row["robustness"]["contaminations"][contamination]
        cells = [NAMES[variant]]
        for name in COSMOLOGY:
            p = m["params"][name]
            cells += [
                f"{p['bias_sigma_clean']:+.2f} → **{p['bias_sigma']:+.2f}** ± "
                f"{p['bias_sigma_se']:.2f}",
                f"{p['shift_sigma']:+.2f} ± {p['shift_sigma_se']:.2f}",
            ]
        cells += [
            f"{m['shift_joint_sigma']:.2f} ± {m['shift_joint_sigma_se']:.2f}",
            f"{m['coverage_68_clean']:.2f} → {m['coverage_68']:.2f}",
            f"{m['fom_kept']:.3f}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def information_table(results: dict[str, Any]) -> str:
    """Probe R² of log10 M_c (given the cosmology, and from the summary alone), NLL, FoM."""
    head = ["summary", "R² log10 M_c given (Ω_m, σ_8): MLP / linear",
            "R² log10 M_c from the summary alone: MLP / linear", "test NLL (surveys)",
            "mean log FoM (surveys)", "FoM / FoM(b)"]  # fmt: skip
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    control = results["variants"]["control"]["log_fom"]
    for variant, row in results["variants"].items():
        p = row["probe_log10_mc"]
        lines.append("| " + " | ".join([
            NAMES[variant],
            f"{p['given_cosmology']['mlp']:.3f} / {p['given_cosmology']['linear']:.3f}",
            f"{p['marginal']['mlp']:.3f} / {p['marginal']['linear']:.3f}",
            f"{row['nll']:.3f}", f"{row['log_fom']:.3f}",
            f"{np.exp(row['log_fom'] - control):.3f}",
        ]) + " |")  # fmt: skip
    floor = results["probe_floor"]["given_cosmology"]
    lines.append(f"| (Ω_m, σ_8) alone (floor) | {floor['mlp']:.3f} / {floor['linear']:.3f} | "
                 "– | – | – | – |")  # fmt: skip
    return "\n".join(lines)


def aims_text(results: dict[str, Any]) -> str:
    a = results["aims"]
    yes = lambda ok: "met" if ok else "NOT met"  # noqa: E731
    bias, r2 = a["max_abs_shifted_bias"], a["probe_r2_given_cosmology"]
    n = results["survey_size"]
    return "\n".join([
        f"- Under the shifted feedback prior, surveys of N = {n} maps: P(k) and the control "
        f"biased by ≥ {AIM_BIASED}σ in Ω_m or σ_8: {bias[STATISTIC]:.2f}σ (c), "
        f"{bias['control']:.2f}σ (b) → {yes(a['pk_and_control_biased_ge_1'])}.",
        f"- The paired model (a) stays < {AIM_ROBUST}σ in both: {bias['paired']:.2f}σ → "
        f"{yes(a['paired_robust_lt_0.3'])} (across (a′): {bias['across']:.2f}σ).",
        f"- Probe R² of log10 M_c given the cosmology: (b) {r2['control']:.3f} and "
        f"(c) {r2[STATISTIC]:.3f} ≥ {AIM_KEEPS} → {yes(a['control_and_pk_keep_feedback_ge_0.5'])}"
        f"; (a) {r2['paired']:.3f} ≤ {AIM_FORGETS} → {yes(a['paired_forgets_feedback_le_0.1'])} "
        f"(a′: {r2['across']:.3f}).",
        "- Jointly (the shift of the posterior mean in units of the posterior covariance, which "
        "sees moves across the narrow Ω_m–σ_8 degeneracy): "
        + ", ".join(f"{NAMES[v]} {s:.2f}σ" for v, s in a["joint_shift"].items()) + ".",
        f"- Cost in figure of merit: FoM(a)/FoM(b) = {a['fom_ratio_paired_over_control']:.3f}, "
        f"FoM(a′)/FoM(b) = {a['fom_ratio_across_over_control']:.3f}.",
    ])  # fmt: skip


def plot_bias(results: dict[str, Any], path: Path) -> Path:
    """Clean and contaminated bias per summary: one row per contamination, one column per θ."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    variants = results["variants"]
    contaminations = list(next(iter(variants.values()))["robustness"]["contaminations"])
    fig, axes = plt.subplots(len(contaminations), 2, figsize=(10, 3.4 * len(contaminations)),
                             squeeze=False, sharey="row")  # fmt: skip
    x = np.arange(len(variants))
    for row, contamination in enumerate(contaminations):
        for col, name in enumerate(COSMOLOGY):
            ax = axes[row, col]
            params = [v["robustness"]["contaminations"][contamination]["params"][name]
                      for v in variants.values()]  # fmt: skip
            for j, (key, hatch, label) in enumerate(
                (("bias_sigma_clean", "//", "clean"), ("bias_sigma", "", contamination))
            ):
                ax.bar(x + (j - 0.5) * 0.38, [p[key] for p in params], 0.38,
                       yerr=[p[f"{key}_se"] for p in params], hatch=hatch, capsize=3,
                       color=[f"C{i}" for i in range(len(params))], edgecolor="k",
                       label=label)  # fmt: skip
            for level, style in ((AIM_BIASED, ":"), (AIM_ROBUST, "--")):
                for sign in (1, -1):
                    ax.axhline(sign * level, color="k", ls=style, lw=0.8)
            ax.axhline(0, color="k", lw=0.5)
            ax.set_xticks(x, [NAMES[v] for v in variants], rotation=12, fontsize=8)
            ax.set_title(f"{name}, {contamination}: mean (posterior mean − truth)/σ", fontsize=9)
        axes[row, 0].set_ylabel(f"bias in posterior σ (N = {results['survey_size']})")
        axes[row, 0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def plot_joint(results: dict[str, Any], path: Path) -> Path:
    """Joint shift (units of the posterior covariance) and 68% coverage, per contamination."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    variants = results["variants"]
    contaminations = list(next(iter(variants.values()))["robustness"]["contaminations"])
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
    x = np.arange(len(variants))
    width = 0.8 / len(contaminations)
    for j, contamination in enumerate(contaminations):
        m = [v["robustness"]["contaminations"][contamination] for v in variants.values()]
        offset = (j - (len(contaminations) - 1) / 2) * width
        left.bar(x + offset, [r["shift_joint_sigma"] for r in m], width, label=contamination,
                 yerr=[r["shift_joint_sigma_se"] for r in m], capsize=3, color=f"C{j}",
                 edgecolor="k")  # fmt: skip
        right.bar(x + offset, [r["coverage_68"] for r in m], width, label=contamination,
                  color=f"C{j}", edgecolor="k")  # fmt: skip
    right.scatter(x, [next(iter(v["robustness"]["contaminations"].values()))["coverage_68_clean"]
                      for v in variants.values()], color="k", marker="_", s=400, zorder=3,
                  label="clean")  # fmt: skip
    right.axhline(0.68, color="k", ls="--", lw=0.8)
    for ax, title in ((left, "joint shift of the posterior mean / posterior σ"),
                      (right, "68% HPD coverage on contaminated surveys")):  # fmt: skip
        ax.set_xticks(x, [NAMES[v] for v in variants], rotation=12, fontsize=8)
        ax.set_title(title, fontsize=9)
        ax.legend(fontsize=8, loc="lower left" if ax is right else "upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def plot_probes(results: dict[str, Any], path: Path) -> Path:
    """Probe R² of log10 M_c given the cosmology, per summary."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    variants = results["variants"]
    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    x = np.arange(len(variants) + 1)
    floor = results["probe_floor"]["given_cosmology"]
    for j, kind in enumerate(("mlp", "linear")):
        values = [v["probe_log10_mc"]["given_cosmology"][kind] for v in variants.values()]
        ax.bar(x + (j - 0.5) * 0.38, [*values, floor[kind]], 0.38, label=f"{kind} probe",
               color=f"C{j}", edgecolor="k")  # fmt: skip
    for level in (AIM_KEEPS, AIM_FORGETS):
        ax.axhline(level, color="k", ls="--", lw=0.8)
    ax.set_xticks(x, [*(NAMES[v] for v in variants), "(Ω_m, σ_8) alone"], rotation=12, fontsize=8)
    ax.set_ylabel("held-out R²")
    ax.set_title("log10 M_c read from summary + true (Ω_m, σ_8)", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def write_results(results: dict[str, Any], out: Path) -> list[Path]:
    """``robustness.json`` in ``out``; ``results.md`` and figures in ``out/baryons``."""
    folder = out / "baryons"
    folder.mkdir(parents=True, exist_ok=True)
    write_json(out / "robustness.json", results["records"])
    write_json(folder / "results.json", results)
    files = [out / "robustness.json", folder / "results.json"]
    files.append(plot_bias(results, folder / "shifted_bias.png"))
    files.append(plot_probes(results, folder / "probe_r2.png"))
    files.append(plot_joint(results, folder / "joint_shift.png"))
    m = results["machine"]
    contaminations = list(next(iter(results["variants"].values()))["robustness"]["contaminations"])
    text = "\n\n".join([
        "# Baryon robustness",
        f"Config `{results['config']}`; survey posteriors of N = {results['survey_size']} maps "
        "per cosmology. Bias = mean over test surveys of (posterior mean − truth) / posterior σ "
        "(± standard error); shift = the paired change caused by the contamination.",
        information_table(results),
        *(f"**{c}**\n\n" + robustness_table(results, c) for c in contaminations),
        aims_text(results),
        f"Machine: {m['processor']}, {m['cpus']} CPUs ({m['torch_threads']} torch threads), "
        f"CUDA: {m['cuda']}; {m['date']}; total {results['seconds']:.0f} s.",
        "![probe R²](probe_r2.png)\n\n![bias](shifted_bias.png)\n\n"
        "![joint shift and coverage](joint_shift.png)",
    ])  # fmt: skip
    write_text(folder / "results.md", text + "\n")
    files.append(folder / "results.md")
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(DEFAULT_CONFIG), help="run file of the study")
    parser.add_argument("--runs", default=str(DEFAULT_RUNS), help="folder for the four runs")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="folder for JSON, markdown, PNG")
    parser.add_argument("--force", action="store_true", help="rerun every stage")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    results = study(args.config, runs=args.runs, progress=not args.quiet, force=args.force)
    write_results(results, Path(args.out))
    print(information_table(results))
    for contamination in results["variants"]["paired"]["robustness"]["contaminations"]:
        print(f"\n{contamination}\n" + robustness_table(results, contamination))
    print(aims_text(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
