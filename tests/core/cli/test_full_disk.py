"""A full disk during any write of a run (a checkpoint, a summaries file, a posterior, the
report) stops the command with one line and exit status 2, and the previous version of what it
was writing stays as it was.

The disk fills up in the library that writes (safetensors, HDF5, matplotlib), which reports it
its own way; the messages used here are the ones measured on a full 64 KiB tmpfs.
"""

from __future__ import annotations

import errno
import shutil
from pathlib import Path

import h5py
import matplotlib.figure
import pytest
import safetensors.torch
from safetensors import SafetensorError
from support.configs import TINY_RUN

from cosmossl.cli import main
from cosmossl.data import read_summaries
from cosmossl.training import load_checkpoint

BACKEND = """
[backend]
type = "sbi"
max_epochs = 3

[inference]
n_samples = 50
"""

FULL = "no space left on the device; free some space, or write elsewhere"


def _safetensors_full(*args, **kwargs):
    raise SafetensorError(
        "Error while serializing: I/O error: No space left on device (os error 28)"
    )


def _hdf5_full(*args, **kwargs):
    raise RuntimeError(
        "Can't decrement id ref count (file write failed: time = Sun Dec  6 22:23:12 2026\n, "
        "filename = 's.h5', file descriptor = 3, errno = 28, error message = 'No space left on "
        "device', buf = 0x5627a5819028, total write size = 2048, bytes this sub-write = 2048, "
        "offset = 65536)"
    )


def _png_full(self, fname, *args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device", str(fname))


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A run directory of a finished tiny run (trained, compressed, inferred, reported)."""
    folder = tmp_path_factory.mktemp("finished")
    config = folder / "tiny.toml"
    config.write_text(TINY_RUN.format(run_dir=folder / "run") + BACKEND)
    assert main(["--quiet", "run", str(config)]) == 0
    return config, folder / "run"


@pytest.fixture
def run(finished, tmp_path):
    """A copy of the finished run, and its run file pointing at the copy."""
    config, original = finished
    shutil.copytree(original, tmp_path / "run")
    copy = tmp_path / "tiny.toml"
    copy.write_text(config.read_text().replace(str(original), str(tmp_path / "run")))
    return copy, tmp_path / "run"


def fails(capsys, *argv):
    code = main(["--quiet", *argv])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    return err.strip().removeprefix("cosmossl: error: ")


def temporaries(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*.tmp"))


def test_a_full_disk_while_saving_a_checkpoint(run, capsys, monkeypatch):
    config, root = run
    last = root / "train" / "checkpoints" / "last"
    step = load_checkpoint(last).state["step"]
    weights = (last / "weights.safetensors").read_bytes()
    monkeypatch.setattr(safetensors.torch, "serialize_file", _safetensors_full)
    message = fails(capsys, "train", str(config), "--resume", "--max-steps", str(step + 2))
    assert message.startswith("cannot write '") and message.endswith(FULL)
    assert load_checkpoint(last).state["step"] == step
    assert (last / "weights.safetensors").read_bytes() == weights
    assert temporaries(root) == []


def test_a_full_disk_while_writing_summaries(run, capsys, monkeypatch):
    config, root = run
    target = root / "summaries" / "encoder.h5"
    before = read_summaries(target).summaries
    monkeypatch.setattr(h5py.Group, "create_dataset", _hdf5_full)
    assert fails(capsys, "compress", str(config)) == f"cannot write '{target}': {FULL}"
    assert (read_summaries(target).summaries == before).all()
    assert temporaries(root) == []


def test_a_full_disk_while_saving_a_posterior(run, capsys, monkeypatch):
    config, root = run
    posterior = root / "inference" / "encoder" / "posterior"
    saved = {p.name: p.read_bytes() for p in posterior.iterdir()}
    monkeypatch.setattr(safetensors.torch, "serialize_file", _safetensors_full)
    message = fails(capsys, "infer", str(config))
    assert message == f"cannot write '{posterior / 'weights.safetensors'}': {FULL}"
    assert {p.name: p.read_bytes() for p in posterior.iterdir()} == saved
    assert temporaries(root) == []


def test_a_full_disk_after_the_posterior_weights_keeps_the_previous_pair(run, capsys, monkeypatch):
    config, root = run
    posterior = root / "inference" / "encoder" / "posterior"
    saved = {p.name: p.read_bytes() for p in posterior.iterdir()}
    real_write_text = Path.write_text

    def full(path, *args, **kwargs):  # the weights are written; the description is not
        if "posterior.json" in path.name:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real_write_text(path, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", full)
    assert fails(capsys, "infer", str(config)) == (
        f"cannot write '{posterior / 'posterior.json'}': {FULL}"
    )
    assert {p.name: p.read_bytes() for p in posterior.iterdir()} == saved
    assert temporaries(root) == []


def test_a_full_disk_while_writing_the_report(run, capsys, monkeypatch):
    config, root = run
    report = (root / "report.md").read_text()
    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", _png_full)
    message = fails(capsys, "run", str(config))
    assert message.startswith(f"cannot write '{root}") and message.endswith(FULL)
    assert (root / "report.md").read_text() == report
    assert temporaries(root) == []
