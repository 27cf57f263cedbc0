"""A finished run taken to new maps (cosmossl.load_run): compression as the run's own, the
out-of-distribution check, single maps and surveys."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from support.observations import copy_run, simulate

import cosmossl
from cosmossl import DataError
from cosmossl.data import read_mapset, read_summaries

pytestmark = pytest.mark.slow

TRUTH = (0.3, 0.8)


def test_compress_gives_the_runs_own_summaries(observed_run):
    run = cosmossl.load_run(observed_run)
    maps = read_mapset(observed_run / "data/maps.h5")
    rows = maps.indices("test")[:20]
    for label in ("encoder", "power-spectrum"):
        stored = read_summaries(observed_run / f"summaries/{label}.h5").summaries[rows]
        np.testing.assert_allclose(run.compress(maps.read(rows), label), stored, atol=1e-6)


def test_the_run_knows_its_maps_parameters_and_posteriors(observed_run):
    run = cosmossl.load_run(observed_run)
    assert run.labels == ("encoder", "power-spectrum")
    assert run.meta.shape == (1, 16, 16) and run.meta.content == "log1p-overdensity"
    assert run.param_names == ("omega_m", "sigma_8")
    assert run.survey_sizes("encoder") == [1]
    assert run.prior.low.tolist() == pytest.approx([0.15, 0.65])


def test_one_posterior_per_map_inside_the_prior(observed_run):
    run = cosmossl.load_run(observed_run)
    draws = run.sample(simulate(TRUTH, 3), 400, summary="power-spectrum")
    assert draws.samples.shape == (400, 3, 2) and not draws.survey
    low, high = run.prior.low.numpy(), run.prior.high.numpy()
    assert ((draws.samples >= low) & (draws.samples <= high)).all()
    assert draws.method == "the run's single-map posterior"
    assert [label for label, _ in draws.observations] == ["map 0", "map 1", "map 2"]


def test_a_survey_combines_the_single_map_posteriors(observed_run):
    run = cosmossl.load_run(observed_run)
    maps = simulate(TRUTH, 8)
    survey = run.sample(maps, 1000, survey=True, summary="power-spectrum")
    single = run.sample(maps[:1], 1000, summary="power-spectrum")
    assert survey.samples.shape == (1000, 2)
    assert survey.method == "the product of 8 single-map posteriors divided by the prior^7"
    assert survey.diagnostics["converged"]
    # Eight maps constrain Ω_m better than one.
    assert survey.samples[:, 0].std() < 0.7 * single.samples[:, 0, 0].std()


def test_a_survey_uses_the_runs_survey_posterior_when_it_was_fitted_for_that_size(
    observed_run, tmp_path
):
    root = copy_run(observed_run, tmp_path / "run")
    # A posterior for surveys of 2 maps, as the robustness stage leaves it.
    shutil.copytree(root / "inference/power-spectrum/posterior",
                    root / "robustness/power-spectrum/posterior")  # fmt: skip
    (root / "robustness/power-spectrum/metrics.json").write_text(json.dumps({"survey_size": 2}))
    run = cosmossl.load_run(root)
    assert run.survey_sizes("power-spectrum") == [1, 2]
    draws = run.sample(simulate(TRUTH, 2), 100, survey=True, summary="power-spectrum")
    assert draws.method.startswith("the run's posterior for surveys of 2 maps, on the mean")


def test_a_survey_the_run_cannot_combine_is_refused(observed_run, tmp_path):
    root = copy_run(observed_run, tmp_path / "run")
    (root / "inference/encoder/metrics.json").write_text(json.dumps({"survey_size": 4}))
    run = cosmossl.load_run(root)
    with pytest.raises(DataError) as error:
        run.sample(simulate(TRUTH, 3), 100, survey=True)
    assert str(error.value) == (
        "a survey of 3 maps: the run's encoder posterior was fitted on surveys of 4 maps only, "
        "and combining maps needs its single-map posterior; give 4 maps, or fit a single-map "
        "posterior ([inference] survey_size = 1)"
    )
    with pytest.raises(DataError, match="a survey needs at least 2 maps, got 1"):
        run.sample(simulate(TRUTH, 1), 100, survey=True, summary="power-spectrum")


def _power_law_maps(like, slope, rng):
    """Gaussian maps with P(k) ∝ k^slope and the pixel mean and variance of ``like``."""
    n, size = like.shape[0], like.shape[-1]
    k = np.sqrt(np.add.outer(np.fft.fftfreq(size) ** 2, np.fft.fftfreq(size) ** 2))
    k[0, 0] = 1.0
    field = np.fft.ifft2(np.fft.fft2(rng.standard_normal((n, size, size))) * k ** (slope / 2))
    field = field.real[:, None]
    return (field / field.std() * like.std() + like.mean()).astype(np.float32)


@pytest.mark.parametrize("summary", ["encoder", "power-spectrum"])
def test_genuine_maps_are_not_flagged(observed_run, summary):
    run = cosmossl.load_run(observed_run)
    check = run.sample(simulate(TRUTH, 4), 10, summary=summary).check
    assert not any(check["flagged"]), check["percentile"]


@pytest.mark.parametrize(
    ("case", "summary"),
    [("wrong transform: log10(1 + δ) for ln(1 + δ)", "encoder"),
     ("wrong transform: log10(1 + δ) for ln(1 + δ)", "power-spectrum"),
     ("wrong transform: 1 + δ for ln(1 + δ)", "encoder"),
     ("added noise", "encoder"), ("added noise", "power-spectrum"),
     ("a different spectrum", "encoder"), ("a different spectrum", "power-spectrum")],
)  # fmt: skip
def test_maps_unlike_the_training_maps_are_flagged(observed_run, caplog, case, summary):
    run = cosmossl.load_run(observed_run)
    maps = simulate(TRUTH, 4)
    rng = np.random.default_rng(0)
    wrong = {
        "wrong transform: log10(1 + δ) for ln(1 + δ)": maps / np.log(10),
        "wrong transform: 1 + δ for ln(1 + δ)": np.exp(maps),
        "added noise": maps + rng.normal(0.0, 2 * maps.std(), maps.shape).astype(np.float32),
        "a different spectrum": _power_law_maps(maps, -3.0, rng),
    }[case]
    check = run.sample(wrong, 10, summary=summary).check
    assert all(check["flagged"]), check["percentile"]
    assert f"lies outside what the {summary} summary was trained on" in caplog.text


def test_the_runs_simulator_is_rebuilt_from_its_record(observed_run):
    simulator = cosmossl.load_run(observed_run).dataset()
    np.testing.assert_array_equal(simulator.simulate(np.array([TRUTH]), [7]),
                                  simulate(TRUTH, 1, first_seed=7))  # fmt: skip
