"""``check_loss_distributed``: a loss under W processes (gloo, CPU) equals one process.

Each process gets its share of the groups; DDP averages the gradients over processes. The loss
is correct under DDP when that average equals the gradient of one process on the concatenated
batch, which needs the global-batch statistics of :func:`cosmossl.nn.gather_with_grad` (and
``cosmossl.nn`` batch norm with ``"sync"``) wherever the loss looks across the batch.
"""

from __future__ import annotations

import os
import pickle
import tempfile
import time
from pathlib import Path

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch.overrides import TorchFunctionMode

from cosmossl.nn.distributed import world_size as current_world_size
from cosmossl.testing.inputs import fail, first_difference, keeps_global_rngs
from cosmossl.testing.losses import LossCase, LossFactory


@keeps_global_rngs
def check_loss_distributed(
    loss_factory: LossFactory,
    *,
    world_size: int = 2,
    batch: int = 8,
    views: int = 2,
    map_shape: tuple[int, ...] = (1, 4, 4),
    summary_dim: int = 4,
    param_dim: int = 2,
    seed: int = 0,
    rtol: float = 1e-9,
    atol: float = 1e-10,
    timeout: float = 120.0,
) -> dict[str, torch.Tensor]:
    """Check that ``world_size`` processes give the loss and gradients of one process.

    ``loss_factory`` is called as in :func:`~cosmossl.testing.check_loss`, in fresh processes
    (spawned), so it must be picklable: the component class, or
    ``functools.partial(cosmossl.create, "loss", NAME, **params)`` for a registered one. The
    computation runs in float64 so that the comparison tests the maths, not round-off; a loss
    with dropout in its heads cannot pass (each process draws its own). Takes a few seconds
    (starting the processes). Returns the one-process loss and gradients.
    """
    __tracebackhide__ = True
    case = LossCase(batch, views, map_shape, summary_dim, param_dim, seed)
    what = f"loss factory {loss_factory!r}"
    if batch % world_size:
        raise ValueError(f"batch ({batch}) must be a multiple of world_size ({world_size})")
    try:
        pickle.dumps(loss_factory)
    except Exception as exc:
        fail(
            what,
            f"cannot be sent to other processes ({exc}): pass the component class or "
            "functools.partial(cosmossl.create, 'loss', NAME), not a lambda or local function",
        )
    with LowerPrecision() as precision:
        single = gradients(loss_factory, case, slice(0, batch))
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "rank0.pt"
        _spawn(loss_factory, case, world_size, Path(folder), timeout, what)
        double = torch.load(out, weights_only=True)
    _compare(what, single, double, world_size, rtol, atol, precision.first)
    return single


class LowerPrecision(TorchFunctionMode):
    """Watches a float64 computation for the first operation that makes a floating tensor of
    lower precision (``z.float()``, ``.to(torch.float32)``, a float32 constant)."""

    def __init__(self) -> None:
        super().__init__()
        self.first: tuple[str, torch.dtype] | None = None

    def __torch_function__(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
        out = func(*args, **(kwargs or {}))
        if self.first is None:
            for value in out if isinstance(out, tuple | list) else (out,):
                if isinstance(value, torch.Tensor) and value.dtype in _LOWER:
                    self.first = (_operation(func), value.dtype)
                    break
        return out


_LOWER = (torch.float32, torch.float16, torch.bfloat16)


def _operation(func: object) -> str:
    """``Tensor.float`` for a tensor method, ``torch.matmul`` for a function."""
    name = getattr(func, "__name__", str(func))
    return f"Tensor.{name}" if "Tensor" in getattr(func, "__qualname__", "") else f"torch.{name}"


def gradients(factory: LossFactory, case: LossCase, rows: slice) -> dict[str, torch.Tensor]:
    """The loss (mean over processes) and the parameter gradients (averaged over processes, as
    DDP does) of this process's ``rows`` of the case's batch, in float64."""
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        loss, encoder = case.build(factory)
        views, theta = case.inputs(torch.float64)
        torch.manual_seed(case.seed + 3)
        out = loss(encoder, views[rows], theta[rows])
        out.loss.backward()
        result = {"loss": _average(out.loss.detach())}
        named = [*(("encoder." + n, p) for n, p in encoder.named_parameters()),
                 *(("loss." + n, p) for n, p in loss.named_parameters())]  # fmt: skip
        for name, p in named:
            if p.grad is not None:
                result[f"grad {name}"] = _average(p.grad)
        return result
    finally:
        torch.set_default_dtype(default)


def _average(x: torch.Tensor) -> torch.Tensor:
    if current_world_size() > 1:
        x = x.clone()
        dist.all_reduce(x)
        x /= current_world_size()
    return x


def _spawn(
    factory: LossFactory, case: LossCase, world: int, folder: Path, timeout: float, what: str
) -> None:
    __tracebackhide__ = True
    context = mp.start_processes(
        _worker,
        args=(world, factory, case, str(folder)),
        nprocs=world,
        join=False,
        start_method="spawn",
    )
    deadline = time.monotonic() + timeout
    try:
        while not context.join(timeout=1.0):
            if time.monotonic() > deadline:
                for process in context.processes:
                    if process.is_alive():
                        process.terminate()
                fail(
                    what,
                    f"{world} processes did not finish within {timeout:g} s: does every process "
                    "call the same collectives (gather_with_grad, all_reduce) in the same order?",
                )
    except mp.ProcessRaisedException as exc:
        error = str(exc).strip().splitlines()[-1]
        fail(what, f"failed under {world} processes: {error}")


def _worker(rank: int, world: int, factory: LossFactory, case: LossCase, folder: str) -> None:
    torch.set_num_threads(1)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    dist.init_process_group(
        "gloo", init_method=f"file://{folder}/store", rank=rank, world_size=world
    )
    try:
        share = case.batch // world
        result = gradients(factory, case, slice(rank * share, (rank + 1) * share))
        if rank == 0:
            torch.save(result, f"{folder}/rank0.pt")
    finally:
        dist.destroy_process_group()


def _compare(
    what: str,
    single: dict[str, torch.Tensor],
    double: dict[str, torch.Tensor],
    world: int,
    rtol: float,
    atol: float,
    lower: tuple[str, torch.dtype] | None = None,
) -> None:
    __tracebackhide__ = True
    if set(single) != set(double):
        missing = sorted(set(single) ^ set(double))
        fail(what, f"one and {world} processes give gradients for different parameters: {missing}")
    for key, value in single.items():
        other = double[key]
        if not torch.allclose(other, value, rtol=rtol, atol=atol) and lower is not None:
            op, dtype = lower
            fail(
                what,
                f"{key} differs between 1 process and {world} processes "
                f"({first_difference(other, value)}), and the loss computes in "
                f"{str(dtype).removeprefix('torch.')} (first in {op}) although its inputs are "
                "float64: the check compares in float64, so the difference is that dtype's "
                "round-off, not a batch statistic. Keep the dtype of the inputs (drop casts "
                "such as z.float(); cosmossl.nn.full_precision upcasts only half precision)",
            )
        if not torch.allclose(other, value, rtol=rtol, atol=atol):
            fail(
                what,
                f"{key} differs between 1 process and {world} processes "
                f"({first_difference(other, value)}): statistics over the batch must cover the "
                "global batch; gather embeddings with cosmossl.nn.gather_with_grad and use "
                "batch_norm='sync' heads",
            )
