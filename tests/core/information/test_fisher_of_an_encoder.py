"""Fisher information of a trained encoder's summaries (its output, after its standardisation)."""

from __future__ import annotations

import json

import numpy as np
import torch
from support.configs import TINY_RUN as CONFIG

import cosmossl
from cosmossl import train
from cosmossl.cli import main
from cosmossl.config.run_file import load_run_config
from cosmossl.information import fisher
from cosmossl.summaries import encoder_summary, numpy_summarizer
from cosmossl.training import load_encoder


def test_fisher_of_a_trained_encoder(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text(CONFIG.format(run_dir=tmp_path / "run"))
    config = load_run_config(path)
    result = train(config, progress=False)
    spec = config.component("dataset")
    simulator = cosmossl.create("dataset", spec.type, spec.params)
    theta, delta = np.array([0.3, 0.8]), np.array([0.01, 0.02])
    options = {"n_fiducial": 40, "n_derivative": 20, "seed": 5}
    encoder, standardizer, _ = load_encoder(result.checkpoint)
    summarize = numpy_summarizer(encoder_summary(encoder, standardizer, "cpu"), device="cpu")
    matrix = fisher.estimate_fisher(
        *fisher.simulate_summaries(simulator.simulate, summarize, theta, delta, **options)
    ).fisher

    def by_hand(maps: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return encoder(standardizer(torch.from_numpy(maps))).double().numpy()

    expected = fisher.estimate_fisher(
        *fisher.simulate_summaries(simulator.simulate, by_hand, theta, delta, **options)
    ).fisher
    assert matrix.shape == (2, 2)
    np.testing.assert_allclose(matrix, matrix.T, rtol=1e-10)
    assert np.linalg.eigvalsh(matrix).min() > 0
    np.testing.assert_allclose(matrix, expected, rtol=1e-6)


def test_fisher_command_reports_a_trained_encoder(tmp_path, capsys):
    path = tmp_path / "run.toml"
    path.write_text(CONFIG.format(run_dir=tmp_path / "run"))
    assert main(["-q", "train", str(path)]) == 0
    checkpoint = tmp_path / "run" / "train" / "checkpoints" / "best"
    out = tmp_path / "fisher.json"
    code = main(["-q", "fisher", str(path), "--checkpoint", str(checkpoint), "--n-fiducial",
                 "40", "--n-derivative", "20", "--out", str(out)])  # fmt: skip
    assert code == 0
    assert "figure-of-merit fraction" in capsys.readouterr().out
    result = json.loads(out.read_text())
    assert result["encoder"]["fom_fraction"] > 0
    assert np.asarray(result["encoder"]["fisher"]).shape == (2, 2)


def test_fisher_refuses_a_checkpoint_trained_on_other_maps(tmp_path, capsys):
    path = tmp_path / "run.toml"
    path.write_text(CONFIG.format(run_dir=tmp_path / "run"))
    assert main(["-q", "train", str(path)]) == 0
    other = tmp_path / "other.toml"
    other.write_text(path.read_text().replace("n_pixels = 16", "n_pixels = 32"))
    checkpoint = tmp_path / "run" / "train" / "checkpoints" / "best"
    code = main(["-q", "fisher", str(other), "--checkpoint", str(checkpoint)])
    err = capsys.readouterr().err
    assert code == 2
    assert err == (
        f"cosmossl: error: checkpoint '{checkpoint}' holds an encoder trained on maps of 1 "
        "channel of 16×16 pixels (shape [1, 16, 16]), but the maps of the [dataset] of "
        f"'{other}' have 1 channel of 32×32 pixels (shape [1, 32, 32]): give it maps like "
        "those it was trained on, or train an encoder on these\n"
    )
