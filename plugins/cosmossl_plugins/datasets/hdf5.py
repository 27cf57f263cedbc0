"""A cosmossl HDF5 map file, as written by ``cosmossl simulate`` (see docs/formats.md)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

import cosmossl
from cosmossl import Dataset
from cosmossl.data import MapSet, read_mapset


class HDF5(Dataset):
    """Maps, parameters, ids and split read lazily from one cosmossl HDF5 file.

    The split stored in the file is used as is (it was assigned by cosmology when written).
    """

    class Params(cosmossl.Params):
        path: str = Field(
            "maps.h5",
            description="Path of the .h5 file written by "
            "`cosmossl simulate` (or cosmossl.data.write_mapset).",
        )

    def load(self, *, seed: int, progress: bool = False) -> MapSet:
        return read_mapset(self.params.path)

    def files(self) -> list[Path]:
        return [Path(self.params.path)]
