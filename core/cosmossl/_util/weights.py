"""Reading tensor files (safetensors, weights-only torch files) with errors that name the file.

A zero-byte, truncated or foreign file is a :class:`~cosmossl.errors.DataError` saying which
file and what to do, never a traceback from the library; nothing is ever unpickled.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from cosmossl.errors import DataError, reading


def read_safetensors(path: str | Path, what: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The tensors (on the CPU) and the metadata of a safetensors file; ``what`` names the file
    in messages (e.g. ``"checkpoint 'runs/x/train/checkpoints/best'"``)."""
    from safetensors import SafetensorError, safe_open
    from safetensors.torch import load_file

    path = Path(path)
    with reading(path):
        try:
            with safe_open(str(path), framework="pt") as f:
                metadata = f.metadata() or {}
            return load_file(str(path), device="cpu"), metadata
        except (SafetensorError, ValueError, RuntimeError) as exc:
            raise DataError(
                f"{what}: '{path}' is not a readable safetensors file ({exc}); it is damaged or "
                "was not written by cosmossl"
            ) from None


def read_torch_state(path: str | Path, what: str) -> Any:
    """A torch file loaded with ``weights_only=True`` (tensors and plain containers only)."""
    import pickle

    import torch

    path = Path(path)
    with reading(path), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's notes on pickle protocols
        try:
            return torch.load(path, map_location="cpu", weights_only=True)
        except (pickle.UnpicklingError, EOFError, RuntimeError, ValueError, AttributeError) as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise DataError(
                f"{what}: '{path}' is not a weights-only torch file ({reason[:120]}); cosmossl "
                "never unpickles objects: it is damaged or was not written by cosmossl"
            ) from None
