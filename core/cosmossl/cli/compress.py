"""``cosmossl compress CONFIG``: maps → summaries file (encoder output or a statistic)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from cosmossl.cli._common import add_run_dir, build_statistic, command, load_config, positive_int


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
    from cosmossl.data.hdf5 import file_format
    from cosmossl.data.summaries import FORMAT
    from cosmossl.job import run_dir as layout
    from cosmossl.job.plan import build_dataset

    config = load_config(args.config, "compress")
    dataset = build_dataset(config, "`cosmossl compress`")
    run_dir = layout.run_directory(config, args.run_dir)
    label = args.statistic or layout.ENCODER
    if args.out:
        out = layout.check_output_file(
            args.out,
            ours=lambda path: file_format(path) == FORMAT,
            what="cosmossl summaries file",
            flag="--out",
        )
        return _compress(args, config, dataset, run_dir, out)
    with layout.RunDirectory(run_dir) as directory:
        directory.claim(layout.summaries(label))
        directory.check_writable()
        return _compress(args, config, dataset, run_dir, directory.path(layout.summaries(label)))


def _compress(args: argparse.Namespace, config: Any, dataset: Any, run_dir: Path,
              out: Path) -> int:  # fmt: skip
    from cosmossl.components.dataset import Simulator
    from cosmossl.data.summaries import write_summaries
    from cosmossl.job import run_dir as layout
    from cosmossl.summaries.compress import check_maps_fit, compress, compress_statistic
    from cosmossl.training.checkpoint import load_checkpoint

    settings = config.settings
    checkpoint = None
    if not args.statistic:  # checked (every file of it) before the maps are read
        checkpoint = Path(args.checkpoint or run_dir / layout.BEST_CHECKPOINT)
        state = load_checkpoint(checkpoint).state
        trained_on = (state.get("encoder") or {}).get("input_shape")
        if isinstance(dataset, Simulator) and trained_on is not None:  # before simulating
            check_maps_fit(dataset.meta.shape, trained_on, f"checkpoint '{checkpoint}'",
                           f"the [dataset] of '{config.source}'")  # fmt: skip
    mapset = dataset.load(seed=settings.dataset_seed, progress=args.progress)
    options = {
        "batch_size": args.batch_size,
        "device": settings.device,
        "progress": args.progress,
        "provenance": {"config": config.source},
    }
    if args.statistic:
        statistic = build_statistic(config, args.statistic, mapset.meta)
        summaries = compress_statistic(mapset, statistic, name=args.statistic, **options)
    else:
        summaries = compress(mapset, checkpoint, **options)
    write_summaries(out, summaries)
    print(f"wrote {out}: {len(summaries)} summaries of dimension {summaries.summary_dim}")
    return 0
