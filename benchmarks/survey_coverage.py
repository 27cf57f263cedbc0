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

``--refit M`` asks whether the combined posterior's calibration is limited by the single-map
posterior's approximation error: it fits a new single-map posterior (the run's backend and
settings, the run's prior) on the summaries of M fresh simulations at θ drawn from the prior
(90% fit, 10% early stopping), and measures that posterior in place of the run's, with the same
sampler (results in ``survey_coverage_refit<M>.json``)::

    OMP_NUM_THREADS=1 python benchmarks/survey_coverage.py --surveys 200 --refit 20000
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
from cosmossl.inference.combine import product_log_prob, sample_product
from cosmossl.inference.diagnostics.coverage import hpd_coverage
from cosmossl.inference.diagnostics.tarp import tarp

RESULTS = Path(__file__).parent / "results"
#: Seeds of the benchmark's maps: far from the run's (which are 63-bit derived seeds).
SEED_BASE = 7_000_000


def one_survey(run, simulator, index: int, n_maps: int, n_samples: int, summary: str,
               posterior=None) -> dict:  # fmt: skip
    """Draw θ, simulate the survey, sample the combined and the single-map posterior (the
    run's, as ``cosmossl posterior`` does, or ``posterior`` with the same sampler)."""
    rng = np.random.default_rng([SEED_BASE, index])
    prior = run.prior
    low, high = prior.low.numpy().astype(np.float64), prior.high.numpy().astype(np.float64)
    truth = rng.uniform(low, high)
    seeds = [SEED_BASE + index * 1000 + j for j in range(n_maps)]
    maps = simulator.simulate(np.tile(truth, (n_maps, 1)), seeds)
    start = time.perf_counter()
    if posterior is None:
        survey = run.sample(maps, n_samples, survey=True, summary=summary, seed=index)
        combined, diagnostics, flagged = survey.samples, survey.diagnostics, survey.check["flagged"]
        x = survey.summaries
        single = run.sample(maps[:1], n_samples, summary=summary, seed=index).samples[:, 0]
        posterior = run.posterior(summary)
    else:
        x = run.compress(maps, summary)
        product = sample_product(posterior, x, n_samples, seed=index)
        combined, diagnostics = product.samples, product.diagnostics
        flagged = run.check_distribution(summary, x).flagged.tolist()
        single = posterior.sample(x[:1], n_samples, seed=index).cpu().numpy()
    seconds = time.perf_counter() - start
    theta = torch.as_tensor(np.concatenate([combined, truth[None]]), dtype=torch.float32)
    lp_survey = product_log_prob(posterior, x, theta).cpu().numpy()
    theta_single = np.concatenate([single, truth[None]])
    lp_single = product_log_prob(posterior, x[:1], torch.as_tensor(theta_single)).cpu().numpy()
    return {
        "index": index,
        "truth": truth.tolist(),
        "seconds": seconds,
        "diagnostics": diagnostics,
        "flagged": flagged,
        "survey": {"samples": np.asarray(combined).tolist(), "lp": lp_survey.tolist()},
        "single": {"samples": np.asarray(single).tolist(), "lp": lp_single.tolist()},
    }


def refit(run, simulator, summary: str, count: int, path: Path):
    """A single-map posterior fitted like the run's on ``count`` fresh simulations (kept in
    ``path``, reused when it is there)."""
    from cosmossl.inference import fit, load_posterior, read_posterior

    if (path / "posterior.json").is_file():
        return load_posterior(path)
    rng = np.random.default_rng([SEED_BASE, 0xF17])
    prior = run.prior
    low, high = prior.low.numpy().astype(np.float64), prior.high.numpy().astype(np.float64)
    theta = rng.uniform(low, high, size=(count, len(low)))
    seeds = [2 * SEED_BASE + i for i in range(count)]
    x = np.concatenate([
        run.compress(simulator.simulate(theta[i : i + 500], seeds[i : i + 500]), summary)
        for i in range(0, count, 500)
    ])  # fmt: skip
    saved = read_posterior(run.root / "inference" / summary / "posterior")
    backend = cosmossl.create("backend", saved.backend, saved.params)
    cut = int(0.9 * count)
    posterior = fit(backend, (theta[:cut], x[:cut]), (theta[cut:], x[cut:]), prior, seed=0,
                    progress=False)  # fmt: skip
    posterior.save(path)
    return posterior


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
    title = f"{n} simulated surveys, {result['summary']} summary"
    if result["single_map_posterior"] != "the run's":
        title += f"\nsingle-map posterior {result['single_map_posterior']}"
    ax.set_title(title, fontsize=10)
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
    parser.add_argument(
        "--refit",
        type=int,
        default=0,
        metavar="M",
        help="measure a single-map posterior refitted on M fresh simulations",
    )
    parser.add_argument("--out", help="default: results/survey_coverage[_refit<M>].json")
    args = parser.parse_args()
    suffix = f"_refit{args.refit}" if args.refit else ""
    args.out = args.out or str(RESULTS / f"survey_coverage{suffix}.json")
    run = cosmossl.load_run(args.run_dir, device="cpu")
    work = Path(args.work) / f"{args.summary}-{args.maps}maps-{args.samples}{suffix}"
    work.mkdir(parents=True, exist_ok=True)
    simulator = run.dataset()
    posterior = None
    if args.refit:
        start = time.perf_counter()
        posterior = refit(run, simulator, args.summary, args.refit, work / "posterior")
        print(f"refitted the single-map posterior on {args.refit} simulations in "
              f"{time.perf_counter() - start:.0f} s", flush=True)  # fmt: skip
    for index in range(args.surveys):
        path = work / f"{index:04d}.json"
        if path.exists():
            continue
        record = one_survey(run, simulator, index, args.maps, args.samples, args.summary,
                            posterior)  # fmt: skip
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
        "single_map_posterior": (
            f"refitted on {args.refit} fresh simulations" if args.refit else "the run's"
        ),
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
        f"--summary {args.summary}" + (f" --refit {args.refit}" if args.refit else ""),
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
