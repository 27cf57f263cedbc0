"""Robustness as a stage of run and compare: contaminated test maps, survey posteriors, reports."""

from __future__ import annotations

import importlib
import json
import sys
import textwrap

import numpy as np
import pytest

import cosmossl
from cosmossl import DataError
from cosmossl.config.run_file import parse_run_config
from cosmossl.errors import OutputError
from cosmossl.job.compare import compare
from cosmossl.job.robustness import contaminate
from cosmossl.job.run import run
from cosmossl.job.run_dir import RunDirectory

pytestmark = pytest.mark.slow

NOISE = {"augmentation": {"type": "gaussian-noise", "sigma_min": 0.3, "sigma_max": 0.3}}
AGN = {"name": "AGN x4", "dataset": {"feedback_shift": {"A_AGN1": 2.0}}}
BASE = {
    "name": "robust",
    "seed": 2,
    "device": "cpu",
    "dataset": {"type": "lognormal", "geometry": "slab", "feedback": True, "n_pixels": 16,
                "n_cosmologies": 40, "n_simulations": 2, "maps_per_simulation": 2,
                "paired_draws": 2, "split": [0.6, 0.2, 0.2]},
    "statistic": {"type": "power-spectrum"},
    "backend": {"type": "lampe", "max_epochs": 5, "transforms": 1, "hidden": [16]},
    "inference": {"n_samples": 100, "n_bootstrap": 5, "n_corner": 0, "plots": False},
    "fisher": {"enabled": False},
    "robustness": {"contaminations": [NOISE, AGN]},
}  # fmt: skip
ENCODER = {
    "pairing": {"level": "paired"},
    "encoder": {"type": "cnn", "summary_dim": 4, "depth": 2, "width": 4, "hidden_dim": 16},
    "loss": {"type": "vicreg", "sim_weight": 5.0, "var_weight": 5.0},
    "train": {"epochs": 1, "batch_size": 8, "lr": 1e-3, "tensorboard": False},
}


def simulated():
    params = {k: v for k, v in BASE["dataset"].items() if k != "type"}
    return cosmossl.create("dataset", "lognormal", **params).load(seed=BASE["seed"])


def config(**changes):
    return parse_run_config({**BASE, **changes}, source="robust.toml")


def test_every_summary_is_judged_on_every_contamination_and_reported(tmp_path):
    result = run(config(**ENCODER), run_dir=tmp_path, progress=False)
    assert {"contaminate-00-gaussian-noise", "contaminate-01-AGN-x4", "robustness-encoder",
            "robustness-power-spectrum"} <= set(result.ran)  # fmt: skip
    for label in ("encoder", "power-spectrum"):
        robustness = result.robustness[label]
        assert set(robustness["contaminations"]) == {"gaussian-noise", "AGN x4"}
        assert robustness["survey_size"] == 1 and robustness["n_surveys"] == 8 * 8
    # The power spectrum reads white noise as small-scale power: a bias it cannot avoid.
    noise = result.robustness["power-spectrum"]["contaminations"]["gaussian-noise"]["params"]
    assert max(abs(p["shift_sigma"]) / p["shift_sigma_se"] for p in noise.values()) > 3
    text = (tmp_path / "report.md").read_text()
    assert "## Robustness of the encoder summaries" in text
    assert "## Robustness of the power-spectrum summaries" in text
    assert "| AGN x4 |" in text and "| gaussian-noise |" in text
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["robustness"]["power-spectrum"]["contaminations"]["AGN x4"]["fom_kept"] > 0


def test_the_clean_posterior_is_reused_at_the_inference_survey_size(tmp_path):
    result = run(config(), run_dir=tmp_path, progress=False)
    clean = result.robustness["power-spectrum"]["clean"]
    assert clean["nll"] == pytest.approx(result.metrics["power-spectrum"]["nll"])
    assert not (tmp_path / "robustness" / "power-spectrum" / "posterior").exists()


def test_the_robustness_stages_own_their_outputs(tmp_path):
    run(config(robustness={"contaminations": [NOISE]}), run_dir=tmp_path, progress=False)
    directory = RunDirectory(tmp_path)
    assert directory.owns("robustness/power-spectrum/metrics.json")
    assert directory.owns("robustness/power-spectrum/posterior")
    assert directory.owns("data/contaminated/00-gaussian-noise.h5")


def test_a_robustness_folder_that_cosmossl_did_not_write_is_refused(tmp_path):
    run(config(robustness={}), run_dir=tmp_path, progress=False)  # no robustness yet
    notes = tmp_path / "robustness" / "power-spectrum" / "notes.txt"
    notes.parent.mkdir(parents=True)
    notes.write_text("mine")
    with pytest.raises(OutputError, match=r"robustness/power-spectrum' exists but was not "
                       "written by cosmossl"):  # fmt: skip
        run(config(robustness={"contaminations": [NOISE]}), run_dir=tmp_path, progress=False)
    assert notes.read_text() == "mine"


LOCAL_NOISE = """
    import torch
    import cosmossl

    SIGMA = {sigma}

    class LocalNoise(cosmossl.Augmentation):
        '''White noise of a fixed standard deviation.'''
        role = "systematic"

        def __call__(self, maps, generator):
            noise = torch.randn(maps.shape, generator=generator, dtype=maps.dtype)
            return maps + SIGMA * noise.to(maps.device)

    @cosmossl.hookimpl
    def register_components(registry):
        registry.add("augmentation", "local-noise", LocalNoise)
"""


def test_an_edited_contaminating_augmentation_reruns_its_stages(tmp_path, monkeypatch):
    """The code of the contamination is part of the stage key: editing a local plugin (no new
    version, the run file unchanged) makes its contaminated maps and every robustness stage
    that reads them run again, and nothing else."""
    folder = tmp_path / "src"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))

    def install(sigma):
        (folder / "local_noise.py").write_text(textwrap.dedent(LOCAL_NOISE.format(sigma=sigma)))
        importlib.invalidate_caches()
        module = sys.modules.get("local_noise")
        module = importlib.reload(module) if module else importlib.import_module("local_noise")
        cosmossl.reset_plugins()
        cosmossl.register_plugin(module, "local-noise")
        return config(robustness={"contaminations": [{"augmentation": {"type": "local-noise"}}]})

    def ran(result):
        return sorted(name for name, did in result.ran.items() if did)

    try:
        run(install(0.3), run_dir=tmp_path / "run", progress=False)
        assert ran(run(install(0.3), run_dir=tmp_path / "run", progress=False)) == []
        again = run(install(0.6), run_dir=tmp_path / "run", progress=False)
    finally:
        sys.modules.pop("local_noise", None)
    assert ran(again) == ["contaminate-00-local-noise", "robustness-power-spectrum"]


def test_surveys_get_their_own_posterior_and_tighter_constraints(tmp_path):
    robustness = {"contaminations": [AGN], "survey_size": 4}
    result = run(config(robustness=robustness), run_dir=tmp_path, progress=False)
    entry = result.robustness["power-spectrum"]
    # 8 test cosmologies of 4 seeds (× 2 paired twins): one survey of 4 distinct seeds each.
    assert entry["survey_size"] == 4 and entry["n_surveys"] == 8
    assert (tmp_path / "robustness" / "power-spectrum" / "posterior").is_dir()
    assert entry["clean"]["log_fom_mean"] > result.metrics["power-spectrum"]["log_fom_mean"]
    assert "test surveys of 4 maps" in (tmp_path / "report.md").read_text()


def test_unchanged_contaminations_are_cached_and_a_changed_one_reruns(tmp_path):
    run(config(), run_dir=tmp_path, progress=False)
    again = run(config(), run_dir=tmp_path, progress=False)
    assert not any(again.ran.values())
    stronger = {**NOISE, "augmentation": {**NOISE["augmentation"], "sigma_max": 0.5}}
    changed = run(config(robustness={"contaminations": [stronger, AGN]}), run_dir=tmp_path,
                  progress=False)  # fmt: skip
    assert changed.ran["contaminate-00-gaussian-noise"] and changed.ran["robustness-power-spectrum"]
    assert not changed.ran["contaminate-01-AGN-x4"] and not changed.ran["infer-power-spectrum"]


def test_compare_shows_a_robustness_table(tmp_path):
    cfg = config(**ENCODER, compare={"losses": ["vicreg"], "baselines": ["power-spectrum"],
                                     "seeds": [0]})  # fmt: skip
    result = compare(cfg, out_dir=tmp_path, progress=False)
    for row in result.table:
        assert "robust:gaussian-noise:bias_omega_m" in row
        assert "robust:AGN x4:fom_kept" in row
    text = (tmp_path / "compare.md").read_text()
    assert "## Robustness" in text and "| vicreg | AGN x4 |" in text
    assert "| power-spectrum | gaussian-noise |" in text


def test_contaminations_touch_only_the_test_maps_and_are_reproducible():
    cfg = config()
    mapset = simulated()
    noisy = contaminate(cfg, mapset, 0)
    test = mapset.indices("test")
    assert len(noisy) == len(test) and (noisy.split == 2).all()
    np.testing.assert_array_equal(noisy.params, mapset.params[test])
    residual = np.asarray(noisy.maps) - mapset.read(test)
    assert residual.std() == pytest.approx(0.3, rel=0.05)
    np.testing.assert_array_equal(noisy.maps, contaminate(cfg, mapset, 0).maps)
    shifted = contaminate(cfg, mapset, 1)
    np.testing.assert_allclose(shifted.nuisance[:, 1], 4 * mapset.nuisance[test, 1], rtol=1e-5)
    np.testing.assert_array_equal(shifted.seed_id, mapset.seed_id[test])


def test_robustness_without_a_backend_is_a_clear_error(tmp_path):
    raw = {k: v for k, v in BASE.items() if k != "backend"}
    with pytest.raises(cosmossl.ConfigError, match=r"\[robustness\] needs a \[backend\] table"):
        run(parse_run_config(raw, source="robust.toml"), run_dir=tmp_path, progress=False)


def test_a_dataset_contamination_that_changes_the_rows_is_refused():
    cfg = config(robustness={"contaminations": [{"dataset": {"n_cosmologies": 41}}]})
    mapset = simulated()
    with pytest.raises(DataError, match=r"does not line up with the run's \(328 maps vs 320"):
        contaminate(cfg, mapset, 0)


CLI_RUN = """
name = "cli"
seed = 2
device = "cpu"
run_dir = "{run_dir}"
[dataset]
type = "lognormal"
n_cosmologies = 40
n_simulations = 4
n_pixels = 16
split = [0.6, 0.2, 0.2]
[statistic]
type = "power-spectrum"
[backend]
type = "lampe"
max_epochs = 5
transforms = 1
hidden = [16]
[inference]
n_samples = 50
n_bootstrap = 5
plots = false
[fisher]
enabled = false
[compare]
losses = []
baselines = ["power-spectrum"]
seeds = [0]
[[robustness.contaminations]]
augmentation = {{type = "gaussian-noise", sigma_min = 0.3, sigma_max = 0.3}}
"""


def test_run_and_compare_print_the_robustness_of_each_summary(tmp_path, cli):
    path = tmp_path / "run.toml"
    path.write_text(CLI_RUN.format(run_dir=tmp_path / "run"), encoding="utf-8")
    result = cli("--quiet", "run", str(path))
    assert result.returncode == 0, result.stderr
    assert "power-spectrum under gaussian-noise: bias omega_m " in result.stdout
    assert "FoM kept" in result.stdout
    result = cli("--quiet", "compare", str(path), "--out", str(tmp_path / "compare"))
    assert result.returncode == 0, result.stderr
    assert "power-spectrum under gaussian-noise: bias shift omega_m " in result.stdout
