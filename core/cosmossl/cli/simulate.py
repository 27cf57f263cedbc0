"""``cosmossl simulate CONFIG [--out PATH]``: make (or load) the run's maps, write the HDF5 file."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from cosmossl.cli._common import build_dataset, command, load_config


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = command(
        subparsers,
        "simulate",
        run,
        help="simulate (or load) the run's dataset and write it as a cosmossl HDF5 file",
        description="Build the [dataset] of a run file with the run seed and write maps, "
        "parameters, ids, split and metadata to one HDF5 file (see docs/formats.md).",
        config="run file (TOML) with a [dataset] table",
    )
    parser.add_argument("--out", help="output .h5 file (default: <run_dir>/data/maps.h5)")


def run(args: argparse.Namespace) -> int:
    from cosmossl.data.hdf5 import write_mapset
    from cosmossl.job.run_dir import MAPS, run_directory

    config = load_config(args.config)
    dataset = build_dataset(config, "simulate")
    out = Path(args.out) if args.out else run_directory(config) / MAPS
    start = time.perf_counter()
    mapset = dataset.load(seed=config.settings.seed, progress=args.progress)
    write_mapset(mapset, out)
    seconds = time.perf_counter() - start
    counts = [int((mapset.split == code).sum()) for code in range(3)]
    shape = "×".join(str(s) for s in mapset.meta.shape)
    n_cosmo = len(set(mapset.cosmology_id.tolist()))
    print(
        f"wrote {len(mapset)} maps ({shape}) of {n_cosmo} cosmologies, train/val/test "
        f"{counts[0]}/{counts[1]}/{counts[2]} maps, to {out} in {seconds:.1f} s"
    )
    return 0
