"""``cosmossl export``: the trained summary as a module that plain PyTorch loads, equal to
``cosmossl compress`` on maps it has never seen, in a process that never imports cosmossl."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from support.observations import copy_run, simulate

import cosmossl
from cosmossl import DataError
from cosmossl.cli import main
from cosmossl.data import read_mapset, read_summaries
from cosmossl.job.export import export

# torch.jit is deprecated in recent PyTorch (a FutureWarning on load) but still loads.
pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore:.*torch.jit:FutureWarning")]

#: Run in a fresh interpreter: load the module with torch alone, summarise, prove no cosmossl.
STANDALONE = textwrap.dedent("""
    import json, sys
    import numpy as np
    import torch
    module = torch.jit.load(sys.argv[1])
    maps = torch.from_numpy(np.load(sys.argv[2]))
    np.save(sys.argv[3], module(maps).detach().numpy())
    ours = sorted(n for n in sys.modules if n.split(".")[0] in ("cosmossl", "cosmossl_plugins"))
    assert "cosmossl" not in sys.modules, ours
    print(json.dumps(ours))
""")


def test_the_exported_module_equals_compress_without_cosmossl(observed_run, tmp_path):
    root = copy_run(observed_run, tmp_path / "run")
    result = export(root)
    maps = np.concatenate([simulate((0.25, 0.7), 3), simulate((0.4, 0.9), 2, 20_000)])
    np.save(tmp_path / "maps.npy", maps)
    done = subprocess.run(
        [sys.executable, "-c", STANDALONE, str(result.module), str(tmp_path / "maps.npy"),
         str(tmp_path / "out.npy")],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == []
    standalone = np.load(tmp_path / "out.npy")
    expected = cosmossl.load_run(root).compress(maps)
    assert standalone.shape == (5, 4)
    assert np.abs(standalone - expected).max() < 1e-6


def test_the_exported_module_gives_the_runs_summaries_of_its_own_maps(observed_run, tmp_path):
    import torch

    result = export(observed_run, out=tmp_path / "export")
    mapset = read_mapset(observed_run / "data/maps.h5")
    rows = mapset.indices("val")[:8]
    module = torch.jit.load(str(result.module))
    stored = read_summaries(observed_run / "summaries/encoder.h5").summaries[rows]
    got = module(torch.from_numpy(mapset.read(rows))).detach().numpy()
    assert np.abs(got - stored).max() < 1e-5  # stored as float32


def test_encoder_json_describes_the_input_and_the_run(observed_run, tmp_path):
    result = export(observed_run, out=tmp_path / "export")
    d = json.loads((tmp_path / "export/encoder.json").read_text())
    assert d == result.description
    assert d["input"]["shape"] == ["batch", 1, 16, 16] and d["input"]["channels"] == 1
    assert d["input"]["content"] == "log1p-overdensity" and d["input"]["box_size_mpc_h"] == 700.0
    assert d["parameter_names"] == ["omega_m", "sigma_8"] and d["summary_dim"] == 4
    assert d["symmetrize"] == "d4" and d["output_standardization"] is None
    assert d["cosmossl_version"] == cosmossl.__version__ and len(d["run_digest"]) == 64
    assert d["verified_max_difference"] < 1e-6


def test_onnx_export_matches_the_summary(observed_run, tmp_path):
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnxscript")
    result = export(observed_run, out=tmp_path / "onnx", fmt="onnx")
    maps = simulate((0.3, 0.8), 3)
    session = ort.InferenceSession(str(result.module), providers=["CPUExecutionProvider"])
    got = session.run(None, {"maps": maps})[0]
    expected = cosmossl.load_run(observed_run).compress(maps)
    assert np.abs(got - expected).max() < 1e-4


def test_onnx_without_the_extra_says_how_to_install_it(observed_run, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxscript", None)
    with pytest.raises(DataError) as error:
        export(observed_run, out=tmp_path / "onnx", fmt="onnx")
    assert str(error.value) == (
        "ONNX export needs the onnx extra (onnxscript is not installed): pip install "
        "'cosmossl[onnx]' (or pip install onnx onnxscript)"
    )
    assert not (tmp_path / "onnx").exists()


def test_export_cli_writes_into_the_run_directory(observed_run, tmp_path, capsys):
    root = copy_run(observed_run, tmp_path / "run")
    assert main(["-q", "export", str(root)]) == 0
    assert f"wrote {root / 'export/summary.pt'}" in capsys.readouterr().out
    assert (root / "export/encoder.json").is_file()
