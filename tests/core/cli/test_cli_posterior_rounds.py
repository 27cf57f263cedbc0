"""``cosmossl posterior --rounds K --simulations M``: the posterior of one observation refined
in sequential rounds, resumed after a kill, and refused (one line, exit 2, nothing written)
where rounds cannot run."""

from __future__ import annotations

import functools
import json

import h5py
import numpy as np
import pytest
from support.observations import TRUTH, simulate

import cosmossl
from cosmossl.cli import main
from cosmossl.job import observation, sequential

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore:Maximum number of epochs")]

ROUNDS = ["--summary", "encoder", "--samples", "500", "--rounds", "2", "--simulations", "40"]


def test_rounds_refine_the_posterior_and_report_each_round(run_dir, obs, capsys):
    assert main(["-q", "posterior", str(run_dir), str(obs), *ROUNDS]) == 0
    out = run_dir / "posterior" / "obs"
    printed = capsys.readouterr().out
    assert "2 round(s) of truncated sequential NPE (40 simulations each" in printed
    assert "acceptance" in printed and "σ(omega_m)" in printed
    for r in (1, 2):
        assert (out / f"rounds/encoder/round-{r}/simulations.h5").is_file()
        assert (out / f"rounds/encoder/round-{r}/posterior/posterior.json").is_file()
    with h5py.File(out / "samples-sequential.h5") as f:
        assert f["encoder/samples"].shape == (500, 1, 2)
    summary = json.loads((out / "posterior.json").read_text())
    entry = summary["summaries"]["encoder"]
    assert entry["method"].startswith("2 round(s) of truncated sequential NPE")
    assert [r["total_simulations"] for r in entry["diagnostics"]["rounds"]] == [0, 40, 80]
    report = (out / "report.md").read_text()
    assert "## Sequential rounds of the encoder posterior" in report
    assert "(rounds/encoder/rounds.png)" in report and (out / "rounds/encoder/rounds.png").is_file()


def test_a_killed_command_continues_with_the_unfinished_round(run_dir, obs, monkeypatch, capsys):
    fits, real = [], sequential.refit

    def dying(*args, **kwargs):
        fits.append(len(args[3]))
        if len(fits) == 2:
            raise KeyboardInterrupt  # Ctrl-C while round 2 is fitted
        return real(*args, **kwargs)

    monkeypatch.setattr(sequential, "refit", dying)
    assert main(["-q", "posterior", str(run_dir), str(obs), *ROUNDS]) == 130
    rounds = run_dir / "posterior" / "obs" / "rounds" / "encoder"
    first = (rounds / "round-1" / "simulations.h5").stat().st_mtime_ns
    second = (rounds / "round-2" / "simulations.h5").stat().st_mtime_ns
    assert main(["-q", "posterior", str(run_dir), str(obs), *ROUNDS]) == 0
    assert fits == [1, 2, 2]  # only round 2's fit ran again
    assert (rounds / "round-1" / "simulations.h5").stat().st_mtime_ns == first
    assert (rounds / "round-2" / "simulations.h5").stat().st_mtime_ns == second
    capsys.readouterr()
    assert main(["-q", "posterior", str(run_dir), str(obs), *ROUNDS]) == 0
    assert "(up to date)" in capsys.readouterr().out


def test_a_survey_is_refined_as_one_observation(run_dir, tmp_path, capsys):
    path = tmp_path / "survey.npy"
    np.save(path, simulate(TRUTH, 3)[:, 0])  # [3, 16, 16]
    out = tmp_path / "out"
    args = ["--survey", "--summary", "encoder", "--samples", "300", "--rounds", "1",
            "--simulations", "30", "--out", str(out)]  # fmt: skip
    assert main(["-q", "posterior", str(run_dir), str(path), *args]) == 0
    stored = cosmossl.read_summaries(out / "rounds/encoder/round-1/simulations.h5")
    assert len(stored) == 90  # 30 surveys of 3 maps
    # The run has no posterior for surveys of 3 maps and only 2 maps per cosmology: round 0
    # was simulated from the whole prior.
    assert (out / "rounds/encoder/round-0/simulations.h5").is_file()
    with h5py.File(out / "samples-sequential.h5") as f:
        assert f["encoder/samples"].shape == (300, 2)


def test_several_maps_without_survey_are_refused_before_any_work(run_dir, tmp_path, capsys):
    path = tmp_path / "two.npy"
    np.save(path, simulate(TRUTH, 2)[:, 0])
    assert main(["-q", "posterior", str(run_dir), str(path), "--rounds", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "Traceback" not in err
    assert "sequential rounds (--rounds) refine the posterior of one observation, but 2 maps " \
           "were given without --survey" in err  # fmt: skip
    assert not (run_dir / "posterior").exists()


def test_too_few_simulations_per_round_are_refused(run_dir, obs, capsys):
    assert main(["-q", "posterior", str(run_dir), str(obs), "--rounds", "1",
                 "--simulations", "5"]) == 2  # fmt: skip
    assert "at least 10 simulations per round, got 5" in capsys.readouterr().err
    assert not (run_dir / "posterior").exists()


def test_simulations_without_rounds_are_refused(run_dir, obs, capsys):
    assert main(["-q", "posterior", str(run_dir), str(obs), "--simulations", "300"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "Traceback" not in err
    assert "--simulations 300 sets the new simulations of each sequential round, but no " \
           "--rounds were given: add --rounds K" in err  # fmt: skip
    assert not (run_dir / "posterior").exists()


def test_a_truncation_too_small_to_sample_says_so_before_simulating(
    run_dir, obs, monkeypatch, capsys
):
    # Any region needs at least 40 prior draws for 40 points: a limit of 30 must refuse.
    small = functools.partial(observation.RoundSettings, max_prior_draws=30)
    monkeypatch.setattr(observation, "RoundSettings", small)
    assert main(["-q", "posterior", str(run_dir), str(obs), *ROUNDS]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "Traceback" not in err
    assert "prior draws (acceptance" in err and "40 points would need" in err
    assert "more than the limit of 30" in err
    rounds = run_dir / "posterior" / "obs" / "rounds" / "encoder"
    assert not (rounds / "round-1" / "simulations.h5").exists()
    assert not (run_dir / "posterior" / "obs" / "samples-sequential.h5").exists()


def test_negative_rounds_are_refused(run_dir, obs, capsys):
    assert main(["-q", "posterior", str(run_dir), str(obs), "--rounds", "-1"]) == 2
    assert "--rounds must be 0 (none) or more, got -1" in capsys.readouterr().err


@pytest.fixture(scope="module")
def stored_maps_run(tmp_path_factory):
    """A finished run of stored maps (the npy dataset): it cannot simulate."""
    from support.observations import RUN

    from cosmossl.config.run_file import parse_run_config
    from cosmossl.job.run import run

    folder = tmp_path_factory.mktemp("npy")
    rng = np.random.default_rng(0)
    np.save(folder / "maps.npy", rng.normal(size=(160, 16, 16)).astype(np.float32))
    np.save(folder / "params.npy", np.repeat(rng.uniform(0.2, 0.8, size=(40, 2)), 4, axis=0))
    table = {**RUN, "name": "stored", "statistic": None, "fisher": {"enabled": False}}
    table = {k: v for k, v in table.items() if v is not None}
    table["dataset"] = {"type": "npy", "maps": str(folder / "maps.npy"),
                        "params": str(folder / "params.npy"), "box_size": 100.0,
                        "priors": {"theta_0": [0.2, 0.8], "theta_1": [0.2, 0.8]}}  # fmt: skip
    run(parse_run_config(table, source="stored.toml"), run_dir=folder / "run", progress=False)
    return folder / "run"


def test_a_run_of_stored_maps_is_refused_naming_its_dataset(stored_maps_run, tmp_path, capsys):
    path = tmp_path / "one.npy"
    np.save(path, np.random.default_rng(1).normal(size=(16, 16)).astype(np.float32))
    out = tmp_path / "out"
    code = main(["-q", "posterior", str(stored_maps_run), str(path), "--rounds", "2",
                 "--out", str(out)])  # fmt: skip
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.count("\n") == 0
    assert "this run's dataset 'npy' loads stored maps and cannot. Use the amortised posterior " \
           "(leave out --rounds)" in err  # fmt: skip
    assert not out.exists()


def test_load_run_refines_one_observation_in_python(observed_run, tmp_path):
    run = cosmossl.load_run(observed_run, device="cpu")
    result = run.refine(simulate(TRUTH, 1), tmp_path / "rounds", rounds=1, simulations=30)
    assert len(result.records) == 2 and result.records[1].simulations.theta.shape == (30, 2)
    samples = result.posterior.sample(run.compress(simulate(TRUTH, 1))[0], 200)
    assert samples.shape == (200, 2) and run.prior.contains(samples).all()
