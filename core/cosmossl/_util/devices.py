"""Choosing the torch device: ``"auto"`` means CUDA when present, else CPU."""

from __future__ import annotations

import os

import torch

from cosmossl.errors import ConfigError


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """``"auto"`` → CUDA when present, else CPU; under torchrun ``"cuda"`` is the GPU of
    ``LOCAL_RANK``. Unknown names and CUDA without a GPU are a :class:`ConfigError`."""
    if isinstance(device, torch.device):
        return device
    if device not in {"auto", "cpu", "cuda"} and not device.startswith("cuda:"):
        raise ConfigError(f"device = '{device}': use 'auto', 'cpu', 'cuda' or 'cuda:<index>'")
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"device = '{device}' but CUDA is not available; use 'auto' or 'cpu'")
    if device == "cuda":
        device = f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}"
    return torch.device(device)
