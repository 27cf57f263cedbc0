"""Linear matter power spectra and baryonic suppression, in numpy (no torch).

Units: k in h/Mpc, lengths in Mpc/h, P in (Mpc/h)³ unless a docstring says otherwise.

- :func:`transfer_eh98`: the Eisenstein & Hu (1998, ApJ 496, 605, arXiv:astro-ph/9709112)
  no-wiggle transfer function (their eqs. 26, 29–31).
- :func:`linear_power`: P_lin(k) = A k^{n_s} T(k)², with A fixed so that σ(8 Mpc/h) = σ_8.
- :func:`projected_power`: the 2D spectrum of a slab of thickness Δ in a periodic box, by the sum
  over k_z with the slab window sinc²(k_z Δ/2).
- :func:`baryon_suppression`: the Schneider & Teyssier (2015, JCAP 12, 049, arXiv:1510.06034)
  fitting function S(k) = P_hydro/P_dmo at z = 0.
- :func:`feedback_to_st`: OUR OWN HEURISTIC (not from the literature) mapping CAMELS-like feedback
  amplitudes (A_SN1, A_AGN1, A_SN2, A_AGN2) onto the two Schneider & Teyssier parameters.

Every function broadcasts over array arguments (numpy rules), so a batch of cosmologies or
feedback values is one call.
"""

from __future__ import annotations

import numpy as np

T_CMB = 2.7255
#: CAMELS fixed parameters (also the library defaults).
OMEGA_B, HUBBLE, N_S = 0.049, 0.6711, 0.9624
#: k grid (h/Mpc) of the σ_8 integral: the top-hat window is negligible outside it.
_SIGMA_K = np.logspace(-4.0, 2.0, 4096)


def sound_horizon_eh98(omega_m: float, omega_b: float = OMEGA_B, h: float = HUBBLE) -> np.ndarray:
    """EH98 fitting formula for the sound horizon s in Mpc (eq. 26)."""
    wm, wb = np.asarray(omega_m) * h**2, np.asarray(omega_b) * h**2
    return 44.5 * np.log(9.83 / wm) / np.sqrt(1.0 + 10.0 * wb**0.75)


def alpha_gamma_eh98(omega_m: float, omega_b: float = OMEGA_B, h: float = HUBBLE) -> np.ndarray:
    """EH98 α_Γ, the baryon suppression of the shape parameter (eq. 31)."""
    wm = np.asarray(omega_m) * h**2
    fb = np.asarray(omega_b) / np.asarray(omega_m)
    return 1.0 - 0.328 * np.log(431.0 * wm) * fb + 0.38 * np.log(22.3 * wm) * fb**2


def transfer_eh98(
    k: np.ndarray,
    omega_m: float | np.ndarray,
    omega_b: float | np.ndarray = OMEGA_B,
    h: float = HUBBLE,
    t_cmb: float = T_CMB,
) -> np.ndarray:
    """EH98 no-wiggle transfer function T(k), k in h/Mpc (broadcasts over all arguments)."""
    k_mpc = np.asarray(k, dtype=np.float64) * h
    wm = np.asarray(omega_m, dtype=np.float64) * h**2
    theta2 = (t_cmb / 2.7) ** 2
    s = sound_horizon_eh98(omega_m, omega_b, h)
    a_gamma = alpha_gamma_eh98(omega_m, omega_b, h)
    q = k_mpc * theta2 / wm
    q_eff = q / (a_gamma + (1.0 - a_gamma) / (1.0 + (0.43 * k_mpc * s) ** 4))
    l0 = np.log(2.0 * np.e + 1.8 * q_eff)
    c0 = 14.2 + 731.0 / (1.0 + 62.5 * q_eff)
    return l0 / (l0 + c0 * q_eff**2)


def tophat_sigma2(k: np.ndarray, power: np.ndarray, radius: float = 8.0) -> np.ndarray:
    """σ²(R) = (1/2π²) ∫ dk k² P(k) W(kR)², by the trapezoid rule on ``k`` (last axis)."""
    x = k * radius
    window = 3.0 * (np.sin(x) - x * np.cos(x)) / x**3
    return np.trapezoid(k**2 * power * window**2, k, axis=-1) / (2.0 * np.pi**2)


def linear_power(
    k: np.ndarray,
    omega_m: float | np.ndarray,
    sigma_8: float | np.ndarray,
    omega_b: float = OMEGA_B,
    h: float = HUBBLE,
    n_s: float = N_S,
) -> np.ndarray:
    """σ_8-normalised linear P(k) at z = 0 in (Mpc/h)³, k in h/Mpc.

    ``omega_m`` and ``sigma_8`` may be arrays of shape ``[B]``; the result then has shape
    ``[B, *k.shape]``. Scalars give ``k.shape``.
    """
    k = np.asarray(k, dtype=np.float64)
    om = np.asarray(omega_m, dtype=np.float64)
    s8 = np.asarray(sigma_8, dtype=np.float64)
    om, s8 = np.broadcast_arrays(om, s8)
    om_col = np.reshape(om, om.shape + (1,) * k.ndim)
    # Normalise on the fixed σ_8 grid: P ∝ σ_8² exactly.
    shape_grid = _SIGMA_K**n_s * transfer_eh98(_SIGMA_K, om[..., None], omega_b, h) ** 2
    amplitude = s8**2 / tophat_sigma2(_SIGMA_K, shape_grid)
    amplitude = np.reshape(amplitude, om.shape + (1,) * k.ndim)
    with np.errstate(divide="ignore", invalid="ignore"):
        power = amplitude * k**n_s * transfer_eh98(k, om_col, omega_b, h) ** 2
    return np.where(k > 0, power, 0.0)


def projected_power(
    k_perp: np.ndarray,
    power_3d,
    box_size: float,
    slab_thickness: float,
    n_max: int = 256,
) -> np.ndarray:
    """2D spectrum (Mpc/h)² of a slab of thickness Δ projected through a periodic box.

    P_2D(k⊥) = (1/L) Σ_n P_3D(sqrt(k⊥² + k_n²)) sinc²(k_n Δ/2), k_n = 2πn/L, |n| ≤ ``n_max``.
    ``power_3d`` is a callable of |k| (h/Mpc) that broadcasts (leading batch axes allowed in its
    output) and is called once, on the distinct values of |k|. Summing is needed: the thick-slab
    shortcut P_3D/Δ is off by 0.43 at the fundamental.
    """
    k_perp = np.asarray(k_perp, dtype=np.float64)
    n = np.arange(-n_max, n_max + 1, dtype=np.float64)
    k_n = 2.0 * np.pi * n / box_size
    window = np.sinc(k_n * slab_thickness / (2.0 * np.pi)) ** 2  # np.sinc(x) = sin(πx)/(πx)
    k_3d = np.sqrt(k_perp[..., None] ** 2 + k_n**2)
    # On a periodic grid the |k| of the sum repeat (±n, and k⊥² + k_n² sharing a value): evaluate
    # the spectrum once per distinct |k| (7× fewer calls for a 64² map) and scatter it back.
    unique, inverse = np.unique(k_3d, return_inverse=True)
    values = power_3d(unique)
    power = values[..., inverse.reshape(k_3d.shape)]
    return np.sum(power * window, axis=-1) / box_size


def baryon_suppression(
    k: np.ndarray, log10_mc: float | np.ndarray = 14.08, eta_b: float | np.ndarray = 0.5
) -> np.ndarray:
    """Schneider & Teyssier (2015) S(k) = P_hydro/P_dmo at z = 0, k in h/Mpc.

    S(k) = [B/(1 + (k/k_g)³) + 1 − B] (1 + (k/k_s)²), B = 0.105 log10 M_c − 1.27,
    k_g = 0.7 (1 − B)⁴ η_b^{−1.6} h/Mpc, k_s = 55 h/Mpc. Broadcasts over all arguments
    (e.g. ``k[None, :]`` with ``log10_mc[:, None]``). Keep log10 M_c ≤ 15.5 (B < 0.4).
    """
    k = np.asarray(k, dtype=np.float64)
    b = 0.105 * np.asarray(log10_mc, dtype=np.float64) - 1.27
    k_g = 0.7 * (1.0 - b) ** 4 * np.asarray(eta_b, dtype=np.float64) ** -1.6
    k_s = 55.0
    return (b / (1.0 + (k / k_g) ** 3) + 1.0 - b) * (1.0 + (k / k_s) ** 2)


def feedback_to_st(
    a_sn1: float | np.ndarray,
    a_agn1: float | np.ndarray,
    a_sn2: float | np.ndarray,
    a_agn2: float | np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Map CAMELS-like feedback amplitudes to Schneider & Teyssier ``(log10_mc, eta_b)``.

    OUR OWN TOY HEURISTIC, not from the literature: stronger AGN energy (A_AGN1) raises M_c (more
    gas expelled), stronger SN energy (A_SN1) lowers it; η_b grows with A_AGN2 and shrinks with
    A_SN2:

        log10 M_c = 14.08 + 0.5 log2(A_AGN1) − 0.25 log2(A_SN1)   clipped to [12.5, 15.5]
        η_b       = 0.5 A_AGN2^0.6 A_SN2^−0.3                       clipped to [0.1, 2]

    Only two combinations of the four parameters matter (a known, deliberate degeneracy). The
    fiducial (1, 1, 1, 1) gives the Schneider & Teyssier defaults (14.08, 0.5).
    """
    a_sn1, a_agn1, a_sn2, a_agn2 = (
        np.asarray(a, dtype=np.float64) for a in (a_sn1, a_agn1, a_sn2, a_agn2)
    )
    log10_mc = 14.08 + 0.5 * np.log2(a_agn1) - 0.25 * np.log2(a_sn1)
    eta_b = 0.5 * a_agn2**0.6 * a_sn2**-0.3
    return np.clip(log10_mc, 12.5, 15.5), np.clip(eta_b, 0.1, 2.0)
