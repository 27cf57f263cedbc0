"""Your own maps: a .npy array ``[N, H, W]`` or ``[N, C, H, W]`` plus a parameters file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pydantic import Field

import cosmossl
from cosmossl import DataError, Dataset, MapContent, MapMeta, MapSet, split_by_group
from cosmossl.data import PriorBox, load_npy, resolve_priors


def load_table(path: Path, what: str = "table") -> np.ndarray:
    """A 2D float table from .npy or text (.txt/.csv, '#' comments, comma or space separated)."""
    if path.suffix == ".npy":
        return np.asarray(load_npy(path, what=what, mmap=False), dtype=np.float64)
    if not path.is_file():
        tried = "" if path.is_absolute() else f" (looked for '{path.absolute()}')"
        raise DataError(f"{what} file '{path}' does not exist{tried}")
    try:
        delimiter = "," if path.suffix == ".csv" else None
        table = np.loadtxt(path, delimiter=delimiter, ndmin=2, comments="#")
    except (ValueError, OSError) as exc:  # UnicodeDecodeError is a ValueError
        raise DataError(f"{what} file '{path}': not a numeric text table: {exc}") from None
    return np.asarray(table, dtype=np.float64)


class Npy(Dataset):
    """Memory-mapped maps from a .npy file, one parameter row per map.

    Maps are grouped by ``groups`` (a file of one integer per map, e.g. a simulation or
    cosmology id); without it, maps with identical parameter rows form a group, whose id is the
    row of its first map. The split is by group.

    State the prior the parameters were drawn from: ``priors = { A = [0.5, 2.0], n = [-3.0,
    -1.0] }`` (a box per parameter). A row outside it is an error naming the row. A parameter
    without one gets the data's min–max, with a warning: that box is narrower than the true
    one, and posteriors fitted with it are wrong near its edges. Only box priors can be stated
    (docs/inference.md, "Priors", says how another prior would plug in).
    """

    class Params(cosmossl.Params):
        maps: str = Field("maps.npy", description="Maps .npy, [N, H, W] or [N, C, H, W].")
        params: str = Field(
            "params.npy", description="Parameters, one row per map: .npy, or .txt/.csv text."
        )
        param_names: list[str] | None = Field(
            None, description="Names of the parameter columns (default theta_0, theta_1, ...)."
        )
        param_labels: dict[str, str] = Field(
            default_factory=dict,
            description="LaTeX label of a parameter in figures, without dollars, e.g. "
            "{theta_0 = '\\Omega_{\\rm m}'} (default: the name).",
        )
        groups: str | None = Field(
            None,
            description="Optional group id per map (.npy or "
            "text); default: identical parameter rows share a group.",
        )
        priors: dict[str, PriorBox] = Field(
            default_factory=dict,
            description="The prior each parameter was drawn from, a box [low, high] per "
            "parameter, e.g. { A = [0.5, 2.0], n = [-3.0, -1.0] }. A parameter without one gets "
            "the data's min–max, with a warning (narrower than the true prior).",
        )
        box_size: float | None = Field(None, gt=0, description="Map side in Mpc/h, if known.")
        periodic: bool = Field(True, description="Whether the maps wrap around.")
        content: MapContent | None = Field(
            None,
            description="What the pixels hold, if known: 'log1p-overdensity' (log(1 + δ)), "
            "'overdensity' (δ), 'density', 'log10-density', 'counts' or 'other'. Augmentations "
            "that act on the matter field (baryons) use it.",
        )
        split: tuple[float, float, float] = Field(
            (0.8, 0.1, 0.1), description="Train/val/test shares of the groups."
        )

    def files(self) -> list[Path]:
        p = self.params
        return [Path(f) for f in (p.maps, p.params, p.groups) if f is not None]

    def load(self, *, seed: int, progress: bool = False) -> MapSet:
        p = self.params
        path = Path(p.maps)
        maps = load_npy(path, what="maps")
        if maps.ndim == 3:
            maps = maps[:, None]
        if maps.ndim != 4:
            raise DataError(
                f"'{path}': maps must be [N, H, W] or [N, C, H, W], got shape {maps.shape}"
            )
        params = load_table(Path(p.params), "parameters")
        if params.ndim == 1:
            params = params[:, None]
        if len(params) != len(maps):
            raise DataError(
                f"'{p.params}' has {len(params)} rows but '{path}' holds {len(maps)} maps"
            )
        names = tuple(p.param_names or (f"theta_{i}" for i in range(params.shape[1])))
        if len(names) != params.shape[1]:
            raise DataError(
                f"param_names has {len(names)} names but '{p.params}' has {params.shape[1]} columns"
            )
        if p.groups is None:
            # A group's id is the row of its first map: an id the user can find in their file.
            _, first, inverse = np.unique(params, axis=0, return_index=True, return_inverse=True)
            groups = first[inverse.reshape(-1)]
        else:
            groups = load_table(Path(p.groups), "groups").reshape(-1)
            if len(groups) != len(maps):
                raise DataError(
                    f"'{p.groups}' has {len(groups)} group ids but '{path}' holds {len(maps)} maps"
                )
        groups = groups.astype(np.int64)
        priors, sources = resolve_priors(params, names, p.priors, where=f"'{p.params}'")
        return MapSet(
            maps=maps,
            params=params.astype(np.float32),
            param_names=names,
            cosmology_id=groups,
            simulation_id=groups,
            split=split_by_group(groups, p.split, seed),
            meta=MapMeta(
                shape=tuple(maps.shape[1:]),
                box_size=p.box_size,
                periodic=p.periodic,
                content=p.content,
            ),
            priors=priors,
            prior_sources=sources,
            param_labels=p.param_labels,
            attrs={"source": str(path)},
        )
