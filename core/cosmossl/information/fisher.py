"""Fisher information: the analytic limit of a Gaussian field and that of any summary.

- :func:`field_fisher`: F_ab = ½ Σ_{all k ≠ 0 of the full FFT plane} ∂_a ln P(k) ∂_b ln P(k), the
  exact Fisher matrix of a Gaussian field with independent Fourier modes. (Counting only the
  half-plane modes while keeping the ½ undercounts F by 2.)
- :func:`gaussian_score`: the exact score of that likelihood, whose covariance over simulations
  is F (used to verify the formula).
- :func:`summary_fisher`: F_t = (∂μ/∂θ)ᵀ C⁻¹ (∂μ/∂θ) of a summary from seed-matched central
  differences and a fiducial covariance, with the Hartlap et al. (2007, A&A 464, 399,
  arXiv:astro-ph/0608064) debiasing of C⁻¹ and, by default, the subtraction of the noise bias
  of the simulated derivatives (Coulton & Wandelt 2023, arXiv:2305.08994);
  :func:`summary_fisher_estimate` gives the raw and debiased matrices together.
- :func:`fom_fraction`, :func:`cramer_rao`: the figure-of-merit fraction
  sqrt(det F_t / det F_limit) and the Cramér–Rao bounds σ_a = sqrt((F⁻¹)_aa);
  :func:`fom_fraction_interval` its bootstrap interval.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

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


class FisherEstimate(NamedTuple):
    """A simulation-based Fisher matrix: ``fisher`` = ``raw`` − ``noise_bias`` (all ``[P, P]``)."""

    fisher: np.ndarray
    raw: np.ndarray
    noise_bias: np.ndarray


def summary_fisher_estimate(
    summaries_fid: np.ndarray,
    summaries_plus: np.ndarray,
    summaries_minus: np.ndarray,
    delta: np.ndarray,
) -> FisherEstimate:
    """Raw and noise-debiased Fisher matrices of a summary from simulations.

    ``summaries_fid`` ``[n, D]`` at the fiducial point (for C); ``summaries_plus`` and
    ``summaries_minus`` ``[P, m, D]`` at θ ± δ_a e_a with matched seeds across ± (for ∂μ);
    ``delta`` ``[P]`` the half-steps.

    With the per-simulation derivatives d_a⁽ⁱ⁾ = (t₊ⁱ − t₋ⁱ)/(2δ_a) and their mean m̂_a,

    - raw: F̂_ab = m̂_aᵀ Ĉ⁻¹ m̂_b, Ĉ⁻¹ the inverse sample covariance of the fiducial summaries
      times the Hartlap factor (n − D − 2)/(n − 1), which makes it unbiased;
    - noise bias: E[m̂_a m̂_bᵀ] = μ'_a μ'_bᵀ + Cov(d_a, d_b)/m, so E[F̂_ab] exceeds the true
      Fisher matrix by B_ab = tr(C⁻¹ Cov(d_a, d_b))/m (Coulton & Wandelt 2023,
      arXiv:2305.08994). B grows with the summary dimension D and with the scatter of the
      summary's response across seeds, which seed matching removes for smooth summaries (the
      binned P(k)) but much less for a non-linear network;
    - debiased: F̂ − B̂ with B̂_ab = tr(Ĉ⁻¹ Ĉov(d_a, d_b))/m, Ĉov the unbiased sample
      cross-covariance of the d⁽ⁱ⁾. Because the fiducial and derivative simulations are
      independent, its expectation is the true Fisher matrix. It can fail to be positive
      definite when the derivatives are dominated by noise (then more derivative simulations
      are needed).
    """
    fid = np.asarray(summaries_fid, dtype=np.float64)
    plus = np.asarray(summaries_plus, dtype=np.float64)
    minus = np.asarray(summaries_minus, dtype=np.float64)
    delta = np.asarray(delta, dtype=np.float64)
    if (
        fid.ndim != 2
        or plus.ndim != 3
        or plus.shape != minus.shape
        or plus.shape[0] != len(delta)
        or plus.shape[-1] != fid.shape[1]
    ):
        raise DataError(
            f"summary Fisher: shapes fid {fid.shape}, plus {plus.shape}, minus {minus.shape}, "
            f"delta {delta.shape} do not match ([n, D], [P, m, D], [P, m, D], [P])"
        )
    return fisher_from_derivatives(fid, (plus - minus) / (2.0 * delta[:, None, None]))


def fisher_from_derivatives(summaries_fid: np.ndarray, derivatives: np.ndarray) -> FisherEstimate:
    """Raw and debiased Fisher matrices from fiducial summaries ``[n, D]`` and per-simulation
    derivative estimates d_a⁽ⁱ⁾ ``[P, m, D]`` (any finite-difference stencil, seed-matched
    within each simulation i). See :func:`summary_fisher_estimate` for the estimators.
    """
    fid = np.asarray(summaries_fid, dtype=np.float64)
    derivs = np.asarray(derivatives, dtype=np.float64)
    if fid.ndim != 2 or derivs.ndim != 3 or derivs.shape[-1] != fid.shape[1]:
        raise DataError(
            f"summary Fisher: shapes fid {fid.shape} and derivatives {derivs.shape} do not "
            "match ([n, D], [P, m, D])"
        )
    n, dim = fid.shape
    m = derivs.shape[1]
    if m < 2:
        raise DataError(
            "summary Fisher: the noise-bias correction needs at least 2 derivative simulations "
            f"(got {m})"
        )
    covariance = np.atleast_2d(np.cov(fid, rowvar=False))
    precision = hartlap_factor(n, dim) * np.linalg.inv(covariance)
    dmu = derivs.mean(axis=1)  # [P, D]
    raw = dmu @ precision @ dmu.T
    resid = derivs - dmu[:, None, :]
    # Ĉov(d_a, d_b) = Σ_i r_a⁽ⁱ⁾ r_b⁽ⁱ⁾ᵀ/(m − 1) with residuals r, hence
    # tr(Ĉ⁻¹ Ĉov_ab) = Σ_i r_a⁽ⁱ⁾ᵀ Ĉ⁻¹ r_b⁽ⁱ⁾/(m − 1).
    bias = np.einsum("aid,de,bie->ab", resid, precision, resid) / ((m - 1) * m)
    bias = 0.5 * (bias + bias.T)
    return FisherEstimate(fisher=raw - bias, raw=raw, noise_bias=bias)


def fom_fraction_interval(
    summaries_fid: np.ndarray,
    derivatives: np.ndarray,
    fisher_limit: np.ndarray,
    *,
    n_bootstrap: int = 200,
    level: float = 0.68,
    seed: int = 0,
) -> tuple[float, float]:
    """Bootstrap interval of the debiased FoM fraction (central ``level``, default 68%).

    Resamples the fiducial simulations and the derivative simulations (the same draw for every
    parameter, keeping the seed matching). When Ω_m and σ_8 are nearly degenerate the FoM
    depends on the weak direction of F, which the simulated derivatives measure poorly: a wide
    interval says the number needs more ``n_derivative`` before it can be read.
    """
    fid = np.asarray(summaries_fid, dtype=np.float64)
    derivs = np.asarray(derivatives, dtype=np.float64)
    rng = np.random.default_rng([seed, 0xB007])
    values = []
    for _ in range(n_bootstrap):
        pick_fid = rng.integers(0, len(fid), len(fid))
        pick = rng.integers(0, derivs.shape[1], derivs.shape[1])
        estimate = fisher_from_derivatives(fid[pick_fid], derivs[:, pick])
        values.append(fom_fraction(estimate.fisher, fisher_limit))
    low, high = np.quantile(values, [(1 - level) / 2, (1 + level) / 2])
    return float(low), float(high)


def summary_fisher(
    summaries_fid: np.ndarray,
    summaries_plus: np.ndarray,
    summaries_minus: np.ndarray,
    delta: np.ndarray,
    *,
    debias: bool = True,
) -> np.ndarray:
    """Fisher matrix ``[P, P]`` of a summary from simulations.

    ``summaries_fid`` ``[n, D]`` at the fiducial point (for C); ``summaries_plus`` and
    ``summaries_minus`` ``[P, m, D]`` at θ ± δ_a e_a with matched seeds across ± (for ∂μ);
    ``delta`` ``[P]`` the half-steps. C⁻¹ carries the Hartlap factor; with ``debias`` (the
    default) the noise bias tr(C⁻¹ Cov(d_a, d_b))/m of the simulated derivatives is subtracted
    (Coulton & Wandelt 2023, arXiv:2305.08994), else the raw, upward-biased matrix is returned.
    See :func:`summary_fisher_estimate`.
    """
    estimate = summary_fisher_estimate(summaries_fid, summaries_plus, summaries_minus, delta)
    return estimate.fisher if debias else estimate.raw


def fom_fraction(fisher: np.ndarray, fisher_limit: np.ndarray) -> float:
    """sqrt(det F / det F_limit): the summary's share of the limit's figure of merit."""
    sign, logdet = np.linalg.slogdet(np.asarray(fisher, dtype=np.float64))
    sign_l, logdet_l = np.linalg.slogdet(np.asarray(fisher_limit, dtype=np.float64))
    if sign <= 0 or sign_l <= 0:
        return 0.0 if sign_l > 0 else float("nan")
    return float(np.exp(0.5 * (logdet - logdet_l)))


def cramer_rao(fisher: np.ndarray) -> np.ndarray:
    """Cramér–Rao bounds σ_a = sqrt((F⁻¹)_aa), ``[P]`` (NaN where (F⁻¹)_aa ≤ 0)."""
    variance = np.diag(np.linalg.inv(np.asarray(fisher, dtype=np.float64)))
    # A debiased estimate dominated by noise can be indefinite: no bound, not a warning.
    return np.sqrt(np.where(variance > 0, variance, np.nan))


def simulation_seeds(seed: int, purpose: int, count: int) -> list[int]:
    """``count`` noise seeds for Fisher simulations, disjoint streams per ``purpose``."""
    words = np.random.SeedSequence([seed, 0xF15E, purpose]).generate_state(2 * count)
    return [int(a) << 31 ^ int(b) for a, b in zip(words[0::2], words[1::2])]


#: Finite-difference stencils: {stencil: ((multiple of δ, weight), ...)}, d = Σ w t(θ + kδ)/δ.
STENCILS = {3: ((1, 0.5), (-1, -0.5)), 5: ((1, 8 / 12), (-1, -8 / 12), (2, -1 / 12), (-2, 1 / 12))}


def simulate_summaries(
    simulate: Callable[[np.ndarray, list[int]], np.ndarray],
    summarize: Callable[[np.ndarray], np.ndarray],
    theta: np.ndarray,
    delta: np.ndarray,
    *,
    n_fiducial: int = 500,
    n_derivative: int = 250,
    seed: int = 0,
    stencil: int = 5,
) -> tuple[np.ndarray, np.ndarray]:
    """Fiducial summaries ``[n, D]`` and per-simulation derivatives ``[P, m, D]``.

    ``simulate(theta [B, P], seeds)`` returns maps; ``summarize(maps)`` returns ``[B, D]``.
    C uses ``n_fiducial`` maps at ``theta``; the derivatives use ``n_derivative`` seeds shared
    by every parameter and offset (disjoint from the fiducial ones). ``stencil`` 3 is the
    central difference (t(θ+δ) − t(θ−δ))/2δ, error O(δ²); 5 (the default) adds θ ± 2δ,
    (8[t(θ+δ) − t(θ−δ)] − [t(θ+2δ) − t(θ−2δ)])/12δ, error O(δ⁴). A network's summary can
    respond non-linearly on the scale of δ, and when the parameters are nearly degenerate
    (Ω_m and σ_8 on small maps) the O(δ²) error of the 3-point stencil alone can break the
    degeneracy and push the figure of merit above the limit.
    """
    if stencil not in STENCILS:
        raise DataError(f"summary Fisher: stencil must be 3 or 5 (got {stencil})")
    theta = np.asarray(theta, dtype=np.float64)
    delta = np.asarray(delta, dtype=np.float64)
    fid_seeds = simulation_seeds(seed, 0, n_fiducial)
    fid = np.asarray(summarize(simulate(np.tile(theta, (n_fiducial, 1)), fid_seeds)))
    seeds = simulation_seeds(seed, 1, n_derivative)
    derivatives = []
    for a in range(len(theta)):
        total = 0.0
        for multiple, weight in STENCILS[stencil]:
            point = theta.copy()
            point[a] += multiple * delta[a]
            maps = simulate(np.tile(point, (n_derivative, 1)), seeds)
            total = total + weight * np.asarray(summarize(maps), dtype=np.float64)
        derivatives.append(total / delta[a])
    return fid, np.stack(derivatives)


def fisher_from_simulator(
    simulate: Callable[[np.ndarray, list[int]], np.ndarray],
    summarize: Callable[[np.ndarray], np.ndarray],
    theta: np.ndarray,
    delta: np.ndarray,
    *,
    n_fiducial: int = 500,
    n_derivative: int = 250,
    seed: int = 0,
    stencil: int = 5,
    debias: bool = True,
) -> np.ndarray:
    """Fisher matrix ``[P, P]`` of ``summarize`` from maps made by ``simulate``.

    Simulations as in :func:`simulate_summaries`; the estimate as in
    :func:`fisher_from_derivatives`: the noise-debiased matrix, or with ``debias=False`` the
    raw one (Hartlap-corrected C⁻¹ in both).
    """
    fid, derivatives = simulate_summaries(
        simulate, summarize, theta, delta,
        n_fiducial=n_fiducial, n_derivative=n_derivative, seed=seed, stencil=stencil,
    )  # fmt: skip
    estimate = fisher_from_derivatives(fid, derivatives)
    return estimate.fisher if debias else estimate.raw
