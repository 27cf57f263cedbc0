"""Time VICReg training steps of the paper's CAMELS encoder (ResNet-18, 256² maps, D = 128).

Usage::

    python benchmarks/camels_step.py                 # 10 maps per step, 4 steps, CPU or CUDA
    python benchmarks/camels_step.py --maps 500      # the paper's batch (50 simulations × 10)

Prints the seconds per step and per map (the first step, which warms up, is left out). Used for
the run-time estimate in docs/camels.md.
"""

from __future__ import annotations

import argparse
import time

import torch

import cosmossl


def step_seconds(n_maps: int, steps: int, device: str, size: int = 256) -> list[float]:
    """Wall seconds of ``steps`` optimiser steps on ``n_maps`` random maps (2 views per group)."""
    torch.manual_seed(0)
    dev = torch.device(device)
    encoder = cosmossl.create(
        "encoder", "timm", model="resnet18", summary_dim=128, input_shape=(1, size, size)
    ).to(dev)
    loss = cosmossl.create("loss", "vicreg", summary_dim=128).to(dev)
    optimizer = torch.optim.AdamW([*encoder.parameters(), *loss.parameters()], lr=1e-3)
    views = torch.randn(n_maps // 2, 2, 1, size, size, device=dev)
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=dev.type == "cuda"):
            value = loss(encoder, views).loss
        optimizer.zero_grad()
        value.backward()
        optimizer.step()
        if dev.type == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--maps", type=int, default=10, help="maps per step (even)")
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args()
    times = step_seconds(args.maps, args.steps, args.device)
    best = min(times[1:]) if len(times) > 1 else times[0]
    print(f"device {args.device}, {torch.get_num_threads()} threads: step seconds "
          f"{[round(t, 3) for t in times]}; {best / args.maps:.4f} s per map")  # fmt: skip


if __name__ == "__main__":
    main()
