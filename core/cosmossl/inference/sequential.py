"""Truncated sequential neural posterior estimation (TSNPE) for one observation: a round's parts.

Deistler, Gonçalves & Macke 2022, "Truncated proposals for scalable and hassle-free
simulation-based inference", arXiv:2210.04815. Round r = 1 … K, for an observation x_o:

1. :func:`propose`: M points from the prior truncated to the current posterior's 1 − ε
   highest-probability region for x_o (:meth:`~cosmossl.inference.Posterior.truncated_prior`),
   with the acceptance rate and effective prior volume of the truncation;
2. the caller simulates each point (a survey of N maps for surveys) and compresses it with the
   run's summary (:mod:`cosmossl.job.sequential` does both, and stores every round);
3. :func:`refit`: the backend fitted afresh by :func:`cosmossl.inference.fit` on the base rows
   (the run's own training rows) and every round's simulations so far, with the plain NPE
   loss. TSNPE needs no proposal correction: inside the region the truncated prior is
   proportional to the prior, so all rounds together are fitted like prior simulations (sbi's
   TSNPE recipe trains with ``force_first_round_loss=True``, and sbi 0.27's
   ``append_simulations`` treats a ``RestrictedPrior`` of the prior as the prior). Unlike that
   recipe, which continues training one network, each round fits a new one on all the data.
   The framework's split, standardisation (fitted on the training rows of all rounds
   together) and prior are those of every fit.

Each round's points are split into training and validation points (:func:`validation_points`),
so early stopping always sees held-out simulations of every round.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch

from cosmossl.errors import DataError
from cosmossl.inference.fitting import fit
from cosmossl.inference.truncation import (
    EPSILON,
    MAX_PRIOR_DRAWS,
    PROBE_DRAWS,
    THRESHOLD_SAMPLES,
    TruncationStats,
)

if TYPE_CHECKING:
    from cosmossl.components.backend import Backend
    from cosmossl.inference.posterior import Posterior
    from cosmossl.inference.prior import BoxPrior

    Rows = tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True)
class RoundSettings:
    """How each round truncates and how many points it simulates.

    Attributes:
        simulations: M, the parameter points simulated per round.
        epsilon: the posterior mass left outside the truncated region.
        threshold_samples: posterior samples behind the region's threshold.
        probe: prior draws that measure the acceptance rate before sampling.
        max_prior_draws: prior draws a round may spend before it refuses
            (:class:`~cosmossl.errors.TruncationError`).
        val_fraction: the share of each round's points held out for validation.
    """

    simulations: int
    epsilon: float = EPSILON
    threshold_samples: int = THRESHOLD_SAMPLES
    probe: int = PROBE_DRAWS
    max_prior_draws: int = MAX_PRIOR_DRAWS
    val_fraction: float = 0.1

    def __post_init__(self) -> None:
        if self.simulations < 10:
            raise DataError(
                f"sequential rounds need at least 10 simulations per round, got {self.simulations}"
            )
        if not 0.0 < self.val_fraction < 1.0:
            raise DataError(f"val_fraction must be in (0, 1), got {self.val_fraction}")


@dataclass(frozen=True)
class RoundSimulations:
    """One round's simulations: points ``theta [M, P]``, their summaries ``[M, D]`` (the mean
    of a survey's N maps for surveys) and which points validate (``is_val [M]``)."""

    theta: np.ndarray
    summaries: np.ndarray
    is_val: np.ndarray


def propose(
    posterior: Posterior, x: np.ndarray | torch.Tensor, settings: RoundSettings, *, seed: int
) -> tuple[np.ndarray, TruncationStats]:
    """M points ``[M, P]`` (float64) of the prior truncated to ``posterior``'s 1 − ε region for
    the observation ``x [D]``, and the statistics of the truncation. Deterministic for a
    ``seed``; a region too small to sample raises :class:`~cosmossl.errors.TruncationError`."""
    region = posterior.truncated_prior(
        torch.as_tensor(np.asarray(x, dtype=np.float32)),
        settings.epsilon,
        samples=settings.threshold_samples,
        seed=seed,
    )
    theta, stats = region.sample(
        settings.simulations,
        seed=seed + 1,
        probe=settings.probe,
        max_draws=settings.max_prior_draws,
    )
    return theta.double().cpu().numpy(), stats


def validation_points(n: int, fraction: float, *, seed: int) -> np.ndarray:
    """``[n]`` bool: ``round(fraction · n)`` points (at least 1, at most n − 2) chosen at random
    to validate, deterministic for a ``seed``."""
    count = min(max(1, round(fraction * n)), n - 2)
    if count < 1:
        raise DataError(f"cannot hold out validation points among {n}")
    mask = np.zeros(n, dtype=bool)
    mask[np.random.default_rng(seed).choice(n, count, replace=False)] = True
    return mask


def refit(
    backend: Backend,
    base_train: Rows | None,
    base_val: Rows | None,
    rounds: Sequence[RoundSimulations],
    prior: BoxPrior,
    *,
    seed: int = 0,
    progress: bool = True,
    device: str | torch.device = "cpu",
) -> Posterior:
    """``backend`` fitted afresh on the base rows (``(θ [N, P], x [N, D])`` each, or ``None``)
    and the training and validation points of every round, with the framework's :func:`fit`."""

    def stack(base: Rows | None, pick: bool) -> tuple[np.ndarray, np.ndarray]:
        thetas = [] if base is None else [np.asarray(base[0], dtype=np.float64)]
        xs = [] if base is None else [np.asarray(base[1], dtype=np.float64)]
        for r in rounds:
            thetas.append(r.theta[r.is_val == pick])
            xs.append(r.summaries[r.is_val == pick])
        if not thetas:
            raise DataError("refit: no base rows and no rounds to fit on")
        return np.concatenate(thetas), np.concatenate(xs)

    posterior = fit(
        backend,
        stack(base_train, False),
        stack(base_val, True),
        prior,
        seed=seed,
        progress=progress,
        device=device,
    )
    posterior.info["rounds"] = len(rounds)
    posterior.info["n_simulated"] = int(sum(len(r.theta) for r in rounds))
    return posterior
