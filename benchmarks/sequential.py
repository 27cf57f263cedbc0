"""Benchmark: sequential (truncated) NPE for one observation against the amortised posterior.

On the quickstart run (``examples/quickstart.toml``: 32² lognormal maps, a VICReg CNN with
16 D4-averaged summaries, sbi NPE), for observations simulated at known θ — test cosmologies of
the run (the encoder never saw them), new maps — single maps and surveys of N = 8 maps:

- ``amortised``: the posterior fitted once on prior simulations (N = 1: the run's own posterior,
  fitted on its training maps; N = 8: fitted on ``--base`` surveys simulated from the prior,
  since the quickstart holds two maps per cosmology);
- ``amortised-extra``: the same fit with ``--budget`` B more prior simulations (one fit, shared
  by every observation);
- ``sequential``: K = 2, 3, 4 rounds of truncated NPE (Deistler et al. 2022, arXiv:2210.04815)
  with M = B / K simulations per round, started from the amortised posterior and refitted on its
  rows plus every round: :func:`cosmossl.job.sequential.run_rounds`, the library behind
  ``cosmossl posterior --rounds K --simulations M``.

Per method, parameter and survey size: the posterior σ over the summary's own Cramér–Rao bound
at the true θ (the project's Fisher estimator, :mod:`cosmossl.information.fisher`, on the trained
encoder at that θ; σ_CR/√N for N maps), the 68% and 95% coverage of the truth by the central
marginal intervals over the observations, TARP (ATC, KS p), and wall time per observation (what
producing that observation's posterior costs once the run is trained; shared one-off fits are
counted in full). Aim (issue 20): sequential σ within 15% of the bound, 68% coverage in
[0.55, 0.80]. Records are also given for the ``interior`` observations (truth more than 3 σ_CR
from every prior edge), where the prior does not cut the posterior.

Every piece is a resumable stage (fisher per observation, the survey base, the extra fits, each
observation's rounds), so the parts can run separately and be killed::

    OMP_NUM_THREADS=1 python benchmarks/sequential.py            # all (~4 CPU hours)
    OMP_NUM_THREADS=1 python benchmarks/sequential.py --parts fisher
    OMP_NUM_THREADS=1 python benchmarks/sequential.py --parts surveys --survey-sizes 8 --only 0 10
    python benchmarks/sequential.py --parts report               # the JSON from what is done
    python benchmarks/sequential.py --quick                      # smoke test (minutes)

Writes ``benchmarks/results/sequential.json`` and ``sequential.md``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from cosmossl._util.files import atomic_path, write_json, write_text
from cosmossl._util.seeds import derive_seed
from cosmossl.config.run_file import load_run_config
from cosmossl.data.summaries import read_summaries, write_summaries
from cosmossl.inference import load_posterior
from cosmossl.inference.diagnostics import tarp
from cosmossl.inference.sequential import RoundSettings, refit
from cosmossl.information.fisher import cramer_rao, estimate_fisher, simulate_summaries
from cosmossl.job import run_dir as layout
from cosmossl.job.run import run
from cosmossl.job.run_dir import RunDirectory
from cosmossl.job.sequential import (
    SequentialSetup,
    run_rounds,
    stored_round,
)
from cosmossl.job.sequential import (
    simulate_summaries as simulate_points,
)
from cosmossl.job.sequential_setup import sequential_setup
from cosmossl.job.trained_run import load_run
from cosmossl.plugin.factory import create

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CONFIG = REPO / "examples" / "quickstart.toml"
#: Separates the benchmark's random streams from every other of the run seed.
OBSERVATION_STREAM, PRIOR_STREAM = 0xB5E1, 0xB5E2
AIM_SIGMA, AIM_COVERAGE = 0.15, (0.55, 0.80)
#: Posterior draws per observation and method.
SAMPLES = 2000


# ---- the run, the observations and their Cramér–Rao bounds ---------------------------------


def observations(run_dir: Path, setup: SequentialSetup, count: int, seed: int):
    """``(θ [B, P], maps' summaries [B, 8, D])``: ``count`` test cosmologies of the run, each
    with 8 new maps (their own noise seeds)."""
    s = read_summaries(run_dir / layout.summaries(layout.ENCODER))
    test = np.flatnonzero(s.split == 2)
    _, first = np.unique(s.cosmology_id[test], return_index=True)
    rows = np.random.default_rng(seed).choice(test[first], count, replace=False)
    theta = np.asarray(s.params[rows], dtype=np.float64)
    summaries = []
    for i, point in enumerate(theta):
        seeds = [derive_seed(seed, OBSERVATION_STREAM, i, j) for j in range(8)]
        maps = setup.simulator.simulate(np.tile(point, (8, 1)), seeds)
        summaries.append(setup.summarize(maps))
    return theta, np.stack(summaries)


def fisher_sigma(
    bench: RunDirectory, setup: SequentialSetup, theta: np.ndarray, i: int, args: argparse.Namespace
) -> np.ndarray:
    """The encoder's Cramér–Rao bounds ``[P]`` for one map at ``theta`` (a stage)."""
    path = f"fisher/{i:02d}.json"
    bench.claim("fisher")

    def action() -> None:
        fid, derivatives = simulate_summaries(
            setup.simulator.simulate,
            setup.summarize,
            theta,
            0.005 * np.abs(theta),
            n_fiducial=args.n_fiducial,
            n_derivative=args.n_derivative,
            seed=derive_seed(args.seed, OBSERVATION_STREAM, 1000 + i),
        )
        estimate = estimate_fisher(fid, derivatives)
        write_json(
            bench.path(path),
            {
                "theta": theta.tolist(),
                "fisher": estimate.fisher.tolist(),
                "sigma": cramer_rao(estimate.fisher).tolist(),
            },
        )

    inputs = {"theta": theta.tolist(), "n": [args.n_fiducial, args.n_derivative], "v": 1}
    bench.run_stage(f"fisher-{i}", inputs, [path], action)
    # A debiased Fisher matrix dominated by noise has no bound: null in the JSON, NaN here.
    sigma = json.loads(bench.path(path).read_text())["sigma"]
    return np.array([np.nan if v is None else v for v in sigma], dtype=np.float64)


# ---- the amortised posteriors ------------------------------------------------------------------


def prior_points(
    bench: RunDirectory, setup: SequentialSetup, name: str, count: int, seed: int
) -> Any:
    """``count`` points from the whole prior, each a survey of N maps, summarised (a stage)."""
    path = f"{name}.h5"

    def action() -> None:
        generator = torch.Generator().manual_seed(seed)
        prior = setup.prior.to("cpu")
        theta = prior.low + (prior.high - prior.low) * torch.rand(
            (count, prior.dim), generator=generator
        )
        s = simulate_points(setup, theta.double().numpy(), seed=seed, progress=True)
        write_summaries(bench.path(path), s)

    inputs = {"setup": setup.identity, "n": setup.survey_size, "count": count, "seed": seed}
    key, _ = bench.run_stage(f"simulate-{name}", inputs, [path], action)
    return stored_round(read_summaries(bench.path(path)), setup.survey_size), key


def fitted(
    bench: RunDirectory, setup: SequentialSetup, name: str, rounds: list, key: Any, seed: int
) -> tuple[Any, float]:
    """The backend fitted on the setup's base rows and ``rounds`` (a stage); its fit seconds."""
    folder = f"posterior-{name}"

    def action() -> None:
        params = {k: v for k, v in setup.backend.items() if k != "type"}
        backend = create("backend", setup.backend["type"], params)
        posterior = refit(
            backend,
            setup.base_train,
            setup.base_val,
            rounds,
            setup.prior,
            seed=seed,
            progress=False,
            device=setup.device,
        )
        posterior.save(bench.path(folder))

    outputs = [f"{folder}/posterior.json"]
    bench.run_stage(f"fit-{name}", {"key": key, "seed": seed}, outputs, action, owned=[folder])
    posterior = load_posterior(bench.path(folder))
    return posterior, float(posterior.info.get("fit_seconds", np.nan))


@dataclasses.dataclass
class Methods:
    """The setup (start = amortised) and the amortised-extra posterior of one survey size."""

    setup: SequentialSetup
    amortised_seconds: float
    extra: Any
    extra_seconds: float


def methods(bench: RunDirectory, n: int, args: argparse.Namespace) -> Methods:
    setup = sequential_setup(load_run(args.run_dir, device="cpu"), survey_size=n, seed=args.seed)
    base_seconds = 0.0
    if setup.start is None:  # surveys: the amortised posterior on prior-simulated surveys
        base, key = prior_points(
            bench, setup, f"base-N{n}", args.base, derive_seed(args.seed, PRIOR_STREAM, n, 0)
        )
        train, val = _rows(base, False), _rows(base, True)
        setup = dataclasses.replace(setup, base_train=train, base_val=val)
        start, fit_seconds = fitted(bench, setup, f"amortised-N{n}", [], key, args.seed)
        base_seconds = (bench.seconds(f"simulate-base-N{n}") or 0.0) + fit_seconds
        identity = {**setup.identity, "amortised": key}
        setup = dataclasses.replace(setup, start=start, identity=identity)
    else:
        base_seconds = float(setup.start.info.get("fit_seconds", np.nan))
    extra, key = prior_points(
        bench, setup, f"extra-N{n}", args.budget, derive_seed(args.seed, PRIOR_STREAM, n, 1)
    )
    posterior, fit_seconds = fitted(
        bench, setup, f"extra-N{n}", [extra], {"base": setup.identity, "extra": key}, args.seed
    )
    extra_seconds = (bench.seconds(f"simulate-extra-N{n}") or 0.0) + fit_seconds
    return Methods(setup, base_seconds, posterior, extra_seconds + base_seconds)


def _rows(r: Any, val: bool) -> tuple[np.ndarray, np.ndarray]:
    return r.theta[r.is_val == val], r.summaries[r.is_val == val]


# ---- one observation ---------------------------------------------------------------------------


def evaluate_observation(
    bench: RunDirectory,
    m: Methods,
    i: int,
    x: np.ndarray,
    truth: np.ndarray,
    args: argparse.Namespace,
) -> dict[str, Any]:
    """Samples and seconds of every method for observation ``i`` (rounds are resumable stages;
    the result is cached in ``N<n>/obs/<i>/evaluation.npz``)."""
    folder = bench.path(f"obs/{i:02d}")
    cache = folder / "evaluation.npz"
    key = json.dumps({"x": x.tolist(), "budget": args.budget, "rounds": args.rounds})
    if cache.exists():
        saved = np.load(cache)
        if str(saved["key"]) == key:
            return {k: saved[k] for k in saved.files if k != "key"}
    xt = torch.as_tensor(x, dtype=torch.float32)
    out: dict[str, Any] = {
        "amortised": m.setup.start.sample(xt, SAMPLES, seed=i).numpy(),
        "amortised_seconds": np.array(m.amortised_seconds),
        "amortised-extra": m.extra.sample(xt, SAMPLES, seed=i).numpy(),
        "amortised-extra_seconds": np.array(m.extra_seconds),
    }
    for k in args.rounds:
        settings = RoundSettings(simulations=args.budget // k)
        result = run_rounds(
            m.setup, x, folder / f"K{k}", rounds=k, settings=settings, truth=truth, progress=False
        )
        out[f"sequential-K{k}"] = result.posterior.sample(xt, SAMPLES, seed=i).numpy()
        spent = sum(sum(r.seconds.values()) for r in result.records)
        out[f"sequential-K{k}_seconds"] = np.array(spent + m.amortised_seconds)
        out[f"sequential-K{k}_acceptance"] = np.array(
            [r.truncation.acceptance for r in result.records if r.truncation is not None]
        )
    with atomic_path(cache) as tmp, open(tmp, "wb") as f:
        np.savez(f, key=np.array(key), **out)
    return out


# ---- the table ---------------------------------------------------------------------------------


def records(
    theta: np.ndarray,
    sigma_cr: np.ndarray,
    evaluations: list[dict[str, Any]],
    n: int,
    names: tuple[str, ...],
    low: np.ndarray,
    high: np.ndarray,
    args: argparse.Namespace,
) -> list[dict[str, Any]]:
    """One record per method, parameter and subset (all observations, interior ones)."""
    bound = sigma_cr / np.sqrt(n)  # [B, P]
    interior = ((theta - low > 3 * bound) & (high - theta > 3 * bound)).all(1)
    out = []
    for method in ["amortised", "amortised-extra", *(f"sequential-K{k}" for k in args.rounds)]:
        samples = np.stack([e[method] for e in evaluations], axis=1)  # [n, B, P]
        seconds = np.array([float(e[f"{method}_seconds"]) for e in evaluations])
        rounds = int(method.split("K")[1]) if method.startswith("sequential") else 0
        for subset, mask in (("all", np.ones(len(theta), bool)), ("interior", interior)):
            if mask.sum() < 2:
                continue
            s, t = samples[:, mask], theta[mask]
            joint = tarp(s, t, low, high, seed=args.seed, n_bootstrap=200)
            lo68, hi68 = np.quantile(s, [0.16, 0.84], axis=0)
            lo95, hi95 = np.quantile(s, [0.025, 0.975], axis=0)
            ratio = s.std(0, ddof=1) / bound[mask]  # [B, P]
            for p, name in enumerate(names):
                c68 = ((lo68[:, p] <= t[:, p]) & (t[:, p] <= hi68[:, p])).mean()
                c95 = ((lo95[:, p] <= t[:, p]) & (t[:, p] <= hi95[:, p])).mean()
                out.append(
                    {
                        "method": method.split("-K")[0],
                        "rounds": rounds,
                        "simulations_per_round": args.budget // rounds
                        if rounds
                        else (args.budget if method == "amortised-extra" else 0),
                        "survey_size": n,
                        "parameter": name,
                        "sigma_over_cramer_rao": float(np.nanmean(ratio[:, p])),
                        "sigma_over_cramer_rao_median": float(np.nanmedian(ratio[:, p])),
                        "sigma_over_cramer_rao_se": float(
                            np.nanstd(ratio[:, p], ddof=1) / np.sqrt(np.isfinite(ratio[:, p]).sum())
                        ),
                        "coverage_68": float(c68),
                        "coverage_95": float(c95),
                        "coverage_se": float(np.sqrt(0.68 * 0.32 / len(t))),
                        "tarp_atc": joint["atc"],
                        "tarp_ks_pvalue": joint["ks_pvalue"],
                        "seconds": float(seconds.mean()),
                        "observations": subset,
                        "n_observations": int(mask.sum()),
                    }
                )
    return out


def markdown(results: dict[str, Any]) -> str:
    lines = [
        "| N | method | K | M | parameter | obs. | σ/σ_CR (mean, median) | coverage 68% | 95% "
        "| TARP ATC | s per obs. |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results["records"]:
        lines.append(
            f"| {r['survey_size']} | {r['method']} | {r['rounds']} | "
            f"{r['simulations_per_round']} | {r['parameter']} | {r['observations']} "
            f"({r['n_observations']}) | {r['sigma_over_cramer_rao']:.3f}, "
            f"{r['sigma_over_cramer_rao_median']:.3f} | {r['coverage_68']:.2f} | "
            f"{r['coverage_95']:.2f} | {r['tarp_atc']:+.3f} | {r['seconds']:.0f} |"
        )
    return "\n".join(lines) + "\n"


# ---- main ----------------------------------------------------------------------------------------


def fisher_part(bench: Path, single: SequentialSetup, theta: np.ndarray, args) -> None:
    with RunDirectory(bench / "fisher", flag="--bench") as folder:
        for i in range(*args.only) if args.only else range(len(theta)):
            fisher_sigma(folder, single, theta[i], i, args)
            print(f"[sequential] Cramér–Rao bound {i}: done", flush=True)


def survey_part(bench: Path, theta: np.ndarray, maps: np.ndarray, n: int, args) -> None:
    started = time.perf_counter()
    with RunDirectory(bench / f"N{n}", flag="--bench") as folder:
        folder.claim("obs")
        m = methods(folder, n, args)
        for i in range(*args.only) if args.only else range(len(theta)):
            evaluate_observation(folder, m, i, maps[i, :n].mean(0), theta[i], args)
            print(
                f"[sequential] N={n} observation {i}: done ({time.perf_counter() - started:.0f} s)",
                flush=True,
            )


def gather(bench: Path, theta: np.ndarray, single: SequentialSetup, args) -> list[dict]:
    """The records of every survey size whose observations are finished (read-only)."""
    names = single.prior.names
    low = single.prior.low.double().cpu().numpy()
    high = single.prior.high.double().cpu().numpy()
    out = []
    for n in args.survey_sizes:
        done = []
        for i in range(len(theta)):
            fisher = bench / "fisher" / "fisher" / f"{i:02d}.json"
            cache = bench / f"N{n}" / "obs" / f"{i:02d}" / "evaluation.npz"
            if fisher.exists() and cache.exists():
                sigma = json.loads(fisher.read_text())["sigma"]
                saved = np.load(cache)
                evaluation = {k: saved[k] for k in saved.files if k != "key"}
                done.append((i, np.array([np.nan if v is None else v for v in sigma]), evaluation))
        if len(done) < 2:
            print(f"[sequential] N={n}: {len(done)} observations finished, no records")
            continue
        idx = [i for i, _, _ in done]
        sigma = np.stack([sg for _, sg, _ in done])
        out += records(theta[idx], sigma, [e for _, _, e in done], n, names, low, high, args)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(CONFIG), help="run file (default: quickstart)")
    parser.add_argument("--run-dir", default=None, help="its run directory (default: run file's)")
    parser.add_argument(
        "--bench",
        default=str(REPO / "runs" / "sequential-bench"),
        help="folder of the benchmark's stages",
    )
    parser.add_argument(
        "--parts",
        nargs="+",
        default=["fisher", "surveys", "report"],
        choices=["fisher", "surveys", "report"],
        help="what to run: the Cramér–Rao bounds, the observations of each "
        "--survey-sizes, the JSON from what is finished",
    )
    parser.add_argument("--observations", type=int, default=30)
    parser.add_argument(
        "--only",
        type=int,
        nargs=2,
        metavar=("FIRST", "STOP"),
        help="work on observations FIRST … STOP − 1 only (parts under an hour)",
    )
    parser.add_argument("--survey-sizes", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--rounds", type=int, nargs="+", default=[2, 3, 4])
    parser.add_argument("--budget", type=int, default=360, help="extra simulations B")
    parser.add_argument("--base", type=int, default=1600, help="prior surveys behind N > 1")
    parser.add_argument("--n-fiducial", type=int, default=500)
    parser.add_argument("--n-derivative", type=int, default=250)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rerun", action="store_true", help="bring the run up to date first")
    parser.add_argument("--quick", action="store_true", help="a smoke test: 2 observations")
    parser.add_argument("--out", default=str(HERE / "results" / "sequential.json"))
    args = parser.parse_args(argv)
    if args.quick:
        args.observations, args.budget, args.base = 2, 60, 200
        args.n_fiducial, args.n_derivative = 100, 20
        args.bench += "-quick"
        args.out = str(Path(args.bench) / "sequential.json")
    torch.set_num_threads(1)
    cfg = load_run_config(args.config)
    args.run_dir = layout.run_directory(cfg, args.run_dir)
    if args.rerun or not (args.run_dir / layout.RESULTS).exists():
        # From a fresh clone: the quickstart run first. A finished run is used as it is (its
        # stage keys cover the code, so any edit of cosmossl would otherwise retrain it).
        run(cfg, run_dir=args.run_dir)
    bench = Path(args.bench)
    bench.mkdir(parents=True, exist_ok=True)
    single = sequential_setup(load_run(args.run_dir, device="cpu"), survey_size=1, seed=args.seed)
    theta, maps = observations(args.run_dir, single, args.observations, args.seed)
    if "fisher" in args.parts:
        fisher_part(bench, single, theta, args)
    if "surveys" in args.parts:
        for n in args.survey_sizes:
            survey_part(bench, theta, maps, n, args)
    if "report" in args.parts:
        results = {
            "benchmark": "sequential",
            "config": str(args.config),
            "budget": args.budget,
            "rounds": args.rounds,
            "base_surveys": args.base,
            "fisher": {
                "n_fiducial": args.n_fiducial,
                "n_derivative": args.n_derivative,
                "step": 0.005,
                "estimator": "debiased",
            },
            "aim": {"sigma_over_cramer_rao": 1 + AIM_SIGMA, "coverage_68": list(AIM_COVERAGE)},
            "machine": f"{platform.machine()}, shared by other jobs, 1 torch thread",
            "records": gather(bench, theta, single, args),
        }
        out = Path(args.out)
        write_json(out, results)
        write_text(out.with_suffix(".md"), markdown(results))
        print(markdown(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
