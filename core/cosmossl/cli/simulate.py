"""``cosmossl simulate CONFIG [--out PATH]``: make (or load) the run's maps, write the HDF5 file."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cosmossl.cli._common import command, load_config

if TYPE_CHECKING:
    from cosmossl.config.run_file import RunConfig


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
    parser.add_argument(
        "--out",
        help="output .h5 file (default: <run_dir>/data/maps.h5); an existing file is replaced "
        "only if it is a cosmossl map file",
    )


def run(args: argparse.Namespace) -> int:
    from cosmossl.data.hdf5 import FORMAT, file_format
    from cosmossl.job.plan import build_dataset
    from cosmossl.job.run_dir import MAPS, RunDirectory, check_output_file, run_directory

    config = load_config(args.config, "simulate")
    dataset = build_dataset(config, "`cosmossl simulate`")
    if args.out:
        out = check_output_file(
            args.out,
            ours=lambda path: file_format(path) == FORMAT,
            what="cosmossl map file",
            flag="--out",
        )
        return _simulate(config, dataset, out, args.progress)
    with RunDirectory(run_directory(config)) as directory:
        directory.claim(MAPS)
        directory.check_writable()
        return _simulate(config, dataset, directory.path(MAPS), args.progress)


def _simulate(config: RunConfig, dataset: Any, out: Path, progress: bool) -> int:
    from cosmossl.data.hdf5 import write_mapset

    start = time.perf_counter()
    mapset = dataset.load(seed=config.settings.dataset_seed, progress=progress)
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
