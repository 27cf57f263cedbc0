"""``cosmossl infer``: end to end on a small summaries file, and its user errors."""

from __future__ import annotations

import json

from support.paths import REPO

from cosmossl.cli import main
from cosmossl.data.summaries import write_summaries
from cosmossl.inference import LinearGaussian

CONFIG = """
name = "t"
seed = 1
device = "cpu"

[backend]
type = "lampe"
hidden = [16, 16]
transforms = 1
max_epochs = 15

[inference]
n_samples = 100
n_bootstrap = 10
n_corner = 1
"""


def run_cli(*args: str):
    """Run the CLI in this process (torch is already imported here: much faster)."""
    import contextlib
    import io
    import types

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return types.SimpleNamespace(returncode=code, stdout=out.getvalue(), stderr=err.getvalue())


def test_infer_writes_posterior_metrics_and_plots(tmp_path):
    (tmp_path / "run.toml").write_text(CONFIG)
    s = LinearGaussian.make().summaries(400, per_group=2)
    write_summaries(tmp_path / "s.h5", s)
    out = tmp_path / "out"
    proc = run_cli(
        "-q",
        "infer",
        str(tmp_path / "run.toml"),
        "--summaries",
        str(tmp_path / "s.h5"),
        "--out",
        str(out),
    )
    assert proc.returncode == 0, proc.stderr
    assert "lampe posterior" in proc.stdout and "HPD coverage |error|" in proc.stdout
    assert "theta_1" in proc.stdout
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["n_test"] == int((s.split == 2).sum()) == metrics["split"]["test"]
    assert metrics["backend"]["type"] == "lampe" and metrics["n_samples"] == 100
    assert len(metrics["tarp"]["ecp"]) == 101 and "theta_0" in metrics["sbc"]["ks"]
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "corner_0.png",
        "coverage.png",
        "metrics.json",
        "posterior",
        "predicted_vs_true.png",
        "tarp.png",
    ]
    assert (out / "tarp.png").read_bytes()[:4] == b"\x89PNG"


def test_infer_without_backend_table_says_what_to_add(tmp_path):
    (tmp_path / "run.toml").write_text('name = "t"\n')
    proc = run_cli("infer", str(tmp_path / "run.toml"))
    assert proc.returncode == 2
    assert "infer needs a [backend] table" in proc.stderr and "Traceback" not in proc.stderr


def test_infer_with_missing_summaries_file_is_a_user_error(tmp_path):
    (tmp_path / "run.toml").write_text(CONFIG)
    proc = run_cli("infer", str(tmp_path / "run.toml"), "--summaries", str(tmp_path / "no.h5"))
    assert proc.returncode == 2
    assert f"summaries file '{tmp_path / 'no.h5'}' does not exist" in proc.stderr


def test_unknown_inference_key_is_reported(tmp_path):
    (tmp_path / "run.toml").write_text(CONFIG.replace("n_corner", "n_corners"))
    proc = run_cli("infer", str(tmp_path / "run.toml"))
    assert proc.returncode == 2
    assert "[inference] unknown key 'n_corners'. Did you mean 'n_corner'?" in proc.stderr


def test_example_inference_config_runs(tmp_path):

    example = REPO / "examples" / "inference.toml"
    text = example.read_text().replace("hidden_features = 64", "hidden_features = 8")
    text = text.replace("num_transforms = 5", "num_transforms = 1\nmax_epochs = 3")
    text = text.replace("n_samples = 1000", "n_samples = 50\nn_bootstrap = 5")
    (tmp_path / "run.toml").write_text(text)
    write_summaries(tmp_path / "s.h5", LinearGaussian.make().summaries(200))
    proc = run_cli(
        "-q",
        "infer",
        str(tmp_path / "run.toml"),
        "--summaries",
        str(tmp_path / "s.h5"),
        "--out",
        str(tmp_path / "out"),
    )
    assert proc.returncode == 0, proc.stderr
    assert "sbi posterior" in proc.stdout
    assert len(list((tmp_path / "out").glob("corner_*.png"))) == 3
