"""Sampling a posterior known only up to a constant: prior × likelihood-to-evidence ratio.

Used for neural ratio estimation (NRE), where q(θ | x) ∝ p(θ) r(θ, x). The method, vectorised
over all observations at once:

1. sampling-importance-resampling (SIR): draw ``candidates`` points from the prior per
   observation, weight them by r(θ, x), and resample ``n`` chain starts;
2. ``steps`` random-walk Metropolis–Hastings steps for each of the ``n`` independent chains
   (:func:`metropolis`, shared with :mod:`cosmossl.inference.combine`), with a Gaussian
   proposal whose covariance is (2.38² / P) × the covariance of the chain
   population of that observation, re-estimated during the first half of the steps (burn-in)
   and frozen for the second half; each chain's final state is one sample.

SIR alone is exact as ``candidates`` → ∞ but degrades when the posterior is much narrower than
the prior; the Metropolis steps remove the resulting duplicates and bias.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from cosmossl.inference.prior import BoxPrior


@dataclass
class SamplerStats:
    """Diagnostics of the last run: mean acceptance rate and SIR effective sample size."""

    acceptance: float = float("nan")
    sir_ess: float = float("nan")


def sample_prior_ratio(
    log_ratio: Callable[[torch.Tensor], torch.Tensor],
    prior: BoxPrior,
    batch: int,
    n: int,
    *,
    candidates: int = 4096,
    steps: int = 60,
    stats: SamplerStats | None = None,
) -> torch.Tensor:
    """``[n, B, P]`` samples of q(θ | x_b) ∝ prior(θ) exp(log_ratio(θ)[b]).

    ``log_ratio`` maps ``θ [M, B, P]`` → ``[M, B]`` (observation b in column b). Uses the
    global torch RNG.
    """
    k = max(candidates, n)
    cand = prior.sample((k, batch))  # [K, B, P]
    log_w = log_ratio(cand)
    log_w = torch.where(torch.isfinite(log_w), log_w, -torch.inf)
    probs = torch.softmax(log_w, dim=0).T  # [B, K]
    idx = torch.multinomial(probs, n, replacement=True).T  # [n, B]
    theta = torch.gather(cand, 0, idx[..., None].expand(-1, -1, prior.dim))
    ess = (1.0 / (probs**2).sum(-1)).mean()
    log_p = _log_target(log_ratio, prior, theta)
    # Start from the importance-weighted covariance of the candidates (well defined even when
    # the resampled chain starts coincide), then adapt to the chain population during burn-in.
    chain = metropolis(
        lambda t: _log_target(log_ratio, prior, t), theta, log_p, prior, steps,
        _weighted_cov(cand, probs.T),
    )  # fmt: skip
    if stats is not None:
        stats.acceptance = chain.acceptance
        stats.sir_ess = float(ess)
    return chain.theta


@dataclass
class Chains:
    """The end of :func:`metropolis`: the final states ``[n, B, P]``, their log targets and
    the mean acceptance rate."""

    theta: torch.Tensor
    log_p: torch.Tensor
    acceptance: float


def metropolis(
    log_target: Callable[[torch.Tensor], torch.Tensor],
    theta: torch.Tensor,
    log_p: torch.Tensor,
    prior: BoxPrior,
    steps: int,
    cov: torch.Tensor,
) -> Chains:
    """``steps`` random-walk Metropolis–Hastings steps of ``n`` independent chains per
    observation, all at once: ``theta [n, B, P]`` with log targets ``log_p [n, B]``
    (``log_target`` maps ``[n, B, P]`` → ``[n, B]``, −inf where the target vanishes).

    The Gaussian proposal's covariance is (2.38² / P) × ``cov [B, P, P]`` at first, then the
    covariance of the chain population of each observation, re-estimated during the first half
    of the steps (burn-in) and frozen for the second half. Uses the global torch RNG.
    """
    scale = 2.38**2 / prior.dim
    width2 = (prior.high - prior.low) ** 2
    accepted = torch.zeros((), device=theta.device)
    chol = _cholesky(cov, scale, width2)
    for step in range(steps):
        if 0 < step < steps // 2:
            chol = _cholesky(_population_cov(theta), scale, width2)
        noise = torch.randn_like(theta)
        proposal = theta + torch.einsum("bij,nbj->nbi", chol, noise)
        log_q = log_target(proposal)
        accept = torch.log(torch.rand_like(log_q)) < (log_q - log_p)
        theta = torch.where(accept[..., None], proposal, theta)
        log_p = torch.where(accept, log_q, log_p)
        accepted = accepted + accept.float().mean()
    return Chains(theta, log_p, float(accepted / max(steps, 1)))


def _log_target(log_ratio: Callable, prior: BoxPrior, theta: torch.Tensor) -> torch.Tensor:
    lp = prior.log_prob(theta)
    inside = torch.isfinite(lp)
    # Evaluate the network only where it matters; outside the box the target is -inf.
    safe = torch.where(inside[..., None], theta, (prior.low + prior.high) / 2)
    out = lp + log_ratio(safe)
    return torch.where(inside & torch.isfinite(out), out, -torch.inf)


def _population_cov(theta: torch.Tensor) -> torch.Tensor:
    """``[B, P, P]`` covariance of the n chains ``[n, B, P]`` of each observation."""
    centred = theta - theta.mean(0, keepdim=True)
    return torch.einsum("nbi,nbj->bij", centred, centred) / max(theta.shape[0] - 1, 1)


def _weighted_cov(points: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """``[B, P, P]`` covariance of ``points [K, B, P]`` under normalised ``weights [K, B]``."""
    mean = (weights[..., None] * points).sum(0)
    centred = points - mean
    return torch.einsum("kb,kbi,kbj->bij", weights, centred, centred)


def _cholesky(cov: torch.Tensor, scale: float, width2: torch.Tensor) -> torch.Tensor:
    # A floor (relative to the prior width) keeps the factor valid when points coincide.
    cov = cov.double() + torch.diag_embed((1e-6 * width2.double()).expand(cov.shape[0], -1))
    return torch.linalg.cholesky(scale * cov).float()
