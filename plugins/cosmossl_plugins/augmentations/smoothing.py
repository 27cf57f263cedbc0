"""A Gaussian beam of random width, applied in Fourier space (a telescope's PSF or resolution)."""

from __future__ import annotations

import math
from typing import Literal

import torch
from pydantic import Field, model_validator

from cosmossl import Augmentation, ConfigError, MapMeta, Params

FWHM_TO_SIGMA = 1.0 / (2.0 * math.sqrt(2.0 * math.log(2.0)))


def gaussian_beam(maps: torch.Tensor, sigma_pixels: torch.Tensor) -> torch.Tensor:
    """Convolve each map ``[B, C, H, W]`` (volume ``[B, C, D, H, W]``) with a periodic Gaussian
    of its own σ (pixels) ``[B]``.

    Multiplies the Fourier modes by ``exp(−k²σ²/2)`` with k in radians per pixel.
    """
    sides = maps.shape[2:]
    axes = tuple(range(2, maps.ndim))
    k2 = torch.zeros((), device=maps.device, dtype=maps.dtype)
    for axis, side in enumerate(sides):
        last = axis == len(sides) - 1
        freq = torch.fft.rfftfreq if last else torch.fft.fftfreq
        k = 2 * math.pi * freq(side, device=maps.device, dtype=maps.dtype)
        k2 = k2 + k.reshape([-1 if a == axis else 1 for a in range(len(sides))]) ** 2
    sigma = sigma_pixels.reshape((-1,) + (1,) * (maps.ndim - 1))
    transfer = torch.exp(-0.5 * k2 * sigma**2)
    return torch.fft.irfftn(torch.fft.rfftn(maps, dim=axes) * transfer, s=sides, dim=axes)


class Smoothing(Augmentation):
    """Smooth each map with a Gaussian beam whose FWHM is drawn uniformly from a range.

    The FWHM is in pixels, or in Mpc/h with ``unit = "Mpc/h"`` (needs the maps' box size). The
    convolution is periodic, as the maps of a simulation box are.
    """

    role = "systematic"
    spatial_dims = (2, 3)

    class Params(Params):
        fwhm_min: float = Field(1.0, ge=0, description="Smallest beam FWHM (in `unit`).")
        fwhm_max: float = Field(3.0, ge=0, description="Largest beam FWHM (in `unit`).")
        unit: Literal["pixels", "Mpc/h"] = Field(
            "pixels", description="Unit of the FWHM: pixels, or Mpc/h using the box size."
        )

        @model_validator(mode="after")
        def _ordered(self):
            if self.fwhm_max < self.fwhm_min:
                raise ValueError(f"fwhm_max ({self.fwhm_max}) must be ≥ fwhm_min ({self.fwhm_min})")
            return self

    def __init__(self, params: Params | None = None, *, meta: MapMeta | None = None) -> None:
        super().__init__(params, meta=meta)
        self.pixels_per_unit = 1.0
        if self.params.unit == "Mpc/h":
            if meta is None or meta.pixel_size is None:
                raise ConfigError(
                    "augmentation 'smoothing': unit 'Mpc/h' needs the maps' box size, which this "
                    "dataset does not give; use unit = 'pixels'"
                )
            self.pixels_per_unit = 1.0 / meta.pixel_size

    def __call__(self, maps: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        p = self.params
        u = torch.rand(maps.shape[0], generator=generator, device=maps.device, dtype=maps.dtype)
        fwhm = (p.fwhm_min + (p.fwhm_max - p.fwhm_min) * u) * self.pixels_per_unit
        return gaussian_beam(maps, fwhm * FWHM_TO_SIGMA)
