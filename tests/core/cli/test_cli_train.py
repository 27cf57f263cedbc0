"""`cosmossl train` and `cosmossl compress` on the built-in simulator, encoder and loss."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from support.configs import TINY_RUN as CONFIG

import cosmossl
from cosmossl.cli import main
from cosmossl.data.summaries import read_summaries
from cosmossl.training import load_checkpoint


def _config(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text(CONFIG.format(run_dir=tmp_path / "run"))
    return str(path)


def test_train_resume_and_compress_from_the_command_line(tmp_path, capsys):
    config = _config(tmp_path)
    assert main(["-q", "train", config, "--run-dir", str(tmp_path / "full")]) == 0
    assert main(["-q", "train", config, "--max-steps", "3"]) == 0
    assert "interrupted (resume with --resume)" in capsys.readouterr().out
    assert main(["-q", "train", config, "--resume"]) == 0
    full = load_checkpoint(tmp_path / "full" / "train" / "checkpoints" / "last")
    resumed = load_checkpoint(tmp_path / "run" / "train" / "checkpoints" / "last")
    assert resumed.state["step"] == full.state["step"] == 4
    for key, value in full.tensors.items():
        assert torch.equal(resumed.tensors[key], value), key

    assert main(["-q", "compress", config]) == 0
    summaries = read_summaries(tmp_path / "run" / "summaries" / "encoder.h5")
    assert summaries.summaries.shape == (32, 4)  # the encoder's D, not VICReg's expander width
    assert summaries.provenance["encoder"]["type"] == "cnn"
    builtin = {"plugin": "cosmossl", "distribution": "cosmossl", "version": cosmossl.__version__}
    assert summaries.provenance["encoder"]["provider"] == builtin
    assert summaries.provenance["loss"]["type"] == "vicreg"
    assert summaries.provenance["loss"]["provider"] == builtin
    assert summaries.provenance["augmentations"] == [
        {"type": "d4", "params": {}, "provider": builtin}
    ]
    assert np.isfinite(summaries.summaries).all()

    assert main(["-q", "compress", config, "--statistic", "power-spectrum"]) == 0
    spectra = read_summaries(tmp_path / "run" / "summaries" / "power-spectrum.h5")
    assert spectra.provenance["statistic"] == "power-spectrum"
    assert spectra.provenance["provider"] == builtin
    assert len(spectra) == 32


def test_training_twice_into_one_run_dir_is_a_user_error(tmp_path, capsys):
    config = _config(tmp_path)
    assert main(["-q", "train", config, "--max-steps", "1"]) == 0
    assert main(["-q", "train", config]) == 2
    err = capsys.readouterr().err
    assert "already holds a training run (checkpoints/last): pass --resume" in err


def test_compress_without_a_checkpoint_is_a_user_error(tmp_path, capsys):
    assert main(["-q", "compress", _config(tmp_path)]) == 2
    assert "is not a cosmossl checkpoint" in capsys.readouterr().err


def test_run_prints_each_summary_s_fisher_fraction_with_its_interval(tmp_path, capsys):
    import re

    path = tmp_path / "run.toml"
    path.write_text(
        CONFIG.format(run_dir=tmp_path / "run")
        + '\n[backend]\ntype = "lampe"\nmax_epochs = 2\n'
        + "[inference]\nn_samples = 20\nplots = false\nn_corner = 0\n"
        + "[fisher]\nn_fiducial = 40\nn_derivative = 10\n"
    )
    assert main(["-q", "run", str(path)]) == 0
    out = capsys.readouterr().out
    line = r"encoder: figure-of-merit fraction \d+\.\d{3} of the limit \(68% interval "
    assert re.search(line + r"\d+\.\d{3}–\d+\.\d{3}\)", out), out


def test_compress_refuses_maps_unlike_those_the_checkpoint_was_trained_on(tmp_path, capsys):
    config = _config(tmp_path)
    assert main(["-q", "train", config]) == 0
    assert main(["-q", "compress", config]) == 0
    summaries = tmp_path / "run" / "summaries" / "encoder.h5"
    before = summaries.read_bytes()
    other = tmp_path / "other.toml"  # 32² maps instead of 16²
    other.write_text(Path(config).read_text().replace("n_pixels = 16", "n_pixels = 32"))
    best = tmp_path / "run" / "train" / "checkpoints" / "best"
    for argv in (["--run-dir", str(tmp_path / "run")], ["--checkpoint", str(best)]):
        assert main(["-q", "compress", str(other), *argv]) == 2
        err = capsys.readouterr().err
        assert err.startswith(
            f"cosmossl: error: checkpoint '{best}' holds an encoder trained on maps of 1 channel "
            "of 16×16 pixels (shape [1, 16, 16]), but the maps of "
        ), err
        assert "have 1 channel of 32×32 pixels (shape [1, 32, 32])" in err
        assert len(err.strip().splitlines()) == 1
    assert summaries.read_bytes() == before
