"""``cosmossl export RUN_DIR``: the run's trained summary as a standalone PyTorch/ONNX module."""

from __future__ import annotations

import argparse


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    from cosmossl.cli._common import command

    parser = command(
        subparsers,
        "export",
        run,
        help="write the trained summary as a module that plain PyTorch loads without cosmossl",
        description="Write the run's summary — input standardisation, encoder, D4 averaging "
        "when the run used it — as one module (TorchScript: torch.jit.load; or ONNX, with the "
        "optional extra: pip install 'cosmossl[onnx]'), checked against the run's own summary "
        "on maps it was not traced with, and encoder.json: input shape, channels, content, box "
        "size, parameter names, summary dimension, cosmossl version and the run's digest.",
    )
    parser.add_argument("run_dir", metavar="RUN_DIR", help="the run directory of a finished run")
    parser.add_argument("--out", metavar="DIR", help="output folder (default: RUN_DIR/export)")
    parser.add_argument(
        "--format",
        dest="fmt",
        choices=("torchscript", "onnx"),
        default="torchscript",
        help="module format (torchscript)",
    )


def run(args: argparse.Namespace) -> int:
    from cosmossl.job.export import export

    result = export(args.run_dir, out=args.out, fmt=args.fmt)
    d = result.description
    shape = "×".join(str(n) for n in d["input"]["shape"][1:])
    print(f"wrote {result.module} and {result.out_dir / 'encoder.json'}: maps [B, {shape}] "
          f"({d['input']['content'] or 'content unknown'}) → summaries [B, {d['summary_dim']}]; "
          f"matches the run's summary to {result.max_difference:.1g}")  # fmt: skip
    return 0
