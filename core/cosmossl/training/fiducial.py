"""Simulations at the fiducial point, for losses that train on them (``Loss.training_data``).

An information-maximising loss (``imnn``) needs, at every step, maps at the simulator's fiducial
point θ_fid (for the summaries' covariance) and seed-matched maps at shifted points
θ_fid + k·δ_a·e_a (for the derivative of their mean). :class:`FiducialMaps` simulates them.

Every map is a pure function of (run seed, split, epoch, step, its position in the global
batch): a resumed run draws what an uninterrupted one draws, validation draws the same maps at
every epoch (epoch 0 of the ``val`` stream), and W processes together draw what one process
draws, each simulating only its own share. The seeds are a stream of their own, apart from the
fresh training maps and from the seeds of the information check, so a summary is never judged on
the maps it was trained on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch

from cosmossl._util.seeds import derive_seed
from cosmossl.components.dataset import Simulator
from cosmossl.components.training_data import FiducialBatch, FiducialSimulations
from cosmossl.data.splits import Split
from cosmossl.data.standardize import Standardizer
from cosmossl.errors import ConfigError

if TYPE_CHECKING:
    from cosmossl.components.loss import Loss

#: Separates the fiducial simulations' seeds from every other stream of a run seed.
FIDUCIAL_STREAM = 0xF1D0
#: The two kinds of map of a batch: at θ_fid, and at the shifted points of a derivative seed.
FIDUCIAL, DERIVATIVE = 0, 1

#: ``augment(maps [N, C, H, W], key)``: the run's augmentations (drawn from a generator seeded by
#: ``key`` and the step) then its map standardisation.
Augment = Callable[[torch.Tensor, int], torch.Tensor]


@dataclass(frozen=True)
class FiducialMaps:
    """Makes the :class:`~cosmossl.components.training_data.FiducialBatch` of a step.

    Attributes:
        simulator: the dataset, which simulates on demand.
        design: what the loss asked for (counts, step, stencil).
        theta_scale: the training split's standardisation of θ (the units the loss sees).
        seed: the run seed. device: where the maps go (the training device).
        rank, world: this process and the number of processes.
    """

    simulator: Simulator
    design: FiducialSimulations
    theta_scale: Standardizer
    seed: int
    device: torch.device
    rank: int = 0
    world: int = 1

    def __post_init__(self) -> None:
        d = self.design
        if d.n_fiducial % self.world or d.n_derivative % self.world:
            raise ConfigError(
                f"the loss's n_fiducial = {d.n_fiducial} and n_derivative = {d.n_derivative} "
                f"simulations per step cannot be shared by {self.world} processes: use "
                f"multiples of {self.world}"
            )

    @property
    def theta(self) -> np.ndarray:
        """θ_fid ``[P]`` in the simulator's units."""
        return np.asarray(self.simulator.fiducial, dtype=np.float64)

    @property
    def delta(self) -> np.ndarray:
        """δ ``[P]`` in the simulator's units: the relative step times |θ_fid|."""
        return self.design.step * np.abs(self.theta)

    def seeds(self, split: str, epoch: int, step: int, kind: int) -> list[int]:
        """This process's noise seeds of one kind of map (:data:`FIDUCIAL` or
        :data:`DERIVATIVE`) at ``(split, epoch, step)``."""
        total = self.design.n_fiducial if kind == FIDUCIAL else self.design.n_derivative
        share = total // self.world
        code = int(Split.parse(split))
        return [
            derive_seed(self.seed, FIDUCIAL_STREAM, code, epoch, step, kind, index)
            for index in range(self.rank * share, (self.rank + 1) * share)
        ]

    def __call__(self, split: str, epoch: int, step: int, augment: Augment) -> FiducialBatch:
        """The batch of ``(split, epoch, step)``, augmented and standardised by ``augment``."""
        theta, delta = self.theta, self.delta
        offsets = self.design.offsets
        fid_seeds = self.seeds(split, epoch, step, FIDUCIAL)
        derivative_seeds = self.seeds(split, epoch, step, DERIVATIVE)
        points = [theta] * len(fid_seeds)
        seeds = list(fid_seeds)
        for a in range(len(theta)):
            for k in offsets:
                shifted = theta.copy()
                shifted[a] += k * delta[a]
                points += [shifted] * len(derivative_seeds)
                seeds += derivative_seeds
        maps = self._simulate(np.stack(points), seeds)
        n, m = len(fid_seeds), len(derivative_seeds)
        fiducial = augment(maps[:n], FIDUCIAL)
        shifted_maps = maps[n:].unflatten(0, (len(theta), len(offsets), m))
        # One key for every shifted point: the maps of a seed draw the same augmentation.
        shifted_maps = torch.stack([
            torch.stack([augment(shifted_maps[a, s], DERIVATIVE) for s in range(len(offsets))])
            for a in range(len(theta))
        ])  # fmt: skip
        mean, std = self.theta_scale.mean, self.theta_scale.std
        return FiducialBatch(
            fiducial=fiducial,
            shifted=shifted_maps,
            theta=torch.as_tensor((theta - mean) / std, dtype=torch.float32, device=self.device),
            delta=torch.as_tensor(delta / std, dtype=torch.float32, device=self.device),
            stencil=self.design.stencil,
        )

    def _simulate(self, theta: np.ndarray, seeds: list[int]) -> torch.Tensor:
        simulate_tensor = getattr(self.simulator, "simulate_tensor", None)
        if callable(simulate_tensor):
            maps = simulate_tensor(theta, seeds, None, device=self.device)
        else:
            maps = self.simulator.simulate(theta, seeds)
        return torch.as_tensor(maps, dtype=torch.float32).to(self.device)


def fiducial_maps(
    loss: Loss,
    simulator: Simulator | None,
    theta_scale: Standardizer,
    seed: int,
    device: torch.device,
    rank: int = 0,
    world: int = 1,
) -> FiducialMaps | None:
    """The fiducial simulations ``loss`` asked for, or ``None`` when it asked for none.

    Raises :class:`ConfigError` when it asked for them and ``simulator`` is not a simulator.
    """
    design = loss.training_data(loss.params).fiducial
    if design is None:
        return None
    if not isinstance(simulator, Simulator):
        raise ConfigError(
            f"the loss {type(loss).__name__} trains on {design.describe()}, but the training "
            "was given no simulator: use a dataset that simulates maps on demand (e.g. "
            "'lognormal')"
        )
    return FiducialMaps(simulator, design, theta_scale, seed, device, rank, world)
