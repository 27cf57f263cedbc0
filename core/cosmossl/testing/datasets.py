"""``check_dataset`` and ``check_simulator``: map sets with groups and splits, simulation on
demand for the Fisher check."""

from __future__ import annotations

from typing import Any

import numpy as np

from cosmossl.components.dataset import Dataset, Simulator
from cosmossl.components.meta import MapMeta
from cosmossl.data.mapset import MapSet
from cosmossl.data.splits import Split
from cosmossl.errors import DataError
from cosmossl.testing.inputs import fail, keeps_global_rngs, name_of, run

#: What the engine reads from a simulator (the members of :class:`cosmossl.Simulator`).
SIMULATOR_MEMBERS = ("param_names", "meta", "fiducial", "simulate", "fisher_limit")


@keeps_global_rngs
def check_dataset(
    dataset: Dataset,
    *,
    seed: int = 0,
    split_by: str = "cosmology",
    reproducible: bool = True,
    rows: int = 8,
) -> MapSet:
    """Check a dataset (small settings, please: it is loaded once or twice); returns its map set.

    It checks that ``load(seed=..., progress=False)`` returns a :class:`cosmossl.MapSet` whose:

    - maps are ``[N, *meta.shape]`` and read as finite float32 (``rows`` of them are read);
    - parameters are finite, one unique name per column, inside the priors of every parameter
      (inference needs the box);
    - maps with one ``cosmology_id`` share their parameters, and a ``simulation_id`` lies within
      one cosmology;
    - split has train and test maps, and never puts one group in two splits (``split_by``:
      ``"cosmology"``, or ``"simulation"`` for data such as CAMELS' CV set with one cosmology);
    - with ``reproducible``, the same seed loads the same maps, parameters and split.

    A dataset that has all the members of :class:`cosmossl.Simulator` is also checked by
    :func:`check_simulator`; one that has some of them is an error (the engine would silently
    not treat it as a simulator).
    """
    __tracebackhide__ = True
    what = name_of(dataset)
    if not isinstance(dataset, Dataset):
        fail(what, "is not a cosmossl.Dataset")
    mapset = _load(what, dataset, seed)
    _check_mapset(what, mapset, split_by, rows)
    if reproducible:
        again = _load(what, dataset, seed)
        picked = _rows(mapset, rows)
        for label, a, b in (
            ("maps", mapset.read(picked), again.read(picked)),
            ("parameters", mapset.params, again.params),
            ("split", mapset.split, again.split),
            ("cosmology ids", mapset.cosmology_id, again.cosmology_id),
        ):
            if a.shape != b.shape or not np.array_equal(a, b):
                fail(
                    what,
                    f"loading twice with seed {seed} gave other {label}: derive every random "
                    "number from the seed (cosmossl.derive_seed)",
                )
    present = [m for m in SIMULATOR_MEMBERS if hasattr(type(dataset), m)]
    if present and len(present) < len(SIMULATOR_MEMBERS):
        missing = [m for m in SIMULATOR_MEMBERS if m not in present]
        fail(
            what,
            f"has {', '.join(present)} but not {', '.join(missing)}: the engine treats a "
            "dataset as a simulator (Fisher check) only with all of "
            f"{', '.join(SIMULATOR_MEMBERS)}",
        )
    if isinstance(dataset, Simulator):
        check_simulator(dataset, mapset=mapset, seed=seed)
    return mapset


def _load(what: str, dataset: Dataset, seed: int) -> MapSet:
    __tracebackhide__ = True
    mapset = run(what, f"load(seed={seed})", dataset.load, seed=seed, progress=False)
    if not isinstance(mapset, MapSet):
        fail(what, f"load returned {type(mapset).__name__}, not a cosmossl.MapSet")
    return mapset


def _rows(mapset: MapSet, rows: int) -> np.ndarray:
    return np.unique(np.linspace(0, len(mapset) - 1, min(rows, len(mapset))).astype(np.int64))


def _check_mapset(what: str, mapset: MapSet, split_by: str, rows: int) -> None:
    __tracebackhide__ = True
    n = len(mapset)
    if n == 0:
        fail(what, "the map set is empty")
    if not isinstance(mapset.meta, MapMeta):
        fail(what, f"meta is {type(mapset.meta).__name__}, not a cosmossl.MapMeta")
    shape = tuple(mapset.maps.shape[1:])
    if shape != tuple(mapset.meta.shape):
        fail(what, f"maps are {list(shape)} per map but meta.shape says {list(mapset.meta.shape)}")
    maps = mapset.read(_rows(mapset, rows))
    if maps.dtype != np.float32 or maps.shape[1:] != shape:
        fail(what, f"read() gave {maps.dtype} {list(maps.shape)}, expected float32 [n, *{shape}]")
    if not np.isfinite(maps).all():
        fail(what, "some maps hold NaN or infinite values")
    if not np.isfinite(mapset.params).all():
        fail(what, "some parameters are NaN or infinite")
    if len(set(mapset.param_names)) != len(mapset.param_names):
        fail(what, f"parameter names repeat: {mapset.param_names}")
    try:
        low, high = mapset.box()
    except DataError as exc:
        fail(what, str(exc))
    outside = ~(
        (mapset.params >= low - 1e-6 * abs(low)) & (mapset.params <= high + 1e-6 * abs(high))
    )
    if outside.any():
        row, col = (int(i[0]) for i in np.nonzero(outside))
        fail(
            what,
            f"map {row}: {mapset.param_names[col]} = {mapset.params[row, col]:g} lies outside its "
            f"prior [{low[col]:g}, {high[col]:g}] (inference fits inside the prior box)",
        )
    _check_groups(what, mapset)
    _check_split(what, mapset, split_by)


def _check_groups(what: str, mapset: MapSet) -> None:
    __tracebackhide__ = True
    ids, first = np.unique(mapset.cosmology_id, return_index=True)
    reference = mapset.params[first[np.searchsorted(ids, mapset.cosmology_id)]]
    differs = np.flatnonzero(~np.isclose(mapset.params, reference, rtol=1e-6).all(axis=1))
    if differs.size:
        row = int(differs[0])
        group = int(mapset.cosmology_id[row])
        fail(
            what,
            f"maps {int(first[np.searchsorted(ids, group)])} and {row} share cosmology_id "
            f"{group} but not their parameters: maps of one cosmology must have equal "
            "parameters (nuisance values go to `nuisance`)",
        )
    for sim in np.unique(mapset.simulation_id):
        cosmologies = np.unique(mapset.cosmology_id[mapset.simulation_id == sim])
        if len(cosmologies) > 1:
            fail(
                what,
                f"simulation_id {int(sim)} spans cosmologies {cosmologies.tolist()}: a "
                "simulation has one cosmology",
            )


def _check_split(what: str, mapset: MapSet, split_by: str) -> None:
    __tracebackhide__ = True
    for needed in (Split.TRAIN, Split.TEST):
        if not (mapset.split == needed).any():
            fail(what, f"no map is in the {needed.name.lower()} split")
    groups = {"cosmology": mapset.cosmology_id, "simulation": mapset.simulation_id}[split_by]
    for group in np.unique(groups):
        splits = np.unique(mapset.split[groups == group])
        if len(splits) > 1:
            names = [Split(int(s)).name.lower() for s in splits]
            fail(
                what,
                f"{split_by} {int(group)} has maps in {' and '.join(names)}: split by group "
                "(cosmossl.split_by_group), or maps of one group leak from training into "
                "evaluation",
            )


@keeps_global_rngs
def check_simulator(simulator: Any, *, mapset: MapSet | None = None, seed: int = 0) -> np.ndarray:
    """Check what the Fisher check needs from a simulator; returns its ``fisher_limit()``.

    It checks ``param_names`` and ``meta`` (equal to the map set's when ``mapset`` is given),
    a finite ``fiducial`` ``[P]``, ``simulate(theta [B, P], seeds [B])`` giving finite float maps
    ``[B, *meta.shape]`` that depend only on their own parameters and seed (the same seed gives
    the same map, in any batch; another seed another map; a small step in the parameters with the
    same seed a small change: the derivatives are seed-matched), and ``fisher_limit()`` a
    finite, symmetric, positive-definite ``[P, P]`` matrix. A simulator with
    ``nuisance_names`` (a :class:`~cosmossl.NuisanceSimulator`) must also hold the nuisance at
    ``nuisance_fiducial`` by default and keep its noise when the nuisance moves.
    """
    __tracebackhide__ = True
    what = f"{name_of(simulator)} as a simulator"
    missing = [m for m in SIMULATOR_MEMBERS if not hasattr(simulator, m)]
    if missing:
        fail(what, f"lacks {', '.join(missing)}")
    names = tuple(simulator.param_names)
    meta = simulator.meta
    if mapset is not None:
        if names != tuple(mapset.param_names):
            fail(what, f"param_names {names} differ from the map set's {mapset.param_names}")
        if meta != mapset.meta:
            fail(what, f"meta {meta} differs from the map set's {mapset.meta}")
    fiducial = np.asarray(simulator.fiducial, dtype=np.float64)
    if fiducial.shape != (len(names),) or not np.isfinite(fiducial).all():
        fail(what, f"fiducial must be {len(names)} finite numbers, got {fiducial}")
    theta = np.repeat(fiducial[None], 3, axis=0)
    seeds = [seed + 11, seed + 12, seed + 11]
    maps = _simulate(what, simulator, theta, seeds, meta)
    if not np.array_equal(maps[0], maps[2]):
        fail(what, "the same parameters and seed gave two different maps")
    if np.array_equal(maps[0], maps[1]):
        fail(what, "two seeds gave the same map: the seed must set the noise")
    alone = _simulate(what, simulator, theta[1:2], seeds[1:2], meta)
    if not np.allclose(alone[0], maps[1], rtol=1e-5, atol=1e-6):
        fail(what, "a map depends on the other maps of its batch: it must depend only on its "
             "parameters and seed")  # fmt: skip
    step = fiducial[None] * (1 + 1e-3) + 1e-6
    moved = _simulate(what, simulator, step, seeds[:1], meta)
    if np.abs(moved[0] - maps[0]).mean() > 0.1 * np.abs(maps[1] - maps[0]).mean():
        fail(
            what,
            "a 0.1% step in the parameters with the same seed changes the map as much as "
            "another seed: the noise must be tied to the seed alone (seed-matched derivatives)",
        )
    if getattr(simulator, "nuisance_names", ()):
        _check_nuisance(what, simulator, theta[:2], seeds[:2], meta)
    limit = np.asarray(run(what, "fisher_limit()", simulator.fisher_limit), dtype=np.float64)
    if limit.shape != (len(names), len(names)) or not np.isfinite(limit).all():
        fail(what, f"fisher_limit() must be a finite [{len(names)}, {len(names)}] matrix")
    if not np.allclose(limit, limit.T, rtol=1e-6, atol=0):
        fail(what, "fisher_limit() is not symmetric")
    if np.linalg.eigvalsh(limit).min() <= 0:
        fail(what, "fisher_limit() is not positive definite")
    return limit


def _check_nuisance(
    what: str, simulator: Any, theta: np.ndarray, seeds: list[int], meta: MapMeta
) -> None:
    """A NuisanceSimulator: ``nuisance_fiducial`` ``[Q]``, the default nuisance at it, and a
    nuisance step with the same seed a small change (seed-matched nuisance derivatives)."""
    __tracebackhide__ = True
    names = tuple(simulator.nuisance_names)
    eta = np.asarray(getattr(simulator, "nuisance_fiducial", None), dtype=np.float64)
    if eta.shape != (len(names),) or not np.isfinite(eta).all():
        fail(what, f"nuisance_fiducial must be {len(names)} finite numbers (one per name of "
                   f"nuisance_names {names}), got {eta}")  # fmt: skip
    rows = np.tile(eta, (len(theta), 1))
    default = _simulate(what, simulator, theta, seeds, meta)
    at_fiducial = _simulate(what, simulator, theta, seeds, meta, rows)
    if not np.allclose(default, at_fiducial, rtol=1e-5, atol=1e-6):
        fail(what, "simulate(theta, seeds) without a nuisance must hold it at nuisance_fiducial")
    moved = _simulate(what, simulator, theta, seeds, meta, rows * (1 + 1e-3) + 1e-6)
    if np.abs(moved[0] - default[0]).mean() > 0.1 * np.abs(default[1] - default[0]).mean():
        fail(what, "a 0.1% step in the nuisance parameters with the same seed changes the map "
                   "as much as another seed: the noise must be tied to the seed alone")  # fmt: skip


def _simulate(
    what: str,
    simulator: Any,
    theta: np.ndarray,
    seeds: list[int],
    meta: MapMeta,
    nuisance: np.ndarray | None = None,
) -> np.ndarray:
    __tracebackhide__ = True
    extra = () if nuisance is None else (nuisance,)
    maps = np.asarray(
        run(what, f"simulate({len(theta)} maps)", simulator.simulate, theta, seeds, *extra)
    )
    expected = (len(theta), *meta.shape)
    if maps.shape != expected:
        fail(what, f"simulate gave {list(maps.shape)} for {len(theta)} maps, expected "
             f"{list(expected)}")  # fmt: skip
    if not np.issubdtype(maps.dtype, np.floating) or not np.isfinite(maps).all():
        fail(what, f"simulate must give finite float maps, got {maps.dtype} with NaN or inf")
    return maps
