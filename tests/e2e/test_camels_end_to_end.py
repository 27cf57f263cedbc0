"""examples/camels.toml, the paper's CAMELS setup, run end to end on tiny real-format files."""

from __future__ import annotations

import tomllib

import numpy as np
import pytest
from support.paths import REPO

import cosmossl
from cosmossl.config.run_file import load_run_config, parse_run_config
from cosmossl.job.run import run

EXAMPLE = REPO / "examples" / "camels.toml"
MAPS = "Maps_Mtot_IllustrisTNG_LH_z=0.00.npy"
PARAMS = "params_LH_IllustrisTNG.txt"
N_SIMS, SIZE = 6, 32


def write_camels(folder):
    """6 simulations × 15 Mtot maps of 32² (positive float32) and their 6-column parameter rows."""
    rng = np.random.default_rng(0)
    rows = np.column_stack([
        rng.uniform(0.1, 0.5, N_SIMS), rng.uniform(0.6, 1.0, N_SIMS),
        np.exp(rng.uniform(np.log(0.25), np.log(4.0), (N_SIMS, 2))),
        np.exp(rng.uniform(np.log(0.5), np.log(2.0), (N_SIMS, 2))),
    ])  # fmt: skip
    rows = rows[:, [0, 1, 2, 4, 3, 5]]  # interleaved: A_SN1, A_AGN1, A_SN2, A_AGN2
    # Surface densities whose fluctuations grow with σ_8, so the maps carry the cosmology.
    amplitude = np.repeat(rows[:, 1], 15)[:, None, None]
    maps = 1e10 * np.exp(amplitude * rng.normal(size=(15 * N_SIMS, SIZE, SIZE)))
    np.save(folder / MAPS, maps.astype(np.float32))
    np.savetxt(folder / PARAMS, rows)
    return rows


def tiny_config(folder):
    """The example run file with the paths pointed at ``folder`` and a tiny budget."""
    raw = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    raw["dataset"].update(maps=[str(folder / MAPS)], params=str(folder / PARAMS),
                          split=[0.5, 0.25, 0.25])  # fmt: skip
    raw["device"] = "cpu"
    raw["train"].update(epochs=1, batch_size=2, workers=0, tensorboard=False)
    raw["backend"].update(max_epochs=3, hidden_features=16, num_transforms=1)
    raw["inference"] = {"n_samples": 20, "n_bootstrap": 5, "n_corner": 0, "plots": False}
    return parse_run_config(raw, source="camels-tiny")


def test_example_is_the_papers_camels_setup():
    config = load_run_config(EXAMPLE)
    s = config.settings
    assert config.component("dataset").type == "camels"
    assert config.component("dataset").params.maps[0].endswith(MAPS)
    encoder = config.component("encoder")
    assert (encoder.type, encoder.params.model, encoder.params.summary_dim) == (
        "timm",
        "resnet18",
        128,
    )
    loss = config.component("loss").params
    assert (loss.sim_weight, loss.var_weight, loss.cov_weight) == (25.0, 25.0, 1.0)
    assert (s.pairing.level, s.pairing.views) == ("same-simulation", 10)
    assert (s.train.lr, s.train.schedule, s.train.plateau_factor) == (1e-3, "plateau", 0.3)
    assert (s.train.batch_size, s.train.epochs) == (50, 150)
    assert [a.type for a in config.augmentations] == ["d4"]


def test_camels_maps_stay_memory_mapped(tmp_path):
    write_camels(tmp_path)
    params = tiny_config(tmp_path).component("dataset").params.model_dump()
    mapset = cosmossl.create("dataset", "camels", **params).load(seed=0)
    # The map store reads rows from the memory-mapped file on demand, never the whole array.
    assert all(isinstance(array, np.memmap) for array in mapset.maps.arrays)
    assert mapset.read([16, 3]).shape == (2, 1, SIZE, SIZE)


@pytest.mark.filterwarnings("ignore:Maximum number of epochs")  # tiny budget on purpose
def test_example_runs_end_to_end_on_real_format_files(tmp_path):
    rows = write_camels(tmp_path)
    result = run(tiny_config(tmp_path), run_dir=tmp_path / "run", progress=False)

    assert all(result.ran[stage] for stage in ("data", "train", "compress-encoder",
                                               "infer-encoder"))  # fmt: skip
    s = cosmossl.read_summaries(tmp_path / "run" / "summaries" / "encoder.h5")
    assert s.summaries.shape == (15 * N_SIMS, 128)
    np.testing.assert_allclose(s.params, np.repeat(rows[:, :2], 15, axis=0), rtol=1e-6)
    np.testing.assert_allclose(s.nuisance, np.repeat(rows[:, 2:], 15, axis=0), rtol=1e-6)
    metrics = result.metrics["encoder"]
    assert metrics["n_test"] == int((s.split == 2).sum()) > 0
    assert np.isfinite(metrics["nll"])
    assert result.report is not None and result.report.is_file()
