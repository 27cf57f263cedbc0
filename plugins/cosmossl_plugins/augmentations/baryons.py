"""A random baryonic-feedback suppression of small-scale power, applied in Fourier space.

Each map draws CAMELS-like feedback amplitudes (A_SN1, A_AGN1 log-uniform in [0.25, 4]; A_SN2,
A_AGN2 log-uniform in [0.5, 2] by default, as the CAMELS priors), maps them to the Schneider &
Teyssier (2015, arXiv:1510.06034) parameters with
:func:`cosmossl.physics.cosmology.feedback_to_st` (our own toy heuristic, not a fit to
simulations) and multiplies the Fourier modes of the map's density by ``sqrt(S(k))`` with
S(k) = P_hydro/P_dmo from :func:`cosmossl.physics.cosmology.baryon_suppression`, k in h/Mpc from
the box size. The density's power spectrum is then multiplied by S(k).

Which density: the dataset says what its maps hold (``MapMeta.content``). Maps linear in the
matter density (δ, a density, counts) are filtered as they are; log maps (log(1 + δ) of the
built-in lognormal data, log10 of a density for CAMELS) are exponentiated, filtered and taken
back to logs, so the suppression acts on the density, not on its logarithm. Because the filter
is linear with S(0) = 1, a constant factor or offset per map (a removed mean) does not matter.
Maps of unknown content (``None``, or ``"other"``) are filtered as they are.

The approximation, stated plainly: S(k) is a ratio of 3D matter power spectra. Here it is
applied to a *finished 2D map*, with k the 2D wavenumber |k⊥|, ignoring the mixing of
line-of-sight modes by projection. On a 3D volume k is the 3D wavenumber, so no projection is
ignored; the suppression still acts on the finished (e.g. lognormal) density rather than on the
spectrum it was drawn from. Filtering can push a log map's density below its smallest
value in rare pixels (the kernel has small negative lobes): such pixels are clipped to that
smallest value before the logarithm. The physically consistent route, applying S(k) to P_3D
before projecting, is what the ``lognormal`` dataset does when asked to simulate with feedback.
"""

from __future__ import annotations

import logging
import math

import numpy as np
import torch
from pydantic import Field, model_validator

from cosmossl import Augmentation, ConfigError, MapMeta, Params
from cosmossl.physics import cosmology

log = logging.getLogger("cosmossl.augmentations")


def _log_uniform(
    low: float, high: float, n: int, generator: torch.Generator, device
) -> torch.Tensor:
    u = torch.rand(n, generator=generator, device=device, dtype=torch.float64)
    return torch.exp(math.log(low) + (math.log(high) - math.log(low)) * u)


#: Log base of the maps, by ``MapMeta.content`` (maps not listed are filtered as they are).
_LOG_BASE = {"log1p-overdensity": math.e, "log10-density": 10.0}


class Baryons(Augmentation):
    """Multiply the Fourier modes of each map's density by sqrt(S(k)), random feedback strengths.

    Approximation: S(k) (Schneider & Teyssier 2015, a ratio of 3D power spectra) is applied to the
    finished 2D map's density, with k = |k⊥| in h/Mpc from the box size; log maps (per the
    dataset's ``MapMeta.content``: log(1 + δ), log10 of a density) are filtered as densities and
    returned as logs. The feedback mapping is our own toy heuristic
    (cosmossl.physics.cosmology.feedback_to_st).
    """

    role = "systematic"
    spatial_dims = (2, 3)

    class Params(Params):
        a_sn1: tuple[float, float] = Field(
            (0.25, 4.0), description="Log-uniform range of A_SN1 (SN wind energy)."
        )
        a_agn1: tuple[float, float] = Field(
            (0.25, 4.0), description="Log-uniform range of A_AGN1 (AGN feedback energy)."
        )
        a_sn2: tuple[float, float] = Field(
            (0.5, 2.0), description="Log-uniform range of A_SN2 (SN wind speed)."
        )
        a_agn2: tuple[float, float] = Field(
            (0.5, 2.0), description="Log-uniform range of A_AGN2 (AGN burstiness)."
        )

        @model_validator(mode="after")
        def _ranges(self):
            for name in ("a_sn1", "a_agn1", "a_sn2", "a_agn2"):
                low, high = getattr(self, name)
                if not 0 < low <= high:
                    raise ValueError(f"{name} must be a range (low, high) with 0 < low ≤ high")
            return self

    def __init__(self, params: Params | None = None, *, meta: MapMeta | None = None) -> None:
        super().__init__(params, meta=meta)
        if meta is None or meta.box_size is None:
            raise ConfigError(
                "augmentation 'baryons' needs the maps' box size in Mpc/h (to know k in h/Mpc), "
                "which this dataset does not give"
            )
        self.box_size = float(meta.box_size)
        self.log_base = _LOG_BASE.get(meta.content)
        if meta.content is None:
            log.warning(
                "augmentation 'baryons': the dataset does not say what its maps hold "
                "(MapMeta.content), so S(k) is applied to the maps as they are, as if they were "
                "linear in the density"
            )

    def wavenumbers(self, *sides: int) -> np.ndarray:
        """|k| in h/Mpc of the real-FFT grid ``[H, W//2 + 1]`` of an ``H × W`` map (``[D, H,
        W//2 + 1]`` of a ``D × H × W`` volume); pixels are ``box_size / W`` wide."""
        pixel = self.box_size / sides[-1]
        axes = [2 * np.pi * np.fft.fftfreq(n, d=pixel) for n in sides[:-1]]
        axes.append(2 * np.pi * np.fft.rfftfreq(sides[-1], d=pixel))
        grids = np.meshgrid(*axes, indexing="ij", sparse=True)
        return np.sqrt(sum(k**2 for k in grids))

    def draw(self, n: int, generator: torch.Generator, device) -> dict[str, np.ndarray]:
        """Feedback amplitudes of ``n`` maps and their ``log10_mc``, ``eta_b``."""
        p = self.params
        amplitudes = {
            name: _log_uniform(*getattr(p, name), n, generator, device).cpu().numpy()
            for name in ("a_sn1", "a_agn1", "a_sn2", "a_agn2")
        }
        log10_mc, eta_b = cosmology.feedback_to_st(**amplitudes)
        return {
            **amplitudes,
            "log10_mc": np.broadcast_to(log10_mc, (n,)),
            "eta_b": np.broadcast_to(eta_b, (n,)),
        }

    def __call__(self, maps: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        sides = tuple(maps.shape[2:])
        axes = tuple(range(2, maps.ndim))
        drawn = self.draw(maps.shape[0], generator, maps.device)
        k = self.wavenumbers(*sides)
        per_map = (-1,) + (1,) * len(sides)
        suppression = cosmology.baryon_suppression(
            k[None], drawn["log10_mc"].reshape(per_map), drawn["eta_b"].reshape(per_map)
        )
        factor = torch.as_tensor(np.sqrt(suppression), device=maps.device, dtype=maps.dtype)

        def suppress(field: torch.Tensor) -> torch.Tensor:
            modes = torch.fft.rfftn(field, dim=axes) * factor[:, None]
            return torch.fft.irfftn(modes, s=sides, dim=axes)

        if self.log_base is None:
            return suppress(maps)
        # The density up to a factor per map (the map's maximum is taken out against overflow).
        scale = math.log(self.log_base)
        top = maps.amax(dim=axes, keepdim=True)
        density = torch.exp((maps - top) * scale)
        floor = density.amin(dim=axes, keepdim=True)
        return torch.log(torch.maximum(suppress(density), floor)) / scale + top
