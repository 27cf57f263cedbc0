"""Is an observation's summary like the summaries the posterior was trained on?

An amortised posterior is only as good as the summaries it saw: a map in another transform,
with noise the simulations lack, or of another spectrum lands where the posterior was never
fitted, and its samples then mean nothing. The check here is the Mahalanobis distance

    d(x) = sqrt((x − μ)ᵀ Σ⁻¹ (x − μ))

of a summary x from the mean μ and covariance Σ of the training maps' summaries, turned into a
percentile among the distances of held-out maps (validation and test) of the same run, which
the same check has never seen: a percentile of 99.9 means that only 1 in 1000 simulated maps
lies further out. Beyond :data:`THRESHOLD` the map is flagged as out of distribution. (Σ gets a
small ridge, so a summary dimension that barely varies cannot blow the distance up.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cosmossl.errors import DataError

#: Percentile of the held-out maps' distances beyond which a map is flagged (1 in 1000 genuine
#: maps is flagged by chance).
THRESHOLD = 99.9
#: Ridge added to the covariance, relative to its mean variance.
RIDGE = 1e-6


@dataclass(frozen=True)
class DistanceReference:
    """Mean, inverse covariance and the held-out maps' distances (sorted) of one summary."""

    mean: np.ndarray
    precision: np.ndarray
    reference: np.ndarray

    @classmethod
    def fit(cls, train: np.ndarray, held_out: np.ndarray) -> DistanceReference:
        """From the summaries ``[N, D]`` of training maps and of held-out maps."""
        train = np.asarray(train, dtype=np.float64)
        held_out = np.asarray(held_out, dtype=np.float64)
        if train.ndim != 2 or train.shape[0] <= train.shape[1] or held_out.shape[0] < 1:
            raise DataError(
                f"the out-of-distribution check needs more training summaries than dimensions "
                f"and some held-out ones; got {train.shape} and {held_out.shape}"
            )
        mean = train.mean(axis=0)
        cov = np.atleast_2d(np.cov(train, rowvar=False))
        cov += RIDGE * max(float(np.trace(cov)) / len(cov), 1e-300) * np.eye(len(cov))
        precision = np.linalg.inv(cov)
        reference = cls(mean, precision, np.zeros(0))
        return cls(mean, precision, np.sort(reference.distance(held_out)))

    def distance(self, x: np.ndarray) -> np.ndarray:
        """Mahalanobis distances ``[B]`` of summaries ``x [B, D]``."""
        centred = np.asarray(x, dtype=np.float64) - self.mean
        return np.sqrt(np.einsum("bi,ij,bj->b", centred, self.precision, centred))

    def percentile(self, distance: np.ndarray) -> np.ndarray:
        """The share (in %) of held-out maps closer than each of ``distance [B]``."""
        below = np.searchsorted(self.reference, np.asarray(distance), side="left")
        return 100.0 * below / len(self.reference)


@dataclass(frozen=True)
class DistributionCheck:
    """The check of B summaries: distances, percentiles, which are flagged, the threshold."""

    distance: np.ndarray
    percentile: np.ndarray
    threshold: float = THRESHOLD

    @property
    def flagged(self) -> np.ndarray:
        return self.percentile > self.threshold

    def to_dict(self) -> dict[str, object]:
        return {
            "distance": self.distance.tolist(),
            "percentile": self.percentile.tolist(),
            "threshold_percentile": self.threshold,
            "flagged": self.flagged.tolist(),
        }


def check_distribution(
    reference: DistanceReference, x: np.ndarray, threshold: float = THRESHOLD
) -> DistributionCheck:
    """The out-of-distribution check of summaries ``x [B, D]`` against ``reference``."""
    distance = reference.distance(x)
    return DistributionCheck(distance, reference.percentile(distance), threshold)
