"""Fresh realisations while training: new maps of the training cosmologies at every step.

With few stored realisations per cosmology an encoder memorises the training maps (measured: 2
realisations per cosmology, validation loss lowest after 5 epochs). A cheap simulator removes
the problem at its root: every step simulates new maps of the batch's cosmologies, so the
encoder never sees the same map twice. Validation and test keep their stored maps.

Every map is a pure function of (run seed, epoch, step, the row's position in the global batch,
the view): a resumed run draws exactly the maps of an uninterrupted one, and W processes
together draw what one process draws, each simulating only its own share.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import torch

from cosmossl._util.seeds import derive_seed
from cosmossl.components.dataset import TrainingSimulator
from cosmossl.data.mapset import MapSet
from cosmossl.errors import ConfigError

#: Separate the fresh maps' noise seeds, nuisance draws and the choice of paired rows (a mixture
#: of paired and across-simulation positives) from every other stream of a run seed.
NOISE_STREAM, NUISANCE_STREAM, MIXTURE_STREAM = 0xF4E5, 0xF4E6, 0xF4E7
#: Pairing levels whose views share one nuisance draw (one simulation, several maps of it).
SHARED_NUISANCE = {"same-simulation"}
#: Pairing levels whose views share one noise seed (paired simulations: only the nuisance differs).
SHARED_NOISE = {"paired"}


@dataclass(frozen=True)
class FreshMaps:
    """Simulates the views of a batch: ``rows`` name the cosmologies, the maps are new.

    Attributes:
        simulator: the training simulator.
        mapset: the stored maps; only their parameters are read (the cosmology of each row).
        level: the pairing level: views of one row share a nuisance draw at
            ``"same-simulation"`` and draw their own otherwise; they share a noise seed at
            ``"paired"`` (paired simulations) and have their own otherwise.
        views: V, the views made of each row.
        seed: the run seed.
        device: where the maps are simulated (the training device).
        first_row: position of this process's first row in the global batch (rank × share).
        paired_fraction: at ``"paired"``, the share of rows whose views share a seed; the others
            get a seed per view (positives across simulations). Which rows are paired is a pure
            function of (seed, epoch, step, row).
    """

    simulator: TrainingSimulator
    mapset: MapSet
    level: str
    views: int
    seed: int
    device: torch.device
    first_row: int = 0
    paired_fraction: float = 1.0

    def __post_init__(self) -> None:
        if self.level in SHARED_NOISE and not np.asarray(self.simulator.draw_nuisance([0])).size:
            warnings.warn(
                f"pairing level '{self.level}' shares the seed between views, but the simulator "
                "draws no nuisance: the views are the same map up to their augmentations",
                stacklevel=3,
            )

    def seeds(self, epoch: int, step: int, n_rows: int) -> np.ndarray:
        """Noise seeds ``[n_rows, V]`` of this process's rows at ``(epoch, step)`` (the views of
        a row share one where the level says so)."""
        rows = range(self.first_row, self.first_row + n_rows)
        out = np.empty((n_rows, self.views), dtype=np.int64)
        for i, row in enumerate(rows):
            shared = self.paired(epoch, step, row)
            for view in range(self.views):
                out[i, view] = derive_seed(
                    self.seed, NOISE_STREAM, epoch, step, row, 0 if shared else view
                )
        return out

    def paired(self, epoch: int, step: int, row: int) -> bool:
        """Whether the views of ``row`` (its position in the global batch) share a seed."""
        if self.level not in SHARED_NOISE:
            return False
        if self.paired_fraction >= 1.0:
            return True
        unit = derive_seed(self.seed, MIXTURE_STREAM, epoch, step, row) / 2.0**63
        return unit < self.paired_fraction

    def nuisance(self, epoch: int, step: int, n_rows: int) -> np.ndarray | None:
        """Nuisance draws ``[n_rows · V, Q]`` (views share a row's draw where the level says
        so), or ``None`` for a simulator without nuisance parameters."""
        rows = range(self.first_row, self.first_row + n_rows)
        shared = self.level in SHARED_NUISANCE
        keys = [
            derive_seed(self.seed, NUISANCE_STREAM, epoch, step, row, 0 if shared else view)
            for row in rows
            for view in range(self.views)
        ]
        draws = np.asarray(self.simulator.draw_nuisance(keys), dtype=np.float64)
        return draws if draws.shape[1] else None

    def __call__(self, epoch: int, step: int, rows: np.ndarray) -> tuple[np.ndarray, torch.Tensor]:
        """``(rows [b, V], maps [b·V, C, H, W])`` for the sampler's ``rows`` (``[b, ≥1]``):
        every view of row i is a new realisation of the cosmology of map ``rows[i, 0]``."""
        first = np.asarray(rows)[:, 0]
        n_rows = len(first)
        theta = np.repeat(np.asarray(self.mapset.params[first], dtype=np.float64), self.views, 0)
        seeds = self.seeds(epoch, step, n_rows).reshape(-1)
        nuisance = self.nuisance(epoch, step, n_rows)
        maps = self.simulator.simulate_tensor(theta, seeds, nuisance, device=self.device)
        return np.repeat(first[:, None], self.views, axis=1), maps


def fresh_simulator(setting: bool | str, dataset: object) -> TrainingSimulator | None:
    """The simulator to draw fresh training maps from, or ``None`` to train on stored maps.

    ``setting`` is ``[train] fresh``: ``True`` needs a :class:`TrainingSimulator` dataset,
    ``False`` never simulates, ``"auto"`` simulates when the dataset says it is cheap enough
    (``fresh_by_default``).
    """
    if setting is False:
        return None
    if isinstance(dataset, TrainingSimulator):
        return dataset if setting is True or dataset.fresh_by_default else None
    if setting is True:
        raise ConfigError(
            f"[train] fresh = true needs a dataset that simulates maps on demand (a "
            f"TrainingSimulator such as 'lognormal'); '{type(dataset).__name__}' loads stored "
            'maps: set fresh = false or "auto"'
        )
    return None
