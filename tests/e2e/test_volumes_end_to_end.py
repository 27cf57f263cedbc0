"""3D volumes end to end: `run`, `posterior`, `export`, `compare` and `fisher` on tiny 8³ boxes of
the built-in simulator, and the 3D example run file (its own settings, shrunk)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from support.paths import REPO

import cosmossl
from cosmossl.cli import main
from cosmossl.config.run_file import load_run_config, parse_run_config
from cosmossl.data import read_mapset, read_summaries
from cosmossl.job.compare import compare
from cosmossl.job.run import run

pytestmark = pytest.mark.slow

TINY = {
    "name": "tiny-3d",
    "seed": 1,
    "device": "cpu",
    "dataset": {"type": "lognormal", "geometry": "box", "n_pixels": 8, "box_size": 200.0,
                "n_cosmologies": 40, "n_simulations": 2},
    "augmentations": [{"type": "cube"}, {"type": "roll"}],
    "encoder": {"type": "cnn", "summary_dim": 4, "width": 2, "depth": 2, "hidden_dim": 8,
                "pool_every": 1, "symmetrize": "cube-rotations"},
    "loss": {"type": "vicreg"},
    "train": {"epochs": 2, "batch_size": 8, "tensorboard": False},
    "statistic": {"type": "power-spectrum"},
    "backend": {"type": "lampe", "max_epochs": 5, "transforms": 1, "hidden": [16]},
    "inference": {"n_samples": 50, "n_bootstrap": 5, "n_corner": 1},
    "fisher": {"n_fiducial": 40, "n_derivative": 10},
}  # fmt: skip


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """The tiny 3D run, made once for the tests that read it: (run directory, result)."""
    root = tmp_path_factory.mktemp("tiny-3d")
    return root, run(parse_run_config(TINY, source="tiny.toml"), run_dir=root, progress=False)


def test_run_on_volumes_writes_every_stage_and_shows_a_slice(tiny_run):
    tmp_path, result = tiny_run
    assert all(result.ran.values()) and set(result.metrics) == {"encoder", "power-spectrum"}
    assert result.fisher["simulator"]["field"] == (
        "lognormal-paper, 8×8×8 voxels, 3D periodic box of 200 Mpc/h, P_lin"
    )
    assert 0 < result.fisher["summaries"]["power-spectrum"]["fom_fraction"] < 1.5
    text = (tmp_path / "report.md").read_text()
    assert "## The maps" in text
    assert "The central slice (voxel plane 4 of the first axis) of 3 test volumes of 8×8×8" in text
    assert (tmp_path / "maps.png").read_bytes()[:4] == b"\x89PNG"


def test_the_posterior_of_an_observed_volume(tiny_run, tmp_path, capsys):
    root, _ = tiny_run
    params = {k: v for k, v in TINY["dataset"].items() if k != "type"}
    dataset = cosmossl.create("dataset", "lognormal", params)
    np.save(tmp_path / "obs.npy", dataset.simulate((0.3, 0.8), [123])[0, 0])  # one [8, 8, 8] volume
    out = tmp_path / "posterior"
    assert main(["-q", "posterior", str(root), str(tmp_path / "obs.npy"), "--samples", "500",
                 "--out", str(out)]) == 0  # fmt: skip
    entry = json.loads((out / "posterior.json").read_text())["summaries"]["encoder"]
    posterior = entry["observations"][str(tmp_path / "obs.npy")]
    assert posterior["omega_m"]["interval_95"][0] < posterior["omega_m"]["mean"]
    assert posterior["omega_m"]["mean"] < posterior["omega_m"]["interval_95"][1]
    assert "68% interval" in capsys.readouterr().out


def test_the_exported_summary_of_volumes_equals_the_runs(tiny_run, tmp_path):
    root, _ = tiny_run
    result = cosmossl.export(root, out=tmp_path / "export")
    assert json.loads((tmp_path / "export/encoder.json").read_text())["input"]["shape"] == [
        "batch",
        1,
        8,
        8,
        8,
    ]
    mapset = read_mapset(root / "data/maps.h5")
    rows = mapset.indices("test")[:4]
    stored = read_summaries(root / "summaries/encoder.h5").summaries[rows]
    got = torch.jit.load(str(result.module))(torch.from_numpy(mapset.read(rows))).detach()
    assert np.abs(got.numpy() - stored).max() < 1e-5  # stored as float32


def test_compare_on_volumes(tmp_path):
    raw = {**TINY, "compare": {"losses": ["vicreg"], "baselines": ["power-spectrum"],
                               "seeds": [0]}}  # fmt: skip
    result = compare(parse_run_config(raw, source="tiny.toml"), out_dir=tmp_path, progress=False)
    assert [row["entry"] for row in result.table] == ["vicreg", "power-spectrum"]
    assert all("fom_fraction" in row for row in result.table)


def test_fisher_command_on_volumes(tmp_path, capsys):
    path = tmp_path / "run.toml"
    path.write_text(
        '[dataset]\ntype = "lognormal"\ngeometry = "box"\nn_pixels = 8\nbox_size = 200.0\n'
        "[fisher]\nn_fiducial = 60\nn_derivative = 20\n"
    )
    assert main(["fisher", str(path), "--statistic", "power-spectrum", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["simulator"]["field"].startswith("lognormal-paper, 8×8×8 voxels")
    assert printed["statistic"]["name"] == "power-spectrum"
    assert 0 < printed["statistic"]["fom_fraction"] < 1.5


def test_the_3d_example_is_a_non_gaussian_box_of_at_least_32_voxels():
    config = load_run_config(REPO / "examples" / "lognormal-3d.toml")
    data = config.require("dataset").params
    assert (data.geometry, data.transform) == ("box", "auto")
    assert data.n_pixels >= 32 and data.box_size <= 1000.0
    assert config.augmentations[0].type == "cube"
    assert config.require("encoder").type == "cnn"
    assert config.require("statistic").type == "power-spectrum"


def test_the_3d_example_runs_end_to_end_shrunk(tmp_path):
    table = load_run_config(REPO / "examples" / "lognormal-3d.toml").to_table()
    table["dataset"].update(n_pixels=8, n_cosmologies=40, n_simulations=2)
    table["train"].update(epochs=1, batch_size=8, steps_per_epoch=None)
    table["fisher"].update(n_fiducial=40, n_derivative=10)
    table["inference"].update(n_samples=50, n_bootstrap=5, n_corner=1)
    table["backend"].update(max_epochs=3)
    result = run(parse_run_config(table, source="lognormal-3d.toml [shrunk]"), run_dir=tmp_path,
                 progress=False)  # fmt: skip
    assert all(result.ran.values()) and "encoder" in result.fisher["summaries"]
