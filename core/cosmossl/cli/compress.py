"""``cosmossl compress CONFIG``: maps → summaries file (encoder output or a statistic)."""

from __future__ import annotations

import argparse
from pathlib import Path

from cosmossl.errors import ConfigError


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "compress",
        help="compress every map of the run's dataset into a summaries file",
        description="Run every map of the [dataset] through a trained encoder (its output, "
        "never the projector's) or through a hand-crafted statistic, and write the summaries "
        "with parameters, ids, split and provenance to an HDF5 summaries file.",
    )
    parser.add_argument("config", help="run file (TOML)")
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--checkpoint",
        metavar="PATH",
        help="checkpoint folder (default: <run_dir>/train/checkpoints/best)",
    )
    source.add_argument(
        "--statistic",
        metavar="NAME",
        help="use a statistic component instead of an encoder, e.g. "
        "power-spectrum (parameters from [statistic] when it names it)",
    )
    parser.add_argument("--run-dir", help="run directory (default: the run file's run_dir)")
    parser.add_argument(
        "--out",
        metavar="FILE",
        help="summaries file (default: <run_dir>/summaries/encoder.h5 or <statistic>.h5)",
    )
    parser.add_argument("--batch-size", type=int, default=256, help="maps per batch (256)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from cosmossl.config.run_file import load_run_config
    from cosmossl.data.summaries import write_summaries
    from cosmossl.job import run_dir as layout
    from cosmossl.job.run_dir import run_directory
    from cosmossl.plugin.host import registry
    from cosmossl.training import compress, compress_statistic

    config = load_run_config(args.config)
    settings = config.settings
    run_dir = run_directory(config, args.run_dir)
    dataset = config.component("dataset")
    if dataset is None:
        raise ConfigError(f"{config.source}: compress needs a [dataset] table")
    mapset = (
        registry()
        .load("dataset", dataset.type)(dataset.params)
        .load(seed=settings.seed, progress=args.progress)
    )
    options = {
        "batch_size": args.batch_size,
        "device": settings.device,
        "progress": args.progress,
        "provenance": {"config": config.source},
    }
    if args.statistic:
        spec = config.component("statistic")
        params = spec.params if spec is not None and spec.type == args.statistic else None
        statistic = registry().load("statistic", args.statistic)(params, meta=mapset.meta)
        summaries = compress_statistic(mapset, statistic, name=args.statistic, **options)
        out = Path(args.out or run_dir / layout.summaries(args.statistic))
    else:
        checkpoint = Path(args.checkpoint or run_dir / layout.BEST_CHECKPOINT)
        summaries = compress(mapset, checkpoint, **options)
        out = Path(args.out or run_dir / layout.summaries(layout.ENCODER))
    write_summaries(out, summaries)
    print(f"wrote {out}: {len(summaries)} summaries of dimension {summaries.summary_dim}")
    return 0
