"""The main job: stages, caching, the report; and the head-to-head comparison."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cosmossl import ConfigError
from cosmossl.config.run_file import parse_run_config
from cosmossl.job.compare import compare
from cosmossl.job.run import run

pytestmark = pytest.mark.slow

TINY = {
    "name": "tiny",
    "seed": 1,
    "dataset": {"type": "lognormal", "n_cosmologies": 60, "n_simulations": 2, "n_pixels": 16},
    "augmentations": [{"type": "d4"}],
    "encoder": {"type": "cnn", "summary_dim": 4, "depth": 2, "width": 4, "hidden_dim": 16},
    "loss": {"type": "vicreg", "sim_weight": 5.0, "var_weight": 5.0},
    "train": {"epochs": 2, "batch_size": 16, "lr": 1e-3, "tensorboard": False},
    "statistic": {"type": "power-spectrum"},
    "backend": {"type": "lampe", "max_epochs": 5, "transforms": 1, "hidden": [16]},
    "inference": {"n_samples": 50, "n_bootstrap": 5, "n_corner": 1},
    "fisher": {"n_fiducial": 40, "n_derivative": 10},
}


def config(**changes):
    raw = {**TINY, **changes}
    return parse_run_config(raw, source="tiny.toml")


def test_run_writes_every_stage_and_a_report(tmp_path):
    result = run(config(), run_dir=tmp_path, progress=False)
    assert all(result.ran.values())
    assert set(result.ran) == {
        "data", "train", "compress-encoder", "compress-power-spectrum",
        "infer-encoder", "infer-power-spectrum", "fisher",
    }  # fmt: skip
    assert set(result.metrics) == {"encoder", "power-spectrum"}
    fom = result.fisher["summaries"]["power-spectrum"]["fom_fraction"]
    assert 0 < fom < 1.5
    text = (tmp_path / "report.md").read_text()
    for section in (
        "## Training",
        "## Information against the analytic limit",
        "## Posterior from the encoder summaries",
    ):
        assert section in text
    assert "data:image/png;base64," in (tmp_path / "report.html").read_text()
    # One triangle plot per test map (n_corner = 1), every summary's posterior on it.
    assert "## Posteriors of test maps" in text and "](posteriors_0.png)" in text
    assert (tmp_path / "posteriors_0.png").read_bytes()[:4] == b"\x89PNG"
    assert not (tmp_path / "posteriors_1.png").exists()
    assert "Simulator: linear P(k): Eisenstein & Hu (1998) no-wiggle fit" in text
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["summaries"]["encoder"]["nll"] == result.metrics["encoder"]["nll"]


def test_rerun_skips_unchanged_stages_and_reruns_what_changed(tmp_path):
    run(config(), run_dir=tmp_path, progress=False)
    again = run(config(), run_dir=tmp_path, progress=False)
    assert not any(again.ran.values())
    changed = run(config(train={**TINY["train"], "epochs": 1}), run_dir=tmp_path, progress=False)
    assert changed.ran["data"] is False
    assert changed.ran["compress-power-spectrum"] is False
    assert changed.ran["train"] and changed.ran["compress-encoder"] and changed.ran["fisher"]


def test_run_without_summaries_is_a_clear_error(tmp_path):
    raw = {k: v for k, v in TINY.items() if k not in ("encoder", "statistic")}
    with pytest.raises(ConfigError, match="nothing to summarise"):
        run(parse_run_config(raw, source="tiny.toml"), run_dir=tmp_path, progress=False)


def test_compare_runs_every_entry_on_shared_data(tmp_path):
    cfg = config(
        compare={"losses": ["vicreg", "simclr"], "baselines": ["power-spectrum"], "seeds": [0]}
    )
    result = compare(cfg, out_dir=tmp_path, progress=False)
    assert [row["entry"] for row in result.table] == ["vicreg", "simclr", "power-spectrum"]
    assert all("fom_fraction" in row and "nll" in row for row in result.table)
    assert "train_seconds" in result.table[0] and "train_seconds" not in result.table[2]
    assert (tmp_path / "data" / "seed1" / "data" / "maps.h5").exists()  # the run file's seed
    assert not (tmp_path / "vicreg" / "seed0" / "data" / "maps.h5").exists()
    header = (tmp_path / "compare.csv").read_text().splitlines()[0]
    assert header.startswith("entry,kind,seeds,nll,nll_std,nll_se,")
    assert (tmp_path / "compare.png").exists() and (tmp_path / "compare.html").exists()
    assert "](posteriors_0.png)" in (tmp_path / "compare.md").read_text()
    assert result.first_runs == {name: tmp_path / name / "seed0"
                                 for name in ("vicreg", "simclr", "power-spectrum")}  # fmt: skip


def test_compare_gives_every_seed_one_data_set_and_split_and_pairs_the_entries(tmp_path):
    from cosmossl.data import read_summaries

    cfg = config(compare={"losses": ["vicreg"], "baselines": ["power-spectrum"], "seeds": [0, 2]})
    result = compare(cfg, out_dir=tmp_path, progress=False)
    assert [p.name for p in (tmp_path / "data").iterdir()] == ["seed1"]  # the run file's seed
    files = {(name, seed): read_summaries(tmp_path / name / f"seed{seed}" / "summaries" / f)
             for name, f in (("vicreg", "encoder.h5"), ("power-spectrum", "power-spectrum.h5"))
             for seed in (0, 2)}  # fmt: skip
    first = files["vicreg", 0]
    for s in files.values():
        np.testing.assert_array_equal(s.split, first.split)
        np.testing.assert_array_equal(s.params, first.params)
    # Same data: the statistic is the same at every seed; the training seed moves the encoder.
    np.testing.assert_array_equal(files["power-spectrum", 0].summaries,
                                  files["power-spectrum", 2].summaries)  # fmt: skip
    assert not np.allclose(files["vicreg", 0].summaries, files["vicreg", 2].summaries)
    tests = {row["n_test"] for row in result.rows if "n_test" in row}
    assert len(tests) <= 1
    (pair, _) = result.paired["nll"]
    assert (pair["a"], pair["b"], pair["seeds"]) == ("vicreg", "power-spectrum", 2)
    by = {(r["entry"], r["seed"]): r["nll"] for r in result.rows}
    expected = np.mean([by["vicreg", s] - by["power-spectrum", s] for s in (0, 2)])
    assert pair["mean"] == pytest.approx(expected)
    assert "## Paired differences" in (tmp_path / "compare.md").read_text()


def test_compare_overlays_every_entrys_posterior_on_the_same_test_maps(tmp_path, monkeypatch):
    from cosmossl.inference import plots

    calls = []
    draw = plots.triangle
    monkeypatch.setattr(plots, "triangle", lambda *a, **k: calls.append((a, k)) or draw(*a, **k))
    cfg = config(compare={"losses": ["vicreg"], "baselines": ["power-spectrum"], "seeds": [0]})
    compare(cfg, out_dir=tmp_path, progress=False)
    samples, _, path = calls[-1][0]
    assert path == tmp_path / "posteriors_0.png"
    assert list(samples) == ["vicreg", "power-spectrum"]
    assert set(calls[-1][1]["cramer_rao"]) == {"vicreg", "power-spectrum"}


def test_compare_unknown_entry_suggests_a_name(tmp_path):
    cfg = config(compare={"losses": ["vicrag"], "baselines": [], "seeds": [0]})
    with pytest.raises(
        ConfigError,
        match=r"\[compare\] 'vicrag' is neither a registered loss "
        r"nor a statistic\. Did you mean 'vicreg'\?",
    ):
        compare(cfg, out_dir=tmp_path, progress=False)


def test_force_retrains_from_scratch(tmp_path):
    first = run(config(), run_dir=tmp_path, progress=False)
    log = tmp_path / "train" / "metrics.jsonl"
    log.write_text(log.read_text() + '{"kind": "marker"}\n')
    forced = run(config(), run_dir=tmp_path, progress=False, force=True)
    assert all(forced.ran.values())
    assert "marker" not in log.read_text()  # a fresh training, not a resume of the old one
    assert forced.metrics["encoder"]["nll"] == pytest.approx(first.metrics["encoder"]["nll"])
