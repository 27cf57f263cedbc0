"""A random baryonic-feedback suppression of small-scale power, applied in Fourier space.

Each map draws CAMELS-like feedback amplitudes (A_SN1, A_AGN1 log-uniform in [0.25, 4]; A_SN2,
A_AGN2 log-uniform in [0.5, 2] by default, as the CAMELS priors), maps them to the Schneider &
Teyssier (2015, arXiv:1510.06034) parameters with
:func:`cosmossl.physics.cosmology.feedback_to_st` (our own toy heuristic, not a fit to
simulations) and multiplies the map's Fourier modes by ``sqrt(S(k))`` with S(k) = P_hydro/P_dmo
from :func:`cosmossl.physics.cosmology.baryon_suppression`, k in h/Mpc from the box size. The
map's power spectrum is then multiplied by S(k).

The approximation, stated plainly: S(k) is a ratio of 3D matter power spectra. Here it is
applied to a *finished 2D map* — to the field the map holds, as it reaches the augmentation (for
the built-in lognormal data that is log(1 + δ), so the suppression acts in log space, not on the
overdensity δ) — with k the 2D wavenumber |k⊥|. This ignores the mixing of line-of-sight modes by
projection and the non-linear map from the log field to δ. Because the filter is linear with
S(0) = 1, it commutes with a global standardisation of the maps (shift and scale). The
physically consistent route, applying S(k) to P_3D before projecting, is what the ``lognormal``
dataset does when asked to simulate with feedback.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from pydantic import Field, model_validator

from cosmossl import Augmentation, ConfigError, MapMeta, Params
from cosmossl.physics import cosmology


def _log_uniform(
    low: float, high: float, n: int, generator: torch.Generator, device
) -> torch.Tensor:
    u = torch.rand(n, generator=generator, device=device, dtype=torch.float64)
    return torch.exp(math.log(low) + (math.log(high) - math.log(low)) * u)


class Baryons(Augmentation):
    """Multiply each map's Fourier modes by sqrt(S(k)) for randomly drawn feedback strengths.

    Approximation: S(k) (Schneider & Teyssier 2015, a ratio of 3D power spectra) is applied to the
    finished 2D map, to the field it holds (log(1 + δ) for the built-in lognormal maps, i.e. in
    log space), with k = |k⊥| in h/Mpc from the box size. The feedback mapping is our own toy
    heuristic (cosmossl.physics.cosmology.feedback_to_st).
    """

    role = "systematic"

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

    def wavenumbers(self, h: int, w: int) -> np.ndarray:
        """|k| in h/Mpc of the real-FFT grid ``[H, W//2 + 1]`` of an ``H × W`` map."""
        pixel = self.box_size / w
        ky = 2 * np.pi * np.fft.fftfreq(h, d=pixel)
        kx = 2 * np.pi * np.fft.rfftfreq(w, d=pixel)
        return np.sqrt(ky[:, None] ** 2 + kx[None, :] ** 2)

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
        h, w = maps.shape[-2:]
        drawn = self.draw(maps.shape[0], generator, maps.device)
        k = self.wavenumbers(h, w)
        suppression = cosmology.baryon_suppression(
            k[None], drawn["log10_mc"][:, None, None], drawn["eta_b"][:, None, None]
        )
        factor = torch.as_tensor(np.sqrt(suppression), device=maps.device, dtype=maps.dtype)
        return torch.fft.irfft2(torch.fft.rfft2(maps) * factor[:, None], s=(h, w))
