"""``cosmossl compare CONFIG``: SSL losses and baselines head-to-head."""

from __future__ import annotations

import argparse

from cosmossl.cli._common import add_force, command


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = command(
        subparsers,
        "compare",
        run,
        help="compare SSL losses and baselines on the same data, encoder, budget and seeds",
        description="Run each entry of the run file's [compare] table (losses and baselines) "
        "with each seed, then write compare.md/.html/.csv/.json and compare.png.",
        config="run file (TOML) with a [compare] table",
    )
    parser.add_argument("--out", help="output folder (default: the run file's run_dir)")
    add_force(parser, "every stage of every entry")


def run(args: argparse.Namespace) -> int:
    from cosmossl.job.compare import compare

    result = compare(args.config, out_dir=args.out, progress=args.progress, force=args.force)
    print(f"{'entry':<16}{'FoM fraction':>16}{'test NLL':>16}{'coverage err':>16}")
    for row in result.table:
        cells = [_pm(row, k) for k in ("fom_fraction", "nll", "coverage_error")]
        print(f"{row['entry']:<16}" + "".join(f"{c:>16}" for c in cells))
    _print_paired(result.paired, [row["entry"] for row in result.table])
    for row in result.table:
        for name, metrics in _robustness(row).items():
            shifts = ", ".join(
                f"{m[6:]} {v:+.2f}σ" for m, v in metrics.items() if m.startswith("shift_")
            )
            print(f"{row['entry']} under {name}: bias shift {shifts}; "
                  f"FoM kept {metrics.get('fom_kept', float('nan')):.3f}")  # fmt: skip
    print(f"written: {', '.join(str(p) for p in result.files)}")
    return 0


def _robustness(row: dict) -> dict[str, dict[str, float]]:
    """``{contamination: {metric: mean over seeds}}`` of a comparison row."""
    from cosmossl.job.report.labels import is_spread
    from cosmossl.job.results import ROBUST

    out: dict[str, dict[str, float]] = {}
    for key, value in row.items():
        if key.startswith(ROBUST) and not is_spread(key):
            name, metric = key.removeprefix(ROBUST).rsplit(":", 1)
            out.setdefault(name, {})[metric] = value
    return out


def _pm(row: dict, key: str) -> str:
    """``mean±standard error``, or the value alone when there is no spread (a single seed)."""
    if key not in row:
        return "–"
    se = row.get(f"{key}_se")
    return f"{row[key]:.3f}" if se is None else f"{row[key]:.3f}±{se:.3f}"


def _print_paired(paired: dict[str, list[dict]], names: list[str]) -> None:
    """Each pair of entries once (earlier − later): the paired differences of the headline
    metrics, mean ± standard error over seeds."""
    from cosmossl.job.report.labels import label

    if not paired:
        return
    print("paired differences (same seed and split; mean ± standard error over seeds):")
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            cells = []
            for key, entries in paired.items():
                p = next((p for p in entries if (p["a"], p["b"]) == (a, b)), None)
                if p is not None:
                    spread = "" if p["se"] is None else f" ± {p['se']:.3f}"
                    cells.append(f"{label(key)} {p['mean']:+.3f}{spread}")
            if cells:
                print(f"  {f'{a} − {b}':<32}" + "   ".join(cells))
