"""The analytic information limit of a Gaussian field with independent Fourier modes.

- :func:`field_fisher`: F_ab = ½ Σ_{all k ≠ 0 of the full FFT plane} ∂_a ln P(k) ∂_b ln P(k), the
  exact Fisher matrix of a Gaussian field. (Counting only the half-plane modes while keeping the
  ½ undercounts F by 2.) The same holds for a 3D box, summed over the full FFT cube.
- :func:`gaussian_score`: the exact score of that likelihood, whose covariance over simulations
  is F (used to verify the formula).

A simulator plugin builds its ``fisher_limit()`` from these; the Fisher matrices of *summaries*
are estimated from simulations in :mod:`cosmossl.information.fisher`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

#: A spectrum on a fixed grid of modes as a function of the parameter vector θ [P].
SpectrumFn = Callable[[np.ndarray], np.ndarray]


def full_plane_k(n: int, box_size: float, *, ndim: int = 2) -> np.ndarray:
    """|k| (h/Mpc) of every mode of the full ``n×n`` FFT plane, ``[n, n]`` (``ndim = 3``: of
    the full FFT cube, ``[n, n, n]``)."""
    freq = np.fft.fftfreq(n, d=box_size / n) * 2.0 * np.pi
    return np.sqrt(sum(k**2 for k in np.meshgrid(*[freq] * ndim, indexing="ij")))


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
    """F_ab = ½ Σ_k ∂_a ln P ∂_b ln P from derivatives ``[P, n, n]`` on the full FFT plane
    (``[P, n, n, n]`` on the full FFT cube of a 3D box).

    The k = 0 entry ``[..., 0, 0]`` is left out (the maps have zero mean).
    """
    d = np.array(dlnp, dtype=np.float64).reshape(dlnp.shape[0], -1)
    d[:, 0] = 0.0
    return 0.5 * d @ d.T


def gaussian_score(maps: np.ndarray, power: np.ndarray, dlnp: np.ndarray, box_size: float):
    """Exact score s_a = ½ Σ_k ∂_a ln P (P̂_k/P_k − 1) of maps ``[B, n, n]``, ``[B, P]``.

    ``power`` ``[n, n]`` and ``dlnp`` ``[P, n, n]`` are on the full FFT plane; k = 0 is skipped.
    For 3D boxes ``[B, n, n, n]``, ``power`` ``[n, n, n]`` and ``dlnp`` ``[P, n, n, n]`` are on
    the full FFT cube (the number of axes of ``power`` says which).
    """
    ndim = np.ndim(power)
    n = maps.shape[-1]
    cell = (box_size / n) ** ndim
    axes = tuple(range(-ndim, 0))
    estimate = np.abs(np.fft.fftn(maps, axes=axes)) ** 2 * cell / n**ndim
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (estimate / power - 1.0).reshape(len(maps), -1)
    ratio[:, 0] = 0.0
    d = np.array(dlnp, dtype=np.float64).reshape(len(dlnp), -1)
    d[:, 0] = 0.0
    return 0.5 * ratio @ d.T
