"""What a loss trains on: the declaration a loss makes, and the batches the engine hands it.

Every loss trains on *views* by default: ``B`` groups × ``V`` views of the training maps, and
the groups' parameters θ. A loss may declare other needs with the classmethod
``Loss.training_data(params) -> TrainingData``; the training loop provides them at every step
(and, with fixed seeds, at every validation), and ``cosmossl validate`` refuses a run whose
dataset cannot provide them, naming the loss and the dataset.

The one other need so far: **simulations at a fiducial point** (:class:`FiducialSimulations`),
as information-maximising losses use (``imnn``): ``n_fiducial`` maps at θ_fid for a
covariance and, for each of ``n_derivative`` seeds, one map at every shifted point
θ_fid + k·δ_a·e_a of a finite-difference stencil, all of one seed (seed-matched derivatives).
The loop simulates them from the dataset (a :class:`~cosmossl.Simulator`) and passes them to
``forward`` as the keyword argument ``fiducial`` (a :class:`FiducialBatch`), only to a loss that
asked for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch

from cosmossl.nn.fisher import STENCILS, stencil_derivatives

if TYPE_CHECKING:
    from torch import nn


@dataclass(frozen=True)
class FiducialSimulations:
    """Simulations at the simulator's fiducial point θ_fid, at every step.

    Attributes:
        n_fiducial: maps at θ_fid per step, over all processes (a multiple of the number of
            processes under DDP).
        n_derivative: seeds per step for the derivatives, over all processes; each gives one
            map at every shifted point (P·(stencil − 1) maps per seed).
        step: the finite-difference step relative to θ: δ_a = step · |θ_fid,a|.
        stencil: 3 (θ ± δ: central differences) or 5 (θ ± δ, θ ± 2δ).
    """

    n_fiducial: int
    n_derivative: int
    step: float = 0.01
    stencil: int = 3

    def __post_init__(self) -> None:
        if self.n_fiducial < 2 or self.n_derivative < 2:
            raise ValueError(
                f"fiducial simulations need n_fiducial ≥ 2 and n_derivative ≥ 2, got "
                f"{self.n_fiducial} and {self.n_derivative}"
            )
        if not 0 < self.step < 0.5:
            raise ValueError(f"the relative step must be in (0, 0.5), got {self.step}")
        if self.stencil not in STENCILS:
            raise ValueError(f"stencil must be one of {sorted(STENCILS)}, got {self.stencil}")

    @property
    def offsets(self) -> tuple[int, ...]:
        """The multiples k of δ of the stencil's shifted points, in :class:`FiducialBatch` order."""
        return tuple(k for k, _ in STENCILS[self.stencil])

    def maps_per_step(self, n_params: int) -> int:
        """Maps simulated per step for ``n_params`` parameters, over all processes."""
        return self.n_fiducial + n_params * len(self.offsets) * self.n_derivative

    def describe(self) -> str:
        """In words, for messages: what is simulated at every step."""
        return (
            f"{self.n_fiducial} fiducial maps and {self.n_derivative} seed-matched derivative "
            f"seeds ({self.stencil}-point stencil, step {self.step:g}·|θ|) at the simulator's "
            "fiducial point every step"
        )


@dataclass(frozen=True)
class TrainingData:
    """What a loss trains on (``Loss.training_data(params)``).

    Attributes:
        views: the loop draws groups × views of the training maps and passes them (and θ) as
            usual; ``False``: ``forward`` gets ``views=None`` and nothing is read or simulated
            for them.
        fiducial: simulations at the fiducial point every step, passed as ``fiducial=``
            (:class:`FiducialBatch`); needs a dataset that simulates (``cosmossl.Simulator``).
    """

    views: bool = True
    fiducial: FiducialSimulations | None = None

    def __post_init__(self) -> None:
        if not self.views and self.fiducial is None:
            raise ValueError("a loss must train on something: views, fiducial simulations or both")

    @property
    def needs_simulator(self) -> bool:
        """Whether the dataset must simulate maps on demand."""
        return self.fiducial is not None

    def describe(self) -> str:
        """In words, for messages."""
        parts = ["views of the training maps"] if self.views else []
        if self.fiducial is not None:
            parts.append(self.fiducial.describe())
        return " and ".join(parts)


@dataclass(frozen=True)
class FiducialBatch:
    """One step's simulations at the fiducial point (this process's share of them).

    Maps are augmented and standardised like the views: each fiducial map draws its own
    augmentation, and the maps of one derivative seed all draw the same one, so the finite
    differences stay seed-matched. θ and δ are in the units the loss sees θ in: standardised
    with the training split's mean and standard deviation per parameter, as the ``theta`` of
    supervised losses.

    Attributes:
        fiducial: ``[n, C, H, W]`` maps at θ_fid.
        shifted: ``[P, S, m, C, H, W]`` maps at θ_fid + k_s·δ_a·e_a for parameter a and
            stencil point s (``FiducialSimulations.offsets`` order); simulation i has one seed
            for every a and s.
        theta: ``[P]`` the fiducial point. delta: ``[P]`` the steps δ_a.
        stencil: the stencil (3 or 5).
    """

    fiducial: torch.Tensor
    shifted: torch.Tensor
    theta: torch.Tensor
    delta: torch.Tensor
    stencil: int = 3

    def encode(self, encoder: nn.Module) -> tuple[torch.Tensor, torch.Tensor]:
        """Fiducial summaries ``[n, D]`` and per-simulation derivatives ``[P, m, D]``.

        All maps go through ``encoder`` in ONE call, so an encoder with batch statistics
        (batch norm in training mode) treats the shifted maps of a seed alike: their
        differences are the derivative, not a change of batch. The call runs in full precision
        even under bf16 autocast: a finite difference over a step of a few per cent of θ is
        lost in bf16's 8-bit mantissa.
        """
        n = self.fiducial.shape[0]
        shifted_shape = self.shifted.shape[:3]
        maps = torch.cat([self.fiducial, self.shifted.flatten(0, 2)])
        with torch.autocast(device_type=maps.device.type, enabled=False):
            summaries = encoder(maps)
            shifted = summaries[n:].unflatten(0, shifted_shape)
            return summaries[:n], stencil_derivatives(shifted, self.delta, self.stencil)

    def to(self, device: torch.device | str) -> FiducialBatch:
        """The batch on ``device``."""
        return FiducialBatch(
            self.fiducial.to(device),
            self.shifted.to(device),
            self.theta.to(device),
            self.delta.to(device),
            self.stencil,
        )
