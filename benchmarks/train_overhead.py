"""Time per step of cosmossl's training loop against a bare hand-written PyTorch loop.

Both loops train the same model (the built-in `cnn` encoder + `vicreg` loss with its expander)
with AdamW on the same in-memory maps, batch (groups × views) and `d4` augmentation, in one
process. Fixed costs (start-up, the final checkpoint) are removed by timing two run lengths and
taking the slope. Prints the overhead ratio (goal: within 5%) and maps/s; writes JSON.

    python benchmarks/train_overhead.py --device auto --steps 40
"""

from __future__ import annotations

import argparse
import logging
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

import cosmossl
from cosmossl import MapMeta, TrainSettings
from cosmossl._util.files import write_json
from cosmossl.data.mapset import MapSet
from cosmossl.training import train_components


def make_mapset(groups: int, per_group: int, size: int) -> MapSet:
    rng = np.random.default_rng(0)
    group = np.repeat(np.arange(groups), per_group)
    return MapSet(
        maps=rng.standard_normal((len(group), 1, size, size)).astype(np.float32),
        params=rng.uniform(size=(len(group), 2)).astype(np.float32),
        param_names=("a", "b"),
        cosmology_id=group.astype(np.int64),
        simulation_id=np.arange(len(group), dtype=np.int64),
        split=np.zeros(len(group), dtype=np.int8),  # all train: no validation in either loop
        meta=MapMeta(shape=(1, size, size), box_size=100.0),
    )


def build(mapset: MapSet, device: torch.device):
    torch.manual_seed(0)
    encoder = cosmossl.create("encoder", "cnn", summary_dim=16, input_shape=mapset.meta.shape)
    loss = cosmossl.create("loss", "vicreg", summary_dim=16, param_dim=2)
    augmentation = cosmossl.create("augmentation", "d4", meta=mapset.meta)
    return encoder.to(device), loss.to(device), augmentation


def ours(mapset, steps, args, device) -> float:
    encoder, loss, augmentation = build(mapset, device)
    settings = TrainSettings(
        epochs=1,
        steps_per_epoch=steps,
        batch_size=args.batch_size,
        lr=2e-4,
        schedule="constant",
        tensorboard=False,
        log_every=10,
        standardize=False,
        bf16=args.bf16,
    )
    with tempfile.TemporaryDirectory() as run_dir:
        _sync(device)
        start = time.perf_counter()
        train_components(
            mapset,
            encoder,
            loss,
            run_dir=run_dir,
            augmentations=[augmentation],
            settings=settings,
            device=str(device),
            progress=False,
        )
        _sync(device)
        return time.perf_counter() - start


def bare(mapset, steps, args, device) -> float:
    encoder, loss, augmentation = build(mapset, device)
    optimizer = torch.optim.AdamW(
        [*encoder.parameters(), *loss.parameters()], lr=2e-4, weight_decay=1e-4
    )
    maps = np.asarray(mapset.maps)
    groups = mapset.cosmology_id.max() + 1
    per_group = len(maps) // groups
    rng = np.random.default_rng(0)
    generator = torch.Generator(device=device).manual_seed(0)
    autocast = device.type == "cuda" and args.bf16
    _sync(device)
    start = time.perf_counter()
    for _ in range(steps):
        chosen = rng.choice(groups, args.batch_size, replace=False)
        members = np.stack([rng.choice(per_group, 2, replace=False) for _ in chosen])
        rows = chosen[:, None] * per_group + members
        x = torch.from_numpy(maps[rows.reshape(-1)]).to(device, non_blocking=True)
        x = augmentation(x, generator).reshape(args.batch_size, 2, *x.shape[1:])
        with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=autocast):
            out = loss(encoder, x)
        optimizer.zero_grad(set_to_none=True)
        out.loss.backward()
        optimizer.step()
    _sync(device)
    return time.perf_counter() - start


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def per_step(mapset, args, device) -> tuple[float, float]:
    """Seconds per step of (ours, bare): slope of wall time against steps, which removes
    start-up and final-checkpoint costs. The two loops alternate and the fastest repeat counts,
    so load from other processes on the machine hits both alike."""
    for run in (ours, bare):
        run(mapset, 3, args, device)  # warm-up: allocator, cuDNN autotuning, imports
    slopes: dict = {ours: [], bare: []}
    for _ in range(args.repeats):
        for run in (ours, bare):
            short = run(mapset, args.steps // 2, args, device)
            long = run(mapset, args.steps, args, device)
            slopes[run].append((long - short) / (args.steps - args.steps // 2))
    return min(slopes[ours]), min(slopes[bare])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=32, help="groups per batch")
    parser.add_argument("--map-size", type=int, default=64)
    parser.add_argument("--groups", type=int, default=256)
    parser.add_argument("--no-bf16", dest="bf16", action="store_false")
    parser.add_argument(
        "--out", default=str(Path(__file__).parent / "results" / "train_overhead.json")
    )
    args = parser.parse_args()
    logging.getLogger("cosmossl.training").setLevel(logging.ERROR)  # "no validation split"
    device = torch.device(
        "cuda"
        if args.device == "auto" and torch.cuda.is_available()
        else "cpu"
        if args.device == "auto"
        else args.device
    )
    mapset = make_mapset(args.groups, 4, args.map_size)
    t_ours, t_bare = per_step(mapset, args, device)
    maps_per_step = args.batch_size * 2
    result = {
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "torch_threads": torch.get_num_threads(),
        # other processes on the machine skew CPU timings: the 1-minute load when we finished
        "load_average": os.getloadavg()[0],
        "cpu_count": os.cpu_count(),
        "model": "cnn (default) + vicreg, AdamW, d4",
        "batch_groups": args.batch_size,
        "views": 2,
        "map_size": args.map_size,
        "bf16": args.bf16 and device.type == "cuda",
        "steps": args.steps,
        "seconds_per_step_ours": t_ours,
        "seconds_per_step_bare": t_bare,
        "overhead_ratio": t_ours / t_bare,
        "maps_per_second_ours": maps_per_step / t_ours,
        "maps_per_second_bare": maps_per_step / t_bare,
    }
    write_json(args.out, result)
    print(
        f"{result['device']}: ours {t_ours * 1e3:.2f} ms/step ({result['maps_per_second_ours']:.0f}"
        f" maps/s), bare {t_bare * 1e3:.2f} ms/step ({result['maps_per_second_bare']:.0f} maps/s)"
    )
    print(f"overhead ratio {result['overhead_ratio']:.3f} (goal ≤ 1.05); wrote {args.out}")


if __name__ == "__main__":
    main()
