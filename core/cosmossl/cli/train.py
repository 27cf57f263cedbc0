"""``cosmossl train CONFIG``: train the run's encoder (also under ``torchrun`` for DDP)."""

from __future__ import annotations

import argparse

from cosmossl.cli._common import add_run_dir, command, positive_int


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = command(
        subparsers,
        "train",
        run,
        help="train the run's encoder with its SSL loss",
        description="Train the [encoder] with the [loss] on the [dataset]'s training split, "
        "using the [train] settings. Writes checkpoints/{best,last}, metrics.jsonl and "
        "tensorboard/ into the run directory. Under torchrun (`torchrun --nproc_per_node N -m "
        "cosmossl train CONFIG`) it trains with DDP; see docs/distributed.md.",
        config="run file (TOML)",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="continue the run in the run directory from its last checkpoint",
    )
    add_run_dir(parser)
    parser.add_argument(
        "--max-steps",
        type=positive_int,
        metavar="N",
        help="stop (resumably) once N optimiser steps were taken in total",
    )


def run(args: argparse.Namespace) -> int:
    from cosmossl.job.train import train

    result = train(
        args.config,
        args.run_dir,
        resume=args.resume,
        progress=args.progress,
        stop_after_steps=args.max_steps,
    )
    if result.rank == 0:  # the process group is closed by now: ask the result
        how = (
            "stopped early"
            if result.stopped_early
            else "interrupted (resume with --resume)"
            if result.interrupted
            else "finished"
        )
        best = "n/a" if result.best_val_loss is None else f"{result.best_val_loss:.6g}"
        print(
            f"training {how}: {result.epochs} epochs, {result.steps} steps; best validation "
            f"loss {best} (epoch {result.best_epoch})"
        )
        print(f"best checkpoint: {result.checkpoint} (epoch {result.checkpoint_epoch})")
    return 0
