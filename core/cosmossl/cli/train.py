"""``cosmossl train CONFIG``: train the run's encoder (also under ``torchrun`` for DDP)."""

from __future__ import annotations

import argparse


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "train",
        help="train the run's encoder with its SSL loss",
        description="Train the [encoder] with the [loss] on the [dataset]'s training split, "
        "using the [train] settings. Writes checkpoints/{best,last}, metrics.jsonl and "
        "tensorboard/ into the run directory. Under torchrun (`torchrun --nproc_per_node N -m "
        "cosmossl train CONFIG`) it trains with DDP; see docs/distributed.md.",
    )
    parser.add_argument("config", help="run file (TOML)")
    parser.add_argument(
        "--resume",
        action="store_true",
        help="continue the run in the run directory from checkpoints/last",
    )
    parser.add_argument("--run-dir", help="output folder (default: the run file's run_dir)")
    parser.add_argument(
        "--max-steps",
        type=int,
        metavar="N",
        help="stop (resumably) once N optimiser steps were taken in total",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from cosmossl.training import train

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
        print(f"best checkpoint: {result.checkpoint}")
    return 0
