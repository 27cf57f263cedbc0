"""Fisher information: the analytic limit of a Gaussian field and that of any summary.

- :func:`field_fisher`: F_ab = ½ Σ_{all k ≠ 0 of the full FFT plane} ∂_a ln P(k) ∂_b ln P(k), the
  exact Fisher matrix of a Gaussian field with independent Fourier modes. (Counting only the
  half-plane modes while keeping the ½ undercounts F by 2.)
- :func:`gaussian_score`: the exact score of that likelihood, whose covariance over simulations
  is F (used to verify the formula).
- :func:`summary_fisher`: F_t = (∂μ/∂θ)ᵀ C⁻¹ (∂μ/∂θ) of a summary from seed-matched central
  differences and a fiducial covariance, with the Hartlap et al. (2007, A&A 464, 399,
  arXiv:astro-ph/0608064) debiasing of C⁻¹.
- :func:`fom_fraction`, :func:`cramer_rao`: the figure-of-merit fraction
  sqrt(det F_t / det F_limit) and the Cramér–Rao bounds σ_a = sqrt((F⁻¹)_aa).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from cosmossl.errors import DataError

#: A spectrum on a fixed grid of modes as a function of the parameter vector θ [P].
SpectrumFn = Callable[[np.ndarray], np.ndarray]


def full_plane_k(n: int, box_size: float) -> np.ndarray:
    """|k| (h/Mpc) of every mode of the full ``n×n`` FFT plane, ``[n, n]``."""
    freq = np.fft.fftfreq(n, d=box_size / n) * 2.0 * np.pi
    return np.sqrt(freq[:, None] ** 2 + freq[None, :] ** 2)


def log_power_derivatives(
    spectrum: SpectrumFn, theta: np.ndarray, rel_step: float = 1e-3
) -> np.ndarray:
    """∂_a ln P(θ) by central differences with steps ``rel_step·|θ_a|``, ``[P, *grid]``.

    ``spectrum(θ)`` returns P on a fixed grid of modes (zeros, e.g. at k = 0, give 0).
    """
    theta = np.asarray(theta, dtype=np.float64)
    out = []
    for a in range(len(theta)):
        step = rel_step * max(abs(theta[a]), 1e-8)
        plus, minus = theta.copy(), theta.copy()
        plus[a] += step
        minus[a] -= step
        p_plus, p_minus = spectrum(plus), spectrum(minus)
        with np.errstate(divide="ignore", invalid="ignore"):
            d = (np.log(p_plus) - np.log(p_minus)) / (2.0 * step)
        out.append(np.where((p_plus > 0) & (p_minus > 0), d, 0.0))
    return np.stack(out)


def field_fisher(dlnp: np.ndarray) -> np.ndarray:
    """F_ab = ½ Σ_k ∂_a ln P ∂_b ln P from derivatives ``[P, n, n]`` on the full FFT plane.

    The k = 0 entry ``[..., 0, 0]`` is left out (the maps have zero mean).
    """
    d = np.array(dlnp, dtype=np.float64).reshape(dlnp.shape[0], -1)
    d[:, 0] = 0.0
    return 0.5 * d @ d.T


def gaussian_score(maps: np.ndarray, power: np.ndarray, dlnp: np.ndarray, box_size: float):
    """Exact score s_a = ½ Σ_k ∂_a ln P (P̂_k/P_k − 1) of maps ``[B, n, n]``, ``[B, P]``.

    ``power`` ``[n, n]`` and ``dlnp`` ``[P, n, n]`` are on the full FFT plane; k = 0 is skipped.
    """
    n = maps.shape[-1]
    pixel_area = (box_size / n) ** 2
    estimate = np.abs(np.fft.fft2(maps)) ** 2 * pixel_area / n**2
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = estimate / power - 1.0
    ratio[:, 0, 0] = 0.0
    d = np.array(dlnp, dtype=np.float64)
    d[:, 0, 0] = 0.0
    return 0.5 * np.einsum("bij,aij->ba", ratio, d)


def hartlap_factor(n_sims: int, dim: int) -> float:
    """(n − D − 2)/(n − 1): multiplies C⁻¹ estimated from n simulations of a D-vector."""
    if n_sims - dim - 2 <= 0:
        raise DataError(
            f"summary Fisher: {n_sims} fiducial simulations are too few for a {dim}-dimensional "
            f"summary (the Hartlap factor needs n > D + 2 = {dim + 2})"
        )
    return (n_sims - dim - 2) / (n_sims - 1)


def summary_fisher(
    summaries_fid: np.ndarray,
    summaries_plus: np.ndarray,
    summaries_minus: np.ndarray,
    delta: np.ndarray,
) -> np.ndarray:
    """Fisher matrix ``[P, P]`` of a summary from simulations.

    ``summaries_fid`` ``[n, D]`` at the fiducial point (for C); ``summaries_plus`` and
    ``summaries_minus`` ``[P, m, D]`` at θ ± δ_a e_a with matched seeds across ± (for ∂μ);
    ``delta`` ``[P]`` the half-steps. C⁻¹ carries the Hartlap factor.
    """
    fid = np.asarray(summaries_fid, dtype=np.float64)
    plus = np.asarray(summaries_plus, dtype=np.float64)
    minus = np.asarray(summaries_minus, dtype=np.float64)
    delta = np.asarray(delta, dtype=np.float64)
    if plus.shape != minus.shape or plus.shape[0] != len(delta) or plus.shape[-1] != fid.shape[1]:
        raise DataError(
            f"summary Fisher: shapes fid {fid.shape}, plus {plus.shape}, minus {minus.shape}, "
            f"delta {delta.shape} do not match ([n, D], [P, m, D], [P, m, D], [P])"
        )
    n, dim = fid.shape
    covariance = np.atleast_2d(np.cov(fid, rowvar=False))
    precision = hartlap_factor(n, dim) * np.linalg.inv(covariance)
    dmu = (plus - minus).mean(axis=1) / (2.0 * delta[:, None])  # [P, D]
    return dmu @ precision @ dmu.T


def fom_fraction(fisher: np.ndarray, fisher_limit: np.ndarray) -> float:
    """sqrt(det F / det F_limit): the summary's share of the limit's figure of merit."""
    sign, logdet = np.linalg.slogdet(np.asarray(fisher, dtype=np.float64))
    sign_l, logdet_l = np.linalg.slogdet(np.asarray(fisher_limit, dtype=np.float64))
    if sign <= 0 or sign_l <= 0:
        return 0.0 if sign_l > 0 else float("nan")
    return float(np.exp(0.5 * (logdet - logdet_l)))


def cramer_rao(fisher: np.ndarray) -> np.ndarray:
    """Cramér–Rao bounds σ_a = sqrt((F⁻¹)_aa), ``[P]``."""
    return np.sqrt(np.diag(np.linalg.inv(np.asarray(fisher, dtype=np.float64))))


def simulation_seeds(seed: int, purpose: int, count: int) -> list[int]:
    """``count`` noise seeds for Fisher simulations, disjoint streams per ``purpose``."""
    words = np.random.SeedSequence([seed, 0xF15E, purpose]).generate_state(2 * count)
    return [int(a) << 31 ^ int(b) for a, b in zip(words[0::2], words[1::2])]


def fisher_from_simulator(
    simulate: Callable[[np.ndarray, list[int]], np.ndarray],
    summarize: Callable[[np.ndarray], np.ndarray],
    theta: np.ndarray,
    delta: np.ndarray,
    *,
    n_fiducial: int = 500,
    n_derivative: int = 250,
    seed: int = 0,
) -> np.ndarray:
    """Fisher matrix ``[P, P]`` of ``summarize`` from maps made by ``simulate``.

    ``simulate(theta [B, P], seeds)`` returns maps; ``summarize(maps)`` returns ``[B, D]``.
    C uses ``n_fiducial`` maps at ``theta``; ∂μ uses ``n_derivative`` seed-matched maps at
    θ ± δ_a e_a (the same seeds for every parameter and sign). See :func:`summary_fisher`.
    """
    theta = np.asarray(theta, dtype=np.float64)
    delta = np.asarray(delta, dtype=np.float64)
    fid_seeds = simulation_seeds(seed, 0, n_fiducial)
    fid = summarize(simulate(np.tile(theta, (n_fiducial, 1)), fid_seeds))
    seeds = simulation_seeds(seed, 1, n_derivative)
    plus, minus = [], []
    for a in range(len(theta)):
        step = np.zeros_like(theta)
        step[a] = delta[a]
        plus.append(summarize(simulate(np.tile(theta + step, (n_derivative, 1)), seeds)))
        minus.append(summarize(simulate(np.tile(theta - step, (n_derivative, 1)), seeds)))
    return summary_fisher(fid, np.stack(plus), np.stack(minus), delta)
