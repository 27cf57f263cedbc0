"""A problem with a known posterior, for checking backends: linear-Gaussian summaries.

θ ~ Uniform(box), x = A θ + b + ε with ε ~ N(0, σ² I). The posterior is the Gaussian
N(m(x), Σ) with Σ = σ² (AᵀA)⁻¹ and m(x) = (AᵀA)⁻¹ Aᵀ (x - b), truncated to the box. Away from
the box edges (m more than a few posterior σ inside, see :meth:`LinearGaussian.interior`) the
truncation is negligible and the posterior mean and covariance are exactly m(x) and Σ.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cosmossl.data.summaries import Summaries
from cosmossl.inference.prior import BoxPrior


@dataclass
class LinearGaussian:
    """x = A θ + b + ε with a box prior on θ; analytic posterior via :meth:`posterior`."""

    A: np.ndarray  # [D, P]
    b: np.ndarray  # [D]
    noise: float
    low: np.ndarray  # [P]
    high: np.ndarray  # [P]

    @classmethod
    def make(
        cls, n_params: int = 2, n_summaries: int = 4, noise: float = 0.3, seed: int = 0
    ) -> LinearGaussian:
        rng = np.random.default_rng(seed)
        low = rng.uniform(-1.0, 0.0, size=n_params)
        return cls(
            A=rng.normal(size=(n_summaries, n_params)),
            b=rng.normal(size=n_summaries),
            noise=noise,
            low=low,
            high=low + 3.0,
        )

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f"theta_{i}" for i in range(len(self.low)))

    def box(self) -> BoxPrior:
        return BoxPrior(self.low, self.high, self.names)

    def observe(self, theta: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        x = theta @ self.A.T + self.b + self.noise * rng.normal(size=(len(theta), len(self.b)))
        return x.astype(np.float32)

    def simulate(self, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """``(θ [n, P], x [n, D])`` float32 with θ from the box prior."""
        rng = np.random.default_rng(seed)
        theta = rng.uniform(self.low, self.high, size=(n, len(self.low))).astype(np.float32)
        return theta, self.observe(theta, rng)

    def posterior(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Untruncated posterior ``(mean [B, P], covariance [P, P])`` for ``x [B, D]``."""
        gram = self.A.T @ self.A
        cov = self.noise**2 * np.linalg.inv(gram)
        mean = np.linalg.solve(gram, self.A.T @ (np.asarray(x, np.float64) - self.b).T).T
        return mean, cov

    def interior(self, x: np.ndarray, margin: float = 4.0) -> np.ndarray:
        """``[B]`` bool: posterior mean at least ``margin`` posterior σ inside every edge."""
        mean, cov = self.posterior(x)
        std = np.sqrt(np.diag(cov))
        return ((mean - margin * std > self.low) & (mean + margin * std < self.high)).all(-1)

    def summaries(
        self, n: int, seed: int = 0, per_group: int = 1, test_fraction: float = 0.2
    ) -> Summaries:
        """A :class:`Summaries` with ``n`` rows; groups of ``per_group`` rows share θ."""
        groups = n // per_group
        theta, _ = self.simulate(groups, seed)
        theta = np.repeat(theta, per_group, axis=0)
        rng = np.random.default_rng(seed + 1)
        group = np.repeat(np.arange(groups), per_group)
        split = np.where(rng.permutation(groups) < round(test_fraction * groups), 2, 0)[group]
        return Summaries(
            summaries=self.observe(theta, rng),
            params=theta,
            param_names=self.names,
            cosmology_id=group,
            simulation_id=np.arange(len(theta)),
            split=split.astype(np.int8),
            priors={
                name: (float(lo), float(hi))
                for name, lo, hi in zip(self.names, self.low, self.high)
            },
            provenance={"statistic": "linear-gaussian", "seed": seed},
        )
