"""Benchmark: is the posterior of a survey of N maps, combined from single-map posteriors,
calibrated?

For each of ``--surveys`` surveys, θ is drawn from the run's prior, ``--maps`` maps are
simulated at θ with the run's own simulator (seeds the run never used), and the survey's
posterior is what ``cosmossl posterior RUN_DIR MAPS --survey`` computes (the product of the
single-map posteriors divided by the prior^(N−1), :func:`cosmossl.inference.sample_product`).
The first map alone, with the run's single-map posterior, is measured beside it. Per method:
the joint highest-density (HPD) coverage of the truth at 68% and 95% with binomial standard
errors, the expected-coverage curve, each parameter's central-interval coverage, TARP, the
posterior widths and the sampler's checks.

Usage (the run must use a simulator; ``make demo`` makes runs/quickstart)::

    OMP_NUM_THREADS=1 python benchmarks/survey_coverage.py --surveys 200   # surveys of 8 maps
    python benchmarks/survey_coverage.py --surveys 10 --samples 300       # a smoke test

Each survey is kept in ``--work`` as it is done (a killed benchmark resumes); the result goes to
``benchmarks/results/survey_coverage.json`` and ``survey_coverage.png``.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np
import torch

import cosmossl
from cosmossl.inference.combine import product_log_prob
from cosmossl.inference.diagnostics.coverage import hpd_coverage
from cosmossl.inference.diagnostics.tarp import tarp

RESULTS = Path(__file__).parent / "results"
#: Seeds of the benchmark's maps: far from the run's (which are 63-bit derived seeds).
SEED_BASE = 7_000_000


def one_survey(run, simulator, index: int, n_maps: int, n_samples: int, summary: str) -> dict:
    """Draw θ, simulate the survey, sample the combined and the single-map posterior."""
    rng = np.random.default_rng([SEED_BASE, index])
    prior = run.prior
    low, high = prior.low.numpy().astype(np.float64), prior.high.numpy().astype(np.float64)
    truth = rng.uniform(low, high)
    seeds = [SEED_BASE + index * 1000 + j for j in range(n_maps)]
    maps = simulator.simulate(np.tile(truth, (n_maps, 1)), seeds)
    start = time.perf_counter()
    survey = run.sample(maps, n_samples, survey=True, summary=summary, seed=index)
    seconds = time.perf_counter() - start
    single = run.sample(maps[:1], n_samples, summary=summary, seed=index)
    posterior = run.posterior(summary)
    x = survey.summaries
    theta = torch.as_tensor(np.concatenate([survey.samples, truth[None]]), dtype=torch.float32)
    lp_survey = product_log_prob(posterior, x, theta).cpu().numpy()
    theta_single = np.concatenate([single.samples[:, 0], truth[None]])
    lp_single = product_log_prob(posterior, x[:1], torch.as_tensor(theta_single)).cpu().numpy()
    return {
        "index": index,
        "truth": truth.tolist(),
        "seconds": seconds,
        "diagnostics": survey.diagnostics,
        "flagged": survey.check["flagged"],
        "survey": {"samples": survey.samples.tolist(), "lp": lp_survey.tolist()},
        "single": {"samples": single.samples[:, 0].tolist(), "lp": lp_single.tolist()},
    }


def summarize_method(records: list[dict], key: str, names: tuple[str, ...], low, high) -> dict:
    samples = np.stack([np.asarray(r[key]["samples"]) for r in records], axis=1)  # [n, B, P]
    lp = np.stack([np.asarray(r[key]["lp"]) for r in records], axis=1)  # [n + 1, B]
    truth = np.asarray([r["truth"] for r in records])
    n_surveys = truth.shape[0]
    coverage = hpd_coverage(lp[:-1], lp[-1])
    central = {}
    for k, name in enumerate(names):
        rank = (samples[:, :, k] < truth[None, :, k]).mean(0)  # quantile of the truth
        central[name] = {
            "coverage_68": float(np.mean(np.abs(rank - 0.5) < 0.34)),
            "coverage_95": float(np.mean(np.abs(rank - 0.5) < 0.475)),
            "mean_posterior_std": float(samples[:, :, k].std(0).mean()),
        }
    t = tarp(samples, truth, np.asarray(low), np.asarray(high), seed=0)

    def se(p: float) -> float:
        return float(np.sqrt(p * (1 - p) / n_surveys))

    return {
        "coverage_68": coverage["coverage_68"],
        "coverage_68_se": se(coverage["coverage_68"]),
        "coverage_95": coverage["coverage_95"],
        "coverage_95_se": se(coverage["coverage_95"]),
        "coverage_mean_abs_error": coverage["mean_abs_error"],
        "coverage_curve": {"alpha": coverage["alpha"], "coverage": coverage["coverage"]},
        "params": central,
        "tarp_atc": t["atc"],
        "tarp_ks_pvalue": t["ks_pvalue"],
    }


def plot(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.4, 4.2), layout="constrained")
    ax.plot([0, 1], [0, 1], "k--", lw=1, label="calibrated")
    n = result["n_surveys"]
    band = 2 * np.sqrt(np.linspace(0, 1, 101) * (1 - np.linspace(0, 1, 101)) / n)
    grid = np.linspace(0, 1, 101)
    ax.fill_between(grid, grid - band, grid + band, color="0.85", label=f"±2σ for {n} surveys")
    for key, label, color in (
        ("combined", f"survey of {result['maps']} maps (product)", "C0"),
        ("single", "one map", "C1"),
    ):
        curve = result[key]["coverage_curve"]
        ax.plot(curve["alpha"], curve["coverage"], color=color, label=label)
    ax.set_xlabel("credibility level")
    ax.set_ylabel("expected coverage (HPD)")
    ax.set_title(f"{n} simulated surveys, {result['summary']} summary", fontsize=10)
    ax.legend(loc="upper left", fontsize=8)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run-dir", default="runs/quickstart")
    parser.add_argument("--surveys", type=int, default=120)
    parser.add_argument("--maps", type=int, default=8)
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--summary", default="encoder")
    parser.add_argument("--work", default="runs/survey-coverage", help="one file per survey")
    parser.add_argument("--out", default=str(RESULTS / "survey_coverage.json"))
    args = parser.parse_args()
    run = cosmossl.load_run(args.run_dir, device="cpu")
    work = Path(args.work) / f"{args.summary}-{args.maps}maps-{args.samples}"
    work.mkdir(parents=True, exist_ok=True)
    simulator = run.dataset()
    for index in range(args.surveys):
        path = work / f"{index:04d}.json"
        if path.exists():
            continue
        record = one_survey(run, simulator, index, args.maps, args.samples, args.summary)
        path.write_text(json.dumps(record))
        d = record["diagnostics"]
        print(f"survey {index}: θ = {np.round(record['truth'], 3).tolist()}, "
              f"ESS {d['importance_ess']:.0f}, k̂ {d['pareto_khat']:.2f}, "
              f"{record['seconds']:.1f} s", flush=True)  # fmt: skip
    records = [json.loads((work / f"{i:04d}.json").read_text()) for i in range(args.surveys)]
    low, high = run.prior.low.numpy(), run.prior.high.numpy()
    names = run.param_names
    diagnostics = [r["diagnostics"] for r in records]
    result = {
        "run_dir": args.run_dir,
        "summary": args.summary,
        "maps": args.maps,
        "n_surveys": len(records),
        "samples": args.samples,
        "param_names": list(names),
        "combined": summarize_method(records, "survey", names, low, high),
        "single": summarize_method(records, "single", names, low, high),
        "sampler": {
            "converged": float(np.mean([d["converged"] for d in diagnostics])),
            "importance_ess_median": float(np.median([d["importance_ess"] for d in diagnostics])),
            "importance_ess_min": float(np.min([d["importance_ess"] for d in diagnostics])),
            "pareto_khat_max": float(np.max([d["pareto_khat"] for d in diagnostics])),
            "seconds_median": float(np.median([r["seconds"] for r in records])),
        },
        "flagged_maps": int(sum(sum(r["flagged"]) for r in records)),
        "command": f"OMP_NUM_THREADS=1 python benchmarks/survey_coverage.py --run-dir "
        f"{args.run_dir} --surveys {args.surveys} --maps {args.maps} --samples {args.samples} "
        f"--summary {args.summary}",
        "machine": f"{platform.machine()}, {platform.processor() or 'cpu'}, torch "
        f"{torch.__version__}, {torch.get_num_threads()} thread(s)",
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    plot(result, out.with_suffix(".png"))
    for key in ("combined", "single"):
        m = result[key]
        print(f"{key}: HPD coverage 68% {m['coverage_68']:.3f} ± {m['coverage_68_se']:.3f}, "
              f"95% {m['coverage_95']:.3f} ± {m['coverage_95_se']:.3f}, "
              f"TARP ATC {m['tarp_atc']:+.3f} (KS p {m['tarp_ks_pvalue']:.2g})")  # fmt: skip
    print(f"wrote {out} and {out.with_suffix('.png')}")


if __name__ == "__main__":
    main()
