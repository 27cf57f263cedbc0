"""A cosmossl HDF5 map file, as written by ``cosmossl simulate`` (see docs/formats.md)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from pydantic import Field

import cosmossl
from cosmossl import Dataset
from cosmossl.data import MapSet, PriorBox, read_mapset, resolve_priors


class HDF5(Dataset):
    """Maps, parameters, ids and split read lazily from one cosmossl HDF5 file.

    The split stored in the file is used as is (it was assigned by cosmology when written).

    Priors: a file written by ``cosmossl simulate`` records the prior its parameters were drawn
    from, and that is the prior. ``priors = { A = [0.5, 2.0] }`` states another (it overrides
    the file's, e.g. for a file written by hand, or to analyse a narrower box; every row must
    lie inside it). A parameter the file has no true prior for (a file written from your own
    arrays, whose prior was the data's min–max) gets the data's min–max, with a warning, as in
    the ``npy`` dataset.
    """

    class Params(cosmossl.Params):
        path: str = Field(
            "maps.h5",
            description="Path of the .h5 file written by "
            "`cosmossl simulate` (or cosmossl.data.write_mapset).",
        )
        priors: dict[str, PriorBox] = Field(
            default_factory=dict,
            description="A box prior [low, high] per parameter, overriding the one the file "
            "records, e.g. { omega_m = [0.1, 0.5] }. A parameter the file records no prior for "
            "gets the data's min–max, with a warning.",
        )

    def load(self, *, seed: int, progress: bool = False) -> MapSet:
        mapset = read_mapset(self.params.path)
        names = mapset.param_names
        # A min–max prior written into the file is no knowledge of the true prior.
        recorded = {n: box for n, box in mapset.priors.items()
                    if n in names and mapset.prior_sources.get(n) != "data"}  # fmt: skip
        priors, sources = resolve_priors(
            mapset.params, names, self.params.priors,
            where=f"'{self.params.path}'", recorded=recorded,
        )  # fmt: skip
        nuisance = {n: box for n, box in mapset.priors.items() if n not in names}
        return dataclasses.replace(
            mapset,
            priors={**nuisance, **priors},
            prior_sources={**{n: mapset.prior_sources[n] for n in nuisance}, **sources},
        )

    def files(self) -> list[Path]:
        return [Path(self.params.path)]
