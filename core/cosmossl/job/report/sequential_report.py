"""The report of sequential rounds: the posterior after each round overlaid, and a table of
widths, truncation acceptance and effective prior volume per round."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from cosmossl._util.files import write_json
from cosmossl.job.report.document import Report
from cosmossl.job.report.intervals import parameter_summary

if TYPE_CHECKING:
    from cosmossl.job.sequential import RoundRecord

#: Posterior draws per round behind the widths and the figure.
SAMPLES = 5000
#: The report's files, in the folder of the rounds.
JSON, FIGURE, STEM = "rounds.json", "rounds.png", "rounds"


def round_samples(
    records: Sequence[RoundRecord], observation: np.ndarray, *, n: int = SAMPLES, seed: int = 0
) -> list[np.ndarray]:
    """``n`` posterior samples ``[n, P]`` of each round's posterior for the observation."""
    x = torch.as_tensor(np.asarray(observation, dtype=np.float32).reshape(-1))
    return [r.posterior.sample(x, n, seed=seed).double().cpu().numpy() for r in records]


def round_summary(
    records: Sequence[RoundRecord], samples: Sequence[np.ndarray]
) -> list[dict[str, Any]]:
    """Per round: points simulated (this round and in all), the truncation (acceptance, its
    error, effective prior volume and its share of the prior box, region), and per parameter
    the posterior mean, σ and 68%/95% central intervals; seconds spent."""
    names = records[0].posterior.param_names
    prior = records[0].posterior.prior
    box = float((prior.high - prior.low).double().prod())
    total, out = 0, []
    for record, draws in zip(records, samples):
        points = 0 if record.simulations is None else len(record.simulations.theta)
        total += points
        entry: dict[str, Any] = {"round": record.index, "simulations": points,
                                 "total_simulations": total}  # fmt: skip
        t = record.truncation
        if t is not None:
            entry["truncation"] = {
                **t.to_dict(),
                "volume_fraction": t.volume / box,
                "region": {n: [lo, hi] for n, lo, hi in zip(names, t.low, t.high)},
            }
        entry["params"] = parameter_summary(draws, names)
        entry["seconds"] = dict(record.seconds)
        out.append(entry)
    return out


def write_rounds_report(
    records: Sequence[RoundRecord],
    observation: np.ndarray,
    folder: str | Path,
    *,
    labels: dict[str, str] | None = None,
    truth: np.ndarray | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """``rounds.json``, ``rounds.png`` (GetDist triangle of every round's posterior, overlaid)
    and ``rounds.md`` / ``rounds.html`` in ``folder``; returns the JSON content."""
    from cosmossl.inference.plots import triangle

    folder = Path(folder)
    samples = round_samples(records, observation, seed=seed)
    rounds = round_summary(records, samples)
    posterior = records[0].posterior
    names = posterior.param_names
    ranges = {n: (float(lo), float(hi)) for n, lo, hi in
              zip(names, posterior.prior.low.tolist(), posterior.prior.high.tolist())}  # fmt: skip
    legend = {_legend(r): draws for r, draws in zip(rounds, samples)}
    triangle(legend, names, folder / FIGURE, labels=labels, truth=truth, ranges=ranges,
             title="posterior after each round")  # fmt: skip
    content = {"param_names": list(names), "observation": np.asarray(observation).tolist(),
               "rounds": rounds}  # fmt: skip
    write_json(folder / JSON, content)
    report = Report("Sequential rounds")
    add_rounds(report, rounds, names, FIGURE)
    report.write(folder, STEM)
    return content


def add_rounds(report: Report, rounds: list[dict[str, Any]], names: Sequence[str], figure: str,
               *, title: str = "Sequential rounds (truncated NPE)") -> None:  # fmt: skip
    """The rounds' section of a report: what was done, the table, the figure."""
    report.heading(title)
    report.paragraph(
        "Each round draws its points from the prior truncated to the current posterior's "
        "highest-probability region for this observation (Deistler et al. 2022, "
        "arXiv:2210.04815), simulates and compresses them, and refits the posterior on the "
        "run's training rows and every round so far. Acceptance: the share of prior draws "
        "inside the region, i.e. the effective prior volume as a fraction of the prior box."
    )
    headers = ["round", "simulated (all rounds)", "acceptance", "effective volume"]
    headers += [f"σ({n})" for n in names] + [f"68% interval ({n})" for n in names]
    rows = []
    for r in rounds:
        t = r.get("truncation")
        acceptance = f"{t['acceptance']:.3g} ± {t['acceptance_error']:.1g}" if t else "—"
        volume = f"{t['volume']:.3g}" if t else "—"
        params = r["params"]
        rows.append(
            [r["round"], r["total_simulations"], acceptance, volume]
            + [f"{params[n]['std']:.4g}" for n in names]
            + ["[{:.4g}, {:.4g}]".format(*params[n]["interval_68"]) for n in names]
        )
    report.table(headers, rows)
    report.figure(figure, "The posterior after each round (68% and 95% contours)")


def rounds_table(rounds: list[dict[str, Any]], names: Sequence[str]) -> str:
    """The rounds as a short plain-text table: simulations, acceptance, effective prior
    volume and each parameter's σ per round."""
    lines = [f"{'round':>7}{'simulated':>11}{'acceptance':>12}{'volume':>10}"
             + "".join(f"{'σ(' + n + ')':>14}" for n in names)]  # fmt: skip
    for r in rounds:
        t = r.get("truncation")
        lines.append(
            f"{r['round']:>7}{r['total_simulations']:>11}"
            + (f"{t['acceptance']:>12.3g}{t['volume']:>10.3g}" if t else f"{'—':>12}{'—':>10}")
            + "".join(f"{r['params'][n]['std']:>14.4g}" for n in names)
        )
    return "\n".join(lines)


def _legend(entry: dict[str, Any]) -> str:
    if entry["total_simulations"] == 0:
        return f"round {entry['round']} (start)"
    return f"round {entry['round']} ({entry['total_simulations']} simulated)"
