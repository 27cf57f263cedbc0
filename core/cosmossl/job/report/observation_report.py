"""What ``cosmossl posterior`` shows of an observation's samples: the credible intervals
(``posterior.json`` and a terminal table), GetDist chains, the triangle plot(s) and the report
(``report.md``/``.html``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from cosmossl._util.files import write_json
from cosmossl._version import __version__
from cosmossl.data.draws import Draws
from cosmossl.inference.chains import write_chains
from cosmossl.inference.ood import THRESHOLD
from cosmossl.job import run_dir as layout
from cosmossl.job.report.document import Report
from cosmossl.job.report.intervals import parameter_summary
from cosmossl.job.report.sequential_report import add_rounds


def posterior_summary(draws: Sequence[Draws], provenance: dict[str, Any]) -> dict[str, Any]:
    """The content of ``posterior.json``: per summary and observation, the parameters'
    :func:`parameter_summary`; the method, sampler diagnostics and out-of-distribution check."""
    first = draws[0]
    return {
        "cosmossl": __version__,
        "run_dir": provenance.get("run_dir"),
        "maps": list(first.labels),
        "survey": first.survey,
        "param_names": list(first.param_names),
        "prior": {k: list(v) for k, v in first.priors.items()},
        "intervals": "central (equal-tailed) credible intervals",
        "summaries": {
            d.summary: {
                "method": d.method,
                "diagnostics": d.diagnostics,
                "out_of_distribution": d.check,
                "observations": {
                    label: parameter_summary(samples, d.param_names)
                    for label, samples in d.observations
                },
            }
            for d in draws
        },
    }


def terminal_table(summary: dict[str, Any]) -> str:
    """A short plain-text table of :func:`posterior_summary`: one row per summary,
    observation and parameter."""
    lines = [f"{'summary':<16}{'observation':<28}{'parameter':<12}{'mean ± σ':>22}"
             f"{'68% interval':>24}{'95% interval':>24}"]  # fmt: skip
    for label, entry in summary["summaries"].items():
        for observation, params in entry["observations"].items():
            short = observation if len(observation) <= 26 else "…" + observation[-25:]
            for name, p in params.items():
                low68, high68 = p["interval_68"]
                low95, high95 = p["interval_95"]
                lines.append(
                    f"{label:<16}{short:<28}{name:<12}{p['mean']:>12.4g} ± {p['std']:<7.3g}"
                    f"{f'[{low68:.4g}, {high68:.4g}]':>24}{f'[{low95:.4g}, {high95:.4g}]':>24}"
                )
    return "\n".join(lines)


def write_observation_outputs(
    folder: Path,
    draws: Sequence[Draws],
    provenance: dict[str, Any],
    *,
    name: str,
    fisher: dict[str, Any] | None = None,
) -> list[Path]:
    """Write ``posterior.json``, ``chains/``, the triangle plot(s) and ``report.md``/``.html``
    into ``folder``; ``fisher`` (the run's ``fisher.json``) adds each summary's Cramér–Rao
    ellipses, centred on its posterior mean."""
    from cosmossl.inference.plots import triangle

    first = draws[0]
    summary = posterior_summary(draws, provenance)
    write_json(folder / layout.OBSERVATION_SUMMARY, summary)
    chains = {}
    for d in draws:
        observations = d.observations
        for k, (_, samples) in enumerate(observations):
            chains[d.summary if len(observations) == 1 else f"{d.summary}_{k}"] = samples
    write_chains(folder / layout.OBSERVATION_CHAINS, chains, first.param_names,
                 labels=first.param_labels, ranges=first.priors)  # fmt: skip
    figures = []
    n_maps = len(first.labels) if first.survey else 1
    matrices = _fisher_matrices(fisher, [d.summary for d in draws], n_maps)
    observations = [label for label, _ in first.observations]
    for k, label in enumerate(observations):
        samples = {d.summary: d.observations[k][1] for d in draws}
        path = layout.observation_triangle(None if len(observations) == 1 else k)
        triangle(
            samples, first.param_names, folder / path, labels=first.param_labels,
            ranges=first.priors, title=label, cramer_rao=matrices or None,
            centres={s: samples[s].mean(0) for s in matrices},
        )  # fmt: skip
        figures.append((path, label))
    report = _report(name, draws, summary, provenance, figures, bool(matrices), n_maps)
    md, html = report.write(folder, stem=layout.REPORT)
    return [folder / layout.OBSERVATION_SUMMARY, folder / layout.OBSERVATION_CHAINS,
            *(folder / path for path, _ in figures), md, html]  # fmt: skip


def _fisher_matrices(fisher: dict[str, Any] | None, labels: Sequence[str],
                     n_maps: int) -> dict[str, np.ndarray]:  # fmt: skip
    """The Fisher matrix of ``n_maps`` maps (n × one map's, at the run's fiducial point) of
    each summary that has one in ``fisher.json``."""
    entries = (fisher or {}).get("summaries", {})
    return {label: n_maps * np.asarray(entries[label]["fisher"], dtype=np.float64)
            for label in labels if entries.get(label, {}).get("fisher") is not None}  # fmt: skip


def _report(name: str, draws: Sequence[Draws], summary: dict[str, Any],
            provenance: dict[str, Any], figures: list[tuple[str, str]], ellipses: bool,
            n_maps: int) -> Report:  # fmt: skip
    first = draws[0]
    report = Report(f"cosmossl posterior '{name}'")
    maps = ", ".join(first.labels[:6]) + (", ..." if len(first.labels) > 6 else "")
    what = (f"one survey of {len(first.labels)} independent maps" if first.survey
            else f"{len(first.labels)} map(s), each with its own posterior")  # fmt: skip
    report.paragraph(f"Run directory: {provenance.get('run_dir')}. Maps: {maps} ({what}).")
    report.heading("Out-of-distribution check")
    report.paragraph(
        "Mahalanobis distance of each map's summary from the training maps' summaries, and its "
        "percentile among the run's own held-out maps. Beyond the "
        f"{THRESHOLD:g}th percentile a map is flagged: it lies outside what the summary was "
        "trained on (another transform, resolution or box, extra noise, another spectrum), and "
        "its posterior may mean nothing."
    )
    rows = [(label, d.summary, d.check["distance"][i], d.check["percentile"][i],
             "yes" if d.check["flagged"][i] else "no")
            for d in draws for i, label in enumerate(d.labels)]  # fmt: skip
    report.table(["map", "summary", "distance", "percentile", "flagged"], rows)
    report.heading("Posterior")
    for d in draws:
        text = f"{d.summary}: {d.method}."
        diagnostics = d.diagnostics
        if "importance_ess" in diagnostics:
            text += (
                f" Importance sampling: effective sample size {diagnostics['importance_ess']:.0f}"
                f" of {diagnostics['proposals_per_round']} draws (needed "
                f"{diagnostics['min_ess']:.0f}), Pareto k̂ {diagnostics['pareto_khat']:.2f} "
                f"(reliable below {diagnostics['max_khat']}), after {diagnostics['rounds']} "
                f"round(s); Metropolis acceptance {diagnostics['acceptance']:.2f}. "
                + ("Converged." if diagnostics["converged"] else "NOT CONVERGED: see the "
                   "warning; the samples may be unreliable.")
            )  # fmt: skip
        report.paragraph(text)
    if first.survey:
        report.paragraph(f"Assumption: {first.diagnostics.get('assumption', '')}.")
    cautions = {d.diagnostics["caution"] for d in draws if d.diagnostics.get("caution")}
    for caution in sorted(cautions):
        report.paragraph(f"Caution: {caution}.")
    headers = ["summary", "observation", "parameter", "mean", "σ", "median", "68% interval",
               "95% interval"]  # fmt: skip
    rows = []
    for label, entry in summary["summaries"].items():
        for observation, params in entry["observations"].items():
            for param, p in params.items():
                rows.append((label, observation, param, p["mean"], p["std"], p["median"],
                             _interval(p["interval_68"]), _interval(p["interval_95"])))  # fmt: skip
    report.table(headers, rows)
    report.paragraph("Intervals are central (equal-tailed) credible intervals; every sample "
                     "lies in the run's prior.")  # fmt: skip
    for path, label in figures:
        caption = f"Posterior of {label} (filled: 68% and 95%)."
        if ellipses:
            caption += (f" Dashed: each summary's Cramér–Rao bound for {n_maps} map(s) at the "
                        "run's fiducial point, centred on its posterior mean (a yardstick of "
                        "width, not a fit).")  # fmt: skip
        report.figure(path, caption)
    for label, rounds in provenance.get("rounds", {}).items():
        add_rounds(report, rounds["rounds"], first.param_names, f"{rounds['folder']}/rounds.png",
                   title=f"Sequential rounds of the {label} posterior")  # fmt: skip
    return report


def _interval(bounds: Sequence[float]) -> str:
    return f"[{bounds[0]:.4g}, {bounds[1]:.4g}]"
