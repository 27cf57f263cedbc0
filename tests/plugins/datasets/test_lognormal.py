"""The built-in lognormal simulator: statistics, determinism, ids, split, feedback, Fisher."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import cosmossl
from cosmossl.information import fisher
from cosmossl.physics import cosmology, fisher_limit
from cosmossl_plugins.datasets.lognormal import Lognormal, map_seed


def make(**kwargs) -> Lognormal:
    return cosmossl.create("dataset", "lognormal", **kwargs)


@pytest.mark.parametrize("linear_power", ["eh98-no-wiggle", "eh98"])
def test_paper_maps_have_the_published_pixel_statistics(linear_power):
    dataset = make(n_cosmologies=1, n_simulations=200, linear_power=linear_power)
    maps = dataset.simulate([0.3, 0.8], range(200))
    assert maps.shape == (200, 1, 100, 100) and maps.dtype == np.float32
    assert maps.std() == pytest.approx(0.20, abs=0.01)
    assert maps.mean() == pytest.approx(-0.02, abs=0.002)


def test_a_map_depends_only_on_seed_cosmology_and_realisation():
    small = make(n_cosmologies=3, n_simulations=2, n_pixels=16, batch_size=4).load(seed=5)
    large = make(n_cosmologies=3, n_simulations=5, n_pixels=16, batch_size=7).load(seed=5)
    rows = np.flatnonzero((large.cosmology_id == 2) & (np.arange(15) % 5 == 1))
    np.testing.assert_array_equal(small.maps[5], large.maps[rows[0]])
    dataset = make(n_pixels=16)
    again = dataset.simulate(small.params[5], [map_seed(5, 2, 1)])
    np.testing.assert_allclose(again[0], small.maps[5], atol=1e-6)
    other = make(n_cosmologies=3, n_simulations=2, n_pixels=16).load(seed=6)
    assert not np.allclose(other.maps[0], small.maps[0])


def test_ids_split_and_priors_of_a_loaded_set():
    p = make(n_cosmologies=20, n_simulations=3, n_pixels=8).load(seed=0)
    assert len(p) == 60 and p.param_names == ("omega_m", "sigma_8")
    np.testing.assert_array_equal(p.cosmology_id, np.repeat(np.arange(20), 3))
    assert len(np.unique(p.simulation_id)) == 60
    for c in range(20):
        assert len(set(p.split[p.cosmology_id == c].tolist())) == 1  # split by cosmology
    assert np.bincount(p.split, minlength=3).tolist() == [48, 6, 6]
    assert p.params[:, 0].min() >= 0.15 and p.params[:, 0].max() <= 0.45
    # a Latin hypercube puts one cosmology in each of the 20 strata of each parameter
    strata = np.floor((p.params[::3, 1] - 0.65) / 0.3 * 20).astype(int)
    assert sorted(strata.tolist()) == list(range(20))
    assert p.priors == {"omega_m": (0.15, 0.45), "sigma_8": (0.65, 0.95)}
    assert p.param_labels == {"omega_m": r"\Omega_{\rm m}", "sigma_8": r"\sigma_8"}


def test_feedback_draws_nuisance_per_simulation_within_shifted_priors():
    dataset = make(
        n_cosmologies=4,
        n_simulations=3,
        maps_per_simulation=2,
        n_pixels=16,
        geometry="slab",
        feedback=True,
        feedback_shift={"A_AGN1": 1.0},
    )
    p = dataset.load(seed=0)
    assert p.nuisance.shape == (24, 4) and p.nuisance_names == ("A_SN1", "A_AGN1", "A_SN2",
                                                                "A_AGN2")  # fmt: skip
    assert len(np.unique(p.simulation_id)) == 12
    for sim in np.unique(p.simulation_id):
        rows = p.nuisance[p.simulation_id == sim]
        assert np.all(rows == rows[0])
    assert len(np.unique(p.nuisance[:, 0])) == 12
    assert p.priors["A_AGN1"] == (0.5, 8.0)
    assert p.nuisance[:, 1].min() >= 0.5 and p.nuisance[:, 1].max() <= 8.0


def test_feedback_suppresses_small_scale_power_of_the_slab():
    dataset = make(geometry="slab", n_pixels=32, feedback=True, field="gaussian")
    k = np.array([[0.5, 5.0]])
    weak = dataset.target_power([[0.3, 0.8]], np.array([[1.0, 0.25, 1.0, 1.0]]), k)
    strong = dataset.target_power([[0.3, 0.8]], np.array([[1.0, 4.0, 1.0, 1.0]]), k)
    ratio = (strong / weak)[0, 0]
    assert np.all(ratio < 0.85) and ratio[1] < ratio[0]  # stronger AGN: less power


def test_spk_feedback_model_draws_its_own_parameters_for_the_same_maps_and_seeds():
    common = dict(n_cosmologies=3, n_simulations=2, maps_per_simulation=2, n_pixels=16,
                  geometry="slab", feedback=True)  # fmt: skip
    st = make(**common).load(seed=1)
    spk = make(feedback_model="salcido-spk", **common).load(seed=1)
    assert spk.nuisance_names == ("fb_a", "fb_pow") and spk.nuisance.shape == (12, 2)
    assert spk.priors["fb_a"] == (0.22, 0.65) and spk.priors["fb_pow"] == (0.1, 0.4)
    assert spk.nuisance[:, 0].min() >= 0.22 and spk.nuisance[:, 1].max() <= 0.4
    np.testing.assert_array_equal(spk.cosmology_id, st.cosmology_id)
    np.testing.assert_array_equal(spk.split, st.split)
    np.testing.assert_array_equal(spk.params, st.params)
    assert not np.allclose(spk.maps, st.maps)


def test_spk_feedback_multiplies_the_3d_spectrum_by_the_sp_k_suppression():
    plain = make(geometry="plane", n_pixels=16, field="gaussian")
    spk = make(geometry="plane", n_pixels=16, field="gaussian", feedback=True,
               feedback_model="salcido-spk")  # fmt: skip
    k = np.array([[0.5, 2.0]])  # 1/Mpc on the plane
    ratio = spk.target_power([[0.3, 0.8]], np.array([[0.3, 0.2]]), k) / plain.target_power(
        [[0.3, 0.8]], None, k
    )
    np.testing.assert_allclose(ratio[0, 0], cosmology.spk_suppression(k[0] / 0.7, 0.3, 0.2))


def test_nuisance_names_and_fiducial_follow_the_feedback_model():
    assert make().nuisance_names == () and make().nuisance_fiducial.shape == (0,)
    st = make(feedback=True)
    assert st.nuisance_names == ("A_SN1", "A_AGN1", "A_SN2", "A_AGN2")
    np.testing.assert_allclose(st.nuisance_fiducial, [1.0, 1.0, 1.0, 1.0])
    spk = make(feedback=True, feedback_model="salcido-spk")
    np.testing.assert_allclose(spk.nuisance_fiducial, [np.sqrt(0.22 * 0.65), 0.2])


def test_feedback_names_of_the_other_model_are_refused():
    with pytest.raises(
        cosmossl.ConfigError,
        match=r"key 'feedback_shift': .*names must be fb_a, fb_pow \(unknown: \['A_AGN1'\]",
    ):
        make(feedback_model="salcido-spk", feedback_shift={"A_AGN1": 1.0})


def test_gaussian_field_with_log1p_is_refused():
    with pytest.raises(
        cosmossl.ConfigError,
        match=r"key 'transform': .*log1p needs a "
        r"lognormal field \(a Gaussian δ can be ≤ −1\)",
    ):
        cosmossl.create("dataset", "lognormal", field="gaussian", transform="log1p")


def test_unknown_feedback_names_are_refused():
    with pytest.raises(
        cosmossl.ConfigError,
        match=r"key 'feedback_shift': .*names must be "
        r"A_SN1, A_AGN1, A_SN2, A_AGN2 \(unknown: \['A_AGN3'\]",
    ):
        cosmossl.create("dataset", "lognormal", feedback_shift={"A_AGN3": 1.0})


def test_at_puts_every_map_at_one_cosmology_inside_the_prior():
    dataset = cosmossl.create(
        "dataset", "lognormal", n_cosmologies=2, n_simulations=2, n_pixels=8, at=(0.31, 0.82)
    )
    mapset = dataset.load(seed=5)
    np.testing.assert_allclose(mapset.params, [[0.31, 0.82]] * 4, rtol=1e-6)
    assert mapset.priors["omega_m"] == (0.15, 0.45)
    assert len({m.tobytes() for m in mapset.maps}) == 4  # four seeds, four maps


def test_at_outside_the_prior_is_refused():
    with pytest.raises(
        cosmossl.ConfigError, match=r"at: sigma_8 = 1.2 lies outside its prior \[0.65, 0.95\]"
    ):
        cosmossl.create("dataset", "lognormal", at=(0.3, 1.2))


def test_a_prior_of_one_value_is_refused_with_the_route_to_maps_at_one_cosmology():
    with pytest.raises(
        cosmossl.ConfigError,
        match=r"key 'omega_m': .*a uniform prior \[low, high\] needs low < high; for maps at one "
        r"cosmology use the dataset's simulate\(\) at those parameters",
    ):
        cosmossl.create("dataset", "lognormal", omega_m=(0.3, 0.3))


@pytest.mark.parametrize(
    "geometry",
    [{}, {"geometry": "slab", "feedback": True}, {"linear_power": "eh98"}],
    ids=["plane", "slab-feedback", "plane-wiggles"],
)
def test_gaussian_recipe_matches_the_fisher_limit_by_score_covariance(geometry):
    # With feedback, simulate(..., nuisance=None) must hold it at the limit's fiducial (1,1,1,1):
    # random feedback per seed would inflate the score covariance, and a spectrum other than the
    # limit's (S(k) missing, other units) would move the score's mean away from 0.
    dataset = make(field="gaussian", n_pixels=16, transform="none", **geometry)
    theta = np.array([0.3, 0.8])
    limit = dataset.fisher_limit(theta)
    power, _ = dataset.gaussian_power(theta[None], None, full_plane=True)
    dlnp = fisher_limit.log_power_derivatives(
        lambda t: dataset.gaussian_power(t[None], None, full_plane=True)[0][0], theta
    )
    maps = dataset.simulate(theta, range(3000))[:, 0].astype(np.float64)
    score = fisher_limit.gaussian_score(maps, power[0], dlnp, dataset.box_size)
    np.testing.assert_allclose(np.cov(score, rowvar=False), limit, rtol=0.1)
    assert np.abs(score.mean(0) / np.sqrt(np.diag(limit) / len(score))).max() < 4


def test_slab_feedback_simulations_hold_feedback_at_the_fiducial_by_default():
    dataset = make(field="gaussian", n_pixels=16, transform="none", geometry="slab",
                   feedback=True)  # fmt: skip
    theta = np.array([0.3, 0.8])
    default = dataset.simulate(theta, range(4))
    np.testing.assert_array_equal(default, dataset.simulate(theta, range(4), np.ones(4)))
    assert not np.allclose(default, dataset.simulate(theta, range(4), [4.0, 4.0, 2.0, 2.0]))


def test_power_spectrum_reaches_the_limit_on_paper_maps():
    dataset = make(n_pixels=32, box_size=320.0)
    theta = np.array([0.3, 0.8])
    statistic = cosmossl.create("statistic", "power-spectrum", meta=dataset.meta)

    def summarize(maps):
        return statistic(torch.from_numpy(maps)).double().numpy()

    simulated = fisher.simulate_summaries(
        dataset.simulate, summarize, theta, 0.02 * theta, n_fiducial=800, n_derivative=100, seed=0
    )
    f = fisher.estimate_fisher(*simulated).fisher
    assert fisher.fom_fraction(f, dataset.fisher_limit(theta)) > 0.9


def test_linear_power_selects_the_spectrum_of_the_maps_and_of_the_limit():
    wiggles, smooth = make(linear_power="eh98", n_pixels=64), make(n_pixels=64)
    k = np.array([0.05, 0.07, 0.1])  # 1/Mpc, BAO scales
    h = 0.7
    expected = cosmology.linear_power(k / h, 0.3, 0.8, 0.05, h, 0.96, wiggles=True) / h**3 / 1000
    np.testing.assert_allclose(wiggles.target_power([[0.3, 0.8]], None, k)[0], expected)
    assert np.abs(smooth.target_power([[0.3, 0.8]], None, k)[0] / expected - 1).max() > 0.03
    maps = [d.simulate([0.3, 0.8], range(2)) for d in (wiggles, smooth)]
    assert not np.allclose(*maps)
    limits = [d.fisher_limit() for d in (wiggles, smooth)]
    assert np.abs(limits[0] / limits[1] - 1).max() > 0.01


def test_colossus_provider_gives_the_maps_of_the_builtin_eh98():
    pytest.importorskip("colossus")
    ours = make(linear_power="eh98", n_pixels=32).simulate([0.3, 0.8], range(3))
    theirs = make(linear_power="colossus:eisenstein98", n_pixels=32).simulate([0.3, 0.8], range(3))
    np.testing.assert_allclose(theirs, ours, atol=1e-4)


def test_describe_names_the_linear_power_spectrum():
    described = make(linear_power="eh98").describe()
    assert described["linear P(k)"].startswith(
        "Eisenstein & Hu (1998) with baryon acoustic oscillations (built in), Ω_b = 0.05, h = 0.7"
    )
    assert described["field"] == "lognormal-paper, 100×100 pixels, plane, P_lin/L on a 1000 Mpc box"


def test_unknown_linear_power_is_refused_with_the_choices():
    expected = (
        r"key 'linear_power': .*unknown linear power spectrum 'camb': "
        r"use one of 'eh98', 'eh98-no-wiggle', 'colossus'"
    )
    with pytest.raises(cosmossl.ConfigError, match=expected):
        make(linear_power="camb")


@pytest.mark.parametrize(
    ("options", "content"),
    [
        ({}, "log1p-overdensity"),
        ({"transform": "none"}, "overdensity"),
        ({"field": "gaussian"}, "overdensity"),
    ],
)
def test_meta_says_what_the_maps_hold(options, content):
    assert cosmossl.create("dataset", "lognormal", **options).meta.content == content


def test_paired_draws_reuse_the_seeds_with_another_feedback_draw():
    dataset = make(n_cosmologies=3, n_simulations=2, maps_per_simulation=2, paired_draws=3,
                   n_pixels=16, geometry="slab", feedback=True)  # fmt: skip
    p = dataset.load(seed=1)
    assert len(p) == 3 * 2 * 3 * 2
    assert len(np.unique(p.simulation_id)) == 3 * 2 * 3  # every draw is a simulation
    assert len(np.unique(p.seed_id)) == 3 * 2 * 2  # every seed has 3 paired twins
    for seed in np.unique(p.seed_id):
        twins = np.flatnonzero(p.seed_id == seed)
        assert len(twins) == 3 and len(set(p.cosmology_id[twins])) == 1
        assert len(set(p.simulation_id[twins])) == 3
        assert len({tuple(row) for row in p.nuisance[twins]}) == 3  # own feedback each
        # Same seed: the maps differ by feedback only, so they agree at large scales.
        maps = np.asarray(p.maps[twins], dtype=np.float64)
        assert np.corrcoef(maps.reshape(3, -1)).min() > 0.9
    # Without twins the layout, the seeds and the feedback are those of paired_draws = 1.
    single = make(n_cosmologies=3, n_simulations=2, maps_per_simulation=2, n_pixels=16,
                  geometry="slab", feedback=True).load(seed=1)  # fmt: skip
    first = np.flatnonzero(np.arange(len(p)) // 2 % 3 == 0)  # draw 0 of every simulation
    np.testing.assert_array_equal(single.simulation_id, p.simulation_id[first] // 3)
    np.testing.assert_array_equal(single.seed_id, p.seed_id[first])


def test_paired_draws_without_feedback_are_refused():
    with pytest.raises(cosmossl.ConfigError, match="paired_draws = 2 needs feedback = true"):
        make(paired_draws=2)
