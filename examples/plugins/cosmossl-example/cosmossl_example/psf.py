"""A systematic augmentation: an instrument's Gaussian PSF plus white pixel noise.

Each map is convolved with a Gaussian point-spread function whose FWHM (in pixels) is drawn
uniformly from ``[fwhm_min, fwhm_max]``, then gets white Gaussian noise of standard deviation
``noise`` (in the units of the maps). Training with it as a view augmentation teaches the
summary to ignore the observing conditions.
"""

import math

import torch
from pydantic import Field

import cosmossl


class PSF(cosmossl.Augmentation):
    """Gaussian PSF convolution (periodic, in Fourier space) plus white pixel noise."""

    role = "systematic"

    class Params(cosmossl.Params):
        fwhm_min: float = Field(1.0, ge=0, description="Smallest PSF FWHM in pixels.")
        fwhm_max: float = Field(2.5, ge=0, description="Largest PSF FWHM in pixels.")
        noise: float = Field(0.05, ge=0, description="Standard deviation of the pixel noise.")

    def __call__(self, maps: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        p = self.params
        n, h, w = maps.shape[0], maps.shape[-2], maps.shape[-1]
        # Every random number comes from `generator`, on the maps' device: reproducible.
        u = torch.rand(n, generator=generator, device=maps.device, dtype=maps.dtype)
        sigma = (p.fwhm_min + (p.fwhm_max - p.fwhm_min) * u) / (2 * math.sqrt(2 * math.log(2)))
        ky = 2 * math.pi * torch.fft.fftfreq(h, device=maps.device, dtype=maps.dtype)
        kx = 2 * math.pi * torch.fft.rfftfreq(w, device=maps.device, dtype=maps.dtype)
        k2 = ky[:, None] ** 2 + kx[None, :] ** 2
        beam = torch.exp(-0.5 * k2 * sigma[:, None, None, None] ** 2)
        blurred = torch.fft.irfft2(torch.fft.rfft2(maps) * beam, s=(h, w))
        noise = torch.randn(maps.shape, generator=generator, device=maps.device, dtype=maps.dtype)
        return blurred + p.noise * noise
