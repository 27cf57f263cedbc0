"""CAMELS Multifield Dataset (CMD) 2D maps, read from the real files, memory-mapped.

Villaescusa-Navarro et al. 2022, "The CAMELS Multifield Data Set", ApJS 259, 61
(arXiv:2109.10915). Map files ``Maps_{field}_{suite}_{set}_z=0.00.npy`` (older ``Images_...``,
redshift also ``z=0.0``) hold ``[15·n_sims, 256, 256]`` float32 maps of a (25 Mpc/h)² periodic
box; map i belongs to simulation i // 15. Parameters come from ``params_{set}_{suite}.txt``
(older ``params_{suite}.txt``: 6 columns Ω_m, σ_8, A_SN1, A_AGN1, A_SN2, A_AGN2, or 28 for 1P/SB28)
or a ``CosmoAstroSeed_*.txt`` table (``#Name Omega_m ... seed``). Splits are by simulation.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import Field

import cosmossl
from cosmossl import DataError, Dataset, MapMeta, MapSet, split_by_group
from cosmossl.data import load_npy
from cosmossl.physics import cosmology

MAPS_PER_SIMULATION = 15
BOX_SIZE = 25.0  # Mpc/h
FILE_NAME = re.compile(
    r"^(?:Maps|Images)_(?P<field>[A-Za-z0-9]+)_(?P<suite>(?:Nbody_)?[A-Za-z0-9]+)_"
    r"(?P<set>[A-Za-z0-9]+)_z=(?P<z>\d+(?:\.\d+)?)\.npy$"
)
SIX_COLUMNS = ("Omega_m", "sigma_8", "A_SN1", "A_AGN1", "A_SN2", "A_AGN2")
LH_PRIORS = {"omega_m": (0.1, 0.5), "sigma_8": (0.6, 1.0), "A_SN1": (0.25, 4.0),
             "A_AGN1": (0.25, 4.0), "A_SN2": (0.5, 2.0), "A_AGN2": (0.5, 2.0)}  # fmt: skip


#: CMD fields that are a mass per pixel (the others: temperature, metallicity, velocity, ...).
MASS_FIELDS = frozenset({"Mtot", "Mcdm", "Mgas", "Mstar", "HI"})


def map_content(fields: list[str], log10: bool, remove_mean: bool) -> str:
    """What maps of these fields hold after the ``log10`` and ``remove_mean`` options
    (``cosmossl.MapMeta.content``): masses are ``density``, or ``log10-density`` in log10 (a
    removed mean is a constant offset there); Mstar's log10(1 + x) and the rest are ``other``.
    """
    if not set(fields) <= MASS_FIELDS:
        return "other"
    if not log10:
        return "other" if remove_mean else "density"
    return "other" if "Mstar" in fields else "log10-density"


def parse_map_name(path: Path) -> dict[str, str]:
    """``{field, suite, set, z}`` from a CMD map file name; DataError if it is not one."""
    match = FILE_NAME.match(path.name)
    if match is None:
        raise DataError(
            f"'{path}': not a CAMELS map file name (expected "
            "Maps_{field}_{suite}_{set}_z=0.00.npy or Images_...)"
        )
    return match.groupdict()


def read_params_table(path: Path) -> tuple[np.ndarray, tuple[str, ...]]:
    """Rows ``[n_sims, n_cols]`` and column names of a CAMELS parameter file.

    Plain ``np.loadtxt`` tables (6 columns get the LH names, others ``param_i``) or the master
    table with a ``#Name ... seed`` header, whose name and seed columns are dropped.
    """
    if not path.is_file():
        tried = "" if path.is_absolute() else f" (looked for '{path.absolute()}')"
        raise DataError(f"CAMELS parameter file '{path}' does not exist{tried}")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        raise DataError(f"'{path}': not a text parameter table (not UTF-8 text)") from None
    header = next((ln for ln in lines if ln.lstrip().startswith("#")), None)
    header_names = header.lstrip("#").split() if header else []
    rows = [ln.split() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]
    has_name = bool(header_names) and header_names[0].lower() == "name"
    if has_name:
        rows = [r[1:] for r in rows]
        header_names = header_names[1:]
    try:
        table = np.array(rows, dtype=np.float64)
    except ValueError as exc:
        raise DataError(f"'{path}': not a numeric parameter table: {exc}") from None
    if table.ndim != 2 or table.shape[1] < 2:
        raise DataError(f"'{path}': expected at least 2 parameter columns (Ω_m, σ_8)")
    names = tuple(header_names) if len(header_names) == table.shape[1] else ()
    if names and names[-1].lower() == "seed":
        table, names = table[:, :-1], names[:-1]
    if not names:
        names = (
            SIX_COLUMNS
            if table.shape[1] == 6
            else (*SIX_COLUMNS[:2], *(f"param_{i}" for i in range(2, table.shape[1])))
        )
    return table, names


def find_params_file(maps_path: Path, suite: str, set_name: str) -> Path:
    """The parameter file next to a map file: params_{set}_{suite}.txt, params_{suite}.txt."""
    base = suite.removeprefix("Nbody_")
    for name in (f"params_{set_name}_{base}.txt", f"params_{base}.txt",
                 f"CosmoAstroSeed_{base}_L25n256_{set_name}.txt"):  # fmt: skip
        candidate = maps_path.parent / name
        if candidate.is_file():
            return candidate
    raise DataError(
        f"no parameter file for '{maps_path.name}' in '{maps_path.parent}' (looked "
        f"for params_{set_name}_{base}.txt and params_{base}.txt); set 'params'"
    )


class CamelsMaps:
    """Lazy, preprocessed view ``[N, C, H, W]`` of memory-mapped CMD fields (one per channel)."""

    def __init__(self, arrays: list[np.ndarray], paths: list[Path], log: list[str],
                 remove_mean: bool) -> None:  # fmt: skip
        self.arrays, self.paths, self.log, self.remove_mean = arrays, paths, log, remove_mean
        self.shape = (arrays[0].shape[0], len(arrays), *arrays[0].shape[1:])

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, index: Any) -> np.ndarray:
        channels = []
        for array, path, log in zip(self.arrays, self.paths, self.log):
            x = np.asarray(array[index], dtype=np.float64)
            if not np.all(np.isfinite(x)):
                raise DataError(
                    f"'{path}': map {self._first_bad(index, ~np.isfinite(x))} "
                    "contains NaN or inf values"
                )
            if log == "log10":
                if np.any(x <= 0):
                    raise DataError(
                        f"'{path}': map {self._first_bad(index, x <= 0)} has "
                        "non-positive values, which cannot take log10; set log10 = "
                        "false to read the raw maps"
                    )
                x = np.log10(x)
            elif log == "log10p1":
                if np.any(x <= -1):
                    raise DataError(
                        f"'{path}': map {self._first_bad(index, x <= -1)} has "
                        "values ≤ −1, which cannot take log10(1 + x)"
                    )
                x = np.log10(1.0 + x)
            if self.remove_mean:
                x = x - x.mean(axis=(-2, -1), keepdims=True)
            channels.append(x.astype(np.float32))
        return np.stack(channels, axis=-3)

    def _first_bad(self, index: Any, bad: np.ndarray) -> int:
        """The file row of the first map in ``bad`` (a mask of the maps read at ``index``)."""
        rows = np.arange(self.shape[0])[index]
        if np.ndim(rows) == 0:
            return int(rows)
        per_map = bad.reshape(len(rows), -1).any(axis=1)
        return int(rows[np.flatnonzero(per_map)[0]])


class Camels(Dataset):
    """CMD 2D maps with (Ω_m, σ_8) as parameters and the other columns as nuisance."""

    class Params(cosmossl.Params):
        maps: list[str] = Field(
            default_factory=list,
            description="Map files, one per channel "
            "(same suite and set), e.g. ['Maps_Mtot_IllustrisTNG_LH_z=0.00.npy'].",
        )
        params: str | None = Field(
            None,
            description="Parameter file (default: found next to "
            "the maps as params_{set}_{suite}.txt or params_{suite}.txt).",
        )
        log10: bool = Field(True, description="Take log10 of each map (log10(1 + x) for Mstar).")
        remove_mean: bool = Field(
            False,
            description="Subtract each map's mean after the log "
            "(removes the trivial Ω_m leak of Mtot means).",
        )
        split: tuple[float, float, float] = Field(
            (0.7, 0.2, 0.1), description="Train/val/test shares of the simulations."
        )

    def files(self) -> list[Path]:
        p = self.params
        paths = [Path(m) for m in p.maps]
        if p.params:
            return [*paths, Path(p.params)]
        try:
            names = parse_map_name(paths[0])
            return [*paths, find_params_file(paths[0], names["suite"], names["set"])]
        except (DataError, IndexError):  # load() says what is wrong
            return paths

    def load(self, *, seed: int, progress: bool = False) -> MapSet:
        p = self.params
        if not p.maps:
            raise DataError("camels: 'maps' lists no map file")
        paths = [Path(m) for m in p.maps]
        names = [parse_map_name(path) for path in paths]
        if len({(n["suite"], n["set"]) for n in names}) > 1:
            raise DataError(f"camels: map files {p.maps} mix suites or sets")
        arrays = [self._open(path) for path in paths]
        if len({a.shape for a in arrays}) > 1:
            raise DataError(f"camels: map files have different shapes {[a.shape for a in arrays]}")
        n_maps = arrays[0].shape[0]
        params_path = (
            Path(p.params)
            if p.params
            else find_params_file(paths[0], names[0]["suite"], names[0]["set"])
        )
        table, columns = read_params_table(params_path)
        n_sims = n_maps // MAPS_PER_SIMULATION
        if len(table) != n_sims:
            raise DataError(
                f"'{params_path}' has {len(table)} rows but '{paths[0]}' holds "
                f"{n_maps} maps = {n_sims} simulations × {MAPS_PER_SIMULATION}"
            )
        simulation_id = np.arange(n_maps, dtype=np.int64) // MAPS_PER_SIMULATION
        rows = table[simulation_id]
        cosmology_id = np.unique(table[:, :2], axis=0, return_inverse=True)[1].reshape(-1)
        log = [("log10p1" if n["field"] == "Mstar" else "log10") if p.log10 else "none"
               for n in names]  # fmt: skip
        priors = dict(LH_PRIORS)
        if names[0]["suite"].endswith("Astrid"):
            priors["A_AGN2"] = (0.25, 4.0)
        nuisance_names = tuple(columns[2:])
        labels = {n: cosmology.PARAM_LABELS[n] for n in ("omega_m", "sigma_8", *nuisance_names)
                  if n in cosmology.PARAM_LABELS}  # fmt: skip
        return MapSet(
            maps=CamelsMaps(arrays, paths, log, p.remove_mean),
            params=rows[:, :2].astype(np.float32),
            param_names=("omega_m", "sigma_8"),
            cosmology_id=cosmology_id[simulation_id].astype(np.int64),
            simulation_id=simulation_id,
            split=split_by_group(simulation_id, p.split, seed),
            meta=MapMeta(shape=(len(arrays), *arrays[0].shape[1:]), box_size=BOX_SIZE,
                         content=map_content([n["field"] for n in names], p.log10,
                                             p.remove_mean)),
            nuisance=rows[:, 2:].astype(np.float32),
            nuisance_names=nuisance_names,
            priors={k: v for k, v in priors.items() if k in ("omega_m", "sigma_8",
                                                             *nuisance_names)},
            param_labels=labels,
            attrs={"source": [str(x) for x in paths], "params_file": str(params_path),
                   "fields": [n["field"] for n in names], "suite": names[0]["suite"],
                   "set": names[0]["set"], "redshift": float(names[0]["z"])},
        )  # fmt: skip

    @staticmethod
    def _open(path: Path) -> np.ndarray:
        array = load_npy(path, what="CAMELS map")
        if array.ndim != 3:
            raise DataError(f"'{path}': expected maps [N, H, W], got shape {array.shape}")
        if array.shape[1] != array.shape[2]:
            raise DataError(f"'{path}': maps are not square ({array.shape[1]}×{array.shape[2]})")
        if array.shape[0] % MAPS_PER_SIMULATION:
            raise DataError(
                f"'{path}': {array.shape[0]} maps is not a multiple of "
                f"{MAPS_PER_SIMULATION} (maps per simulation)"
            )
        return array
