"""DDP training: 2 CPU processes (gloo) end with the weights of 1 process on one global batch."""

from __future__ import annotations

import os
import socket

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from support.training import TinyLoss, tiny_mapset

import cosmossl
from cosmossl import TrainSettings
from cosmossl.training import load_checkpoint, train_components

SETTINGS = TrainSettings(epochs=2, batch_size=4, lr=1e-2, tensorboard=False, log_every=1)


def _components():
    mapset = tiny_mapset(n_groups=16)  # 4 val groups: one val batch that 2 processes can share
    torch.manual_seed(0)
    # No dropout and no batch norm: with both, each process would draw/normalise its own share.
    encoder = cosmossl.create(
        "encoder", "mlp", summary_dim=4, hidden=[16], input_shape=mapset.meta.shape
    )
    return mapset, encoder, TinyLoss(summary_dim=4, param_dim=2)


def _worker(rank: int, world: int, port: int, run_dir: str) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=world)
    try:
        mapset, encoder, loss = _components()
        train_components(
            mapset, encoder, loss, run_dir=run_dir, settings=SETTINGS, device="cpu", progress=False
        )
    finally:
        dist.destroy_process_group()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_processes_match_one_process(tmp_path):
    mapset, encoder, loss = _components()
    single = train_components(
        mapset,
        encoder,
        loss,
        run_dir=tmp_path / "one",
        settings=SETTINGS,
        device="cpu",
        progress=False,
    )
    mp.spawn(_worker, args=(2, _free_port(), str(tmp_path / "two")), nprocs=2, join=True)
    one = load_checkpoint(single.last_checkpoint)
    two = load_checkpoint(tmp_path / "two" / "checkpoints" / "last")
    assert two.state["step"] == one.state["step"] == 6
    for key, value in one.tensors.items():
        if key.startswith(("encoder.", "loss.")):
            torch.testing.assert_close(two.tensors[key], value, rtol=1e-4, atol=1e-5)
    val_one = [h["val_loss"] for h in one.state["history"]]
    val_two = [h["val_loss"] for h in two.state["history"]]
    torch.testing.assert_close(torch.tensor(val_two), torch.tensor(val_one), rtol=1e-4, atol=1e-6)
    # only rank 0 wrote: one metrics file with one line per step and epoch
    assert len((tmp_path / "two" / "metrics.jsonl").read_text().splitlines()) == 6 + 2


def _fresh_components():
    simulator = cosmossl.create("dataset", "lognormal", n_cosmologies=16, n_simulations=2,
                                n_pixels=8, split=(0.5, 0.25, 0.25))  # fmt: skip
    mapset = simulator.load(seed=0)
    torch.manual_seed(0)
    encoder = cosmossl.create(
        "encoder", "mlp", summary_dim=4, hidden=[16], input_shape=mapset.meta.shape
    )
    return simulator, mapset, encoder, TinyLoss(summary_dim=4, param_dim=2)


def _fresh_worker(rank: int, world: int, port: int, run_dir: str) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=world)
    try:
        simulator, mapset, encoder, loss = _fresh_components()
        train_components(mapset, encoder, loss, run_dir=run_dir, settings=SETTINGS,
                         device="cpu", progress=False, simulator=simulator)  # fmt: skip
    finally:
        dist.destroy_process_group()


def test_fresh_realisations_are_sharded_two_processes_match_one(tmp_path):
    # Each process simulates only its share of the global batch; together they see the maps one
    # process sees, so the weights agree.
    simulator, mapset, encoder, loss = _fresh_components()
    single = train_components(mapset, encoder, loss, run_dir=tmp_path / "one", settings=SETTINGS,
                              device="cpu", progress=False, simulator=simulator)  # fmt: skip
    mp.spawn(_fresh_worker, args=(2, _free_port(), str(tmp_path / "two")), nprocs=2, join=True)
    one = load_checkpoint(single.last_checkpoint)
    two = load_checkpoint(tmp_path / "two" / "checkpoints" / "last")
    assert two.state["step"] == one.state["step"] == 4
    for key, value in one.tensors.items():
        if key.startswith(("encoder.", "loss.")):
            torch.testing.assert_close(two.tensors[key], value, rtol=1e-4, atol=1e-5)
