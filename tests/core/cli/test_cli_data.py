"""`cosmossl simulate` and `cosmossl fisher`, and the example run files."""

from __future__ import annotations

import json

import numpy as np
import pytest
from support.paths import REPO

from cosmossl.cli import main
from cosmossl.config.run_file import load_run_config
from cosmossl.data.hdf5 import read_mapset

TINY = """
name = "tiny"
seed = 3
[dataset]
type = "lognormal"
n_cosmologies = 10
n_simulations = 2
n_pixels = 16
box_size = 160.0
"""


@pytest.mark.parametrize("path", sorted((REPO / "examples").glob("*.toml")), ids=lambda p: p.name)
def test_every_example_run_file_is_valid(path):
    config = load_run_config(path)
    assert config.settings.name == path.stem


def test_simulate_writes_the_file_and_a_summary_line(tmp_path, capsys):
    config = tmp_path / "run.toml"
    config.write_text(TINY)
    out = tmp_path / "maps.h5"
    assert main(["--quiet", "simulate", str(config), "--out", str(out)]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("wrote 20 maps (1×16×16) of 10 cosmologies, train/val/test 16/2/2 ")
    mapset = read_mapset(out)
    assert len(mapset) == 20 and mapset.attrs["seed"] == 3
    assert mapset.attrs["config"]["n_pixels"] == 16


def test_simulate_without_a_dataset_table_is_a_user_error(tmp_path, capsys):
    config = tmp_path / "run.toml"
    config.write_text('name = "x"\n')
    assert main(["simulate", str(config)]) == 2
    assert "no [dataset] table" in capsys.readouterr().err


def test_fisher_prints_limit_and_statistic_fraction_as_json(tmp_path, capsys):
    config = tmp_path / "run.toml"
    config.write_text(TINY)
    out = tmp_path / "fisher.json"
    code = main(["fisher", str(config), "--statistic", "power-spectrum", "--n-fiducial", "300",
                 "--n-derivative", "60", "--json", "--out", str(out)])  # fmt: skip
    assert code == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads(out.read_text())
    limit = np.array(printed["limit"]["fisher"])
    assert limit.shape == (2, 2) and np.all(np.linalg.eigvalsh(limit) > 0)
    assert 0.6 < printed["statistic"]["fom_fraction"] < 1.2
    assert printed["fiducial"] == {"omega_m": 0.3, "sigma_8": 0.8}


def test_fisher_text_output_names_the_sigmas(tmp_path, capsys):
    config = tmp_path / "run.toml"
    config.write_text(TINY)
    assert main(["fisher", str(config)]) == 0
    text = capsys.readouterr().out
    assert "analytic Fisher limit:" in text and "Cramér–Rao σ: omega_m " in text


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ("", "linear P(k): Eisenstein & Hu (1998) no-wiggle fit (built in), Ω_b = 0.05"),
        ('linear_power = "eh98"\n', "linear P(k): Eisenstein & Hu (1998) with baryon acoustic"),
    ],
)
def test_fisher_states_which_linear_power_spectrum_the_simulator_used(
    tmp_path, capsys, choice, expected
):
    config = tmp_path / "run.toml"
    config.write_text(TINY + choice)
    assert main(["fisher", str(config)]) == 0
    assert expected in capsys.readouterr().out
    assert main(["fisher", str(config), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["simulator"]["linear P(k)"].startswith(expected.removeprefix("linear P(k): "))


def test_the_paper_example_simulates_eh98_with_wiggles():
    config = load_run_config(REPO / "examples" / "paper-lognormal.toml")
    assert config.require("dataset").params.linear_power == "eh98"


def test_fisher_needs_a_simulator(tmp_path, capsys):
    config = tmp_path / "run.toml"
    config.write_text('[dataset]\ntype = "hdf5"\npath = "x.h5"\n')
    assert main(["fisher", str(config)]) == 2
    assert "dataset 'hdf5' is not a simulator with an analytic Fisher limit" in (
        capsys.readouterr().err
    )


def test_simulate_writes_volumes_of_a_box(tmp_path, capsys):
    config = tmp_path / "run.toml"
    config.write_text('[dataset]\ntype = "lognormal"\ngeometry = "box"\nn_pixels = 8\n'
                      "n_cosmologies = 10\nn_simulations = 2\n")  # fmt: skip
    out = tmp_path / "volumes.h5"
    assert main(["--quiet", "simulate", str(config), "--out", str(out)]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("wrote 20 volumes (1×8×8×8) of 10 cosmologies, train/val/test 16/2/2 ")
    assert read_mapset(out).maps.shape == (20, 1, 8, 8, 8)
