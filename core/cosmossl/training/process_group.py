"""Joining a ``torchrun`` process group."""

from __future__ import annotations

import os

import torch
import torch.distributed as dist


def join_process_group(device: torch.device) -> bool:
    """Initialise ``torch.distributed`` from torchrun's environment; ``True`` if we did.

    NCCL on GPUs, gloo on CPU. Does nothing in a single process (no ``WORLD_SIZE`` > 1) or when
    the caller already initialised a group.
    """
    if dist.is_initialized() or int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return False
    if device.type == "cuda":
        torch.cuda.set_device(device)
    dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    return True
