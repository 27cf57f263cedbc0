"""``cosmossl run CONFIG``: the main job (simulate/load → train → compress → infer → report)."""

from __future__ import annotations

import argparse

from cosmossl.cli._common import add_force, add_run_dir, command


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = command(
        subparsers,
        "run",
        run,
        help="the main job: data, training, compression, inference, information check, report",
        description="Run every stage of a run file into one run directory. Stages whose "
        "inputs are unchanged since a previous run are skipped; --force reruns them all.",
        config="run file (TOML)",
    )
    add_run_dir(parser)
    add_force(parser)


def run(args: argparse.Namespace) -> int:
    from cosmossl.information.check import noise_warning
    from cosmossl.job.report.run_report import run_prior
    from cosmossl.job.run import run as run_job

    result = run_job(args.config, run_dir=args.run_dir, progress=args.progress, force=args.force)
    ran = [name for name, did in result.ran.items() if did]
    skipped = [name for name, did in result.ran.items() if not did]
    print(f"run directory: {result.run_dir}")
    print(f"stages run: {', '.join(ran) or 'none'}; up to date: {', '.join(skipped) or 'none'}")
    if result.fisher:
        for label, entry in result.fisher["summaries"].items():
            low, high = entry.get("fom_fraction_interval") or (float("nan"), float("nan"))
            print(
                f"{label}: figure-of-merit fraction {entry['fom_fraction']:.3f} of the limit "
                f"(68% interval {low:.3f}–{high:.3f})"
            )
            if note := noise_warning(label, entry, result.fisher["n_derivative"]):
                print(f"warning: {note}")
    for label, metrics in result.metrics.items():
        print(
            f"{label}: test NLL {metrics['nll']:.3f}, coverage error "
            f"{metrics['coverage']['mean_abs_error']:.3f}"
        )
    prior = run_prior(result.metrics) or {}
    guessed = [f"{n} ∈ [{p['low']:.6g}, {p['high']:.6g}]" for n, p in prior.items()
               if p["source"] == "data"]  # fmt: skip
    if guessed:
        print(
            f"WARNING: the prior of {', '.join(guessed)} is the data's min–max (none was "
            "stated): the posteriors are wrong near its edges; state it as [dataset] priors"
        )
    for label, robustness in result.robustness.items():
        for name, m in robustness["contaminations"].items():
            biases = ", ".join(
                f"{param} {p['bias_sigma_clean']:+.2f} → {p['bias_sigma']:+.2f}σ"
                for param, p in m["params"].items()
            )
            print(f"{label} under {name}: bias {biases}; FoM kept {m['fom_kept']:.3f}")
    print(f"report: {result.report} (and report.html)")
    return 0
