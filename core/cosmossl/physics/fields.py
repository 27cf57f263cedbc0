"""Random fields on a periodic 2D grid or 3D box and their binned power spectrum, batched in
torch.

Conventions (see docs/formats.md and the physics reference): an ``N×N`` map of side ``L`` (Mpc/h)
has pixel area ΔA = (L/N)²; with the unnormalised FFT D_k = Σ_x δ_x e^{−ik·x} the power spectrum
estimate is P̂(k) = |D_k|² ΔA / N² in (Mpc/h)². Wavenumbers are in h/Mpc (k = 2π·index/L).
Spectra on the grid use the real-FFT layout ``[N, N//2 + 1]``.

An ``N×N×N`` box (``ndim = 3``) follows the same conventions with the cell volume ΔV = (L/N)³:
P̂(k) = |D_k|² ΔV / N³ in (Mpc/h)³, spectra in the layout ``[N, N, N//2 + 1]``. Every function
takes ``ndim`` (2 by default) and acts on the last ``ndim`` axes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import scipy.fft
import torch


def grid_shape(n: int, ndim: int = 2) -> tuple[int, ...]:
    """The real-FFT layout of an ``n``-sided grid: ``(n, n//2 + 1)``, ``(n, n, n//2 + 1)``."""
    return (n,) * (ndim - 1) + (n // 2 + 1,)


def wavenumbers(
    n: int, box_size: float, *, dtype: torch.dtype = torch.float64, ndim: int = 2
) -> torch.Tensor:
    """|k| (h/Mpc) of every mode of an ``n×n`` map (``n×n×n`` box for ``ndim = 3``) in the
    real-FFT layout ``[n, n//2 + 1]`` (``[n, n, n//2 + 1]``)."""
    full = torch.fft.fftfreq(n, d=box_size / n, dtype=dtype) * 2.0 * math.pi
    half = torch.fft.rfftfreq(n, d=box_size / n, dtype=dtype) * 2.0 * math.pi
    axes = [full] * (ndim - 1) + [half]
    squared = sum(
        k.reshape([-1 if a == axis else 1 for a in range(ndim)]) ** 2 for axis, k in enumerate(axes)
    )
    return torch.sqrt(squared)


def full_plane_weights(n: int, *, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """How many full-plane modes each real-FFT column stands for, ``[n//2 + 1]``.

    Columns 1 … ⌈n/2⌉−1 also stand for their mirror images −k (weight 2); column 0 and, for even
    ``n``, the Nyquist column are their own mirror (weight 1).
    """
    weights = torch.full((n // 2 + 1,), 2.0, dtype=dtype)
    weights[0] = 1.0
    if n % 2 == 0:
        weights[-1] = 1.0
    return weights


def white_noise(
    seeds: Sequence[int], n: int, *, device: torch.device | str = "cpu", ndim: int = 2
) -> torch.Tensor:
    """Unit-variance white noise ``[B, n, n]`` (``[B, n, n, n]`` for ``ndim = 3``) float32, map
    ``b`` drawn from its own ``seeds[b]``.

    Each map has its own CPU generator, so a map depends only on its seed (not on the batch it is
    drawn in, nor on the device).
    """
    out = torch.empty((len(seeds), *(n,) * ndim), dtype=torch.float32)
    generator = torch.Generator()
    for b, seed in enumerate(seeds):
        generator.manual_seed(int(seed))
        torch.randn((n,) * ndim, generator=generator, out=out[b])
    return out.to(device)


#: Pixels per CPU chunk (4 MB of float32): FFTs and element-wise passes over a batch that
#: overflows the caches run up to 3× slower per map than over cache-sized chunks.
_CPU_CHUNK_PIXELS = 1 << 20


#: Elements per float64 chunk of :func:`exp_minus_one` (2 MB): 4× faster than 8 MB chunks.
_EXP_CHUNK = 1 << 18


def cpu_chunk_size(n: int, ndim: int = 2) -> int:
    """Maps of ``n×n`` (boxes of ``n³`` for ``ndim = 3``) per cache-sized chunk on CPU (≥ 1)."""
    return max(1, _CPU_CHUNK_PIXELS // n**ndim)


def _axes(ndim: int) -> tuple[int, ...]:
    return tuple(range(-ndim, 0))


def _filter_boxes(noise: torch.Tensor, amplitude: torch.Tensor) -> torch.Tensor:
    """irfftn(rfftn(noise) · amplitude) of CPU boxes ``[B, n, n, n]`` with scipy's pocketfft,
    which does the pair 1.6× faster than torch's MKL transforms on one CPU thread (median of
    interleaved runs at 64³); each box is transformed alone, so the values do not depend on the
    batch."""
    axes = (-3, -2, -1)
    modes = scipy.fft.rfftn(noise.numpy(), axes=axes, workers=1)
    modes *= amplitude.numpy()
    grid = noise.shape[-3:]
    return torch.from_numpy(scipy.fft.irfftn(modes, s=grid, axes=axes, workers=1, overwrite_x=True))


def gaussian_field(
    noise: torch.Tensor, power: torch.Tensor | np.ndarray, box_size: float, *, ndim: int = 2
) -> torch.Tensor:
    """Gaussian random fields ``[B, n, n]`` with spectrum ``power`` from white noise ``[B, n, n]``
    (``ndim = 3``: boxes ``[B, n, n, n]``).

    ``power`` (Mpc/h)^ndim is given on the real-FFT grid, ``[n, n//2+1]`` or ``[B, n, n//2+1]``
    (``[(B,) n, n, n//2+1]``). The noise's FFT is multiplied by sqrt(P/ΔV), ΔV = (L/n)^ndim the
    cell, and the k = 0 mode zeroed (maps have zero mean); the real FFT keeps the Hermitian
    symmetry. Output float32 on the noise's device. On CPU the batch is transformed in
    cache-sized chunks (same values, each map is transformed alone), boxes with scipy's
    pocketfft.
    """
    n = noise.shape[-1]
    grid, axes = (n,) * ndim, _axes(ndim)
    cell = (box_size / n) ** ndim
    power = torch.as_tensor(power, device=noise.device)
    amplitude = torch.sqrt(torch.clamp(power, min=0.0) / cell).to(torch.float32)
    amplitude = amplitude.clone()
    amplitude[(..., *(0,) * ndim)] = 0.0
    noise = noise.to(torch.float32)
    batched = amplitude.ndim == ndim + 1 and amplitude.shape[0] == noise.shape[0]
    single = noise.ndim != ndim + 1 or not (amplitude.ndim == ndim or batched)
    if noise.device.type != "cpu" or single:
        return torch.fft.irfftn(torch.fft.rfftn(noise, dim=axes) * amplitude, s=grid, dim=axes)
    out = torch.empty_like(noise)
    step = cpu_chunk_size(n, ndim)
    for start in range(0, noise.shape[0], step):
        part = slice(start, start + step)
        chunk, amp = noise[part], amplitude[part] if batched else amplitude
        if ndim == 3:
            out[part] = _filter_boxes(chunk, amp)
            continue
        if len(chunk) == 1 and step > 1:
            # The CPU FFT takes another path for a lone small map whose last bits differ
            # (seen for n ≤ 32): transform it as a pair so a map never depends on its batch.
            chunk, amp = chunk.expand(2, *grid), amp.expand(2, *amp.shape[-ndim:])
            modes = torch.fft.rfftn(chunk, dim=axes).mul_(amp)
            out[part] = torch.fft.irfftn(modes, s=grid, dim=axes)[:1]
            continue
        modes = torch.fft.rfftn(chunk, dim=axes).mul_(amp)
        torch.fft.irfftn(modes, s=grid, dim=axes, out=out[part])
    return out


def map_variance(maps: torch.Tensor, *, ndim: int = 2) -> torch.Tensor:
    """Per-map sample variance ``[..., 1, 1]`` (``unbiased=False``) of maps ``[..., n, n]``
    (``ndim = 3``: ``[..., 1, 1, 1]`` of boxes ``[..., n, n, n]``).

    Two passes on CPU: accumulated in float64 for maps, the same values as ``torch.var`` (whose
    Welford loop is about 2.5× slower there); in float32 for boxes, whose float32 sums torch
    adds pairwise (within one float32 ulp of ``torch.var``, and 8× faster on a 64³ box than
    the float64 passes, which dominated a simulation's time); ``torch.var`` elsewhere.
    """
    axes = _axes(ndim)
    if maps.device.type != "cpu":
        return maps.var(dim=axes, unbiased=False, keepdim=True)
    if ndim == 3:
        centred = maps - maps.mean(dim=axes, keepdim=True)
        return centred.square_().mean(dim=axes, keepdim=True)
    wide = maps.to(torch.float64)
    centred = wide - wide.mean(dim=axes, keepdim=True)
    return (centred * centred).mean(dim=axes, keepdim=True).to(maps.dtype)


def exp_minus_one(x: torch.Tensor) -> torch.Tensor:
    """exp(x) − 1 of a float32 tensor, as accurate as ``torch.expm1``.

    On CPU torch's float32 ``expm1`` is not vectorised (about 10× slower than ``exp``);
    exp(x) − 1 evaluated in float64 and rounded to float32 is 3× faster and within one float32
    ulp of the true value for |x| > 1e-8 (the float64 cancellation error is ~1e-16 absolute);
    it differs from float32 ``expm1`` in ~0.5% of elements, by one ulp.
    """
    if x.device.type != "cpu" or x.dtype == torch.float64:
        return torch.expm1(x)
    flat = x.reshape(-1)
    out = torch.empty_like(flat)
    for start in range(0, len(flat), _EXP_CHUNK):  # keep the float64 copy in cache
        part = slice(start, start + _EXP_CHUNK)
        out[part] = torch.exp(flat[part].to(torch.float64)).sub_(1.0)
    return out.reshape(x.shape)


def lognormal_paper(gaussian: torch.Tensor, *, ndim: int = 2) -> torch.Tensor:
    """δ = exp(g − var(g)/2) − 1 with the per-map *sample* variance (the reference paper's recipe).

    ``log(1 + δ) = g − var(g)/2`` is then exactly Gaussian (Akhmetzhanova et al. 2023,
    arXiv:2308.09751). ``gaussian`` is ``[..., n, n]`` (``[..., n, n, n]`` for ``ndim = 3``).
    """
    return exp_minus_one(gaussian - map_variance(gaussian, ndim=ndim) / 2)


def lognormal_gaussian_power(
    power: np.ndarray | torch.Tensor, box_size: float, *, ndim: int = 2
) -> tuple[torch.Tensor, torch.Tensor]:
    """The "exact" recipe: the Gaussian spectrum P_G whose lognormal transform has spectrum P.

    ξ = IFFT[P]/ΔV, ξ_G = ln(1 + ξ), P_G = FFT[ξ_G]·ΔV with negatives clipped to 0 and k = 0
    zeroed (ΔV = (L/n)^ndim). ``power`` is ``[..., n, n//2+1]`` (``[..., n, n, n//2+1]``) on the
    real-FFT grid. Returns ``(P_G, σ_G²)`` with σ_G² the variance of the Gaussian field drawn
    from the clipped P_G (float64).
    """
    power = torch.as_tensor(power, dtype=torch.float64)
    n = power.shape[-2]
    grid, axes, origin = (n,) * ndim, _axes(ndim), (..., *(0,) * ndim)
    cell = (box_size / n) ** ndim
    xi = torch.fft.irfftn(power, s=grid, dim=axes) / cell
    if torch.any(xi <= -1.0):
        raise ValueError("lognormal 'exact' recipe: the correlation function reaches ξ ≤ −1")
    power_g = torch.fft.rfftn(torch.log1p(xi), dim=axes).real * cell
    power_g = torch.clamp(power_g, min=0.0)
    power_g[origin] = 0.0
    variance = torch.fft.irfftn(power_g, s=grid, dim=axes)[origin] / cell
    return power_g, variance


def lognormal_exact(
    gaussian: torch.Tensor, variance: torch.Tensor | float, *, ndim: int = 2
) -> torch.Tensor:
    """δ = exp(g − σ_G²/2) − 1 with the *theoretical* variance σ_G² (the exact recipe);
    ``variance`` is a number or one per map (``[...]`` of ``gaussian`` ``[..., n, n]``)."""
    variance = torch.as_tensor(variance, dtype=gaussian.dtype, device=gaussian.device)
    return exp_minus_one(gaussian - variance.reshape(*variance.shape, *(1,) * ndim) / 2)


#: Largest (modes × bins) binning matrix kept dense (64 MB in float32), e.g. 256² with k_F bins.
_DENSE_LIMIT = 16_000_000


class PowerSpectrumBins:
    """Isotropic binning of |k| for ``n×n`` maps (``ndim = 3``: ``n×n×n`` boxes) of side
    ``box_size`` (Mpc/h).

    Default: linear bins of width k_F = 2π/L, the first centred on k_F, up to the corner of the
    grid (√ndim·k_F·n/2) so that every mode is used: in 2D the corner modes beyond the 1D
    Nyquist frequency hold 1 − π/4 ≈ 21% of the modes and of the information (in 3D,
    1 − π/6 ≈ 48%). When the corner mode (n/2, n/2(, n/2)) lies beyond the last whole bin, that
    bin is widened up to ``k_max`` (the corner + k_F/2) to hold it. ``bin_width`` (in k_F),
    ``n_bins``, ``k_min``/``k_max`` (h/Mpc) and ``log_bins`` change that.

    Attributes: ``edges`` ``[n_bins+1]``, ``k`` (mode-weighted mean |k| per bin), ``counts``
    (full-grid mode count N_k per bin, k and −k both counted), all float64 tensors.
    """

    def __init__(
        self,
        n: int,
        box_size: float,
        *,
        bin_width: float = 1.0,
        n_bins: int | None = None,
        k_min: float | None = None,
        k_max: float | None = None,
        log_bins: bool = False,
        ndim: int = 2,
    ) -> None:
        self.n, self.box_size, self.ndim = n, box_size, ndim
        k_f = 2.0 * math.pi / box_size
        k_min = 0.5 * k_f if k_min is None else k_min
        k_corner = k_f * np.sqrt(ndim) * (n // 2)  # the largest |k| of the grid
        default_k_max = k_max is None
        k_max = k_corner + 0.5 * k_f if k_max is None else k_max
        if not 0 < k_min < k_max:
            raise ValueError(f"power spectrum bins need 0 < k_min < k_max, got {k_min}, {k_max}")
        if log_bins:
            n_bins = n_bins or max(1, n // 4)
            edges = np.geomspace(k_min, k_max, n_bins + 1)
        elif n_bins is not None:
            edges = np.linspace(k_min, k_max, n_bins + 1)
        else:
            width = bin_width * k_f
            edges = k_min + width * np.arange(int(np.floor((k_max - k_min) / width + 1e-9)) + 1)
            if default_k_max and edges[-1] <= k_corner:
                # Bins are [lo, hi): widen the last one to take the corner modes rather than
                # drop them (n = 32, 100, 128) or give them a bin of their own (often 1 mode).
                edges[-1] = k_max
        self.edges = torch.as_tensor(edges, dtype=torch.float64)
        grid = grid_shape(n, ndim)
        self._size = math.prod(grid)  # modes on the real-FFT grid
        k = wavenumbers(n, box_size, ndim=ndim).reshape(-1)
        weights = full_plane_weights(n).expand(grid).reshape(-1)
        index = torch.bucketize(k, self.edges, right=True) - 1
        inside = (index >= 0) & (index < len(edges) - 1) & (k > 0)
        self._modes = torch.nonzero(inside).squeeze(1)
        self._index = index[inside]
        self._weights = weights[inside]
        self._matrices: dict[tuple[str, torch.dtype], torch.Tensor] = {}
        n_out = len(edges) - 1
        self.counts = torch.zeros(n_out, dtype=torch.float64).index_add_(
            0, self._index, self._weights
        )
        if torch.any(self.counts == 0):
            empty = int(torch.nonzero(self.counts == 0)[0])
            raise ValueError(
                f"power spectrum bin {empty} [{edges[empty]:.4g}, {edges[empty + 1]:.4g}) h/Mpc "
                "holds no Fourier mode; use fewer or wider bins, or a larger k_min"
            )
        # CPU binning: every grid mode scattered with weight w/N_k into its bin, the modes left
        # out into an extra bin that is dropped (no gather of the kept modes needed).
        self._bin_of_mode = torch.full((self._size,), n_out, dtype=torch.long)
        self._bin_of_mode[self._modes] = self._index
        self._mode_weight = torch.zeros(self._size, dtype=torch.float64)
        self._mode_weight[self._modes] = self._weights / self.counts[self._index]
        self._cpu_weights: dict[torch.dtype, torch.Tensor] = {}
        self.k = self.average(wavenumbers(n, box_size, ndim=ndim))

    @property
    def n_bins(self) -> int:
        return len(self.counts)

    def average(self, grid: torch.Tensor) -> torch.Tensor:
        """Full-grid mean of values on the real-FFT grid ``[..., n, n//2+1]`` (``[..., n, n,
        n//2+1]``) in each bin."""
        grid = torch.as_tensor(grid)
        lead = grid.shape[: grid.ndim - self.ndim]
        flat = grid.reshape(*lead, -1)
        if grid.device.type == "cpu":
            # One sequential scatter-add (deterministic on CPU): 1.4× faster than the dense
            # product at 64², 20× at 256² (181 bins), where the product is mostly zeros.
            if grid.dtype not in self._cpu_weights:
                self._cpu_weights[grid.dtype] = self._mode_weight.to(grid.dtype)
            out = torch.zeros((*flat.shape[:-1], self.n_bins + 1), dtype=grid.dtype)
            out.index_add_(-1, self._bin_of_mode, flat * self._cpu_weights[grid.dtype])
            return out[..., :-1]
        if flat.shape[-1] * self.n_bins <= _DENSE_LIMIT:
            # On GPUs one matrix product is deterministic, unlike a scatter with atomics.
            return flat @ self._matrix(grid.device, grid.dtype)
        flat = flat[..., self._modes.to(grid.device)]
        weights = self._weights.to(device=grid.device, dtype=grid.dtype)
        out = torch.zeros((*lead, self.n_bins), dtype=grid.dtype, device=grid.device)
        out.index_add_(-1, self._index.to(grid.device), flat * weights)
        return out / self.counts.to(device=grid.device, dtype=grid.dtype)

    def _matrix(self, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
        key = (str(device), dtype)
        if key not in self._matrices:
            matrix = torch.zeros(self._size, self.n_bins, dtype=torch.float64)
            matrix[self._modes, self._index] = self._weights / self.counts[self._index]
            self._matrices[key] = matrix.to(device=device, dtype=dtype)
        return self._matrices[key]

    def estimate(self, maps: torch.Tensor) -> torch.Tensor:
        """Binned P̂ (Mpc/h)^ndim of maps ``[..., n, n]`` (boxes ``[..., n, n, n]``) →
        ``[..., n_bins]`` (float32 for float32)."""
        grid, axes = (self.n,) * self.ndim, _axes(self.ndim)
        if tuple(maps.shape[-self.ndim :]) != grid:
            size = "×".join(str(self.n) for _ in grid)
            raise ValueError(
                f"power spectrum bins were made for {size} maps, "
                f"got {tuple(maps.shape[-self.ndim :])}"
            )
        scale = (self.box_size / self.n) ** self.ndim / self.n**self.ndim  # ΔV / N^ndim
        flat = maps.reshape(-1, *grid)
        step = cpu_chunk_size(self.n, self.ndim) if maps.device.type == "cpu" else len(flat)
        if len(flat) <= step:
            modes = torch.fft.rfftn(maps, dim=axes)
            return self.average((modes.real**2 + modes.imag**2) * scale)
        # CPU: FFT, |D_k|² and binning chunk by chunk, while the chunk is in cache.
        parts = []
        for start in range(0, len(flat), step):
            modes = torch.fft.rfftn(flat[start : start + step], dim=axes)
            parts.append(self.average((modes.real**2 + modes.imag**2) * scale))
        return torch.cat(parts).reshape(*maps.shape[: maps.ndim - self.ndim], self.n_bins)


def power_spectrum(
    maps: torch.Tensor, box_size: float, *, ndim: int = 2, **binning: float | int | bool | None
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(k [n_bins], P̂ [..., n_bins])`` of maps ``[..., n, n]`` (boxes ``[..., n, n, n]`` with
    ``ndim = 3``); see :class:`PowerSpectrumBins`."""
    bins = PowerSpectrumBins(maps.shape[-1], box_size, ndim=ndim, **binning)  # type: ignore[arg-type]
    return bins.k, bins.estimate(maps)
