"""Study: robust AND informative? Summaries under baryonic feedback vs the marginalised Fisher.

Summaries of the same CAMELS-like maps (``examples/baryons.toml``: 64² lognormal slabs of a 25
Mpc/h box, Schneider & Teyssier suppression driven by four feedback amplitudes), each trained
on fresh realisations at every step and run through :func:`cosmossl.job.run.run`:

- ``paired``: VICReg, views share cosmology AND seed and differ only in feedback (8 numbers);
- ``across``: views from two simulations of the cosmology (other seed, other feedback);
- ``control``: views are two maps of one simulation (same feedback): nothing removes feedback;
- ``power-spectrum``: the binned P(k);
- ``paired-d4``, ``control-d4``: the information study's recipe, 16 numbers averaged over D4;
- ``mixed-d4``: 16 numbers, D4, half of the rows paired, half across simulations
  (``[pairing] paired_fraction = 0.5``): a mixture, and so a weighted invariance.

Every summary X also has its nuisance-hardened twin ``X-hardened`` (the run file's
``[hardening]``: Alsing & Wandelt 2019, its score projected off A_AGN1 and A_AGN2). Each of them
is judged by its clean survey posterior on test surveys with the AGN feedback prior ×2
(``feedback-shift``), with feedback from another published S(k) (``feedback-spk``: SP(k) of
Salcido et al. 2023, out of the training family) and with pixel noise.

The reference for what a robust summary can keep is the marginalised Fisher matrix
F_θθ − F_θη F_ηη⁻¹ F_ηθ at the fiducial point (Ω_m = 0.3, σ_8 = 0.8, feedback amplitudes 1), η
= (A_AGN1, A_AGN2), estimated for every summary with the project's estimator (seed-matched
simulations, derivatives in θ and η, noise-debiased), and analytically for the field. Each
summary's FoM is reported as a fraction of the larger of the control's and P(k)'s marginalised
FoM (``fom_fraction_of_marginal``).

Usage (each part can run alone; parts are cached by the run directories and write
``results/baryons/parts/<variant>.json``; ``--report`` assembles the parts)::

    OMP_NUM_THREADS=1 python benchmarks/baryons.py --variants paired across control power-spectrum
    OMP_NUM_THREADS=1 python benchmarks/baryons.py --variants paired-d4 control-d4
    OMP_NUM_THREADS=1 python benchmarks/baryons.py --variants mixed-d4
    python benchmarks/baryons.py --report

Writes ``benchmarks/results/robustness.json`` (one record per summary, parameter and
contamination) and ``results.md``, ``results.json`` and figures in
``benchmarks/results/baryons/``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

import cosmossl
from cosmossl._util.files import write_json
from cosmossl._util.seeds import derive_seed
from cosmossl.config.run_file import RunConfig, load_run_config, parse_run_config
from cosmossl.errors import DataError
from cosmossl.information import fisher
from cosmossl.information.hardening import NuisanceHardening, simulate_with_nuisance
from cosmossl.information.probes import linear_probe_r2, mlp_probe_r2
from cosmossl.job.hardening import summary_function
from cosmossl.job.plan import build_dataset
from cosmossl.job.run import run
from cosmossl.job.run_dir import BEST_CHECKPOINT, ENCODER, hardened, hardening, summaries
from cosmossl.physics import cosmology, fisher_limit

sys.path.insert(0, str(Path(__file__).resolve().parent))
import baryons_report

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_CONFIG = REPO / "examples" / "baryons.toml"
DEFAULT_OUT = HERE / "results"
DEFAULT_RUNS = REPO / "runs" / "baryons-study"
#: Variant → how its run file differs from the example (``None``: the statistic).
VARIANTS: dict[str, dict[str, Any] | None] = {
    "paired": {"level": "paired"},
    "across": {"level": "across-simulations"},
    "control": {"level": "same-simulation"},
    "power-spectrum": None,
    "paired-d4": {"level": "paired", "d4": True},
    "control-d4": {"level": "same-simulation", "d4": True},
    "mixed-d4": {"level": "paired", "paired_fraction": 0.5, "d4": True},
    # P(k) hardened also at the four corners of the training prior of (A_AGN1, A_AGN2): only
    # its hardened twin is new (the plain P(k) is the power-spectrum variant's).
    "power-spectrum-anchored": {"statistic": True, "anchors": [
        {"A_AGN1": a, "A_AGN2": b} for a in (0.25, 4.0) for b in (0.5, 2.0)
    ]},
}  # fmt: skip
STATISTIC = "power-spectrum"
COSMOLOGY = ("omega_m", "sigma_8")
SHIFT, SPK, NOISE = "feedback-shift", "feedback-spk", "gaussian-noise"
#: The references of the marginalised FoM (the issue: the control's and P(k)'s).
REFERENCES = ("control", STATISTIC)
#: Aims of the study of issue 13, checked and reported, never tuned towards.
AIM_BIASED, AIM_ROBUST = 1.0, 0.3
AIM_KEEPS, AIM_FORGETS = 0.5, 0.1
#: Aim of issue 23: joint shift below this under SHIFT and SPK with this much of the FoM kept.
AIM_SHIFT, AIM_FOM = 0.3, 0.8
#: Rows of the summaries file given to the probes (a random subset: the MLP probe's cost).
PROBE_ROWS = {"train": 8000, "test": 4000}
#: Separates the Fisher evaluation's simulations from the run's (the hardening's among them).
EVALUATION_STREAM = 0xE7A1


# ---- runs -----------------------------------------------------------------------------------


def variant_config(config: RunConfig, variant: str) -> RunConfig:
    """The run file of one variant: same data, budget, backend, hardening and robustness."""
    raw = {k: v for k, v in config.to_table().items() if k not in ("statistic", "compare")}
    raw["name"] = f"{config.settings.name}-{variant}"
    spec = VARIANTS[variant]
    if spec is None or spec.get("statistic"):
        for key in ("encoder", "loss", "augmentations", "train", "pairing"):
            raw.pop(key, None)
        raw["statistic"] = {"type": STATISTIC}
        if spec is not None:
            raw["hardening"] = {**raw["hardening"], "anchors": spec["anchors"]}
    else:
        pairing = {**raw.get("pairing", {}), "level": spec["level"]}
        if "paired_fraction" in spec:
            pairing["paired_fraction"] = spec["paired_fraction"]
        raw["pairing"] = pairing
        if spec.get("d4"):
            raw["encoder"] = {**raw["encoder"], "summary_dim": 16, "symmetrize": "d4"}
    return parse_run_config(raw, source=f"{config.source} [{variant}]")


def base_label(variant: str) -> str:
    """The run's label of a variant's summaries (``encoder`` or the statistic's name)."""
    spec = VARIANTS[variant]
    return STATISTIC if spec is None or spec.get("statistic") else ENCODER


def summary_names(variant: str) -> dict[str, str]:
    """Summary name in the study → the run's label: the variant and its hardened twin (only
    the hardened one for a variant that differs in its hardening alone)."""
    label = base_label(variant)
    if (VARIANTS[variant] or {}).get("anchors"):
        return {variant: hardened(label)}
    return {variant: label, hardened(variant): hardened(label)}


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


# ---- the marginalised Fisher information ---------------------------------------------------------


def analytic_limits(simulator: Any, nuisance: list[str]) -> dict[str, Any]:
    """The field's Fisher matrix of (θ, η) at the fiducial point (the exact limit of the
    lognormal-paper recipe, :mod:`cosmossl.physics.fisher_limit`), with η fixed and
    marginalised."""
    free = [simulator.nuisance_names.index(n) for n in nuisance]
    eta = np.asarray(simulator.nuisance_fiducial, dtype=np.float64)
    point = np.concatenate([simulator.fiducial, eta[free]])

    def spectrum(t: np.ndarray) -> np.ndarray:
        values = eta.copy()
        values[free] = t[2:]
        return simulator.gaussian_power(t[None, :2], values[None], full_plane=True)[0][0]

    full = fisher_limit.field_fisher(fisher_limit.log_power_derivatives(spectrum, point))
    return {"full": full.tolist(), "fixed": full[:2, :2].tolist(),
            "marginal": fisher.marginal_fisher(full, 2, nuisance).tolist()}  # fmt: skip


def _fom(matrix: np.ndarray) -> float:
    sign, logdet = np.linalg.slogdet(matrix)
    return float(np.exp(0.5 * logdet)) if sign > 0 else 0.0


def fisher_of_variant(
    config: RunConfig, run_dir: Path, variant: str, simulator: Any, limit: np.ndarray, **sizes: int
) -> dict[str, dict[str, Any]]:
    """Fisher matrices of a variant's summary and of its hardened twin at the fiducial point,
    by the run's labels, from simulations independent of the run's (and shared by every
    variant).

    Per summary: ``fixed`` (feedback held fixed), ``marginal`` (η marginalised: for the hardened
    twin, whose response to η is zero at first order, its θ block), the marginal FoM as a
    fraction of the field's analytic marginal limit with its 68% jackknife interval, and for the
    hardened twin its measured response to η, ∂θ̂/∂η ± its standard error.
    """
    options = config.settings.hardening
    label = base_label(variant)
    spec = config.require("statistic" if label == STATISTIC else "encoder")
    checkpoint = None if label == STATISTIC else run_dir / BEST_CHECKPOINT
    summarize = summary_function(config, spec, checkpoint, simulator.meta)
    seed = derive_seed(config.settings.seed, EVALUATION_STREAM)
    fid, derivs, delta = simulate_with_nuisance(
        simulator, summarize, options.nuisance, step=options.step,
        nuisance_step=options.nuisance_step, seed=seed, **sizes,
    )  # fmt: skip
    fitted = NuisanceHardening.from_dict(json.loads((run_dir / hardening(label)).read_text()))
    out: dict[str, dict[str, Any]] = {}
    estimate = fisher.estimate_fisher(fid, derivs)
    entry = {"full": estimate.fisher, "fixed": estimate.fisher[:2, :2]}
    try:
        entry["marginal"] = fisher.marginal_fisher(estimate.fisher, 2, options.nuisance)
        entry["interval"] = fisher.fom_fraction_interval(fid, derivs, limit, marginalise=2,
                                                         seed=seed)  # fmt: skip
    except cosmossl.DataError as exc:  # noise-dominated nuisance derivatives: no marginal
        entry["marginal"], entry["interval"], entry["error"] = None, None, str(exc)
    out[label] = entry
    h_fid, h_derivs = fitted(fid), fitted.derivatives(derivs)
    hardened_estimate = fisher.estimate_fisher(h_fid, h_derivs[:2]).fisher
    response = h_derivs[2:]  # [Q, m, P]
    out[hardened(label)] = {
        "fixed": hardened_estimate,
        "marginal": hardened_estimate,
        "interval": fisher.fom_fraction_interval(h_fid, h_derivs[:2], limit, seed=seed),
        "nuisance_response": response.mean(axis=1),
        "nuisance_response_se": response.std(axis=1, ddof=1) / np.sqrt(response.shape[1]),
    }
    for entry in out.values():
        marginal = entry["marginal"]
        entry["fom_marginal"] = None if marginal is None else _fom(marginal)
        entry["fom_fraction_of_marginal_limit"] = (
            None if marginal is None else fisher.fom_fraction(marginal, limit)
        )
        entry["fom_fixed"] = _fom(entry["fixed"])
    meta = {"n_fiducial": len(fid), "n_derivative": derivs.shape[1], "delta": delta.tolist(),
            "nuisance": list(options.nuisance), "seed": seed}  # fmt: skip
    return {name: {**_jsonable(entry), **meta} for name, entry in out.items()}


def _jsonable(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in entry.items()}


# ---- one variant --------------------------------------------------------------------------------


def measure_variant(
    config: RunConfig, variant: str, runs: Path, *, progress: bool, force: bool, sizes: dict
) -> dict[str, Any]:
    """Run one variant (the main job, with its hardened twin) and measure everything about it."""
    started = time.perf_counter()
    variant_cfg = variant_config(config, variant)
    result = run(variant_cfg, run_dir=runs / variant, progress=progress, force=force,
                 data_dir=runs / "data")  # fmt: skip
    print(f"[baryons] {variant}: run done in {time.perf_counter() - started:.0f} s", flush=True)
    simulator = build_dataset(variant_cfg, "the baryon study")
    nuisance = variant_cfg.settings.hardening.nuisance
    limits = analytic_limits(simulator, nuisance)
    information = fisher_of_variant(variant_cfg, result.run_dir, variant, simulator,
                                    np.asarray(limits["marginal"]), **sizes)  # fmt: skip
    # by the run's labels: the summary (encoder or statistic) and its hardened twin
    print(f"[baryons] {variant}: Fisher done at {time.perf_counter() - started:.0f} s", flush=True)
    seed = config.settings.seed
    summaries_out = {}
    for name, label in summary_names(variant).items():
        metrics = result.metrics[label]
        summaries_out[name] = {
            "variant": variant,
            "hardened": name != variant,
            "probe_log10_mc": probe_feedback(result.run_dir / summaries(label), seed),
            "nll": metrics["nll"],
            "log_fom": metrics["log_fom_mean"],
            "coverage_error": metrics["coverage"]["mean_abs_error"],
            "posterior_std": {n: p["posterior_std"] for n, p in metrics["params"].items()},
            "robustness": result.robustness[label],
            "fisher": information[label],
        }
    return {
        "variant": variant,
        "config": _relative(config.source),
        "survey_size": config.settings.inference.survey_size,
        "summaries": summaries_out,
        "limits": limits,
        "probe_floor": probe_feedback(
            result.run_dir / summaries(base_label(variant)), seed, use_params=True
        ),
        "seconds": time.perf_counter() - started,
        "stage_seconds": _stage_seconds(result.run_dir),
        "machine": machine(),
    }


# ---- the study ---------------------------------------------------------------------------------


def prior_precision(config: RunConfig) -> np.ndarray:
    """The training prior of the hardened nuisance parameters as a Gaussian precision ``[Q, Q]``:
    the variance of ln η under its log-uniform prior, ln(high/low)²/12, times η_fid² (a
    derivative in η at η_fid is one in ln η divided by η_fid)."""
    dataset = build_dataset(config, "the baryon study")
    names = config.settings.hardening.nuisance
    eta = np.asarray(dataset.nuisance_fiducial)[[dataset.nuisance_names.index(n) for n in names]]
    bounds = np.array([dataset.feedback_priors[n] for n in names])
    variance = np.log(bounds[:, 1] / bounds[:, 0]) ** 2 / 12.0 * eta**2
    return np.diag(1.0 / variance)


def _with_prior(full: np.ndarray, precision: np.ndarray) -> np.ndarray:
    """The marginal Fisher matrix of θ when η also has the Gaussian prior ``precision``."""
    total = np.array(full, dtype=np.float64)
    q = len(precision)
    total[-q:, -q:] += precision
    return fisher.marginal_fisher(total, total.shape[0] - q)


def assemble(
    parts: dict[str, dict[str, Any]], precision: np.ndarray | None = None
) -> dict[str, Any]:
    """Every part's numbers in one results dict, with the references, records and aims.

    With the feedback prior's ``precision`` (:func:`prior_precision`) each summary also gets the
    marginal FoM of a posterior that uses the prior of the feedback (``fom_marginal_with_prior``):
    what a summary that keeps the feedback can reach when the prior is right, and an η-blind
    summary cannot (its θ block is all it has).
    """
    first = next(iter(parts.values()))
    table = {name: row for part in parts.values() for name, row in part["summaries"].items()}
    limits = dict(first["limits"])
    if precision is not None:
        limits["marginal_with_prior"] = _with_prior(limits["full"], precision).tolist()
        for row in table.values():
            f = row["fisher"]
            if f.get("full") is not None:
                f["fom_marginal_with_prior"] = _fom(_with_prior(f["full"], precision))
            else:
                f["fom_marginal_with_prior"] = f.get("fom_marginal")
    present = [r for r in REFERENCES if table.get(r, {}).get("fisher", {}).get("fom_marginal")]
    reference = max(present, key=lambda r: table[r]["fisher"]["fom_marginal"], default=None)
    for row in table.values():
        f = row["fisher"]
        for ref in present:
            value = f["fom_marginal"] / table[ref]["fisher"]["fom_marginal"] if f.get(
                "fom_marginal") else None  # fmt: skip
            f[f"fom_fraction_of_marginal_{ref}"] = value
        f["fom_fraction_of_marginal"] = f.get(f"fom_fraction_of_marginal_{reference}")
        if reference is not None and f.get("interval") and f.get("fom_fraction_of_marginal"):
            scale = 1.0 / table[reference]["fisher"]["fom_fraction_of_marginal_limit"]
            f["fom_fraction_of_marginal_interval"] = [v * scale for v in f["interval"]]
        if STATISTIC in table:
            row["posterior_fom_fraction_of_pk"] = float(
                np.exp(row["log_fom"] - table[STATISTIC]["log_fom"])
            )
            pk = table[STATISTIC]["fisher"].get("fom_marginal_with_prior")
            if pk and f.get("fom_marginal_with_prior") is not None:
                f["fom_with_prior_fraction_of_pk"] = f["fom_marginal_with_prior"] / pk
    out = {
        "config": first["config"],
        "survey_size": first["survey_size"],
        "reference": reference,
        "limits": limits,
        "summaries": table,
        "probe_floor": first["probe_floor"],
        "seconds": {v: p["seconds"] for v, p in parts.items()},
        "stage_seconds": {v: p["stage_seconds"] for v, p in parts.items()},
        "machine": {v: p["machine"] for v, p in parts.items()},
    }
    out["records"] = records(out)
    out["aims"] = aims(out)
    return out


def records(results: dict[str, Any]) -> list[dict[str, Any]]:
    """One flat record per summary, parameter and contamination (robustness.json)."""
    rows = []
    for name, row in results["summaries"].items():
        robustness = row["robustness"]
        f = row.get("fisher", {})
        for contamination, m in robustness["contaminations"].items():
            for parameter, p in m["params"].items():
                rows.append({
                    "summary": name,
                    "variant": row.get("variant", name),
                    "hardened": row.get("hardened", False),
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
                    "shift_joint_sigma_se": m.get("shift_joint_sigma_se"),
                    "coverage_68_clean": m["coverage_68_clean"],
                    "coverage_68_shifted": m["coverage_68"],
                    "fom_kept": m["fom_kept"],
                    "fom_fraction_of_marginal": f.get("fom_fraction_of_marginal"),
                    "fom_fraction_of_marginal_interval":
                        f.get("fom_fraction_of_marginal_interval"),
                    "fom_fraction_of_marginal_limit": f.get("fom_fraction_of_marginal_limit"),
                    "posterior_fom_fraction_of_pk": row.get("posterior_fom_fraction_of_pk"),
                    "log_fom": row["log_fom"],
                    "nll": row["nll"],
                    "probe_r2_given_cosmology": row["probe_log10_mc"]["given_cosmology"]["mlp"],
                    "probe_r2_given_cosmology_linear":
                        row["probe_log10_mc"]["given_cosmology"]["linear"],
                    "probe_r2_marginal": row["probe_log10_mc"]["marginal"]["mlp"],
                })  # fmt: skip
    return rows


def joint(results: dict[str, Any], name: str, contamination: str) -> float | None:
    m = results["summaries"][name]["robustness"]["contaminations"].get(contamination)
    return None if m is None else m["shift_joint_sigma"]


def aims(results: dict[str, Any]) -> dict[str, Any]:
    """The aims of issues 13 and 23, checked on the measured numbers."""
    table = results["summaries"]

    def worst(name: str, contamination: str = SHIFT) -> float:
        params = table[name]["robustness"]["contaminations"][contamination]["params"]
        return max(abs(params[p]["bias_sigma"]) for p in COSMOLOGY)

    def r2(name: str) -> float:
        return table[name]["probe_log10_mc"]["given_cosmology"]["mlp"]

    out: dict[str, Any] = {
        "max_abs_shifted_bias": {n: worst(n) for n in table},
        "joint_shift": {n: joint(results, n, SHIFT) for n in table},
        "joint_shift_out_of_family": {n: joint(results, n, SPK) for n in table},
        "probe_r2_given_cosmology": {n: r2(n) for n in table},
        "fom_fraction_of_marginal": {
            n: table[n]["fisher"].get("fom_fraction_of_marginal") for n in table
        },
    }
    out["robust_and_informative"] = {
        n: bool(
            max(joint(results, n, SHIFT), joint(results, n, SPK)) < AIM_SHIFT
            and (out["fom_fraction_of_marginal"][n] or 0.0) >= AIM_FOM
        )
        for n in table
        if joint(results, n, SPK) is not None
    }
    out["aim_met_by"] = sorted(n for n, ok in out["robust_and_informative"].items() if ok)
    if {"paired", "control", STATISTIC} <= set(table):
        out["issue13"] = {
            "pk_and_control_biased_ge_1": min(worst(STATISTIC), worst("control")) >= AIM_BIASED,
            "paired_robust_lt_0.3": worst("paired") < AIM_ROBUST,
            "control_and_pk_keep_feedback_ge_0.5": min(r2("control"), r2(STATISTIC)) >= AIM_KEEPS,
            "paired_forgets_feedback_le_0.1": r2("paired") <= AIM_FORGETS,
        }
    return out


def _relative(path: str | Path) -> str:
    """``path`` relative to the repository when it lies inside it (for portable reports)."""
    resolved = Path(str(path)).resolve()
    return str(resolved.relative_to(REPO)) if resolved.is_relative_to(REPO) else str(path)


def _stage_seconds(run_dir: Path) -> dict[str, float]:
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


def read_parts(folder: Path) -> dict[str, dict[str, Any]]:
    """The measured parts, in the order of :data:`VARIANTS`."""
    parts = {}
    for variant in VARIANTS:
        path = folder / f"{variant}.json"
        if path.exists():
            parts[variant] = json.loads(path.read_text(encoding="utf-8"))
    return parts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(DEFAULT_CONFIG), help="run file of the study")
    parser.add_argument("--runs", default=str(DEFAULT_RUNS), help="folder for the runs")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="folder for JSON, markdown, PNG")
    parser.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=[],
                        help="variants to run and measure (default: all)")  # fmt: skip
    parser.add_argument("--report", action="store_true",
                        help="only assemble the measured parts into the results")  # fmt: skip
    parser.add_argument("--fisher-fiducial", type=int, default=2000,
                        help="maps at the fiducial point of the Fisher evaluation")  # fmt: skip
    parser.add_argument("--fisher-derivative", type=int, default=1000,
                        help="seed-matched maps per derivative offset")  # fmt: skip
    parser.add_argument("--force", action="store_true", help="rerun every stage")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    out = Path(args.out)
    folder = out / "baryons" / "parts"
    refused: dict[str, str] = {}
    if not args.report:
        config = load_run_config(args.config)
        sizes = {"n_fiducial": args.fisher_fiducial, "n_derivative": args.fisher_derivative}
        folder.mkdir(parents=True, exist_ok=True)
        for variant in args.variants or list(VARIANTS):
            try:
                part = measure_variant(config, variant, Path(args.runs), progress=not args.quiet,
                                       force=args.force, sizes=sizes)  # fmt: skip
            except DataError as exc:  # e.g. a hardening that leaves no information: a result
                refused[variant] = str(exc)
                print(f"[baryons] {variant}: refused: {exc}", file=sys.stderr)
                continue
            write_json(folder / f"{variant}.json", part)
    parts = read_parts(folder)
    if not parts:
        parser.error(f"no measured part in {folder}: run some --variants first")
    results = assemble(parts, prior_precision(load_run_config(args.config)))
    baryons_report.write_results(results, out)
    print(baryons_report.summary_text(results))
    for variant, message in refused.items():
        print(f"- {variant}: not measured, refused: {message}")
    return 1 if refused else 0


if __name__ == "__main__":
    raise SystemExit(main())
