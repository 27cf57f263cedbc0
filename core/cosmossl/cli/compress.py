"""``cosmossl compress CONFIG``: maps → summaries file (encoder output or a statistic)."""

from __future__ import annotations

import argparse
from pathlib import Path

from cosmossl.cli._common import (
    add_run_dir,
    build_dataset,
    build_statistic,
    command,
    load_config,
    positive_int,
)


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = command(
        subparsers,
        "compress",
        run,
        help="compress every map of the run's dataset into a summaries file",
        description="Run every map of the [dataset] through a trained encoder (its output, "
        "never the projector's) or through a hand-crafted statistic, and write the summaries "
        "with parameters, ids, split and provenance to an HDF5 summaries file.",
        config="run file (TOML)",
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--checkpoint",
        metavar="PATH",
        help="checkpoint folder (default: the best checkpoint of the run directory's training)",
    )
    source.add_argument(
        "--statistic",
        metavar="NAME",
        help="use a statistic component instead of an encoder, e.g. "
        "power-spectrum (parameters from [statistic] when it names it)",
    )
    add_run_dir(parser, "run directory")
    parser.add_argument(
        "--out",
        metavar="FILE",
        help="summaries file (default: <run_dir>/summaries/encoder.h5 or <statistic>.h5)",
    )
    parser.add_argument("--batch-size", type=positive_int, default=256, help="maps per batch (256)")


def run(args: argparse.Namespace) -> int:
    from cosmossl.data.summaries import write_summaries
    from cosmossl.job import run_dir as layout
    from cosmossl.summaries.compress import compress, compress_statistic

    config = load_config(args.config)
    settings = config.settings
    run_dir = layout.run_directory(config, args.run_dir)
    mapset = build_dataset(config, "compress").load(seed=settings.seed, progress=args.progress)
    options = {
        "batch_size": args.batch_size,
        "device": settings.device,
        "progress": args.progress,
        "provenance": {"config": config.source},
    }
    if args.statistic:
        statistic = build_statistic(config, args.statistic, mapset.meta)
        summaries = compress_statistic(mapset, statistic, name=args.statistic, **options)
        out = Path(args.out or run_dir / layout.summaries(args.statistic))
    else:
        checkpoint = Path(args.checkpoint or run_dir / layout.BEST_CHECKPOINT)
        summaries = compress(mapset, checkpoint, **options)
        out = Path(args.out or run_dir / layout.summaries(layout.ENCODER))
    write_summaries(out, summaries)
    print(f"wrote {out}: {len(summaries)} summaries of dimension {summaries.summary_dim}")
    return 0
