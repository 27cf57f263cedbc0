"""Linear matter power spectra and baryonic suppression, in numpy (no torch).

Units: k in h/Mpc, lengths in Mpc/h, P in (Mpc/h)³ unless a docstring says otherwise.

- :func:`transfer_eh98`: the Eisenstein & Hu (1998, ApJ 496, 605, arXiv:astro-ph/9709112)
  transfer function with baryon acoustic oscillations (their eqs. 2–24), cold dark matter plus
  baryons, no massive neutrinos.
- :func:`transfer_eh98_no_wiggle`: their no-wiggle ("zero baryon") fit (eqs. 26, 29–31): the
  same shape without the oscillations.
- :func:`linear_power`: P_lin(k) = A k^{n_s} T(k)², with A fixed so that σ(8 Mpc/h) = σ_8.
- :func:`projected_power`: the 2D spectrum of a slab of thickness Δ in a periodic box, by the sum
  over k_z with the slab window sinc²(k_z Δ/2).
- :func:`baryon_suppression`: the Schneider & Teyssier (2015, JCAP 12, 049, arXiv:1510.06034)
  fitting function S(k) = P_hydro/P_dmo at z = 0.
- :func:`feedback_to_st`: OUR OWN HEURISTIC (not from the literature) mapping CAMELS-like feedback
  amplitudes (A_SN1, A_AGN1, A_SN2, A_AGN2) onto the two Schneider & Teyssier parameters.
- :func:`spk_suppression`: a second, independent S(k): the SP(k) fitting function of Salcido et
  al. (2023, MNRAS 523, 2247, arXiv:2305.09710), driven by the baryon fraction of haloes (the
  out-of-family feedback of the robustness study).

Every function broadcasts over array arguments (numpy rules), so a batch of cosmologies or
feedback values is one call.
"""

from __future__ import annotations

import numpy as np

T_CMB = 2.7255
#: How figures write the usual parameters (LaTeX without dollars): a dataset declares the labels
#: of its parameters (``MapSet.param_labels``), for these names from this table.
PARAM_LABELS = {
    "omega_m": r"\Omega_{\rm m}",
    "sigma_8": r"\sigma_8",
    "omega_b": r"\Omega_{\rm b}",
    "h": "h",
    "n_s": r"n_{\rm s}",
    "A_SN1": r"A_{\rm SN1}",
    "A_AGN1": r"A_{\rm AGN1}",
    "A_SN2": r"A_{\rm SN2}",
    "A_AGN2": r"A_{\rm AGN2}",
    "fb_a": r"a_{f_{\rm b}}",
    "fb_pow": r"b_{f_{\rm b}}",
}
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


def transfer_eh98_no_wiggle(
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


def transfer_eh98(
    k: np.ndarray,
    omega_m: float | np.ndarray,
    omega_b: float | np.ndarray = OMEGA_B,
    h: float = HUBBLE,
    t_cmb: float = T_CMB,
) -> np.ndarray:
    """EH98 transfer function T(k) with baryon acoustic oscillations, k in h/Mpc.

    T = f_b T_b + f_c T_c (eq. 8): the cold dark matter part (eqs. 9–12, 17–20) and the baryon
    part with its acoustic oscillations, Silk damping and the shifted nodes (eqs. 13–15, 21–24),
    with the sound horizon at the drag epoch from eqs. 2–7. Broadcasts over all arguments.
    """
    k_mpc = np.asarray(k, dtype=np.float64) * h  # 1/Mpc
    om = np.asarray(omega_m, dtype=np.float64)
    fb = np.asarray(omega_b, dtype=np.float64) / om
    fc = 1.0 - fb
    wm, wb = om * h**2, fb * om * h**2
    theta = t_cmb / 2.7
    # Matter-radiation equality and the drag epoch (eqs. 2–4).
    z_eq = 2.50e4 * wm * theta**-4
    k_eq = 7.46e-2 * wm * theta**-2
    b1 = 0.313 * wm**-0.419 * (1.0 + 0.607 * wm**0.674)
    b2 = 0.238 * wm**0.223
    z_d = 1291.0 * wm**0.251 / (1.0 + 0.659 * wm**0.828) * (1.0 + b1 * wb**b2)
    # Baryon-to-photon momentum ratio R (eq. 5), sound horizon (eq. 6), Silk scale (eq. 7).
    r_d = 31.5 * wb * theta**-4 * (1.0e3 / z_d)
    r_eq = 31.5 * wb * theta**-4 * (1.0e3 / z_eq)
    s = (
        2.0 / (3.0 * k_eq) * np.sqrt(6.0 / r_eq)
        * np.log((np.sqrt(1.0 + r_d) + np.sqrt(r_d + r_eq)) / (1.0 + np.sqrt(r_eq)))
    )  # fmt: skip
    k_silk = 1.6 * wb**0.52 * wm**0.73 * (1.0 + (10.4 * wm) ** -0.95)
    q = k_mpc / (13.41 * k_eq)  # eq. 10
    ks = k_mpc * s

    def t0(alpha_c, beta_c):  # eqs. 19–20
        log = np.log(np.e + 1.8 * beta_c * q)
        c = 14.2 / alpha_c + 386.0 / (1.0 + 69.9 * q**1.08)
        return log / (log + c * q**2)

    # Cold dark matter (eqs. 9, 11, 12, 18).
    a1 = (46.9 * wm) ** 0.670 * (1.0 + (32.1 * wm) ** -0.532)
    a2 = (12.0 * wm) ** 0.424 * (1.0 + (45.0 * wm) ** -0.582)
    alpha_c = a1**-fb * a2 ** -(fb**3)
    c1 = 0.944 / (1.0 + (458.0 * wm) ** -0.708)
    c2 = (0.395 * wm) ** -0.0266
    beta_c = 1.0 / (1.0 + c1 * (fc**c2 - 1.0))
    f = 1.0 / (1.0 + (ks / 5.4) ** 4)
    t_cdm = f * t0(1.0, beta_c) + (1.0 - f) * t0(alpha_c, beta_c)
    # Baryons (eqs. 14, 15, 21–24).
    y = (1.0 + z_eq) / (1.0 + z_d)
    root = np.sqrt(1.0 + y)
    g = y * (-6.0 * root + (2.0 + 3.0 * y) * np.log((root + 1.0) / (root - 1.0)))
    alpha_b = 2.07 * k_eq * s * (1.0 + r_d) ** -0.75 * g
    beta_b = 0.5 + fb + (3.0 - 2.0 * fb) * np.sqrt((17.2 * wm) ** 2 + 1.0)
    beta_node = 8.41 * wm**0.435
    with np.errstate(divide="ignore", invalid="ignore"):
        s_tilde = s / np.cbrt(1.0 + (beta_node / ks) ** 3)
        x = k_mpc * s_tilde
        j0 = np.where(x > 0, np.sin(x) / x, 1.0)
        t_b = (
            t0(1.0, 1.0) / (1.0 + (ks / 5.2) ** 2)
            + alpha_b / (1.0 + (beta_b / ks) ** 3) * np.exp(-((k_mpc / k_silk) ** 1.4))
        ) * j0
    return fb * t_b + fc * t_cdm


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
    *,
    wiggles: bool = False,
) -> np.ndarray:
    """σ_8-normalised linear P(k) at z = 0 in (Mpc/h)³, k in h/Mpc, from the EH98 fit.

    ``wiggles`` selects :func:`transfer_eh98` (with the baryon acoustic oscillations) over
    :func:`transfer_eh98_no_wiggle` (the default). ``omega_m`` and ``sigma_8`` may be arrays of
    shape ``[B]``; the result then has shape ``[B, *k.shape]``. Scalars give ``k.shape``.
    """
    transfer = transfer_eh98 if wiggles else transfer_eh98_no_wiggle
    k = np.asarray(k, dtype=np.float64)
    om = np.asarray(omega_m, dtype=np.float64)
    s8 = np.asarray(sigma_8, dtype=np.float64)
    om, s8 = np.broadcast_arrays(om, s8)
    om_col = np.reshape(om, om.shape + (1,) * k.ndim)
    # Normalise on the fixed σ_8 grid: P ∝ σ_8² exactly.
    shape_grid = _SIGMA_K**n_s * transfer(_SIGMA_K, om[..., None], omega_b, h) ** 2
    amplitude = s8**2 / tophat_sigma2(_SIGMA_K, shape_grid)
    amplitude = np.reshape(amplitude, om.shape + (1,) * k.ndim)
    with np.errstate(divide="ignore", invalid="ignore"):
        power = amplitude * k**n_s * transfer(k, om_col, omega_b, h) ** 2
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


#: SP(k) best-fitting parameters (Salcido et al. 2023, arXiv:2305.09710; M_200c haloes), each a
#: quadratic in (1 + z) in the paper: here evaluated at z = 0.125, the lowest redshift of their
#: calibration (the authors' package py-SP(k) 2.0.1 holds the coefficients), to 6 digits.
SPK_PARAMS = {
    "alpha": 14.0318, "beta": 13.8958, "gamma": 0.85835,
    "lambda_a": 0.014057, "lambda_b": 3.59938,
    "mu_a": 0.556704, "mu_b": 4.14567, "mu_c": 2.70328,
    "nu_a": 811.56, "nu_b": -11.2079, "nu_c": 3.35109,
}  # fmt: skip
#: Largest k (h/Mpc) of the SP(k) calibration; beyond it S(k) is held at S(SPK_K_MAX).
SPK_K_MAX = 12.0


def spk_suppression(
    k: np.ndarray,
    fb_a: float | np.ndarray,
    fb_pow: float | np.ndarray,
    pivot_mass: float = 10**13.5,
) -> np.ndarray:
    """The SP(k) suppression S(k) = P_hydro/P_dmo of Salcido et al. (2023), k in h/Mpc.

    The model reads S at each k from the baryon fraction f̃_b = f_b/(Ω_b/Ω_m) of haloes of one
    "optimal" mass M_opt(k) (M_200c in M_sun), with x = log10 k:

        log10 M_opt = α − (α − β) k^γ                              (their eq. 2)
        S = λ(x) − (λ(x) − μ(x)) exp(−ν(x) f̃_b(M_opt))
        λ = 1 + λ_a exp(λ_b x),  μ = μ_a + (1 − μ_a)/(1 + exp(μ_b x + μ_c)),
        ν = ν_a exp(−(x − ν_b)²/(2 ν_c²))

    with the best-fitting constants :data:`SPK_PARAMS` (z = 0.125). The baryon fraction–mass
    relation is their power law f̃_b = ``fb_a`` (M/``pivot_mass``)^``fb_pow``. Valid for
    k ≤ :data:`SPK_K_MAX`; beyond it S is held at its value there (our choice: the projected
    slab sums P_3D to |k| ≈ 20 h/Mpc with little weight). The parameters of the robustness
    study's priors (``fb_a`` 0.2–0.6, ``fb_pow`` 0.1–0.4) lie inside the fitting limits of the
    calibration (checked with the authors' package). Broadcasts over all arguments.
    """
    p = SPK_PARAMS
    k = np.minimum(np.asarray(k, dtype=np.float64), SPK_K_MAX)
    with np.errstate(divide="ignore"):
        x = np.log10(k)
    log_mass = p["alpha"] - (p["alpha"] - p["beta"]) * k ** p["gamma"]
    fraction = np.asarray(fb_a, dtype=np.float64) * (10.0**log_mass / pivot_mass) ** np.asarray(
        fb_pow, dtype=np.float64
    )
    lam = 1.0 + p["lambda_a"] * np.exp(p["lambda_b"] * x)
    mu = p["mu_a"] + (1.0 - p["mu_a"]) / (1.0 + np.exp(p["mu_b"] * x + p["mu_c"]))
    nu = p["nu_a"] * np.exp(-0.5 * ((x - p["nu_b"]) / p["nu_c"]) ** 2)
    return lam - (lam - mu) * np.exp(-nu * fraction)
