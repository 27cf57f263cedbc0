"""Sequential rounds as stages of a folder: what each round stores, resuming after a kill,
more rounds, surveys, round 0 from the prior, and the refusals."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import torch
from support.inference import ShiftedGaussian

import cosmossl
from cosmossl.data import read_summaries
from cosmossl.data.hdf5 import read_mapset
from cosmossl.errors import ConfigError, TruncationError
from cosmossl.inference import BoxPrior, fit
from cosmossl.inference.sequential import RoundSettings
from cosmossl.job import sequential
from cosmossl.job.sequential import SequentialSetup, run_rounds, stored_round
from cosmossl.job.sequential_setup import require_simulator, sequential_setup

# The tiny flows stop at max_epochs; what they learn does not matter to these tests.
pytestmark = pytest.mark.filterwarnings("ignore:Maximum number of epochs")

PRIOR = BoxPrior([-1.0, 0.5], [1.0, 2.0], ("mu", "sigma"))
FAST = {"hidden_features": 16, "num_transforms": 2, "max_epochs": 40, "patience": 5,
        "learning_rate": 3e-3, "batch_size": 64}  # fmt: skip
SETTINGS = RoundSettings(simulations=40, epsilon=0.01, threshold_samples=5000, probe=20_000)


class Toy:
    """Maps ``[B, 1, 4, 4]`` = μ + σ · white noise (one noise seed per map): a simulator."""

    fresh_by_default = True
    param_names = ("mu", "sigma")
    fiducial = np.array([0.0, 1.0])
    meta = None

    def __init__(self) -> None:
        self.maps_made = 0

    def simulate(self, theta, seeds, nuisance=None):
        noise = np.stack([np.random.default_rng(s).normal(size=(1, 4, 4)) for s in seeds])
        theta = np.asarray(theta, dtype=np.float64)
        self.maps_made += len(seeds)
        return (theta[:, 0, None, None, None] + theta[:, 1, None, None, None] * noise).astype(
            np.float32
        )

    def simulate_tensor(self, theta, seeds, nuisance=None, *, device="cpu"):
        return torch.as_tensor(self.simulate(theta, seeds, nuisance), device=device)

    def draw_nuisance(self, seeds):
        return np.zeros((len(seeds), 0))

    def fisher_limit(self, theta_fiducial=None):
        return np.eye(2)


def summarize(maps: np.ndarray) -> np.ndarray:
    return np.stack([maps.mean(axis=(1, 2, 3)), maps.std(axis=(1, 2, 3))], axis=1)


@pytest.fixture(scope="module")
def start():
    """An sbi posterior of the toy problem, fitted on 300 prior simulations."""
    torch.set_num_threads(1)
    toy = Toy()
    theta = PRIOR.sample((300,)).double().numpy()
    x = summarize(toy.simulate(theta, list(range(300))))
    backend = cosmossl.create("backend", "sbi", **FAST)
    return fit(backend, (theta[:250], x[:250]), (theta[250:], x[250:]), PRIOR, progress=False)


def make_setup(posterior, survey_size: int = 1, **changes) -> SequentialSetup:
    theta = PRIOR.sample((120,)).double().numpy()
    x = summarize(Toy().simulate(theta, list(range(10_000, 10_120))))
    setup = SequentialSetup(
        prior=PRIOR,
        param_labels={},
        simulator=Toy(),
        summarize=summarize,
        backend={"type": "sbi", **FAST},
        survey_size=survey_size,
        start=posterior,
        base_train=(theta[:100], x[:100]),
        base_val=(theta[100:], x[100:]),
        identity={"toy": 1},
    )
    return dataclasses.replace(setup, **changes)


OBSERVATION = summarize(Toy().simulate(np.array([[0.2, 1.2]]), [99]))[0]


def test_each_round_stores_its_simulations_truncation_and_posterior(start, tmp_path):
    result = run_rounds(make_setup(start), OBSERVATION, tmp_path, rounds=2, settings=SETTINGS,
                        progress=False)  # fmt: skip
    assert [r.index for r in result.records] == [0, 1, 2]
    for r in (1, 2):
        stored = read_summaries(tmp_path / f"round-{r}" / "simulations.h5")
        assert len(stored) == 40 and int((stored.split == 1).sum()) == 4
        truncation = json.loads((tmp_path / f"round-{r}" / "truncation.json").read_text())
        record = result.records[r].truncation
        assert truncation["truncation"]["acceptance"] == record.acceptance
        assert 0.0 < record.acceptance < 1.0 and record.volume == pytest.approx(
            record.acceptance * 2.0 * 1.5
        )
        low, high = np.array(record.low), np.array(record.high)
        assert ((stored.params >= low - 1e-6) & (stored.params <= high + 1e-6)).all()
        assert (tmp_path / f"round-{r}" / "posterior" / "weights.safetensors").is_file()
    summary = json.loads((tmp_path / "rounds.json").read_text())
    assert [r["total_simulations"] for r in summary["rounds"]] == [0, 40, 80]
    assert set(summary["rounds"][2]["params"]) == {"mu", "sigma"}
    assert (tmp_path / "rounds.png").stat().st_size > 10_000
    assert "| 2 | 80 |" in (tmp_path / "rounds.md").read_text()


def test_a_killed_round_continues_without_simulating_any_finished_round_again(
    start, tmp_path, monkeypatch
):
    setup = make_setup(start)
    fits = []
    real = sequential.refit

    def dying(*args, **kwargs):
        fits.append(len(args[3]))
        if len(fits) == 2:
            raise KeyboardInterrupt  # killed while fitting round 2
        return real(*args, **kwargs)

    monkeypatch.setattr(sequential, "refit", dying)
    with pytest.raises(KeyboardInterrupt):
        run_rounds(setup, OBSERVATION, tmp_path, rounds=2, settings=SETTINGS, progress=False)
    made = setup.simulator.maps_made
    assert made == 80 and not (tmp_path / "round-2" / "posterior").exists()
    result = run_rounds(setup, OBSERVATION, tmp_path, rounds=2, settings=SETTINGS,
                        progress=False)  # fmt: skip
    assert setup.simulator.maps_made == made  # rounds 1 and 2 were simulated once
    assert fits == [1, 2, 2]  # only round 2's fit ran again
    assert len(result.records) == 3


def test_more_rounds_keep_the_finished_ones(start, tmp_path):
    setup = make_setup(start)
    run_rounds(setup, OBSERVATION, tmp_path, rounds=1, settings=SETTINGS, progress=False)
    first = (tmp_path / "round-1" / "simulations.h5").stat().st_mtime_ns
    result = run_rounds(setup, OBSERVATION, tmp_path, rounds=2, settings=SETTINGS,
                        progress=False)  # fmt: skip
    assert (tmp_path / "round-1" / "simulations.h5").stat().st_mtime_ns == first
    assert setup.simulator.maps_made == 80 and len(result.records) == 3


def test_another_observation_draws_other_points_and_noise(start, tmp_path):
    setup = make_setup(start)
    run_rounds(setup, OBSERVATION, tmp_path, rounds=1, settings=SETTINGS, progress=False)
    before = read_summaries(tmp_path / "round-1" / "simulations.h5")
    other = summarize(Toy().simulate(np.array([[-0.4, 0.8]]), [98]))[0]
    run_rounds(setup, other, tmp_path, rounds=1, settings=SETTINGS, progress=False)
    after = read_summaries(tmp_path / "round-1" / "simulations.h5")
    assert not np.array_equal(before.seed_id, after.seed_id)
    # The truths are 0.2 and -0.4 in the first parameter: the points move towards the second.
    assert float(before.params[:, 0].mean()) - float(after.params[:, 0].mean()) > 0.05


def test_a_survey_point_is_n_maps_and_its_summary_their_mean(start, tmp_path):
    setup = make_setup(start, survey_size=3, start=None, base_train=None, base_val=None)
    result = run_rounds(setup, OBSERVATION, tmp_path, rounds=1, settings=SETTINGS,
                        progress=False)  # fmt: skip
    stored = read_summaries(tmp_path / "round-1" / "simulations.h5")
    assert len(stored) == 120 and len(np.unique(stored.seed_id)) == 120
    points = stored_round(stored, 3)
    assert np.allclose(points.summaries[5], stored.summaries[15:18].mean(0), atol=1e-6)
    assert np.array_equal(points.theta[5], stored.params[15].astype(np.float64))
    assert result.records[1].simulations.summaries.shape == (40, 2)


def test_without_a_start_posterior_or_rows_round_zero_simulates_from_the_whole_prior(
    start, tmp_path
):
    setup = make_setup(start, start=None, base_train=None, base_val=None)
    result = run_rounds(setup, OBSERVATION, tmp_path, rounds=1, settings=SETTINGS,
                        progress=False)  # fmt: skip
    zero = read_summaries(tmp_path / "round-0" / "simulations.h5")
    assert result.records[0].truncation is None and len(zero) == 40
    assert zero.params[:, 0].min() < -0.5 and zero.params[:, 0].max() > 0.5  # the whole box
    summary = json.loads((tmp_path / "rounds.json").read_text())
    assert [r["total_simulations"] for r in summary["rounds"]] == [40, 80]
    assert "truncation" not in summary["rounds"][0]


def test_without_a_start_posterior_round_zero_is_fitted_on_the_rows(start, tmp_path):
    setup = make_setup(start, start=None)
    result = run_rounds(setup, OBSERVATION, tmp_path, rounds=1, settings=SETTINGS,
                        progress=False)  # fmt: skip
    assert not (tmp_path / "round-0" / "simulations.h5").exists()
    assert result.records[0].posterior.info["n_train"] == 100


def test_a_round_whose_region_accepts_too_few_draws_stops_and_writes_nothing(tmp_path):
    class Narrow(ShiftedGaussian):
        sigma = 1e-4

    setup = make_setup(None, start=Narrow(x_dim=2), prior=Narrow().prior)
    settings = dataclasses.replace(SETTINGS, max_prior_draws=100_000)
    with pytest.raises(TruncationError, match=r"accepted \d+ of 20000 prior draws"):
        run_rounds(setup, np.zeros(2), tmp_path, rounds=1, settings=settings, progress=False)
    assert not (tmp_path / "round-1").exists()
    assert "round-1-simulate" not in json.loads((tmp_path / "stages.json").read_text())


def test_rounds_refuse_a_dataset_that_cannot_simulate():
    with pytest.raises(ConfigError) as caught:
        require_simulator(object(), "npy")
    assert str(caught.value) == (
        "sequential rounds (--rounds) simulate new maps near the observation, so the run's "
        "dataset must simulate on demand (a TrainingSimulator, such as the built-in "
        "'lognormal'); this run's dataset 'npy' loads stored maps and cannot. Use the amortised "
        "posterior (leave out --rounds)"
    )


def test_a_finished_run_gives_its_simulator_summary_posterior_and_rows(observed_run):
    run = cosmossl.load_run(observed_run, device="cpu")
    setup = sequential_setup(run, survey_size=1)
    s = read_summaries(observed_run / "summaries" / "encoder.h5")
    assert setup.prior.names == ("omega_m", "sigma_8") and setup.start is not None
    assert setup.backend["type"] == "lampe" and setup.backend["hidden"] == [32, 32]
    assert len(setup.base_train[0]) == int((s.split == 0).sum())
    assert len(setup.base_val[0]) == int((s.split == 1).sum())
    stored = read_mapset(observed_run / "data" / "maps.h5").read(np.arange(3))
    assert np.allclose(setup.summarize(stored), s.summaries[:3], atol=1e-5)  # the run's summary


def test_a_survey_size_the_run_cannot_cut_starts_from_the_prior(observed_run):
    run = cosmossl.load_run(observed_run, device="cpu")
    setup = sequential_setup(run, survey_size=3)  # the run holds 2 maps per cosmology
    assert setup.start is None and setup.base_train is None and setup.base_val is None


def test_rounds_of_a_lampe_run_truncate_with_the_generic_algorithm_and_resume(
    observed_run, tmp_path
):
    setup = sequential_setup(cosmossl.load_run(observed_run, device="cpu"), survey_size=1)
    maps = setup.simulator.simulate(np.array([[0.3, 0.8]]), [5])
    x = setup.summarize(maps)[0]
    result = run_rounds(setup, x, tmp_path, rounds=1, settings=SETTINGS, progress=False)
    truncation = result.records[1].truncation
    assert 0 < truncation.acceptance < 1 and truncation.threshold is not None  # ours, not sbi's
    stages = json.loads((tmp_path / "stages.json").read_text())
    again = run_rounds(setup, x, tmp_path, rounds=1, settings=SETTINGS, progress=False)
    assert json.loads((tmp_path / "stages.json").read_text()) == stages
    assert again.summary["rounds"] == result.summary["rounds"]


def test_rounds_must_be_at_least_one(start, tmp_path):
    with pytest.raises(cosmossl.DataError, match="--rounds must be at least 1, got 0"):
        run_rounds(make_setup(start), OBSERVATION, tmp_path, rounds=0, settings=SETTINGS)
