"""The binned isotropic power spectrum of each map, the classic hand-crafted summary.

P̂(k) = |D_k|² ΔA / N² averaged over the modes of each |k| bin (bins of width k_F = 2π/L by
default); see :class:`cosmossl.physics.fields.PowerSpectrumBins`. Channels are concatenated.
3D volumes get the 3D spectrum, P̂(k) = |D_k|² ΔV / N³ over the modes of each shell, every mode
of the FFT cube counted (up to its corner, √3·k_F·N/2).
"""

from __future__ import annotations

import torch
from pydantic import Field

import cosmossl
from cosmossl import MapMeta, Statistic
from cosmossl.physics import PowerSpectrumBins


class PowerSpectrum(Statistic):
    """Binned P̂(k) of maps ``[B, C, n, n]`` (volumes ``[B, C, n, n, n]``) → ``[B, C·n_bins]``
    (optionally log10)."""

    spatial_dims = (2, 3)

    class Params(cosmossl.Params):
        bin_width: float = Field(1.0, gt=0, description="Linear bin width in units of k_F.")
        n_bins: int | None = Field(
            None,
            ge=1,
            description="Number of bins between k_min and "
            "k_max (overrides bin_width; required spacing for log bins).",
        )
        k_min: float | None = Field(
            None, gt=0, description="Lowest bin edge in h/Mpc (default k_F/2)."
        )
        k_max: float | None = Field(
            None,
            gt=0,
            description="Highest bin edge in h/Mpc (default: past the grid's corner, all modes).",
        )
        log_bins: bool = Field(False, description="Logarithmically spaced bins.")
        log10: bool = Field(True, description="Return log10 P̂ (better conditioned summaries).")

    def __init__(self, params: Params | None = None, *, meta: MapMeta) -> None:
        super().__init__(params, meta=meta)
        if len(set(meta.shape[1:])) != 1:
            what = "square maps (C, n, n)" if meta.spatial_dims == 2 else "cubic volumes"
            raise ValueError(f"power-spectrum needs {what}, got {meta.shape}")
        box = meta.box_size if meta.box_size is not None else float(meta.shape[-1])
        p = self.params
        self.bins = PowerSpectrumBins(meta.shape[-1], box, bin_width=p.bin_width,
                                      n_bins=p.n_bins, k_min=p.k_min, k_max=p.k_max,
                                      log_bins=p.log_bins, ndim=meta.spatial_dims)  # fmt: skip

    @property
    def k(self) -> torch.Tensor:
        """Mean |k| (h/Mpc) of each bin, ``[n_bins]``."""
        return self.bins.k

    def __call__(self, maps: torch.Tensor) -> torch.Tensor:
        power = self.bins.estimate(maps.to(torch.float32))  # [B, C, n_bins]
        if self.params.log10:
            power = torch.log10(power.clamp_min(torch.finfo(power.dtype).tiny))
        return power.reshape(power.shape[0], -1)
