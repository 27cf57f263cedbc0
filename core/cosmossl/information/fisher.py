"""Fisher information of a summary, estimated from simulations: the one estimator.

- :func:`simulate_summaries`: fiducial summaries ``[n, D]`` and per-simulation derivatives
  ``[P, m, D]`` from seed-matched simulations (5-point stencil by default);
- :func:`estimate_fisher`: F_t = (∂μ/∂θ)ᵀ C⁻¹ (∂μ/∂θ) with the Hartlap et al. (2007, A&A 464,
  399, arXiv:astro-ph/0608064) debiasing of C⁻¹ and the subtraction of the noise bias of the
  simulated derivatives (Coulton & Wandelt 2023, arXiv:2305.08994); raw and debiased together;
- :func:`fom_fraction`, :func:`cramer_rao`: the figure-of-merit fraction
  sqrt(det F_t / det F_limit) and the Cramér–Rao bounds σ_a = sqrt((F⁻¹)_aa);
  :func:`fom_fraction_interval` its jackknife interval;
- nuisance parameters: :func:`with_nuisance` turns a simulator's ``simulate(θ, seeds,
  nuisance)`` into a function of (θ, η) so that the same estimator takes derivatives in the
  nuisance η too, and :func:`marginal_fisher` gives the Fisher matrix of θ with η
  marginalised, F_θθ − F_θη F_ηη⁻¹ F_ηθ.

The analytic limit of a field is in :mod:`cosmossl.physics.fisher_limit`; the information check
of the main job (every summary against the limit) in :mod:`cosmossl.information.check`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

from cosmossl._util.seeds import derive_seeds
from cosmossl.errors import DataError


def hartlap_factor(n_sims: int, dim: int) -> float:
    """(n − D − 2)/(n − 1): multiplies C⁻¹ estimated from n simulations of a D-vector."""
    if n_sims - dim - 2 <= 0:
        raise DataError(
            f"summary Fisher: {n_sims} fiducial simulations are too few for a {dim}-dimensional "
            f"summary (the Hartlap factor needs n > D + 2 = {dim + 2})"
        )
    return (n_sims - dim - 2) / (n_sims - 1)


def checked_simulations(
    summaries_fid: np.ndarray, derivatives: np.ndarray, what: str
) -> tuple[np.ndarray, np.ndarray]:
    """Fiducial summaries ``[n, D]`` and derivatives ``[K, m, D]`` as float64, or a
    :class:`DataError` (starting with ``what``) when their shapes do not fit together."""
    fid = np.asarray(summaries_fid, dtype=np.float64)
    derivs = np.asarray(derivatives, dtype=np.float64)
    if fid.ndim != 2 or derivs.ndim != 3 or derivs.shape[-1] != fid.shape[1]:
        raise DataError(
            f"{what}: shapes fid {fid.shape} and derivatives {derivs.shape} do not match "
            "([n, D], [P, m, D])"
        )
    return fid, derivs


def hartlap_precision(summaries_fid: np.ndarray) -> np.ndarray:
    """Ĉ⁻¹ of the fiducial summaries ``[n, D]`` times the Hartlap factor: unbiased."""
    n, dim = summaries_fid.shape
    covariance = np.atleast_2d(np.cov(summaries_fid, rowvar=False))
    return hartlap_factor(n, dim) * np.linalg.inv(covariance)


class FisherEstimate(NamedTuple):
    """A simulation-based Fisher matrix: ``fisher`` = ``raw`` − ``noise_bias`` (all ``[P, P]``)."""

    fisher: np.ndarray
    raw: np.ndarray
    noise_bias: np.ndarray

    @property
    def noise_share(self) -> float:
        """tr(F̂⁻¹ B̂): how much of the raw estimate F̂ is the derivatives' noise bias B̂.

        Summed over the P eigen-directions of F̂: 0 for noiseless derivatives, about P when
        noise is all the estimate holds; when small, the relative drop of det F that the
        debiasing removes (twice that of the FoM fraction). Above
        :data:`NOISE_SHARE_LIMIT` the debiased estimate rests on the subtraction of a large
        bias and its jackknife interval undercovers: more derivative simulations are needed.
        """
        return float(np.trace(np.linalg.pinv(self.raw) @ self.noise_bias))


#: The derivative-noise share above which a Fisher estimate needs more derivative simulations:
#: an independent Monte Carlo audit found the debiased estimator unbiased to ≤ 1.5% and the 68%
#: jackknife interval covering the truth in 0.64–0.71 of repeated experiments below it, less
#: above it.
NOISE_SHARE_LIMIT = 0.3


def central_differences(
    summaries_plus: np.ndarray, summaries_minus: np.ndarray, delta: np.ndarray
) -> np.ndarray:
    """Per-simulation derivatives ``[P, m, D]`` from summaries at θ ± δ_a e_a.

    ``summaries_plus`` and ``summaries_minus`` ``[P, m, D]`` share their seeds across ±;
    ``delta`` ``[P]`` holds the half-steps. Feed the result to :func:`estimate_fisher`.
    """
    plus = np.asarray(summaries_plus, dtype=np.float64)
    minus = np.asarray(summaries_minus, dtype=np.float64)
    delta = np.asarray(delta, dtype=np.float64)
    if plus.ndim != 3 or plus.shape != minus.shape or plus.shape[0] != len(delta):
        raise DataError(
            f"summary Fisher: shapes plus {plus.shape}, minus {minus.shape}, delta {delta.shape} "
            "do not match ([P, m, D], [P, m, D], [P])"
        )
    return (plus - minus) / (2.0 * delta[:, None, None])


def estimate_fisher(summaries_fid: np.ndarray, derivatives: np.ndarray) -> FisherEstimate:
    """Raw and noise-debiased Fisher matrices of a summary from simulations.

    ``summaries_fid`` ``[n, D]`` at the fiducial point (for C); ``derivatives`` ``[P, m, D]``, the
    per-simulation derivative estimates d_a⁽ⁱ⁾ of any finite-difference stencil, seed-matched
    within each simulation i (:func:`simulate_summaries`, :func:`central_differences`).

    With the mean m̂_a of the per-simulation derivatives,

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
    fid, derivs = checked_simulations(summaries_fid, derivatives, "summary Fisher")
    m = derivs.shape[1]
    if m < 2:
        raise DataError(
            "summary Fisher: the noise-bias correction needs at least 2 derivative simulations "
            f"(got {m})"
        )
    precision = hartlap_precision(fid)
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
    level: float = 0.68,
    blocks: int = 50,
    seed: int = 0,
    marginalise: int | None = None,
) -> tuple[float, float]:
    """Central ``level`` interval (default 68%) of the debiased FoM fraction, by the jackknife.

    With ``marginalise`` = P the derivatives hold P parameters and then nuisance parameters,
    and the fraction is that of the marginal Fisher matrix of the first P
    (:func:`marginal_fisher`) against ``fisher_limit`` ``[P, P]``.

    The fiducial and the derivative simulations are each cut into ``blocks`` random blocks;
    leaving out block k of both gives one re-estimate (every derivative simulation keeps its
    seed matching). The jackknife standard deviation σ_J = sqrt((K − 1)/K · Σ (f_k − f̄)²)
    gives the interval f̂ ± z σ_J (clipped at 0), which contains the estimate by construction.

    Why not the bootstrap: a bootstrap resample repeats simulations, which breaks both
    debiasing steps (the Hartlap factor assumes n independent fiducial simulations, the noise
    bias m independent derivatives) and shifts the whole bootstrap distribution above the
    estimate. Each jackknife re-estimate is itself debiased for its smaller n and m. On a
    linear-Gaussian problem with a known Fisher matrix the 68% interval covers the truth in
    68–74% of repeated experiments (the jackknife variance errs on the large side); see the
    test of this function. When Ω_m and σ_8 are nearly degenerate the FoM rests on the weak
    direction of F, which the derivatives measure poorly: a wide interval says the number needs
    more ``n_derivative`` before it can be read.
    """
    from scipy.stats import norm

    fid = np.asarray(summaries_fid, dtype=np.float64)
    derivs = np.asarray(derivatives, dtype=np.float64)
    blocks = max(2, min(blocks, len(fid), derivs.shape[1]))
    rng = np.random.default_rng([seed, 0x7ACC])
    fid_blocks = np.array_split(rng.permutation(len(fid)), blocks)
    derivative_blocks = np.array_split(rng.permutation(derivs.shape[1]), blocks)

    def fraction(fisher: np.ndarray) -> float:
        if marginalise is not None:
            fisher = marginal_fisher(fisher, marginalise)
        return fom_fraction(fisher, fisher_limit)

    values = np.array([
        fraction(
            estimate_fisher(
                np.delete(fid, fid_blocks[k], axis=0),
                np.delete(derivs, derivative_blocks[k], axis=1),
            ).fisher
        )
        for k in range(blocks)
    ])  # fmt: skip
    spread = float(np.sqrt((blocks - 1) / blocks * np.square(values - values.mean()).sum()))
    estimate = fraction(estimate_fisher(fid, derivs).fisher)
    half = float(norm.ppf((1 + level) / 2)) * spread
    return max(0.0, estimate - half), estimate + half


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


#: Separates the Fisher simulations' seeds from every other stream of the run seed.
FISHER_STREAM = 0xF15E

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
    fid_seeds = derive_seeds(n_fiducial, seed, FISHER_STREAM, 0)
    fid = np.asarray(summarize(simulate(np.tile(theta, (n_fiducial, 1)), fid_seeds)))
    derivatives = simulate_derivatives(
        simulate, summarize, theta, delta, n_derivative=n_derivative, seed=seed, stencil=stencil
    )
    return fid, derivatives


def simulate_derivatives(
    simulate: Callable[[np.ndarray, list[int]], np.ndarray],
    summarize: Callable[[np.ndarray], np.ndarray],
    theta: np.ndarray,
    delta: np.ndarray,
    *,
    n_derivative: int = 250,
    seed: int = 0,
    stencil: int = 5,
    which: Sequence[int] | None = None,
) -> np.ndarray:
    """Per-simulation derivatives ``[len(which), m, D]`` at ``theta`` in the parameters
    numbered ``which`` (default all), from the derivative seeds of :func:`simulate_summaries`
    (the same seeds at every point and parameter)."""
    if stencil not in STENCILS:
        raise DataError(f"summary Fisher: stencil must be 3 or 5 (got {stencil})")
    theta = np.asarray(theta, dtype=np.float64)
    delta = np.asarray(delta, dtype=np.float64)
    seeds = derive_seeds(n_derivative, seed, FISHER_STREAM, 1)
    derivatives = []
    for a in range(len(theta)) if which is None else which:
        total = 0.0
        for multiple, weight in STENCILS[stencil]:
            point = theta.copy()
            point[a] += multiple * delta[a]
            maps = simulate(np.tile(point, (n_derivative, 1)), seeds)
            total = total + weight * np.asarray(summarize(maps), dtype=np.float64)
        derivatives.append(total / delta[a])
    return np.stack(derivatives)


def with_nuisance(
    simulate: Callable[..., np.ndarray],
    n_params: int,
    nuisance_fiducial: np.ndarray,
    free: Sequence[int],
) -> Callable[[np.ndarray, list[int]], np.ndarray]:
    """``simulate(θ, seeds, nuisance)`` as a function of ``(θ, η) [B, P + len(free)]``.

    The columns after the first ``n_params`` set the nuisance parameters numbered ``free``;
    the others stay at ``nuisance_fiducial`` ``[Q]``. Give the result to
    :func:`simulate_summaries` with the fiducial point ``(θ_fid, η_fid[free])`` to get
    derivatives in both, and the Fisher matrix of all of them from :func:`estimate_fisher`.
    """
    fiducial = np.asarray(nuisance_fiducial, dtype=np.float64)
    free = [int(i) for i in free]

    def simulate_extended(params: np.ndarray, seeds: Any) -> np.ndarray:
        params = np.atleast_2d(np.asarray(params, dtype=np.float64))
        nuisance = np.tile(fiducial, (len(params), 1))
        nuisance[:, free] = params[:, n_params:]
        return simulate(params[:, :n_params], seeds, nuisance)

    return simulate_extended


#: Eigenvalue ratio below which F_ηη counts as singular (nuisance parameters whose effects on
#: the summary are proportional: no data can tell them apart).
DEGENERATE = 1e-9


def marginal_fisher(
    fisher: np.ndarray, n_params: int, names: Sequence[str] | None = None
) -> np.ndarray:
    """F_θθ − F_θη F_ηη⁻¹ F_ηθ: the Fisher matrix ``[P, P]`` of the first ``n_params``
    parameters with the others (nuisance) marginalised; equal to ((F⁻¹)_θθ)⁻¹.

    ``names`` (of the nuisance parameters, for the message) name the culprits when F_ηη is not
    positive definite or is singular: two nuisance parameters whose effects are proportional
    cannot be marginalised together; keep one of them.
    """
    f = np.asarray(fisher, dtype=np.float64)
    p = int(n_params)
    if f.ndim != 2 or f.shape[0] != f.shape[1] or not 0 < p <= f.shape[0]:
        raise DataError(f"marginal Fisher: a square matrix with more than {p} rows is needed, "
                        f"got shape {f.shape}")  # fmt: skip
    if p == f.shape[0]:
        return f.copy()
    f_tt, f_tn, f_nn = f[:p, :p], f[:p, p:], f[p:, p:]
    values = np.linalg.eigvalsh(0.5 * (f_nn + f_nn.T))
    if values[0] <= DEGENERATE * max(values[-1], 0.0):
        which = ", ".join(names) if names else f"parameters {p}..{f.shape[0] - 1}"
        raise DataError(
            f"marginal Fisher: the Fisher matrix of the nuisance parameters ({which}) is "
            f"singular or not positive definite (eigenvalues {values.min():.3g} … "
            f"{values.max():.3g}): some of them act on the summary in proportion to each other "
            "(or not at all); marginalise over fewer of them"
        )
    out = f_tt - f_tn @ np.linalg.solve(f_nn, f_tn.T)
    return 0.5 * (out + out.T)
