"""Checkpoints: weights in safetensors, optimiser state in a weights-only torch file, run state
in JSON, each written atomically.

A checkpoint is a folder (``checkpoints/last`` or ``checkpoints/best`` of a run)::

    weights.safetensors   encoder.*, loss.* (heads, EMA target), input.mean/std, rng.*
    optimizer.pt          AdamW state, loadable with torch.load(weights_only=True)
    state.json            epoch, step, best validation loss, schedule state, config hash, the
                          encoder's name and parameters (to rebuild it without the run file)

A checkpoint is written as a whole into a temporary folder and then swapped in
(:func:`~cosmossl._util.files.atomic_folder`): the previous checkpoint stays until the new one
is complete, so a crash while saving leaves the old checkpoint or the new one, never half of
each (after a crash between the two renames, the previous one is found as
``.last.previous`` and used). ``state.json`` also names the step the other two files hold,
which :func:`load_checkpoint` checks.
"""

from __future__ import annotations

import io
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save_file

from cosmossl._util.files import atomic_folder, previous_folder
from cosmossl._util.weights import read_safetensors, read_torch_state
from cosmossl.data.standardize import Standardizer
from cosmossl.errors import ConfigError, DataError, reading

log = logging.getLogger("cosmossl.training")

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
    """Write a checkpoint folder as a unit (see the module docstring); ``state['step']`` ties
    the three files together."""
    step = str(state["step"])
    flat = {k: v.detach().to("cpu").contiguous() for k, v in tensors.items()}
    with atomic_folder(folder) as staging:
        save_file(flat, str(staging / WEIGHTS), metadata={"format": FORMAT, "step": step})
        if optimizer is not None:
            # torch.save reports a failed write (a full disk) without its cause: serialise in
            # memory and let a plain write raise the OSError that names it.
            buffer = io.BytesIO()
            torch.save({"step": step, **optimizer}, buffer)
            (staging / OPTIMIZER).write_bytes(buffer.getbuffer())
        text = json.dumps({"format": FORMAT, **state}, indent=2)
        (staging / STATE).write_text(text + "\n", encoding="utf-8")


def is_checkpoint(folder: Path) -> bool:
    """Whether ``folder`` holds a checkpoint's files."""
    return (folder / STATE).is_file() and (folder / WEIGHTS).is_file()


def find_checkpoint(path: str | Path) -> Path | None:
    """The complete checkpoint at ``path``: the folder itself, or the previous version kept
    during a swap that a crash interrupted; ``None`` if there is neither."""
    folder = Path(path)
    if folder.name == WEIGHTS:
        folder = folder.parent
    if is_checkpoint(folder):
        return folder
    previous = previous_folder(folder)
    if not folder.exists() and is_checkpoint(previous):
        log.warning("checkpoint '%s' was being replaced when its writer stopped: using the "
                    "previous one", folder)  # fmt: skip
        return previous
    return None


def load_checkpoint(path: str | Path, *, with_optimizer: bool = False) -> Checkpoint:
    """Read a checkpoint folder (or its ``weights.safetensors``); never unpickles objects.

    Every file is checked: a missing, damaged or foreign file, or files of different steps, is
    a :class:`~cosmossl.DataError` naming the checkpoint.
    """
    folder = find_checkpoint(path)
    if folder is None:
        raise DataError(
            f"'{path}' is not a cosmossl checkpoint (expected a folder with {WEIGHTS} and "
            f"{STATE}, e.g. runs/<name>/train/checkpoints/best)"
        )
    what = f"checkpoint '{folder}'"
    try:
        with reading(folder / STATE):
            state = json.loads((folder / STATE).read_text(encoding="utf-8"))
    except ValueError as exc:  # UnicodeDecodeError included
        raise DataError(f"'{folder / STATE}': malformed JSON: {exc}") from None
    if not isinstance(state, dict) or "step" not in state:
        raise DataError(f"'{folder / STATE}' is not the state of a cosmossl checkpoint (no step)")
    tensors, metadata = read_safetensors(folder / WEIGHTS, what)
    if metadata.get("format") != FORMAT or metadata.get("step") != str(state.get("step")):
        raise DataError(
            f"{what} is inconsistent: weights hold step {metadata.get('step')}, "
            f"state.json says step {state.get('step')}; it was not written as one checkpoint"
        )
    optimizer = None
    if with_optimizer:
        if not (folder / OPTIMIZER).is_file():
            raise DataError(f"{what} has no {OPTIMIZER}: it cannot be resumed")
        optimizer = read_torch_state(folder / OPTIMIZER, what)
        if not isinstance(optimizer, dict) or "optimizer" not in optimizer:
            raise DataError(f"{what}: {OPTIMIZER} holds no optimiser state")
        if str(optimizer.get("step")) != str(state["step"]):
            raise DataError(f"{what}: {OPTIMIZER} is from another step")
    return Checkpoint(folder, tensors, state, optimizer)


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
        if not isinstance(spec, dict) or not spec.get("type"):
            raise DataError(
                f"checkpoint '{ckpt.path}' does not name a registered encoder (it was trained "
                "with a module built outside the registry): pass encoder=<module> to load it"
            )
        from cosmossl.plugin.factory import create

        try:
            encoder = create(
                "encoder",
                spec["type"],
                registry=registry,
                input_shape=tuple(spec["input_shape"]),
                **spec["params"],
            )
        except (KeyError, TypeError, ConfigError) as exc:
            raise DataError(f"checkpoint '{ckpt.path}': state.json describes no encoder that "
                            f"can be rebuilt ({type(exc).__name__}: {exc})") from None  # fmt: skip
    load_state(encoder, ckpt.part("encoder"), f"checkpoint '{ckpt.path}'", "encoder")
    encoder.eval()
    return encoder, ckpt.standardizer, ckpt


def load_state(module: Any, state: dict[str, Any], what: str, part: str) -> None:
    """``module.load_state_dict(state)``, with a mismatch reported as a :class:`DataError`."""
    try:
        module.load_state_dict(state)
    except (RuntimeError, ValueError, KeyError) as exc:
        first = str(exc).strip().splitlines()[0][:300]
        raise DataError(
            f"{what}: its {part} weights do not match the {part} described in state.json "
            f"({first}); the checkpoint is damaged or its files come from different runs"
        ) from None
