"""``cosmossl simulate CONFIG [--out PATH]``: make (or load) the run's maps, write the HDF5 file."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from cosmossl.errors import ConfigError


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "simulate",
        help="simulate (or load) the run's dataset and write it as a cosmossl HDF5 file",
        description="Build the [dataset] of a run file with the run seed and write maps, "
        "parameters, ids, split and metadata to one HDF5 file (see docs/formats.md).",
    )
    parser.add_argument("config", help="run file (TOML) with a [dataset] table")
    parser.add_argument("--out", help="output .h5 file (default: <run_dir>/data/maps.h5)")
    parser.set_defaults(run=run)


def dataset_from_config(config):  # type: ignore[no-untyped-def]
    """The run file's dataset component, built from its validated [dataset] table."""
    from cosmossl.plugin.host import registry

    spec = config.component("dataset")
    if spec is None:
        raise ConfigError(
            f'{config.source}: no [dataset] table; add one, e.g. [dataset] type = "lognormal"'
        )
    cls = registry().load("dataset", spec.type)
    try:
        return cls(spec.params)
    except ValueError as exc:
        raise ConfigError(f"{config.source}: [dataset]: {exc}") from None


def run(args: argparse.Namespace) -> int:
    from cosmossl.config.run_file import load_run_config
    from cosmossl.data.hdf5 import write_mapset
    from cosmossl.job.run_dir import MAPS, run_directory

    config = load_run_config(args.config)
    dataset = dataset_from_config(config)
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
