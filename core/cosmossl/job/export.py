"""``cosmossl export``: a run's trained summary as a standalone module that plain PyTorch (or an
ONNX runtime) loads without cosmossl.

The exported module is the whole summary, exactly as ``cosmossl compress`` computes it: the
input standardisation the encoder was trained with, the encoder, and its D4 averaging when the
run used ``symmetrize = "d4"`` (the summaries are the encoder's raw output: there is no output
standardisation; the run's posteriors standardise them themselves). It maps float32 maps
``[B, *input_shape]`` to summaries ``[B, D]`` for any batch size B.

Formats: ``torchscript`` (``summary.pt``, ``torch.jit.load``) and ``onnx`` (``summary.onnx``,
needs the optional extra ``pip install 'cosmossl[onnx]'``). Beside it, ``encoder.json`` says what
the module expects and where it comes from. Before anything is written, the exported module is
run on maps it was not traced with and compared with the summary it was made from.
"""

from __future__ import annotations

import json
import logging
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from cosmossl._util.digest import digest, file_digest
from cosmossl._util.files import atomic_folder, write_json
from cosmossl._version import __version__
from cosmossl.components.meta import MAP_CONTENTS
from cosmossl.data.standardize import Standardizer
from cosmossl.errors import DataError
from cosmossl.job import run_dir as layout
from cosmossl.job.run_dir import RunDirectory, check_output_folder
from cosmossl.job.trained_run import TrainedRun, prior_ranges
from cosmossl.training.checkpoint import STATE, WEIGHTS, load_encoder

FORMATS = {"torchscript": "summary.pt", "onnx": "summary.onnx"}
#: The description written beside the module.
DESCRIPTION = "encoder.json"
FORMAT = "cosmossl-exported-summary"
#: Largest difference between the exported module and the summary it was made from, per format
#: (an ONNX runtime may pick other float32 convolution algorithms than PyTorch).
TOLERANCE = {"torchscript": 1e-6, "onnx": 1e-4}


class Summary(nn.Module):
    """The summary of a trained encoder as one module: ``(maps − mean) / std`` → the encoder's
    :meth:`~cosmossl.Encoder.summarize` (its output, averaged over D4 when it says so)."""

    def __init__(self, encoder: nn.Module, standardizer: Standardizer) -> None:
        super().__init__()
        if standardizer.dim != 1:
            raise DataError("the input standardisation of a checkpoint is one mean and std")
        self.encoder = encoder
        self.register_buffer("mean", torch.tensor(float(standardizer.mean[0])))
        self.register_buffer("std", torch.tensor(float(standardizer.std[0])))

    def forward(self, maps: torch.Tensor) -> torch.Tensor:
        x = (maps - self.mean) / self.std
        summarize = getattr(self.encoder, "summarize", self.encoder)
        return summarize(x)


@dataclass
class ExportResult:
    out_dir: Path
    module: Path
    description: dict[str, Any]
    max_difference: float


def export(run_dir: str | Path, *, out: str | Path | None = None, fmt: str = "torchscript",
           seed: int = 0) -> ExportResult:  # fmt: skip
    """Export the trained summary of the run in ``run_dir`` (see the module docstring) into
    ``out`` (default ``run_dir/export``), replacing an earlier export there as a whole."""
    if fmt not in FORMATS:
        raise DataError(f"unknown export format '{fmt}'; choose {' or '.join(FORMATS)}")
    if fmt == "onnx":
        _check_onnx()
    run = TrainedRun(run_dir, device="cpu")
    if layout.ENCODER not in run.labels:
        raise DataError(f"'{run.root}' has no trained encoder with a posterior to export "
                        f"(its summaries: {', '.join(run.labels)})")  # fmt: skip
    checkpoint = run.root / layout.BEST_CHECKPOINT
    encoder, standardizer, ckpt = load_encoder(checkpoint)
    module = Summary(encoder.cpu(), standardizer).eval()
    meta = run.meta
    description = {
        "format": FORMAT,
        "version": 1,
        "module": FORMATS[fmt],
        "module_format": fmt,
        "load": (
            "torch.jit.load('summary.pt')"
            if fmt == "torchscript"
            else "onnxruntime.InferenceSession('summary.onnx')"
        ),
        "input": {
            "name": "maps",
            "shape": ["batch", *meta.shape],
            "dtype": "float32",
            "channels": meta.shape[0],
            "content": meta.content,
            "content_meaning": MAP_CONTENTS.get(meta.content or "", None),
            "box_size_mpc_h": meta.box_size,
            "periodic": meta.periodic,
        },
        "output": {"name": "summaries", "shape": ["batch", int(encoder.summary_dim)]},
        "summary_dim": int(encoder.summary_dim),
        "input_standardization": standardizer.to_dict(),
        "symmetrize": getattr(getattr(encoder, "params", None), "symmetrize", "none"),
        "output_standardization": None,
        "parameter_names": list(run.param_names),
        "param_labels": run.param_labels,
        "prior": prior_ranges(run.prior),
        "encoder": ckpt.state.get("encoder"),
        "checkpoint_step": ckpt.state.get("step"),
        "cosmossl_version": __version__,
        "torch_version": torch.__version__,
        "run_dir": str(run.root.resolve()),
        "run_digest": digest([file_digest(checkpoint / WEIGHTS), file_digest(checkpoint / STATE)]),
    }
    rng = np.random.default_rng(seed)
    example = torch.as_tensor(rng.standard_normal((2, *meta.shape)), dtype=torch.float32)
    check = torch.as_tensor(rng.standard_normal((3, *meta.shape)), dtype=torch.float32)
    if out is None:
        with RunDirectory(run.root, flag="RUN_DIR") as directory:
            directory.claim(layout.EXPORT)
            directory.check_writable()
            return _write(directory.path(layout.EXPORT), module, fmt, description, example, check)
    folder = check_output_folder(out, ours=lambda p: (p / DESCRIPTION).is_file(),
                                 what="cosmossl export", flag="--out")  # fmt: skip
    return _write(folder, module, fmt, description, example, check)


def _check_onnx() -> None:
    try:
        import onnx  # noqa: F401
        import onnxscript  # noqa: F401
    except ImportError as exc:
        raise DataError(
            f"ONNX export needs the onnx extra ({exc.name} is not installed): "
            "pip install 'cosmossl[onnx]' (or pip install onnx onnxscript)"
        ) from None


@torch.no_grad()
def _write(folder: Path, module: nn.Module, fmt: str, description: dict[str, Any],
           example: torch.Tensor, check: torch.Tensor) -> ExportResult:  # fmt: skip
    expected = module(check)
    with atomic_folder(folder) as staging:
        path = staging / FORMATS[fmt]
        with warnings.catch_warnings():
            # torch.jit is deprecated in recent PyTorch, but what every version still loads.
            warnings.simplefilter("ignore", FutureWarning)
            # Shape checks (square maps for D4) are constants of the exported map shape.
            warnings.simplefilter("ignore", torch.jit.TracerWarning)
            if fmt == "torchscript":
                traced = torch.jit.trace(module, (example,), check_trace=False)
                torch.jit.save(traced, str(path))
                got = torch.jit.load(str(path))(check)
            else:
                got = _write_onnx(module, example, check, path)
        difference = float((got - expected).abs().max())
        if not difference <= TOLERANCE[fmt]:
            raise DataError(
                f"the exported {fmt} module differs from the run's summary by {difference:.3g} "
                f"(more than {TOLERANCE[fmt]:g}) on maps it was not traced with: this encoder "
                "cannot be exported in that format; please report it"
            )
        write_json(staging / DESCRIPTION, {**description, "verified_max_difference": difference})
    result = json.loads((folder / DESCRIPTION).read_text(encoding="utf-8"))
    return ExportResult(folder, folder / FORMATS[fmt], result, difference)


def _write_onnx(module: nn.Module, example: torch.Tensor, check: torch.Tensor,
                path: Path) -> torch.Tensor:  # fmt: skip
    import contextlib
    import io

    batch = torch.export.Dim("batch", min=1)
    # The exporter prints and logs its progress: keep the command's output its own.
    loggers = [logging.getLogger(name) for name in ("onnx_ir", "onnxscript", "torch.onnx")]
    levels = [logger.level for logger in loggers]
    try:
        for logger in loggers:
            logger.setLevel(logging.WARNING)
        with contextlib.redirect_stdout(io.StringIO()):
            torch.onnx.export(module, (example,), str(path), dynamo=True, external_data=False,
                              input_names=["maps"], output_names=["summaries"],
                              dynamic_shapes=({0: batch},))  # fmt: skip
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)
    try:
        import onnxruntime
    except ImportError:  # the file is checked, its numbers are not
        import onnx

        onnx.checker.check_model(onnx.load(str(path)))
        return module(check)
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return torch.as_tensor(session.run(None, {"maps": check.numpy()})[0])
