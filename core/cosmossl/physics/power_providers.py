"""Linear matter power spectra P(k; Ω_m, σ_8) at z = 0 from interchangeable providers.

A provider is a :class:`LinearPower`: made with the fixed parameters (Ω_b, h, n_s), called with
wavenumbers k (h/Mpc) and arrays of Ω_m and σ_8, it returns the σ_8-normalised spectrum in
(Mpc/h)³. A simulator picks one by name with :func:`linear_power_provider`:

=====================  ==========================================================================
name                   spectrum
=====================  ==========================================================================
``eh98``               Eisenstein & Hu (1998) with baryon acoustic oscillations (built in)
``eh98-no-wiggle``     Eisenstein & Hu (1998) without them, the smooth "no-wiggle" fit (built in)
``colossus:<model>``   a model of colossus (Diemer 2018, arXiv:1712.04512; ``pip install
                       'cosmossl[colossus]'``): ``eisenstein98``, ``eisenstein98_zb`` (no
                       wiggles), ``camb`` (needs camb), ...; ``colossus`` alone is
                       ``colossus:eisenstein98``
``package.module:Cls`` your own :class:`LinearPower` subclass, e.g. one that runs CAMB, CLASS or
                       pyccl; it is made as ``Cls(omega_b=..., h=..., n_s=...)``
=====================  ==========================================================================

Optional providers import their library only when made, so the base install needs none of them.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Callable

import numpy as np

from cosmossl.errors import ConfigError
from cosmossl.physics import cosmology


class LinearPower(ABC):
    """A linear matter power spectrum at z = 0 as a function of (Ω_m, σ_8).

    Subclasses implement :meth:`power` (positive k only) and set :attr:`description`; the
    base class handles broadcasting and k = 0 (P = 0 there, as the maps have zero mean).
    """

    #: One line saying what the spectrum is (shown by ``cosmossl fisher``, stored with maps).
    description: str = ""

    def __init__(self, *, omega_b: float, h: float, n_s: float) -> None:
        self.omega_b, self.h, self.n_s = float(omega_b), float(h), float(n_s)

    @abstractmethod
    def power(self, k: np.ndarray, omega_m: np.ndarray, sigma_8: np.ndarray) -> np.ndarray:
        """P ``[B, M]`` in (Mpc/h)³ at wavenumbers ``k`` ``[M]`` > 0 (h/Mpc), for ``[B]``
        values of Ω_m and σ_8."""

    def __call__(
        self, k: np.ndarray, omega_m: float | np.ndarray, sigma_8: float | np.ndarray
    ) -> np.ndarray:
        """P ``[*B, *k.shape]`` (Mpc/h)³ for Ω_m and σ_8 of shape ``B`` (scalars: ``k.shape``)."""
        k = np.asarray(k, dtype=np.float64)
        om, s8 = np.broadcast_arrays(
            np.asarray(omega_m, dtype=np.float64), np.asarray(sigma_8, dtype=np.float64)
        )
        flat = k.reshape(-1)
        positive = flat > 0
        out = np.zeros((om.size, flat.size))
        if positive.any():
            out[:, positive] = self.power(flat[positive], om.reshape(-1), s8.reshape(-1))
        return out.reshape(om.shape + k.shape)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(omega_b={self.omega_b}, h={self.h}, n_s={self.n_s})"


class EH98(LinearPower):
    """The built-in Eisenstein & Hu (1998) fit, with or without the baryon wiggles
    (:func:`cosmossl.physics.cosmology.linear_power`)."""

    def __init__(self, *, wiggles: bool = True, omega_b: float, h: float, n_s: float) -> None:
        super().__init__(omega_b=omega_b, h=h, n_s=n_s)
        self.wiggles = wiggles
        self.description = (
            "Eisenstein & Hu (1998) "
            + ("with baryon acoustic oscillations" if wiggles else "no-wiggle fit")
            + f" (built in), Ω_b = {self.omega_b:g}, h = {self.h:g}, n_s = {self.n_s:g}"
        )

    def power(self, k: np.ndarray, omega_m: np.ndarray, sigma_8: np.ndarray) -> np.ndarray:
        return cosmology.linear_power(
            k, omega_m, sigma_8, self.omega_b, self.h, self.n_s, wiggles=self.wiggles
        )


class Colossus(LinearPower):
    """A power spectrum model of colossus, normalised by colossus to σ_8.

    One colossus ``Cosmology`` per distinct Ω_m (flat, T_CMB = 2.7255 K, no interpolation
    tables, nothing written to disk), evaluated at σ_8 = 1 and scaled by σ_8² (exact: P ∝ σ_8²).
    """

    def __init__(
        self, *, model: str = "eisenstein98", omega_b: float, h: float, n_s: float
    ) -> None:
        super().__init__(omega_b=omega_b, h=h, n_s=n_s)
        try:
            from colossus.cosmology import cosmology as colossus_cosmology
            from colossus.cosmology import power_spectrum
        except ImportError:
            raise ConfigError(
                "linear_power 'colossus' needs the colossus package: pip install "
                "'cosmossl[colossus]' (or pip install colossus)"
            ) from None
        if model not in power_spectrum.models:
            raise ConfigError(
                f"colossus has no power spectrum model '{model}'; its models: "
                f"{', '.join(sorted(power_spectrum.models))}"
            )
        self._cosmology = colossus_cosmology.Cosmology
        self.model = model
        self.description = (
            f"colossus '{model}' ({power_spectrum.models[model].long_name}), "
            f"Ω_b = {self.omega_b:g}, h = {self.h:g}, n_s = {self.n_s:g}"
        )

    def power(self, k: np.ndarray, omega_m: np.ndarray, sigma_8: np.ndarray) -> np.ndarray:
        unique, inverse = np.unique(omega_m, return_inverse=True)
        shapes = np.stack([self._unit_power(k, float(om)) for om in unique])
        return shapes[inverse.reshape(-1)] * sigma_8[:, None] ** 2

    def _unit_power(self, k: np.ndarray, omega_m: float) -> np.ndarray:
        cosmo = self._cosmology(
            name="cosmossl", flat=True, Om0=omega_m, Ob0=self.omega_b, H0=100.0 * self.h,
            sigma8=1.0, ns=self.n_s, Tcmb0=cosmology.T_CMB, interpolation=False,
            persistence="", print_warnings=False,
        )  # fmt: skip
        return np.asarray(cosmo.matterPowerSpectrum(k, z=0.0, model=self.model), np.float64)


#: Built-in provider names → how to make one from the part after ``:`` (or None) and the fixed
#: parameters.
PROVIDERS: dict[str, Callable[..., LinearPower]] = {
    "eh98": lambda option, **fixed: EH98(wiggles=True, **fixed),
    "eh98-no-wiggle": lambda option, **fixed: EH98(wiggles=False, **fixed),
    "colossus": lambda option, **fixed: Colossus(model=option or "eisenstein98", **fixed),
}
#: Providers that take an option after ``:`` (``colossus:camb``).
_WITH_OPTION = ("colossus",)


def check_provider_name(name: str) -> str:
    """``name`` if it has the form of a provider (see the module docstring); ``ValueError`` else.

    Does not import anything: whether the provider can be made is checked when it is made.
    """
    base, _, option = name.partition(":")
    if base in PROVIDERS:
        if option and base not in _WITH_OPTION:
            raise ValueError(f"'{base}' takes no option after ':' (got '{name}')")
        return name
    if option and base and all(part.isidentifier() for part in base.split(".")):
        return name
    raise ValueError(
        f"unknown linear power spectrum '{name}': use one of "
        f"{', '.join(f'{n!r}' for n in PROVIDERS)}, 'colossus:<model>', or "
        "'package.module:ClassName' naming a cosmossl.physics.LinearPower subclass"
    )


def linear_power_provider(name: str, *, omega_b: float, h: float, n_s: float) -> LinearPower:
    """Make the provider ``name`` (see the module docstring) with the fixed parameters.

    Raises :class:`~cosmossl.ConfigError` for an unknown name, a missing optional library, or a
    ``package.module:ClassName`` that cannot be imported or is not a :class:`LinearPower`.
    """
    try:
        check_provider_name(name)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    fixed = {"omega_b": omega_b, "h": h, "n_s": n_s}
    base, _, option = name.partition(":")
    if base in PROVIDERS:
        return PROVIDERS[base](option or None, **fixed)
    try:
        cls = getattr(importlib.import_module(base), option)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"linear power spectrum '{name}': cannot import it ({exc})") from None
    if not (isinstance(cls, type) and issubclass(cls, LinearPower)):
        what = f"class {cls.__name__}" if isinstance(cls, type) else f"a {type(cls).__name__}"
        raise ConfigError(
            f"linear power spectrum '{name}' names {what}, not a subclass of "
            "cosmossl.physics.LinearPower"
        )
    return cls(**fixed)
