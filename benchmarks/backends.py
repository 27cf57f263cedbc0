"""Benchmark: sbi vs lampe on the same synthetic summaries (fit time, test NLL, calibration).

The summaries are linear-Gaussian (x = Aθ + b + ε, θ uniform in a box; see
``cosmossl.inference.LinearGaussian``), so the analytic test NLL is printed as the floor every
backend should approach. Every backend gets the same framework split, standardisation, prior,
seed and diagnostics.

Usage::

    python benchmarks/backends.py                 # default sizes
    python benchmarks/backends.py --quick         # small, for a smoke test
    python benchmarks/backends.py --out results/backends.json
"""

from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

import numpy as np
import torch
from scipy.stats import multivariate_normal

import cosmossl
from cosmossl.inference import (
    BoxPrior,
    LinearGaussian,
    evaluate,
    fit,
    inference_split,
    write_metrics,
)

BACKENDS = {
    "sbi (zuko_nsf)": ("sbi", {"model": "zuko_nsf"}),
    "sbi (zuko_maf)": ("sbi", {"model": "zuko_maf"}),
    "lampe npe (nsf)": ("lampe", {"method": "npe"}),
    "lampe nre": ("lampe", {"method": "nre"}),
}


def truncated_gaussian_nll(
    mean: np.ndarray,
    cov: np.ndarray,
    truth: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    seed: int,
) -> float:
    """Mean −log density of the exact posterior: the Gaussian truncated to the prior box.

    The truncation mass of each test point is a Monte Carlo estimate (20 000 draws).
    """
    rng = np.random.default_rng(seed)
    draws = rng.multivariate_normal(np.zeros(len(low)), cov, size=20000)
    nll = []
    for m, t in zip(mean, truth):
        mass = (((m + draws) >= low) & ((m + draws) <= high)).all(-1).mean()
        nll.append(-(multivariate_normal(m, cov).logpdf(t) - np.log(mass)))
    return float(np.mean(nll))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000, help="summaries (rows) in total")
    parser.add_argument("--params", type=int, default=3, help="parameters P")
    parser.add_argument("--dim", type=int, default=8, help="summary dimension D")
    parser.add_argument("--samples", type=int, default=1000, help="posterior samples per point")
    parser.add_argument("--max-test", type=int, default=500, help="test points evaluated")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="small sizes and few epochs")
    parser.add_argument("--out", default="benchmarks/results/backends.json")
    args = parser.parse_args()
    if args.quick:
        args.n, args.samples, args.max_test = 1500, 300, 150
    torch.manual_seed(args.seed)
    problem = LinearGaussian.make(
        n_params=args.params, n_summaries=args.dim, noise=0.3, seed=args.seed
    )
    s = problem.summaries(args.n, seed=args.seed, per_group=1, test_fraction=0.2)
    split = inference_split(s, val_fraction=0.1, seed=args.seed)
    test = split.test[: args.max_test]
    prior = BoxPrior.from_ranges(s.priors, s.param_names)
    mean, cov = problem.posterior(s.summaries[test])
    analytic_nll = truncated_gaussian_nll(
        mean, cov, s.params[test], problem.low, problem.high, seed=args.seed
    )
    inside = problem.interior(s.summaries[test], margin=3.0)
    std = np.sqrt(np.diag(cov))
    rows = {}
    for label, (name, params) in BACKENDS.items():
        if args.quick:
            params = {**params, "max_epochs": 30}
        backend = cosmossl.create("backend", name, **params)
        start = time.perf_counter()
        posterior = fit(
            backend,
            (s.params[split.train], s.summaries[split.train]),
            (s.params[split.val], s.summaries[split.val]),
            prior,
            seed=args.seed,
            progress=False,
        )
        fit_s = time.perf_counter() - start
        start = time.perf_counter()
        result = evaluate(
            posterior,
            s.params[test],
            s.summaries[test],
            n_samples=args.samples,
            seed=args.seed,
            n_bootstrap=100,
        )
        eval_s = time.perf_counter() - start
        m = result.metrics
        post_mean = result.samples.mean(0)[inside]
        rows[label] = {
            "backend": name,
            "params": params,
            "fit_seconds": fit_s,
            "eval_seconds": eval_s,
            "epochs": posterior.info.get("epochs"),
            "test_nll": m["nll"],
            "coverage_mean_abs_error": m["coverage"]["mean_abs_error"],
            "coverage_68": m["coverage"]["coverage_68"],
            "tarp_atc": m["tarp"]["atc"],
            "tarp_ks_pvalue": m["tarp"]["ks_pvalue"],
            "mean_error_sigma": float((np.abs(post_mean - mean[inside]) / std).mean()),
            "std_ratio": float((result.samples.std(0)[inside] / std).mean()),
        }
    report = {
        "problem": {
            "n": args.n,
            "params": args.params,
            "dim": args.dim,
            "noise": 0.3,
            "n_train": int(split.train.size),
            "n_val": int(split.val.size),
            "n_test": int(test.size),
            "samples": args.samples,
            "seed": args.seed,
            "analytic_test_nll": analytic_nll,
        },
        "machine": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "threads": torch.get_num_threads(),
            "cpu": platform.processor(),
        },
        "results": rows,
    }
    write_metrics(Path(args.out), report)
    print(
        f"{'backend':<18}{'fit s':>8}{'epochs':>8}{'test NLL':>10}{'cov |err|':>11}"
        f"{'TARP ATC':>10}{'|Δmean|/σ':>11}{'std ratio':>11}"
    )
    for label, r in rows.items():
        print(
            f"{label:<18}{r['fit_seconds']:>8.1f}{r['epochs'] or 0:>8}{r['test_nll']:>10.3f}"
            f"{r['coverage_mean_abs_error']:>11.3f}{r['tarp_atc']:>+10.3f}"
            f"{r['mean_error_sigma']:>11.3f}{r['std_ratio']:>11.3f}"
        )
    print(f"{'analytic':<18}{'':>8}{'':>8}{analytic_nll:>10.3f}")
    print(f"written: {args.out}")


if __name__ == "__main__":
    main()
