"""What averaging a 3D summary over the cube's symmetries costs, and what it buys.

A trained 3D encoder's summary can be averaged over the images of a volume under a group of the
cube's rotations and reflections (``symmetrize``), which makes it exactly invariant to them at
one forward pass per group element. For the encoder of a checkpoint (e.g. the last one of
``benchmarks/information.py --geometry volume``) this script measures, for the full group O_h
(48), its rotations O (24) and smaller subgroups — the tetrahedral rotations T (12), the axis
permutations S3 (6) and the axis cycles C3 (3) — the milliseconds per volume of the averaged
summary and, for the groups of ``--fisher-orders``, its Fisher figure-of-merit fraction against
the analytic limit (the product's information check, same simulations for every group).

    OMP_NUM_THREADS=1 python benchmarks/cube_symmetry.py \\
        runs/information/volume/vicreg/train/checkpoints/last --config examples/lognormal-3d.toml
"""

from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

import numpy as np
import torch

import cosmossl
from cosmossl._util.files import write_json
from cosmossl.config import load_run_config
from cosmossl.information.check import information
from cosmossl.nn import CUBE_ORDER, CUBE_ROTATIONS, cube_average
from cosmossl.summaries import numpy_summarizer
from cosmossl.training.checkpoint import load_encoder

HERE = Path(__file__).resolve().parent
#: Axis orders 0, 3, 4 of cube_element are the identity and the two cyclic permutations.
CYCLIC = (0, 3, 4)
GROUPS: dict[str, tuple[int, ...]] = {
    "none": (0,),
    "C3 axis cycles": tuple(8 * p for p in CYCLIC),
    "S3 axis permutations": tuple(range(0, CUBE_ORDER, 8)),
    "T tetrahedral rotations": tuple(e for e in CUBE_ROTATIONS if e // 8 in CYCLIC),
    "O rotations (cube-rotations)": CUBE_ROTATIONS,
    "Oh all (cube)": tuple(range(CUBE_ORDER)),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint", type=Path, help="a 3D encoder's training checkpoint")
    parser.add_argument("--config", type=Path, default=HERE.parent / "examples/lognormal-3d.toml")
    parser.add_argument("--volumes", type=int, default=64, help="volumes timed per group")
    parser.add_argument(
        "--fisher-orders",
        type=int,
        nargs="+",
        default=[1, 3, 6, 12, 24],
        help="groups (by order) whose Fisher fraction is measured",
    )
    parser.add_argument("--n-fiducial", type=int, default=1000)
    parser.add_argument("--n-derivative", type=int, default=250)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "cube_symmetry.json")
    args = parser.parse_args()
    torch.set_num_threads(1)
    config = load_run_config(args.config)
    dataset = cosmossl.create("dataset", "lognormal", config.require("dataset").params)
    encoder, standardizer, _ = load_encoder(args.checkpoint)
    encoder.eval()
    volumes = torch.as_tensor(dataset.simulate(dataset.fiducial, range(args.volumes)))

    def averaged(elements: tuple[int, ...]):
        def summary(maps: torch.Tensor) -> torch.Tensor:
            return cube_average(lambda v: encoder(standardizer(v)), maps, elements)

        return summary

    rows = {}
    with torch.no_grad():
        for name, elements in GROUPS.items():
            averaged(elements)(volumes[:2])  # warm-up
            start = time.perf_counter()
            averaged(elements)(volumes)
            ms = (time.perf_counter() - start) / len(volumes) * 1000
            rows[name] = {"order": len(elements), "ms_per_volume": ms}
            print(f"{name:30s} order {len(elements):2d}: {ms:7.1f} ms per volume", flush=True)
        chosen = {name: averaged(elements) for name, elements in GROUPS.items()
                  if len(elements) in args.fisher_orders}  # fmt: skip
        info = information(
            dataset,
            {name: numpy_summarizer(fn, device="cpu") for name, fn in chosen.items()},
            n_fiducial=args.n_fiducial, n_derivative=args.n_derivative,
            seed=config.settings.seed,
        )  # fmt: skip
    for name, entry in info["summaries"].items():
        rows[name]["fom_fraction"] = entry["fom_fraction"]
        rows[name]["fom_interval"] = entry["fom_fraction_interval"]
        rows[name]["noise_share"] = entry.get("noise_share")
        low, high = entry["fom_fraction_interval"]
        print(f"{name:30s} FoM fraction {entry['fom_fraction']:.3f} [{low:.3f}, {high:.3f}]")
    write_json(args.out, {
        "checkpoint": str(args.checkpoint),
        "config": str(args.config),
        "n_fiducial": args.n_fiducial,
        "n_derivative": args.n_derivative,
        "machine": platform.platform(),
        "torch_threads": torch.get_num_threads(),
        "date": time.strftime("%Y-%m-%d"),
        "groups": rows,
        "volumes_per_check": int(args.n_fiducial + 8 * args.n_derivative),
        "fiducial": np.asarray(dataset.fiducial).tolist(),
    })  # fmt: skip
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
