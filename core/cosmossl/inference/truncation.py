"""The prior truncated to a posterior's highest-probability region, for sequential inference.

Truncated sequential neural posterior estimation (TSNPE; Deistler, Gonçalves & Macke 2022,
"Truncated proposals for scalable and hassle-free simulation-based inference",
arXiv:2210.04815) draws each round's simulations from the prior truncated to the 1 − ε
highest-probability region (HPR) of the current posterior for the observation x_o:

    p̃(θ) ∝ p(θ) 1[log q(θ | x_o) > τ],   τ = the ε-quantile of log q(θ_i | x_o), θ_i ~ q(· | x_o).

Inside the region p̃ is proportional to the prior, so NPE trained with its plain
maximum-likelihood loss on every round's simulations stays an estimate of the posterior
(no proposal correction, no leakage) as long as the region holds the true posterior's mass;
ε is the mass given up (the paper's default, and sbi's, is 10⁻⁴).

:class:`TruncatedPrior` samples by rejection from the prior. Before any sampling it measures
the acceptance rate on a probe of prior draws: that rate is the region's share of the prior
mass, which for a box prior is the effective prior volume (as a fraction of the box). A region
that accepts too few draws raises :class:`~cosmossl.errors.TruncationError` at once, with the
numbers, instead of looping. A backend may build the accept function and the sampler with its
own library (the ``sbi`` backend uses sbi's ``get_density_thresholder`` and
``RestrictedPrior``); :meth:`cosmossl.inference.Posterior.truncated_prior` is the generic one.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import torch

from cosmossl.errors import DataError, TruncationError
from cosmossl.inference.prior import BoxPrior

#: Posterior mass outside the truncated region (Deistler et al. 2022; sbi's default quantile).
EPSILON = 1e-4
#: Posterior samples behind the threshold τ: ε × this many lie below it (10 at the defaults).
THRESHOLD_SAMPLES = 100_000
#: Prior draws on which the acceptance rate (the effective prior volume) is measured.
PROBE_DRAWS = 100_000
#: Prior draws a round may spend on rejection sampling before it gives up.
MAX_PRIOR_DRAWS = 20_000_000
#: Points per call of the accept function (bounds memory).
CHUNK = 65_536

#: θ ``[n, P]`` → ``[n]`` bool: whether each point lies in the truncated region.
Accept = Callable[[torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class TruncationStats:
    """What a truncation accepted, measured on prior draws.

    Attributes:
        epsilon: the posterior mass left outside the region.
        acceptance: fraction of the prior draws inside the region (its share of the prior mass,
            the effective prior volume as a fraction of the box).
        acceptance_error: the binomial standard error of ``acceptance``.
        prior_draws: how many prior draws measured it.
        volume: the effective prior volume, ``acceptance × Π (high − low)``, in the units of the
            parameters.
        low, high: the box spanned by the accepted draws, per parameter (the region's extent).
        threshold: τ, the log-density threshold, where the code that set it knows it (``None``
            when a backend's own library set it, e.g. sbi's ``get_density_thresholder``).
    """

    epsilon: float
    acceptance: float
    acceptance_error: float
    prior_draws: int
    volume: float
    low: tuple[float, ...]
    high: tuple[float, ...]
    threshold: float | None = None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["low"], out["high"] = list(self.low), list(self.high)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TruncationStats:
        return cls(**{**data, "low": tuple(data["low"]), "high": tuple(data["high"])})


def hpd_threshold(log_probs: torch.Tensor, epsilon: float) -> float:
    """τ such that a fraction ``epsilon`` of ``log_probs`` (log q of the posterior's own samples,
    ``[n]``) lies below it: the ⌊ε n⌋-th smallest, as sbi's ``get_density_thresholder``.

    Raises :class:`DataError` when ``n`` is too small to resolve ε (ε n < 1) or a value is NaN.
    """
    values = torch.as_tensor(log_probs).reshape(-1)
    if not 0.0 < epsilon < 1.0:
        raise DataError(f"truncation: epsilon must be in (0, 1), got {epsilon}")
    if epsilon * values.numel() < 1:
        raise DataError(
            f"truncation: {values.numel()} posterior samples cannot resolve epsilon {epsilon:g} "
            f"(need at least {math.ceil(1 / epsilon)})"
        )
    if torch.isnan(values).any():
        raise DataError("truncation: the posterior gave NaN log densities for its own samples")
    ordered, _ = torch.sort(values)
    return float(ordered[int(epsilon * values.numel())])


class TruncatedPrior:
    """The box ``prior`` restricted to the points where ``accept`` is true.

    ``draw`` (``n`` → ``[n, P]``) samples the region with a backend's own rejection sampler;
    without it, :meth:`sample` rejects prior draws itself. Either way the acceptance rate is
    measured first (:meth:`measure`) and a region too small to sample raises
    :class:`~cosmossl.errors.TruncationError`.
    """

    def __init__(
        self,
        prior: BoxPrior,
        accept: Accept,
        *,
        epsilon: float,
        threshold: float | None = None,
        draw: Callable[[int], torch.Tensor] | None = None,
    ) -> None:
        self.prior, self.epsilon, self.threshold = prior, float(epsilon), threshold
        self._accept, self._draw = accept, draw

    @torch.no_grad()
    def contains(self, theta: torch.Tensor) -> torch.Tensor:
        """``[n]`` bool: whether each point of ``theta [n, P]`` lies in the region (and the box)."""
        theta = torch.as_tensor(theta, dtype=torch.float32, device=self.prior.low.device)
        parts = [self._accept(theta[i : i + CHUNK]).reshape(-1).bool()
                 for i in range(0, len(theta), CHUNK)]  # fmt: skip
        inside = torch.cat(parts) if parts else torch.zeros(0, dtype=torch.bool)
        return inside.to(theta.device) & self.prior.contains(theta)

    def sample(
        self,
        n: int,
        *,
        seed: int = 0,
        probe: int = PROBE_DRAWS,
        max_draws: int = MAX_PRIOR_DRAWS,
    ) -> tuple[torch.Tensor, TruncationStats]:
        """``n`` points ``[n, P]`` of the truncated prior and the statistics of the truncation.

        ``probe`` prior draws measure the acceptance rate first; when fewer than one of them is
        accepted, or the ``n`` points would need more than ``max_draws`` prior draws, a
        :class:`~cosmossl.errors.TruncationError` says so before sampling. Deterministic for a
        ``seed`` (the global torch RNG is restored afterwards).
        """
        if n < 1:
            raise DataError(f"truncated prior: cannot draw {n} points")
        devices = [self.prior.low.device] if self.prior.low.device.type == "cuda" else []
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(seed)
            candidates = self.prior.sample((probe,))
            inside = self.contains(candidates)
            accepted = [candidates[inside]]
            count, drawn = int(inside.sum()), probe
            self._check_budget(n, count, drawn, max_draws)
            if self._draw is not None:
                theta = self._draw(n).to(candidates)
            else:
                while count < n and drawn < max_draws:
                    rate = count / drawn
                    batch = min(max(int(1.2 * (n - count) / rate), 1024), max_draws - drawn)
                    candidates = self.prior.sample((batch,))
                    inside = self.contains(candidates)
                    accepted.append(candidates[inside])
                    count, drawn = count + int(inside.sum()), drawn + batch
                self._check_budget(n, count, drawn, max_draws, final=True)
                theta = torch.cat(accepted)[:n]
        return theta, self._stats(torch.cat(accepted), count, drawn)

    def measure(self, probe: int = PROBE_DRAWS, *, seed: int = 0) -> TruncationStats:
        """The acceptance rate and effective volume on ``probe`` prior draws (no sampling)."""
        devices = [self.prior.low.device] if self.prior.low.device.type == "cuda" else []
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(seed)
            candidates = self.prior.sample((probe,))
            inside = self.contains(candidates)
        return self._stats(candidates[inside], int(inside.sum()), probe)

    def _check_budget(
        self, n: int, count: int, drawn: int, max_draws: int, *, final: bool = False
    ) -> None:
        enough = count >= n if final else count > 0 and n * drawn / count <= max_draws
        if enough:
            return
        rate = count / drawn
        raise TruncationError(
            acceptance=rate,
            prior_draws=drawn,
            needed=n,
            max_draws=max_draws,
            epsilon=self.epsilon,
        )

    def _stats(self, accepted: torch.Tensor, count: int, drawn: int) -> TruncationStats:
        rate = count / drawn
        width = (self.prior.high - self.prior.low).double().cpu()
        if len(accepted):
            low = tuple(accepted.min(0).values.double().cpu().tolist())
            high = tuple(accepted.max(0).values.double().cpu().tolist())
        else:
            low = high = tuple(math.nan for _ in range(self.prior.dim))
        return TruncationStats(
            epsilon=self.epsilon,
            acceptance=rate,
            acceptance_error=math.sqrt(rate * (1 - rate) / drawn),
            prior_draws=drawn,
            volume=rate * float(width.prod()),
            low=low,
            high=high,
            threshold=self.threshold,
        )
