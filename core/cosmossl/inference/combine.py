"""Surveys of N independent maps from a single-map posterior.

When N maps x₁..x_N of one universe are independent given θ (distinct patches or
realisations), Bayes' theorem gives

    p(θ | x₁..x_N) ∝ p(θ)^(1−N) Π_i p(θ | x_i),

so an amortised single-map posterior q(θ | x) answers for a survey of any size. The product is
known only up to a constant and is narrower than each factor (by about √N), so it is sampled in
two steps, vectorised over all draws:

1. **Adaptive importance sampling.** The proposal is a mixture of two multivariate Student-t
   distributions (ν = 4): one at the product of Gaussian fits to each q(θ | x_i) (widened by
   1.5), and, with weight 0.2, one as wide as the pooled single-map draws (a defensive part for
   posteriors far from Gaussian or in tension). The effective sample size of the weights,
   ESS = (Σw)² / Σw², must reach ``min_ess``; otherwise the first part is refitted to the
   weighted draws and the round repeated (at most ``rounds`` times). The Pareto k̂ of the
   largest weights (Vehtari et al. 2024, "Pareto smoothed importance sampling",
   arXiv:1507.02646) checks that the weights' tail is light enough for the estimate to be
   reliable (k̂ < :data:`MAX_KHAT`).
2. **Metropolis–Hastings.** ``n`` chain starts resampled by weight each take ``steps``
   random-walk steps (:func:`~cosmossl.inference.sampling.metropolis`), which leave the target
   invariant and spread the duplicates of resampling; the final states are the samples.

The result says whether both checks passed (``converged``); it never hides a failure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from cosmossl.errors import DataError
from cosmossl.inference.sampling import metropolis

if TYPE_CHECKING:
    from cosmossl.inference.posterior import Posterior

#: The assumption behind the product, said wherever a combined posterior is reported.
INDEPENDENCE = (
    "the N maps are assumed independent given the parameters (distinct patches or "
    "realisations of one universe): p(θ | x₁..x_N) ∝ p(θ)^(1−N) Π p(θ | x_i)"
)
#: What the product does to the single-map posterior's errors, said with every combined posterior.
CAUTION = (
    "the product inherits the single-map posterior's approximation errors, and an error shared "
    "by the maps does not average out while the width shrinks by about √N: check its "
    "calibration on simulated surveys (benchmarks/survey_coverage.py; overconfident on the "
    "quickstart: 47% of 68% regions held the truth for N = 8), or fit the run for surveys of "
    "N maps ([inference] survey_size = N)"
)
#: Largest Pareto k̂ of the importance weights taken as reliable (Vehtari et al. 2024).
MAX_KHAT = 0.7
#: Degrees of freedom of the Student-t proposals.
_DOF = 4.0
#: θ rows per batched log-density evaluation (times the number of maps).
_CHUNK = 65536


@dataclass
class ProductSamples:
    """Samples ``[n, P]`` of the combined posterior and how they were drawn."""

    samples: np.ndarray
    diagnostics: dict[str, Any] = field(default_factory=dict)

    @property
    def converged(self) -> bool:
        return bool(self.diagnostics.get("converged"))


def sample_product(
    posterior: Posterior,
    x: Any,
    n: int,
    *,
    seed: int = 0,
    proposals: int | None = None,
    rounds: int = 4,
    steps: int = 20,
    min_ess: float | None = None,
) -> ProductSamples:
    """``n`` samples of p(θ | x₁..x_N) ∝ p(θ)^(1−N) Π q(θ | x_i) for the summaries ``x [N, D]``
    of N independent maps (see the module docstring).

    ``proposals`` importance draws per round (default max(10 n, 20000)); ``min_ess`` the
    effective sample size the importance weights must reach (default min(n, proposals / 20)).
    Deterministic for a ``seed``.
    """
    x = torch.as_tensor(np.asarray(x), dtype=torch.float32, device=posterior.device)
    if x.ndim != 2 or x.shape[0] < 1:
        raise DataError(f"combining posteriors needs summaries [N, D] of N ≥ 1 maps, got "
                        f"{tuple(x.shape)}")  # fmt: skip
    proposals = proposals or max(10 * n, 20000)
    min_ess = min_ess or min(float(n), proposals / 20)
    devices = [posterior.device] if posterior.device.type == "cuda" else []
    pilot = posterior.sample_batched(x, 1000, seed=seed).double()  # [1000, N, P]
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        return _sample(posterior, x, pilot, n, proposals, rounds, steps, min_ess)


def _sample(posterior: Posterior, x: torch.Tensor, pilot: torch.Tensor, n: int, proposals: int,
            rounds: int, steps: int, min_ess: float) -> ProductSamples:  # fmt: skip
    prior, n_maps = posterior.prior, x.shape[0]

    def log_target(theta: torch.Tensor) -> torch.Tensor:
        return product_log_prob(posterior, x, theta).double()

    means, covs = pilot.mean(0), _covariance(pilot.transpose(0, 1))  # [N, P], [N, P, P]
    precision = torch.linalg.inv(covs).sum(0)
    centre = torch.linalg.solve(precision, torch.einsum("nij,nj->i", torch.linalg.inv(covs), means))
    pooled = pilot.reshape(-1, prior.dim)
    wide = _StudentT(pooled.mean(0), _covariance(pooled[None])[0])
    narrow = _StudentT(centre, 1.5**2 * torch.linalg.inv(precision))
    for attempt in range(1, rounds + 1):
        candidates, log_q = _draw_mixture(narrow, wide, proposals)
        log_w = log_target(candidates) - log_q
        if not torch.isfinite(log_w).any():
            raise DataError(
                "combining the posteriors of the survey's maps failed: no importance draw "
                "lies where every map's posterior is positive (do the maps come from one "
                "universe? look at their single-map posteriors)"
            )
        weights = torch.softmax(torch.nan_to_num(log_w, nan=-torch.inf), 0)
        ess = float(1.0 / (weights**2).sum())
        if ess >= min_ess or attempt == rounds:
            break
        mean = (weights[:, None] * candidates).sum(0)
        narrow = _StudentT(mean, 1.5**2 * _weighted_covariance(candidates, weights, mean))
    starts = candidates[torch.multinomial(weights.float(), n, replacement=True)][:, None].float()

    def log_target_float(theta: torch.Tensor) -> torch.Tensor:
        return log_target(theta).float()

    chain = metropolis(
        log_target_float, starts, log_target_float(starts), prior, steps,
        _weighted_covariance(candidates, weights)[None].float(),
    )  # fmt: skip
    khat = pareto_khat(log_w.cpu().numpy())
    converged = ess >= min_ess and khat < MAX_KHAT
    diagnostics = {
        "method": "adaptive importance sampling, then Metropolis–Hastings",
        "maps": int(n_maps),
        "assumption": INDEPENDENCE,
        "caution": CAUTION,
        "proposals_per_round": int(proposals),
        "rounds": attempt,
        "importance_ess": ess,
        "min_ess": float(min_ess),
        "chains": int(n),
        "steps": int(steps),
        "acceptance": chain.acceptance,
        "pareto_khat": khat,
        "max_khat": MAX_KHAT,
        "converged": bool(converged),
    }
    return ProductSamples(chain.theta[:, 0].double().cpu().numpy(), diagnostics)


@torch.no_grad()
def product_log_prob(posterior: Posterior, x: Any, theta: Any) -> torch.Tensor:
    """log p(θ | x₁..x_N) up to a constant: Σ_i log q(θ | x_i) − (N − 1) log p(θ), for the
    summaries ``x [N, D]`` and points ``theta [..., P]`` (−inf outside the prior)."""
    prior = posterior.prior
    x = torch.as_tensor(np.asarray(x), dtype=torch.float32, device=posterior.device)
    theta = torch.as_tensor(theta, device=posterior.device)
    n_maps = x.shape[0]
    flat = theta.reshape(-1, prior.dim).float()
    out = []
    for chunk in flat.split(max(1, _CHUNK // n_maps)):
        inside = prior.contains(chunk)
        lp = posterior.log_prob_batched(chunk[:, None].expand(-1, n_maps, -1), x).sum(1)
        lp = lp - (n_maps - 1) * prior.log_prob(torch.where(inside[:, None], chunk, prior.low))
        out.append(torch.where(inside & torch.isfinite(lp), lp, -torch.inf))
    return torch.cat(out).reshape(theta.shape[:-1])


class _StudentT:
    """A multivariate Student-t distribution (ν = :data:`_DOF`) with location and scale matrix."""

    def __init__(self, loc: torch.Tensor, scale: torch.Tensor) -> None:
        dim = loc.shape[0]
        scale = scale + 1e-12 * torch.eye(dim, dtype=scale.dtype, device=scale.device)
        self.loc, self.chol = loc, torch.linalg.cholesky(scale)
        self.log_norm = (math.lgamma((_DOF + dim) / 2) - math.lgamma(_DOF / 2)
                         - dim / 2 * math.log(_DOF * math.pi)
                         - torch.log(torch.diagonal(self.chol)).sum())  # fmt: skip

    def sample(self, m: int) -> torch.Tensor:
        z = torch.randn(m, self.loc.shape[0], dtype=self.loc.dtype, device=self.loc.device)
        chi2 = torch.distributions.Chi2(torch.tensor(_DOF, dtype=self.loc.dtype))
        u = chi2.sample((m,)).to(self.loc.device)
        return self.loc + (z @ self.chol.T) * torch.sqrt(_DOF / u)[:, None]

    def log_prob(self, theta: torch.Tensor) -> torch.Tensor:
        dim = self.loc.shape[0]
        solved = torch.linalg.solve_triangular(self.chol, (theta - self.loc).T, upper=False)
        distance2 = (solved**2).sum(0)
        return self.log_norm - (_DOF + dim) / 2 * torch.log1p(distance2 / _DOF)


def _draw_mixture(narrow: _StudentT, wide: _StudentT, m: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``m`` draws of 0.8 × ``narrow`` + 0.2 × ``wide`` and their log densities."""
    n_wide = int(torch.distributions.Binomial(m, torch.tensor(0.2)).sample())
    theta = torch.cat([narrow.sample(m - n_wide), wide.sample(n_wide)])
    log_q = torch.logaddexp(math.log(0.8) + narrow.log_prob(theta),
                            math.log(0.2) + wide.log_prob(theta))  # fmt: skip
    return theta, log_q


def _covariance(draws: torch.Tensor) -> torch.Tensor:
    """``[B, P, P]`` covariances of ``draws [B, n, P]``, with a tiny ridge."""
    centred = draws - draws.mean(1, keepdim=True)
    cov = torch.einsum("bni,bnj->bij", centred, centred) / max(draws.shape[1] - 1, 1)
    scale = torch.diagonal(cov, dim1=-2, dim2=-1).mean(-1).clamp_min(1e-300)
    return cov + 1e-9 * scale[:, None, None] * torch.eye(cov.shape[-1], dtype=cov.dtype)


def _weighted_covariance(
    theta: torch.Tensor, weights: torch.Tensor, mean: torch.Tensor | None = None
) -> torch.Tensor:
    """``[P, P]`` covariance of ``theta [M, P]`` under normalised ``weights [M]``."""
    mean = (weights[:, None] * theta).sum(0) if mean is None else mean
    centred = theta - mean
    cov = torch.einsum("m,mi,mj->ij", weights, centred, centred)
    return cov + 1e-12 * torch.eye(cov.shape[0], dtype=cov.dtype, device=cov.device)


def pareto_khat(log_weights: np.ndarray) -> float:
    """The shape k̂ of a generalised Pareto distribution fitted to the largest importance
    weights (the largest min(S/5, 3√S) of S; Vehtari et al. 2024, arXiv:1507.02646): below 0.5
    the importance estimate converges fast, up to 0.7 it is usable, above it is unreliable."""
    from scipy.stats import genpareto

    log_w = np.sort(np.asarray(log_weights, dtype=np.float64)[np.isfinite(log_weights)])
    tail = int(min(0.2 * log_w.size, 3 * np.sqrt(log_w.size)))
    if tail < 5:
        return float("inf")
    top = log_w[-1]
    threshold = np.exp(log_w[-tail - 1] - top)
    exceedances = np.exp(log_w[-tail:] - top) - threshold
    if not np.any(exceedances > 0):
        return 0.0
    shape, _, _ = genpareto.fit(exceedances, floc=0.0)
    return float(shape)
