"""Every loss under 2 processes (gloo, CPU) equals 1 process on the concatenated batch.

Each rank gets half of the groups; its gradients are averaged over ranks as DDP does. Loss values
are compared as the mean over ranks (what DDP's gradient is the gradient of).
"""

from __future__ import annotations

import os
import socket

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import nn

from cosmossl.nn.distributed import gather_with_grad, rank, world_size
from cosmossl_plugins.losses.barlow import BarlowTwins, barlow_twins_loss
from cosmossl_plugins.losses.byol import BYOL
from cosmossl_plugins.losses.simclr import SimCLR, nt_xent_loss
from cosmossl_plugins.losses.supervised import Supervised
from cosmossl_plugins.losses.vicreg import VICReg, vicreg_loss, vicreg_multiview_loss

B, V, D = 8, 2, 4  # global batch of groups, views per group, summary size
PURE = {
    "vicreg_loss": lambda a, b: vicreg_loss(a, b)[0],
    "vicreg_3_views": lambda a, b: vicreg_multiview_loss([a, b, a * b])[0],
    "nt_xent_loss": lambda a, b: nt_xent_loss(a, b, temperature=0.1)[0],
    "barlow_twins_loss": lambda a, b: barlow_twins_loss(a, b)[0],
}
COMPONENTS = {
    "vicreg": VICReg,
    "simclr": SimCLR,
    "barlow": BarlowTwins,
    "byol": BYOL,
    "supervised": Supervised,
}


def _data() -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    return {
        "z_a": torch.randn(B, 6, generator=g),
        "z_b": torch.randn(B, 6, generator=g),
        "views": torch.randn(B, 3, 1, 4, 4, generator=g),
        "theta": torch.randn(B, 2, generator=g),
    }


def _encoder() -> nn.Module:
    torch.manual_seed(1)  # no batch norm: its per-process statistics are a separate choice
    return nn.Sequential(nn.Flatten(), nn.Linear(16, 8), nn.Tanh(), nn.Linear(8, D))


def _average(x: torch.Tensor) -> torch.Tensor:
    if world_size() > 1:
        x = x.clone()
        dist.all_reduce(x)
        x /= world_size()
    return x


def _run_all(rows: slice) -> dict[str, torch.Tensor]:
    """Loss values and (rank-averaged) gradients of every loss on the rows of this process.

    Runs in float64 so that the comparison tests the maths, not float32 round-off through batch
    norm (which reaches ~1e-5 on these gradients).
    """
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        return _run_all_float64(rows)
    finally:
        torch.set_default_dtype(default)


def _run_all_float64(rows: slice) -> dict[str, torch.Tensor]:
    data = _data()
    out: dict[str, torch.Tensor] = {}
    for name, fn in PURE.items():
        a = data["z_a"][rows].clone().requires_grad_(True)
        b = data["z_b"][rows].clone().requires_grad_(True)
        loss = fn(a, b)
        loss.backward()
        out[f"{name}/loss"] = _average(loss.detach())
        out[f"{name}/grad_a"] = _gather_rows(a.grad)
        out[f"{name}/grad_b"] = _gather_rows(b.grad)
    for name, cls in COMPONENTS.items():
        encoder = _encoder()
        torch.manual_seed(2)
        loss_module = cls(summary_dim=D, param_dim=2)
        views = data["views"][rows, : 3 if name == "vicreg" else V]
        output = loss_module(encoder, views, theta=data["theta"][rows])
        output.loss.backward()
        out[f"{name}/loss"] = _average(output.loss.detach())
        params = [*encoder.named_parameters(), *loss_module.named_parameters()]
        for pname, p in params:
            if p.grad is not None:
                out[f"{name}/grad/{pname}"] = _average(p.grad)
    return out


def _gather_rows(grad: torch.Tensor) -> torch.Tensor:
    # Gradients w.r.t. the inputs of each rank, rescaled by 1/W as DDP's averaging does, then
    # concatenated to compare with the single-process gradient of the full batch.
    grad = grad / world_size()
    if world_size() == 1:
        return grad
    parts = [torch.empty_like(grad) for _ in range(world_size())]
    dist.all_gather(parts, grad.contiguous())
    return torch.cat(parts)


def _worker(process_rank: int, world: int, port: int, path: str) -> None:
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = str(port)
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=process_rank, world_size=world)
    try:
        per_rank = B // world
        result = _run_all(slice(process_rank * per_rank, (process_rank + 1) * per_rank))
        if rank() == 0:
            torch.save(result, path)
    finally:
        dist.destroy_process_group()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> tuple[dict, dict]:
    path = str(tmp_path_factory.mktemp("ddp") / "rank0.pt")
    mp.spawn(_worker, args=(2, _free_port(), path), nprocs=2, join=True)
    return _run_all(slice(0, B)), torch.load(path)


@pytest.mark.parametrize("name", [*PURE, *COMPONENTS])
def test_two_processes_match_one_process(results, name):
    single, double = results
    keys = [k for k in single if k.startswith(f"{name}/")]
    assert len(keys) >= 2 and set(keys) == {k for k in double if k.startswith(f"{name}/")}
    for key in keys:
        torch.testing.assert_close(
            double[key], single[key], rtol=1e-9, atol=1e-10, msg=lambda m, key=key: f"{key}: {m}"
        )


def test_gather_with_grad_is_identity_in_one_process():
    x = torch.randn(3, 2)
    assert gather_with_grad(x) is x
    assert (rank(), world_size()) == (0, 1)
