"""The built-in simulator: lognormal (or Gaussian) maps from the EH98 linear P(k; Ω_m, σ_8).

The reference paper's lognormal benchmark (Akhmetzhanova, Mishra-Sharma & Dvorkin 2023,
arXiv:2308.09751): 100×100 maps of a 1000 Mpc box whose Gaussian field g has as its 2D spectrum
the 3D linear spectrum divided by the box length (P_lin(k)/1000, k in 1/Mpc, lengths in Mpc);
δ = exp(g − var(g)/2) − 1 with the per-map sample variance; the network sees log(1 + δ).
The paper's spectrum is Eisenstein & Hu (1998) with baryon wiggles (``linear_power = "eh98"``);
the default is the smooth no-wiggle fit; any provider of
:mod:`cosmossl.physics.power_providers` can be chosen (colossus, your own CAMB/CLASS wrapper).

A CAMELS-like geometry ("slab") projects a 5 Mpc/h slab of a 25 Mpc/h box instead, summing the 3D
spectrum over k_z with the slab window. Optional baryonic feedback multiplies P_3D by a
suppression S(k) from one of two feedback models (``feedback_model``):

- ``"schneider-teyssier"`` (default): the Schneider & Teyssier (2015, arXiv:1510.06034) S(k)
  (literature), with CAMELS-like amplitudes A_SN1, A_AGN1, A_SN2, A_AGN2 mapped onto it by OUR
  OWN HEURISTIC (:func:`cosmossl.physics.cosmology.feedback_to_st`, not from the literature);
- ``"salcido-spk"``: the SP(k) fitting function of Salcido et al. (2023, arXiv:2305.09710)
  (literature), driven by the power-law baryon fraction of haloes f̃_b = fb_a (M/10^13.5)^fb_pow.
  Its default priors (fb_a 0.22–0.65, fb_pow 0.1–0.4, log-uniform) are OUR CHOICE, made to span
  about the suppression range of the default model's priors inside the fitting limits of SP(k).
  It is the out-of-family feedback of the robustness study: test maps made with a physics model
  the summaries were not trained on.

Determinism: map j of cosmology i depends only on (seed, i, j); its feedback values on
(seed, i, simulation, paired draw). Paired simulations (``paired_draws`` > 1) reuse the seeds of
their simulation with another feedback draw. :meth:`Lognormal.simulate` makes maps at any
parameters from given seeds, so Fisher derivatives at θ ± δθ reuse the fiducial seeds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
from pydantic import Field, ValidationInfo, field_validator, model_validator
from scipy.stats import qmc
from tqdm.auto import tqdm

import cosmossl
from cosmossl import Dataset, MapMeta, MapSet, derive_seed, resolve_device, split_by_group
from cosmossl.physics import cosmology, fields, fisher_limit, power_providers

PARAM_NAMES = ("omega_m", "sigma_8")
FEEDBACK_NAMES = ("A_SN1", "A_AGN1", "A_SN2", "A_AGN2")
CAMELS_FEEDBACK_PRIORS = {"A_SN1": (0.25, 4.0), "A_AGN1": (0.25, 4.0),
                          "A_SN2": (0.5, 2.0), "A_AGN2": (0.5, 2.0)}  # fmt: skip
_FEEDBACK_STREAM = 0xFEED  # separates the feedback draws from the map seeds


@dataclass(frozen=True)
class FeedbackModel:
    """A baryonic-feedback model: its nuisance parameters, their default log-uniform priors,
    their fiducial values (the geometric centre of the priors) and S(k) from them."""

    names: tuple[str, ...]
    priors: dict[str, tuple[float, float]]
    description: str
    #: S(k) from k and one array per parameter (broadcast against k).
    function: Callable[..., np.ndarray]

    @property
    def fiducial(self) -> np.ndarray:
        return np.array([np.sqrt(self.priors[n][0] * self.priors[n][1]) for n in self.names])

    def suppression(self, k: np.ndarray, nuisance: np.ndarray) -> np.ndarray:
        """S(k) ``[B, *k.shape]`` for nuisance rows ``[B, Q]``."""
        columns = [c.reshape(-1, *(1,) * np.ndim(k)) for c in np.asarray(nuisance, np.float64).T]
        return self.function(k, *columns)


def _camels_like_st(k: np.ndarray, *amplitudes: np.ndarray) -> np.ndarray:
    """Schneider & Teyssier S(k) of CAMELS-like amplitudes (through our heuristic mapping)."""
    return cosmology.baryon_suppression(k, *cosmology.feedback_to_st(*amplitudes))


FEEDBACK_MODELS = {
    "schneider-teyssier": FeedbackModel(
        FEEDBACK_NAMES,
        CAMELS_FEEDBACK_PRIORS,
        "Schneider & Teyssier (2015) S(k), CAMELS-like amplitudes (our heuristic mapping)",
        _camels_like_st,
    ),
    "salcido-spk": FeedbackModel(
        ("fb_a", "fb_pow"),
        {"fb_a": (0.22, 0.65), "fb_pow": (0.1, 0.4)},
        "SP(k) of Salcido et al. (2023), power-law halo baryon fraction",
        cosmology.spk_suppression,
    ),
}


def _rows(values, count: int, width: int) -> np.ndarray:
    """``values`` (``[width]`` or ``[count, width]``) as a float64 ``[count, width]`` array."""
    return np.broadcast_to(np.asarray(values, dtype=np.float64), (count, width))


def map_seed(seed: int, cosmology_index: int, realisation: int) -> int:
    """The noise seed of map ``realisation`` of cosmology ``cosmology_index`` (a 63-bit int)."""
    return derive_seed(seed, cosmology_index, realisation)


class Lognormal(Dataset):
    """Lognormal or Gaussian maps on a Latin hypercube of (Ω_m, σ_8), several seeds each."""

    class Params(cosmossl.Params):
        n_cosmologies: int = Field(200, ge=1, description="Cosmologies on the Latin hypercube.")
        n_simulations: int = Field(
            10,
            ge=1,
            description="Simulations (seeds, and feedback "
            "draws when feedback is on) per cosmology.",
        )
        maps_per_simulation: int = Field(
            1,
            ge=1,
            description="Independent maps per simulation (they share cosmology and feedback).",
        )
        paired_draws: int = Field(
            1,
            ge=1,
            description="Feedback draws per seed (needs feedback = true): each simulation is made "
            "this many times with the same seeds and its own feedback draw each time (paired "
            "simulations, which differ only in feedback; the pairing level 'paired').",
        )
        omega_m: tuple[float, float] = Field((0.15, 0.45), description="Uniform prior on Ω_m.")
        sigma_8: tuple[float, float] = Field((0.65, 0.95), description="Uniform prior on σ_8.")
        fiducial: tuple[float, float] = Field(
            (0.3, 0.8), description="Fiducial (Ω_m, σ_8) of the Fisher limit."
        )
        at: tuple[float, float] | None = Field(
            None,
            description="Make every cosmology at this (Ω_m, σ_8) in place of the Latin "
            "hypercube: maps of one universe at a known truth, e.g. an observation for "
            "`cosmossl posterior` (it must lie inside the prior).",
        )
        omega_b: float = Field(0.05, gt=0, description="Fixed baryon density Ω_b.")
        h: float = Field(0.7, gt=0, description="Fixed reduced Hubble constant h.")
        n_s: float = Field(0.96, description="Fixed spectral index n_s.")
        linear_power: str = Field(
            "eh98-no-wiggle",
            description="Linear P(k): 'eh98' (Eisenstein & Hu 1998 with baryon wiggles, the "
            "reference paper's), 'eh98-no-wiggle' (their smooth fit), 'colossus:<model>' (the "
            "colossus extra) or 'package.module:Class' (see docs/formats.md).",
        )
        geometry: Literal["plane", "slab"] = Field(
            "plane",
            description="'plane': the paper's 2D field, P_lin/L with L in Mpc; 'slab': "
            "a slab of thickness slab_thickness projected through a periodic box (CAMELS-like).",
        )
        n_pixels: int = Field(100, ge=4, description="Pixels per side.")
        box_size: float | None = Field(
            None,
            gt=0,
            description="Side of the map: Mpc for "
            "'plane' (default 1000), Mpc/h for 'slab' (default 25).",
        )
        slab_thickness: float = Field(5.0, gt=0, description="Slab thickness in Mpc/h ('slab').")
        slab_modes: int = Field(64, ge=1, description="k_z terms ±n of the slab projection sum.")
        field: Literal["lognormal-paper", "lognormal-exact", "gaussian"] = Field(
            "lognormal-paper",
            description="'lognormal-paper': per-map sample variance; "
            "'lognormal-exact': P→ξ→ln(1+ξ)→P_G; 'gaussian': the Gaussian field itself.",
        )
        transform: Literal["auto", "log1p", "none"] = Field(
            "auto",
            description="Output: 'log1p' gives log(1+δ) (the paper's input), 'none' δ; "
            "'auto' is log1p for lognormal fields and none for gaussian.",
        )
        feedback: bool = Field(
            False,
            description="Apply the baryonic suppression S(k), with "
            "feedback amplitudes drawn per simulation as nuisance parameters.",
        )
        feedback_model: Literal["schneider-teyssier", "salcido-spk"] = Field(
            "schneider-teyssier",
            description="S(k) of the feedback: 'schneider-teyssier' (Schneider & Teyssier 2015, "
            "amplitudes A_SN1, A_AGN1, A_SN2, A_AGN2 through our heuristic mapping) or "
            "'salcido-spk' (SP(k) of Salcido et al. 2023, halo baryon fraction fb_a, fb_pow; "
            "an out-of-family model for robustness tests).",
        )
        feedback_priors: dict[str, tuple[float, float]] | None = Field(
            None,
            description="Log-uniform priors of the feedback model's parameters; default: "
            "A_SN1, A_AGN1 in [0.25, 4], A_SN2, A_AGN2 in [0.5, 2] (CAMELS LH) for "
            "schneider-teyssier; fb_a in [0.22, 0.65], fb_pow in [0.1, 0.4] for salcido-spk.",
        )
        feedback_shift: dict[str, float] = Field(
            default_factory=dict,
            description="Shift of a feedback prior in log2 units: both "
            "bounds are multiplied by 2**shift (for robustness studies).",
        )
        split: tuple[float, float, float] = Field(
            (0.8, 0.1, 0.1), description="Train/val/test shares of the cosmologies."
        )
        batch_size: int = Field(512, ge=1, description="Maps per batched FFT.")
        device: str = Field("cpu", description="'cpu', 'cuda' or 'auto' for the FFTs.")

        @field_validator("omega_m", "sigma_8")
        @classmethod
        def _prior_is_a_box(cls, value: tuple[float, float]) -> tuple[float, float]:
            low, high = value
            if not low < high:
                raise ValueError(
                    "a uniform prior [low, high] needs low < high; for maps at one cosmology "
                    "use the dataset's simulate() at those parameters "
                    "(docs/tutorial.md, section 9)"
                )
            return value

        @field_validator("linear_power")
        @classmethod
        def _known_provider(cls, value: str) -> str:
            return power_providers.check_provider_name(value)

        @field_validator("transform")
        @classmethod
        def _log_needs_lognormal(cls, value: str, info: ValidationInfo) -> str:
            if value == "log1p" and info.data.get("field") == "gaussian":
                raise ValueError(
                    "log1p needs a lognormal field (a Gaussian δ can be ≤ −1); use 'none' or 'auto'"
                )
            return value

        @model_validator(mode="after")
        def _at_inside_the_prior(self):
            if self.at is not None:
                for name, value, (low, high) in zip(
                    PARAM_NAMES, self.at, (self.omega_m, self.sigma_8), strict=True
                ):
                    if not low <= value <= high:
                        raise ValueError(
                            f"at: {name} = {value} lies outside its prior [{low}, {high}]"
                        )
            return self

        @model_validator(mode="after")
        def _paired_needs_feedback(self):
            if self.paired_draws > 1 and not self.feedback:
                raise ValueError(
                    f"paired_draws = {self.paired_draws} needs feedback = true (without a "
                    "nuisance, paired simulations would be identical maps)"
                )
            return self

        @field_validator("feedback_priors", "feedback_shift")
        @classmethod
        def _feedback_names(cls, value: dict | None, info: ValidationInfo) -> dict | None:
            if value is None:
                return value
            names = FEEDBACK_MODELS[info.data.get("feedback_model", "schneider-teyssier")].names
            extra = sorted(set(value) - set(names))
            missing = sorted(set(names) - set(value))
            if extra or (info.field_name == "feedback_priors" and missing):
                raise ValueError(
                    f"names must be {', '.join(names)} (unknown: {extra}, "
                    f"missing: {missing if info.field_name == 'feedback_priors' else []})"
                )
            return value

    def __init__(self, params: Params | None = None) -> None:
        super().__init__(params)
        p = self.params
        self.box_size = p.box_size or (1000.0 if p.geometry == "plane" else 25.0)
        self.linear_power = power_providers.linear_power_provider(
            p.linear_power, omega_b=p.omega_b, h=p.h, n_s=p.n_s
        )
        self.feedback = FEEDBACK_MODELS[p.feedback_model]

    # --- geometry and spectra -------------------------------------------------------------

    @property
    def meta(self) -> MapMeta:
        """Map geometry and content; ``box_size`` in Mpc/h (the plane's Mpc box times h)."""
        p = self.params
        box = self.box_size * p.h if p.geometry == "plane" else self.box_size
        delta = p.field == "gaussian" or p.transform == "none"
        return MapMeta(
            shape=(1, p.n_pixels, p.n_pixels),
            box_size=box,
            content="overdensity" if delta else "log1p-overdensity",
        )

    @property
    def feedback_priors(self) -> dict[str, tuple[float, float]]:
        """Feedback priors after ``feedback_shift``."""
        out = {}
        priors = self.params.feedback_priors or self.feedback.priors
        for name in self.feedback.names:
            low, high = priors[name]
            factor = 2.0 ** self.params.feedback_shift.get(name, 0.0)
            out[name] = (low * factor, high * factor)
        return out

    def target_power(self, theta: np.ndarray, nuisance: np.ndarray | None, k: np.ndarray):
        """Spectrum of δ ``[B, *k.shape]`` in the map's units, on wavenumbers ``k`` of the map.

        ``k`` is in 1/Mpc for 'plane' (map units Mpc) and h/Mpc for 'slab'. ``theta`` ``[B, 2]``,
        ``nuisance`` ``[B, Q]`` (the feedback model's parameters) or None (their fiducial).
        """
        p = self.params
        theta = np.atleast_2d(np.asarray(theta, dtype=np.float64))
        h = p.h
        nuis = None
        if p.feedback:
            fiducial = np.tile(self.feedback.fiducial, (len(theta), 1))
            nuis = fiducial if nuisance is None else np.atleast_2d(nuisance)

        def power_3d(k_h: np.ndarray) -> np.ndarray:  # k in h/Mpc → (Mpc/h)³, [B, ...]
            power = self.linear_power(k_h, theta[:, 0], theta[:, 1])
            if nuis is not None:
                power = power * self.feedback.suppression(k_h, nuis)
            return power

        # Evaluate on the distinct |k| only: a grid has far fewer of them than modes.
        unique, inverse = np.unique(np.asarray(k, dtype=np.float64), return_inverse=True)
        if p.geometry == "plane":
            # Paper convention: P_lin in Mpc³ at k in 1/Mpc, divided by the box length in Mpc.
            values = power_3d(unique / h) / h**3 / self.box_size
        else:
            values = cosmology.projected_power(
                unique, power_3d, self.box_size, p.slab_thickness, p.slab_modes
            )
        return values[:, inverse.reshape(np.shape(k))]

    def gaussian_power(
        self, theta: np.ndarray, nuisance: np.ndarray | None, *, full_plane: bool = False
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Spectrum ``[B, n, n//2+1]`` of the Gaussian field g on the map's real-FFT grid.

        With ``full_plane`` the grid is the full ``[B, n, n]`` FFT plane. Also returns the
        theoretical variance ``[B]`` of g for the 'lognormal-exact' recipe (else None).
        """
        n = self.params.n_pixels
        freq = np.fft.fftfreq(n, d=self.box_size / n) * 2.0 * np.pi
        half = np.fft.rfftfreq(n, d=self.box_size / n) * 2.0 * np.pi
        k = np.sqrt(freq[:, None] ** 2 + half[None, :] ** 2)
        power = self.target_power(theta, nuisance, k)
        variance = None
        if self.params.field == "lognormal-exact":
            power_g, var_g = fields.lognormal_gaussian_power(power, self.box_size)
            power, variance = power_g.numpy(), var_g.numpy()
        if full_plane:  # P(k) = P(−k): column j > n/2 is the mirror of column n − j
            rows = (-np.arange(n)) % n
            cols = n - np.arange(n // 2 + 1, n)
            power = np.concatenate([power, power[..., rows[:, None], cols[None, :]]], axis=-1)
        return power, variance

    # --- simulation -----------------------------------------------------------------------

    #: Simulating a batch costs a few per cent of a training step: train on fresh maps.
    fresh_by_default = True

    def simulate(self, theta: np.ndarray, seeds, nuisance: np.ndarray | None = None) -> np.ndarray:
        """Maps ``[B, 1, n, n]`` float32 at parameters ``theta`` (``[2]`` or ``[B, 2]``).

        ``seeds`` ``[B]`` are noise seeds (see :func:`map_seed`): equal seeds give the same
        noise at any θ. ``nuisance`` ``[Q]`` or ``[B, Q]`` values of the feedback model's
        parameters (used only when ``feedback`` is on; default their fiducial values
        :attr:`nuisance_fiducial`, never a random draw: the Fisher check simulates with the
        nuisance fixed where :meth:`fisher_limit` holds it). The FFTs run on the ``device``
        parameter.
        """
        seeds = [int(s) for s in np.atleast_1d(seeds)]
        out = np.empty((len(seeds), 1, self.params.n_pixels, self.params.n_pixels), np.float32)
        step = self.params.batch_size
        device = resolve_device(self.params.device)
        for start in range(0, len(seeds), step):
            part = slice(start, start + step)
            maps = self.simulate_tensor(
                _rows(theta, len(seeds), 2)[part],
                seeds[part],
                None if nuisance is None else _rows(nuisance, len(seeds), self._width)[part],
                device=device,
            )
            out[part] = maps.cpu().numpy()
        return out

    def simulate_tensor(
        self,
        theta: np.ndarray,
        seeds,
        nuisance: np.ndarray | None = None,
        *,
        device: torch.device | str = "cpu",
    ) -> torch.Tensor:
        """:meth:`simulate` as a float32 tensor ``[B, 1, n, n]`` made on ``device``.

        Each map depends only on its seed, θ and nuisance: not on the batch, the device's
        chunking or the other maps (the noise of each map is drawn from its own generator).
        """
        device = resolve_device(device)
        seeds = [int(s) for s in np.atleast_1d(seeds)]
        theta = _rows(theta, len(seeds), 2)
        nuisance = None if nuisance is None else _rows(nuisance, len(seeds), self._width)
        rows = (
            theta if nuisance is None or not self.params.feedback else np.hstack([theta, nuisance])
        )
        unique, inverse = np.unique(rows, axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
        power, variance = self.gaussian_power(
            unique[:, :2], unique[:, 2:] if unique.shape[1] > 2 else None
        )
        power_t = torch.as_tensor(power, dtype=torch.float32, device=device)
        var_t = None
        if variance is not None:
            var_t = torch.as_tensor(variance, dtype=torch.float32, device=device)
        n = self.params.n_pixels
        out = torch.empty((len(seeds), 1, n, n), dtype=torch.float32, device=device)
        # CPU: cache-sized chunks (FFTs over a batch that overflows the caches are up to 3×
        # slower per map); GPU: one batched call. Each map is computed alone, so values do not
        # depend on the chunking.
        step = fields.cpu_chunk_size(n) if device.type == "cpu" else max(1, len(seeds))
        for start in range(0, len(seeds), step):
            part = slice(start, start + step)
            rows = inverse[part]
            # One spectrum for the whole chunk (the usual case): broadcast it, not a copy per map.
            pick = int(rows[0]) if np.all(rows == rows[0]) else torch.as_tensor(rows, device=device)
            noise = fields.white_noise(seeds[part], n, device=device)
            g = fields.gaussian_field(noise, power_t[pick], self.box_size)
            variance = None
            if var_t is not None:
                variance = var_t[pick] if isinstance(pick, int) else var_t[pick][:, None, None]
            out[part, 0] = self._finish(g, variance)
        return out

    @property
    def _width(self) -> int:
        return len(self.feedback.names)

    def _log_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        priors = self.feedback_priors
        names = self.feedback.names
        return np.log([priors[n][0] for n in names]), np.log([priors[n][1] for n in names])

    def draw_nuisance(self, seeds) -> np.ndarray:
        """Feedback parameters ``[B, Q]`` drawn log-uniformly from the (shifted) priors, one
        draw per seed; ``[B, 0]`` without feedback."""
        seeds = [int(s) for s in np.atleast_1d(seeds)]
        if not self.params.feedback:
            return np.zeros((len(seeds), 0))
        low, high = self._log_bounds()
        unit = np.stack([np.random.default_rng(s).uniform(size=self._width) for s in seeds])
        return np.exp(low + unit * (high - low))

    def _finish(self, g: torch.Tensor, variance: torch.Tensor | None) -> torch.Tensor:
        """The output map from the Gaussian field g (``variance``: σ_G² of the exact recipe)."""
        if self.params.field == "gaussian":
            return g
        if self.params.field == "lognormal-paper":
            # log(1 + δ) = g − var(g)/2 exactly; compute it without the exp/log round trip.
            log_map = g - fields.map_variance(g) / 2
        else:
            log_map = g - variance / 2
        if self.params.transform == "none":
            return fields.exp_minus_one(log_map)
        return log_map

    def draw_cosmologies(self, seed: int) -> np.ndarray:
        """The Latin hypercube ``[n_cosmologies, 2]`` of (Ω_m, σ_8) for run seed ``seed`` (every
        row at ``at`` when it is set)."""
        p = self.params
        if p.at is not None:
            return np.tile(np.asarray(p.at, dtype=np.float64), (p.n_cosmologies, 1))
        sampler = qmc.LatinHypercube(d=2, rng=np.random.default_rng([seed, 0x1A7]))
        unit = sampler.random(p.n_cosmologies)
        low = np.array([p.omega_m[0], p.sigma_8[0]])
        high = np.array([p.omega_m[1], p.sigma_8[1]])
        return low + unit * (high - low)

    def draw_feedback(self, seed: int, cosmology_index: int) -> np.ndarray:
        """Feedback parameters ``[n_simulations · paired_draws, Q]`` of one cosmology
        (log-uniform draws; row ``s · paired_draws + d`` is draw d of simulation s)."""
        rng = np.random.default_rng([seed, _FEEDBACK_STREAM, cosmology_index])
        low, high = self._log_bounds()
        size = (self.params.n_simulations * self.params.paired_draws, self._width)
        return np.exp(rng.uniform(low, high, size=size))

    def load(self, *, seed: int, progress: bool = False) -> MapSet:
        p = self.params
        draws, slices = p.paired_draws, p.maps_per_simulation
        per_cosmology = p.n_simulations * draws * slices
        n_maps = p.n_cosmologies * per_cosmology
        cosmologies = self.draw_cosmologies(seed)
        cosmology_id = np.repeat(np.arange(p.n_cosmologies), per_cosmology)
        # Within a cosmology: simulation s, its paired draw d, its map j (in that order).
        position = np.tile(np.arange(per_cosmology), p.n_cosmologies)
        simulation, draw = position // (draws * slices), position // slices % draws
        realisation = simulation * slices + position % slices  # the seed: shared by the draws
        simulation_id = (cosmology_id * p.n_simulations + simulation) * draws + draw
        seed_id = cosmology_id * p.n_simulations * slices + realisation
        theta = cosmologies[cosmology_id]
        nuisance = np.zeros((n_maps, 0))
        if p.feedback:
            feedback = np.stack([self.draw_feedback(seed, i) for i in range(p.n_cosmologies)])
            nuisance = feedback.reshape(-1, self._width)[simulation_id]
        seeds = [map_seed(seed, i, j) for i, j in zip(cosmology_id, realisation)]
        maps = np.empty((n_maps, 1, p.n_pixels, p.n_pixels), dtype=np.float32)
        with tqdm(total=n_maps, desc="simulating maps", unit="map", disable=not progress) as bar:
            for start in range(0, n_maps, p.batch_size):
                part = slice(start, start + p.batch_size)
                maps[part] = self.simulate(
                    theta[part], seeds[part], nuisance[part] if p.feedback else None
                )
                bar.update(len(maps[part]))
        priors = {"omega_m": tuple(p.omega_m), "sigma_8": tuple(p.sigma_8)}
        if p.feedback:
            priors.update(self.feedback_priors)
        return MapSet(
            maps=maps,
            params=theta.astype(np.float32),
            param_names=PARAM_NAMES,
            cosmology_id=cosmology_id.astype(np.int64),
            simulation_id=simulation_id.astype(np.int64),
            seed_id=seed_id.astype(np.int64),
            split=split_by_group(cosmology_id, p.split, seed),
            meta=self.meta,
            nuisance=nuisance.astype(np.float32),
            nuisance_names=self.nuisance_names,
            priors=priors,
            param_labels={name: cosmology.PARAM_LABELS[name] for name in priors},
            attrs={"generator": "lognormal", "seed": seed, "config": p.model_dump(mode="json")},
        )

    # --- information limit ----------------------------------------------------------------

    @property
    def param_names(self) -> tuple[str, ...]:
        """The inferred parameters: (Ω_m, σ_8)."""
        return PARAM_NAMES

    @property
    def fiducial(self) -> np.ndarray:
        """Fiducial (Ω_m, σ_8) of the Fisher analysis."""
        return np.asarray(self.params.fiducial, dtype=np.float64)

    @property
    def nuisance_names(self) -> tuple[str, ...]:
        """The feedback model's parameters (none without feedback)."""
        return self.feedback.names if self.params.feedback else ()

    @property
    def nuisance_fiducial(self) -> np.ndarray:
        """Fiducial values of :attr:`nuisance_names`: the geometric centre of the model's
        default priors (1, 1, 1, 1 for the CAMELS-like amplitudes)."""
        return self.feedback.fiducial if self.params.feedback else np.zeros(0)

    def describe(self) -> dict[str, str]:
        """What is simulated, in words (``cosmossl fisher`` prints it, ``fisher.json`` keeps it)."""
        p = self.params
        geometry = (
            f"plane, P_lin/L on a {self.box_size:g} Mpc box"
            if p.geometry == "plane"
            else f"{p.slab_thickness:g} Mpc/h slab of a {self.box_size:g} Mpc/h box"
        )
        return {
            "linear P(k)": self.linear_power.description,
            "field": f"{p.field}, {p.n_pixels}×{p.n_pixels} pixels, {geometry}",
            "feedback": self.feedback.description if p.feedback else "none",
        }

    def fisher_limit(self, theta_fiducial=None, nuisance=None, rel_step: float = 1e-3):
        """Analytic Fisher matrix ``[2, 2]`` of (Ω_m, σ_8) at the fiducial point.

        The full-plane formula F_ab = ½ Σ_k ∂_a ln P_g ∂_b ln P_g on the spectrum of g: for the
        'lognormal-paper' recipe the map is an invertible function of g, so this is the exact
        limit; for 'lognormal-exact' it is the information in g. Feedback, if on, is held fixed
        at ``nuisance`` (default :attr:`nuisance_fiducial`). Units of the parameters themselves.
        """
        theta = np.asarray(
            self.params.fiducial if theta_fiducial is None else theta_fiducial, dtype=np.float64
        )
        nuis = None if nuisance is None else np.atleast_2d(nuisance)

        def spectrum(t: np.ndarray) -> np.ndarray:
            return self.gaussian_power(t[None], nuis, full_plane=True)[0][0]

        dlnp = fisher_limit.log_power_derivatives(spectrum, theta, rel_step)
        return fisher_limit.field_fisher(dlnp)
