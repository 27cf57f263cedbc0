"""Checkpoints: weights in safetensors, optimiser state in a weights-only torch file, run state
in JSON, each written atomically.

A checkpoint is a folder (``checkpoints/last`` or ``checkpoints/best`` of a run)::

    weights.safetensors   encoder.*, loss.* (heads, EMA target), input.mean/std, rng.*
    optimizer.pt          AdamW state, loadable with torch.load(weights_only=True)
    state.json            epoch, step, best validation loss, schedule state, config hash, the
                          encoder's name and parameters (to rebuild it without the run file)

``state.json`` is written last and names the step the other two files hold, so a crash while
saving never leaves a checkpoint that mixes two steps silently.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from cosmossl._util.files import atomic_write, write_json
from cosmossl.data.standardize import Standardizer
from cosmossl.errors import DataError

FORMAT = "cosmossl-checkpoint"
WEIGHTS, OPTIMIZER, STATE = "weights.safetensors", "optimizer.pt", "state.json"
#: Prefix of the input standardisation statistics among the checkpoint tensors.
INPUT_PREFIX = "input."


@dataclass
class Checkpoint:
    """A loaded checkpoint: tensors by prefix, the optimiser state (if any), the run state."""

    path: Path
    tensors: dict[str, torch.Tensor]
    state: dict[str, Any]
    optimizer: dict[str, Any] | None = None

    def part(self, prefix: str) -> dict[str, torch.Tensor]:
        """The tensors under ``prefix.`` with the prefix removed (a module's state dict)."""
        head = prefix + "."
        return {k[len(head) :]: v for k, v in self.tensors.items() if k.startswith(head)}

    @property
    def standardizer(self) -> Standardizer:
        return Standardizer.from_tensors(self.tensors, INPUT_PREFIX)


def save_checkpoint(
    folder: Path,
    *,
    tensors: dict[str, torch.Tensor],
    state: dict[str, Any],
    optimizer: dict[str, Any] | None = None,
) -> None:
    """Write a checkpoint folder; ``state['step']`` ties the three files together."""
    step = str(state["step"])
    flat = {k: v.detach().to("cpu").contiguous() for k, v in tensors.items()}
    atomic_write(
        folder / WEIGHTS,
        lambda tmp: save_file(flat, str(tmp), metadata={"format": FORMAT, "step": step}),
    )
    if optimizer is not None:
        atomic_write(folder / OPTIMIZER, lambda tmp: torch.save({"step": step, **optimizer}, tmp))
    write_json(folder / STATE, {"format": FORMAT, **state})


def load_checkpoint(path: str | Path, *, with_optimizer: bool = False) -> Checkpoint:
    """Read a checkpoint folder (or its ``weights.safetensors``); never unpickles objects."""
    folder = Path(path)
    if folder.name == WEIGHTS:
        folder = folder.parent
    if not (folder / STATE).is_file() or not (folder / WEIGHTS).is_file():
        raise DataError(
            f"'{path}' is not a cosmossl checkpoint (expected a folder with {WEIGHTS} and "
            f"{STATE}, e.g. runs/<name>/checkpoints/best)"
        )
    try:
        state = json.loads((folder / STATE).read_text(encoding="utf-8"))
    except ValueError as exc:
        raise DataError(f"'{folder / STATE}': malformed JSON: {exc}") from None
    from safetensors import safe_open

    with safe_open(str(folder / WEIGHTS), framework="pt") as f:
        metadata = f.metadata() or {}
    if metadata.get("format") != FORMAT or metadata.get("step") != str(state.get("step")):
        raise DataError(
            f"checkpoint '{folder}' is inconsistent: weights hold step {metadata.get('step')}, "
            f"state.json says step {state.get('step')} (interrupted while saving?)"
        )
    optimizer = None
    if with_optimizer:
        optimizer = torch.load(folder / OPTIMIZER, map_location="cpu", weights_only=True)
        if str(optimizer.get("step")) != str(state["step"]):
            raise DataError(f"checkpoint '{folder}': optimizer.pt is from another step")
    return Checkpoint(folder, load_file(str(folder / WEIGHTS)), state, optimizer)


def load_encoder(
    path: str | Path,
    *,
    encoder: torch.nn.Module | None = None,
    registry: Any = None,
) -> tuple[torch.nn.Module, Standardizer, Checkpoint]:
    """The trained encoder of a checkpoint (in eval mode), its input standardiser, the checkpoint.

    The encoder is rebuilt from the name and parameters stored in ``state.json`` through the
    component registry; pass ``encoder`` to load the weights into a module you built yourself.
    Only the encoder is loaded: summaries are its output, never a projector's.
    """
    ckpt = load_checkpoint(path)
    if encoder is None:
        spec = ckpt.state.get("encoder") or {}
        if not spec.get("type"):
            raise DataError(
                f"checkpoint '{ckpt.path}' does not name a registered encoder (it was trained "
                "with a module built outside the registry): pass encoder=<module> to load it"
            )
        from cosmossl.plugin.factory import create

        encoder = create(
            "encoder",
            spec["type"],
            registry=registry,
            input_shape=tuple(spec["input_shape"]),
            **spec["params"],
        )
    encoder.load_state_dict(ckpt.part("encoder"))
    encoder.eval()
    return encoder, ckpt.standardizer, ckpt
