"""Distributed helpers that also work in a single process without ``torch.distributed``.

Losses that need global-batch statistics (VICReg's variance and covariance, SimCLR's negatives,
Barlow Twins' batch norm and cross-correlation) gather embeddings from all processes with
:func:`gather_with_grad`. Its backward pass sums the incoming gradients over processes and returns
this process's slice, so that after DDP averages gradients over the W processes the result equals
the single-process gradient on the concatenated global batch.
"""

from __future__ import annotations

import torch
import torch.distributed as dist


def is_distributed() -> bool:
    """Whether ``torch.distributed`` is available and initialised with more than one process."""
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def world_size() -> int:
    """Number of processes W (1 without an initialised process group)."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_world_size()
    return 1


def rank() -> int:
    """This process's rank (0 without an initialised process group)."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank()
    return 0


def is_main_process() -> bool:
    """Whether this is rank 0 (the process that writes files and logs)."""
    return rank() == 0


class _GatherWithGrad(torch.autograd.Function):
    """Forward ``all_gather``; backward ``all_reduce(sum)`` of the gradients, this rank's slice."""

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        ctx.batch = x.shape[0]
        # Every rank must pass the same batch size: all_gather needs equal shapes.
        parts = [torch.empty_like(x) for _ in range(dist.get_world_size())]
        dist.all_gather(parts, x.contiguous())
        return torch.cat(parts, dim=0)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        # Each rank's loss depends on every rank's slice: the gradient of the total (the sum of
        # the per-rank losses, which DDP then divides by W) w.r.t. our slice is the sum over ranks.
        grad = grad.contiguous()
        dist.all_reduce(grad, op=dist.ReduceOp.SUM)
        start = dist.get_rank() * ctx.batch
        return grad[start : start + ctx.batch]


def gather_with_grad(x: torch.Tensor) -> torch.Tensor:
    """Concatenate ``x`` ``[N, ...]`` from all processes into ``[N·W, ...]``, differentiably.

    Rows are ordered by rank. In a single process it returns ``x`` unchanged. All processes must
    pass tensors of the same shape.
    """
    if not is_distributed():
        return x
    return _GatherWithGrad.apply(x)


def all_reduce_mean(x: torch.Tensor) -> torch.Tensor:
    """Mean of a (detached) tensor over processes, for logging; ``x`` itself in one process."""
    if not is_distributed():
        return x
    x = x.detach().clone()
    dist.all_reduce(x, op=dist.ReduceOp.SUM)
    return x / dist.get_world_size()
