"""Tables, figures and the markdown of the baryon study (``benchmarks/baryons.py``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from cosmossl._util.files import write_json, write_text
from cosmossl.physics import cosmology

SHIFT, SPK = "feedback-shift", "feedback-spk"
AIM_SHIFT, AIM_FOM = 0.3, 0.8
COSMOLOGY = ("omega_m", "sigma_8")


def _fmt(value: float | None, digits: int = 2) -> str:
    return "–" if value is None or not np.isfinite(value) else f"{value:.{digits}f}"


#: Shown where a debiased Fisher estimate is not positive definite (noise-dominated).
NOT_PD = "n.p.d."


def _fom_cell(f: dict[str, Any], key: str, digits: int = 2) -> str:
    """A FoM ratio, or :data:`NOT_PD` where the summary's marginal Fisher estimate is not
    positive definite (its FoM is then 0: the noise of the derivatives dominates)."""
    if f.get("fom_marginal") == 0.0:
        return NOT_PD
    return _fmt(f.get(key), digits)


def _interval(f: dict[str, Any]) -> str:
    interval = f.get("fom_fraction_of_marginal_interval")
    if f.get("fom_marginal") == 0.0:
        return NOT_PD
    if f.get("fom_fraction_of_marginal") is None:
        return "–"
    text = f"**{f['fom_fraction_of_marginal']:.3f}**"
    return text + (f" [{interval[0]:.3f}, {interval[1]:.3f}]" if interval else "")


def information_table(results: dict[str, Any]) -> str:
    """Feedback kept (probes) and cosmology kept (Fisher at the fiducial, posteriors)."""
    ref = results["reference"]
    head = ["summary", "R² log10 M_c given (Ω_m, σ_8): MLP / linear",
            f"marginal FoM / {ref}'s [68%]", "marginal FoM / field's marginal limit",
            "FoM with feedback fixed / marginal", "with the feedback prior: FoM / P(k)'s",
            "posterior FoM / P(k)'s (surveys)", "test NLL (surveys)"]  # fmt: skip
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, row in results["summaries"].items():
        p, f = row["probe_log10_mc"]["given_cosmology"], row["fisher"]
        cost = f["fom_fixed"] / f["fom_marginal"] if f.get("fom_marginal") else None
        lines.append("| " + " | ".join([
            name, f"{p['mlp']:.3f} / {p['linear']:.3f}", _interval(f),
            _fom_cell(f, "fom_fraction_of_marginal_limit", 3),
            NOT_PD if f.get("fom_marginal") == 0.0 else _fmt(cost, 1),
            _fom_cell(f, "fom_with_prior_fraction_of_pk", 3),
            _fmt(row.get("posterior_fom_fraction_of_pk")), f"{row['nll']:.3f}",
        ]) + " |")  # fmt: skip
    floor = results["probe_floor"]["given_cosmology"]
    lines.append(f"| (Ω_m, σ_8) alone (floor) | {floor['mlp']:.3f} / {floor['linear']:.3f} | "
                 "– | – | – | – | – | – |")  # fmt: skip
    return "\n".join(lines)


def tradeoff_table(results: dict[str, Any]) -> str:
    """The aim at a glance: FoM kept (the marginal reference, with the feedback prior, of the
    survey posterior) against the joint shift under each contamination."""
    contaminations = _contaminations(results)
    head = ["summary", "marginal FoM / reference [68%]", "with the feedback prior",
            "posterior FoM (surveys)", *(f"joint shift: {c}" for c in contaminations),
            "aim met"]  # fmt: skip
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    met = results["aims"]["robust_and_informative"]
    for name, row in results["summaries"].items():
        f = row["fisher"]
        cells = [name, _interval(f), _fom_cell(f, "fom_with_prior_fraction_of_pk", 3),
                 _fmt(row.get("posterior_fom_fraction_of_pk"))]  # fmt: skip
        for c in contaminations:
            m = row["robustness"]["contaminations"][c]
            cells.append(f"{m['shift_joint_sigma']:.2f} ± {m['shift_joint_sigma_se']:.2f}")
        cells.append("yes" if met.get(name) else "no")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def robustness_table(results: dict[str, Any], contamination: str) -> str:
    """Bias (clean → contaminated) and paired shift per parameter, the joint shift in units
    of the posterior covariance, coverage, FoM kept."""
    head = ["summary"]
    for name in COSMOLOGY:
        head += [f"bias {name}: clean → {contamination}", f"shift {name}"]
    head += ["joint shift", "68% coverage: clean → contaminated", "FoM kept"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for summary, row in results["summaries"].items():
        m = row["robustness"]["contaminations"][contamination]
        cells = [summary]
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


def hardening_table(results: dict[str, Any]) -> str:
    """What remains of the feedback in each hardened summary: ∂θ̂/∂η at the fiducial point, in
    units of the summary's marginal σ per unit of ln A (≈ per unit of A at A = 1)."""
    names = results["summaries"]
    head = ["hardened summary", "∂Ω̂_m/∂A_AGN1 / σ", "∂σ̂_8/∂A_AGN1 / σ", "∂Ω̂_m/∂A_AGN2 / σ",
            "∂σ̂_8/∂A_AGN2 / σ"]  # fmt: skip
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, row in names.items():
        f = row["fisher"]
        if "nuisance_response" not in f or not f.get("fom_marginal"):
            continue
        sigma = np.sqrt(np.diag(np.linalg.inv(np.asarray(f["marginal"]))))
        response = np.asarray(f["nuisance_response"]) / sigma
        se = np.asarray(f["nuisance_response_se"]) / sigma
        cells = [name] + [f"{response[q, p]:+.1e} ± {se[q, p]:.1e}" for q in range(2)
                          for p in range(2)]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def summary_text(results: dict[str, Any]) -> str:
    """The aims, in words."""
    a = results["aims"]
    lines = [f"- Reference of the marginalised FoM: {results['reference']} (the larger of the "
             "control's and P(k)'s marginal Fisher FoM at the fiducial point)."]  # fmt: skip
    for name in results["summaries"]:
        if name not in a["robust_and_informative"]:
            continue
        lines.append(
            f"- {name}: FoM {_fmt(a['fom_fraction_of_marginal'][name])} of the reference; joint "
            f"shift {a['joint_shift'][name]:.2f}σ ({SHIFT}), "
            f"{a['joint_shift_out_of_family'][name]:.2f}σ ({SPK}) → "
            + ("aim met" if a["robust_and_informative"][name] else "aim not met")
        )
    lines.append(
        f"- Aim (joint shift < {AIM_SHIFT}σ under both, ≥ {AIM_FOM} of the marginalised FoM) "
        f"met by: {', '.join(a['aim_met_by']) or 'none'}."
    )
    return "\n".join(lines)


def _contaminations(results: dict[str, Any]) -> list[str]:
    first = next(iter(results["summaries"].values()))
    return list(first["robustness"]["contaminations"])


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: Path, *, rect: tuple[float, ...] = (0, 0, 1, 1), dpi: int = 120) -> Path:
    fig.tight_layout(rect=rect)
    fig.savefig(path, dpi=dpi)
    _pyplot().close(fig)
    return path


def _style(name: str) -> dict[str, Any]:
    variants = ["paired", "across", "control", "power-spectrum", "paired-d4", "control-d4",
                "mixed-d4"]  # fmt: skip
    base = name.removesuffix("-hardened")
    index = variants.index(base) if base in variants else len(variants)
    return {"color": f"C{index}", "marker": "s" if name.endswith("-hardened") else "o",
            "mfc": "white" if name.endswith("-hardened") else f"C{index}"}  # fmt: skip


#: The two measures of cosmology kept on the trade-off figure's x axes: (row key, label).
TRADEOFF_AXES = (
    ("fom_fraction_of_marginal", "marginal Fisher FoM / {ref}'s (fiducial point, flat prior)"),
    ("posterior_fom_fraction_of_pk", "survey posterior FoM / P(k)'s (clean test surveys)"),
)


def _fom_kept(row: dict[str, Any], key: str) -> tuple[float | None, list[float] | None]:
    """One summary's FoM fraction on the x axis ``key`` and its interval where one exists."""
    if key == "fom_fraction_of_marginal":
        f = row["fisher"]
        return f.get(key), f.get("fom_fraction_of_marginal_interval")
    return row.get(key), None


def plot_tradeoff(results: dict[str, Any], path: Path) -> Path:
    """FoM kept against the joint shift, one point per summary, one column per feedback
    contamination, both axes logarithmic; the aim is the shaded corner. Top row: the marginal
    Fisher FoM as a fraction of the marginalised reference (summaries whose estimate is not
    positive definite are left out, listed under the figure); bottom row: the survey
    posterior's FoM as a fraction of P(k)'s, which every summary has."""
    plt = _pyplot()
    panels = [c for c in (SHIFT, SPK) if c in _contaminations(results)]
    fig, axes = plt.subplots(len(TRADEOFF_AXES), len(panels), squeeze=False,
                             figsize=(6.4 * len(panels), 4.6 * len(TRADEOFF_AXES)))  # fmt: skip
    left_out = [n for n, r in results["summaries"].items()
                if not r["fisher"].get("fom_fraction_of_marginal")]  # fmt: skip
    for axes_row, (key, label) in zip(axes, TRADEOFF_AXES, strict=True):
        for ax, contamination in zip(axes_row, panels, strict=True):
            for name, row in results["summaries"].items():
                x, interval = _fom_kept(row, key)
                if not x:
                    continue
                m = row["robustness"]["contaminations"][contamination]
                interval = interval or [x, x]
                low = max(interval[0], 0.5 * x)  # a jackknife interval reaching 0: clip (log)
                style = _style(name)
                ax.errorbar(x, m["shift_joint_sigma"], yerr=m["shift_joint_sigma_se"],
                            xerr=[[x - low], [interval[1] - x]], fmt=style["marker"],
                            color=style["color"], mfc=style["mfc"], ms=7, capsize=2,
                            label=name)  # fmt: skip
                ax.annotate(name, (x, m["shift_joint_sigma"]), fontsize=7, xytext=(4, 3),
                            textcoords="offset points")  # fmt: skip
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlim(0.005, 2.0)
            ax.set_ylim(0.01, 3.0)
            ax.fill_between([AIM_FOM, 2.0], 0.01, AIM_SHIFT, color="0.88", zorder=0)
            ax.axvline(AIM_FOM, color="k", ls="--", lw=0.8)
            ax.axhline(AIM_SHIFT, color="k", ls="--", lw=0.8)
            ax.set_xlabel(label.format(ref=results["reference"]))
            ax.set_ylabel("joint shift of the survey posterior (posterior σ)")
            ax.set_title(f"{contamination} (aim: the grey corner; open squares: hardened)",
                         fontsize=9)  # fmt: skip
    axes[0, 0].legend(fontsize=7, loc="lower left", ncol=2)
    if left_out:
        fig.text(0.01, 0.01, "not in the top row (marginal Fisher estimate not positive "
                 "definite): " + ", ".join(left_out), fontsize=7)  # fmt: skip
    return _save(fig, path, rect=(0, 0.02, 1, 1), dpi=110)


def plot_joint(results: dict[str, Any], path: Path) -> Path:
    """Joint shift (units of the posterior covariance) and 68% coverage, per contamination."""
    plt = _pyplot()
    table = results["summaries"]
    contaminations = _contaminations(results)
    fig, (left, right) = plt.subplots(2, 1, figsize=(11, 7.5))
    x = np.arange(len(table))
    width = 0.8 / len(contaminations)
    for j, contamination in enumerate(contaminations):
        m = [row["robustness"]["contaminations"][contamination] for row in table.values()]
        offset = (j - (len(contaminations) - 1) / 2) * width
        left.bar(x + offset, [r["shift_joint_sigma"] for r in m], width, label=contamination,
                 yerr=[r["shift_joint_sigma_se"] for r in m], capsize=2, color=f"C{j}",
                 edgecolor="k")  # fmt: skip
        right.bar(x + offset, [r["coverage_68"] for r in m], width, label=contamination,
                  color=f"C{j}", edgecolor="k")  # fmt: skip
    right.scatter(x, [next(iter(r["robustness"]["contaminations"].values()))["coverage_68_clean"]
                      for r in table.values()], color="k", marker="_", s=300, zorder=3,
                  label="clean")  # fmt: skip
    right.axhline(0.68, color="k", ls="--", lw=0.8)
    left.axhline(AIM_SHIFT, color="k", ls="--", lw=0.8)
    left.set_yscale("symlog", linthresh=0.1)
    for ax, title in ((left, "joint shift of the posterior mean / posterior σ"),
                      (right, "68% HPD coverage on contaminated surveys")):  # fmt: skip
        ax.set_xticks(x, list(table), rotation=25, ha="right", fontsize=8)
        ax.set_title(title, fontsize=9)
        ax.legend(fontsize=8, ncol=4)
    return _save(fig, path)


def plot_probes(results: dict[str, Any], path: Path) -> Path:
    """Probe R² of log10 M_c given the cosmology, per summary."""
    plt = _pyplot()
    table = results["summaries"]
    fig, ax = plt.subplots(figsize=(10, 3.8))
    x = np.arange(len(table) + 1)
    floor = results["probe_floor"]["given_cosmology"]
    for j, kind in enumerate(("mlp", "linear")):
        values = [r["probe_log10_mc"]["given_cosmology"][kind] for r in table.values()]
        ax.bar(x + (j - 0.5) * 0.38, [*values, floor[kind]], 0.38, label=f"{kind} probe",
               color=f"C{j}", edgecolor="k")  # fmt: skip
    ax.set_xticks(x, [*table, "(Ω_m, σ_8) alone"], rotation=25, ha="right", fontsize=8)
    ax.set_ylabel("held-out R²")
    ax.set_title("log10 M_c read from summary + true (Ω_m, σ_8)", fontsize=10)
    ax.legend(fontsize=8)
    return _save(fig, path)


def suppression_bands(n: int = 20000, seed: int = 0) -> dict[str, Any]:
    """5–95% bands of S(k) over the training prior (Schneider & Teyssier, our heuristic
    mapping), over the ×2 AGN-shifted prior, and over the SP(k) prior (out of family)."""
    rng = np.random.default_rng(seed)
    k = np.logspace(np.log10(0.25), np.log10(12.0), 60)
    camels = np.exp(rng.uniform(np.log([0.25, 0.25, 0.5, 0.5]), np.log([4, 4, 2, 2]), (n, 4)))
    shifted = camels * np.array([1.0, 2.0, 1.0, 2.0])
    spk = np.exp(rng.uniform(np.log([0.22, 0.1]), np.log([0.65, 0.4]), (n, 2)))
    out: dict[str, Any] = {"k": k.tolist()}
    for name, s in (
        ("training (Schneider & Teyssier)",
         cosmology.baryon_suppression(k, *(c[:, None] for c in cosmology.feedback_to_st(
             *camels.T)))),
        ("feedback-shift (AGN ×2)",
         cosmology.baryon_suppression(k, *(c[:, None] for c in cosmology.feedback_to_st(
             *shifted.T)))),
        ("feedback-spk (SP(k), Salcido et al. 2023)",
         cosmology.spk_suppression(k, spk[:, :1], spk[:, 1:])),
    ):  # fmt: skip
        out[name] = np.percentile(s, [5, 50, 95], axis=0).tolist()
    return out


def plot_suppression(path: Path) -> Path:
    """The three feedback families as S(k) bands."""
    plt = _pyplot()
    bands = suppression_bands()
    k = np.asarray(bands.pop("k"))
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for j, (name, (low, mid, high)) in enumerate(bands.items()):
        ax.fill_between(k, low, high, color=f"C{j}", alpha=0.25)
        ax.plot(k, mid, color=f"C{j}", label=name)
    ax.set_xscale("log")
    ax.axvline(8.0, color="k", ls=":", lw=0.8)
    ax.set_xlabel("k [h/Mpc] (dotted: the maps' Nyquist k)")
    ax.set_ylabel("S(k) = P_hydro / P_dmo (median, 5–95%)")
    ax.legend(fontsize=8)
    return _save(fig, path)


def write_results(results: dict[str, Any], out: Path) -> list[Path]:
    """``robustness.json`` in ``out``; ``results.md``, ``results.json`` and figures in
    ``out/baryons``."""
    folder = out / "baryons"
    folder.mkdir(parents=True, exist_ok=True)
    write_json(out / "robustness.json", results["records"])
    write_json(folder / "results.json", results)
    files = [out / "robustness.json", folder / "results.json"]
    files.append(plot_tradeoff(results, folder / "tradeoff.png"))
    files.append(plot_joint(results, folder / "joint_shift.png"))
    files.append(plot_probes(results, folder / "probe_r2.png"))
    files.append(plot_suppression(folder / "suppression.png"))
    machines = {m["date"] for m in results["machine"].values()}
    first = next(iter(results["machine"].values()))
    text = "\n\n".join([
        "# Baryon robustness: robust and informative?",
        f"Config `{results['config']}`; survey posteriors of N = {results['survey_size']} maps "
        "per cosmology. Joint shift = |mean Σ^(−1/2) Δμ| of the survey posteriors (posterior σ); "
        "FoM: marginal Fisher figure of merit at the fiducial point, feedback (A_AGN1, A_AGN2) "
        f"marginalised, as a fraction of the {results['reference']}'s.",
        "## Trade-off\n\n" + tradeoff_table(results) + "\n\n![trade-off](tradeoff.png)",
        "## Information\n\n" + information_table(results),
        "## Residual feedback response of the hardened summaries\n\n" + hardening_table(results),
        *(f"## {c}\n\n" + robustness_table(results, c) for c in _contaminations(results)),
        "## Aims\n\n" + summary_text(results),
        f"Machine: {first['processor']}, {first['cpus']} CPUs ({first['torch_threads']} torch "
        f"threads), CUDA: {first['cuda']}; parts measured {', '.join(sorted(machines))}; "
        f"{sum(results['seconds'].values()):.0f} s in all.",
        "![joint shift and coverage](joint_shift.png)\n\n![probe R²](probe_r2.png)\n\n"
        "![feedback families](suppression.png)",
    ])  # fmt: skip
    write_text(folder / "results.md", text + "\n")
    files.append(folder / "results.md")
    return files
