"""Every user-caused failure is one line on stderr and exit status 2, never a traceback (unless
--debug); outputs are checked before any work and never overwrite what cosmossl did not write."""

from __future__ import annotations

import os
from collections import namedtuple

import numpy as np
import pytest
from support.run_dirs import held_by_another_process

from cosmossl._util import files
from cosmossl.cli import main

NPY_RUN = """
name = "files"
seed = 0
device = "cpu"
run_dir = "{run_dir}"

[dataset]
type = "npy"
maps = "{folder}/maps.npy"
params = "{folder}/params.npy"
box_size = 100.0
{dataset_extra}

[statistic]
type = "power-spectrum"

[encoder]
type = "cnn"
summary_dim = 2
width = 4
depth = 1
hidden_dim = 4

[loss]
type = "vicreg"

[train]
epochs = 1
batch_size = 2
tensorboard = false
"""

SIMULATOR_RUN = """
name = "sim"
seed = 0
run_dir = "{run_dir}"
[dataset]
type = "lognormal"
n_cosmologies = 6
n_simulations = 2
n_pixels = 16
[statistic]
type = "power-spectrum"
"""

COMPARE_TABLES = """
[encoder]
type = "cnn"
summary_dim = 2
[backend]
type = "sbi"
[compare]
losses = ["vicreg"]
baselines = ["power-spectrum"]
"""


def npy_data(folder, nan_map=None):
    rng = np.random.default_rng(0)
    maps = rng.normal(size=(24, 16, 16)).astype(np.float32)
    if nan_map is not None:
        maps[nan_map, 3, 4] = np.nan
    np.save(folder / "maps.npy", maps)
    np.save(folder / "params.npy", np.repeat(rng.uniform(0.1, 0.9, size=(8, 2)), 3, axis=0))


def run_file(tmp_path, template=NPY_RUN, run_dir=None, dataset_extra="", name="run.toml"):
    path = tmp_path / name
    run_dir = run_dir or tmp_path / "out"
    path.write_text(template.format(folder=tmp_path, run_dir=run_dir, dataset_extra=dataset_extra))
    return path


def fails(capsys, *argv):
    """Run the CLI in this process; the one-line error (exit status 2 is asserted)."""
    code = main(["--quiet", *argv])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert lines[-1].startswith("cosmossl: error: ")
    return lines[-1].removeprefix("cosmossl: error: ")


# ---- bad run files and command-line numbers ---------------------------------------------------


@pytest.mark.parametrize(
    "content", [b"\xff\xfe\x00seed = 1", b"\x89PNG\r\n\x1a\n\x00\x00"], ids=["latin", "binary"]
)
def test_a_run_file_that_is_not_utf8_text(tmp_path, capsys, content):
    path = tmp_path / "run.toml"
    path.write_bytes(content)
    message = fails(capsys, "validate", str(path))
    assert message.startswith(f"{path}: not a text file in UTF-8 (byte ")
    assert message.endswith("; a run file is TOML text")


def test_a_run_file_that_is_a_folder(tmp_path, capsys):
    assert fails(capsys, "run", str(tmp_path)) == (
        f"run file '{tmp_path}' is a folder; give the path of a TOML file"
    )


def test_a_seed_beyond_64_bits(tmp_path, capsys):
    path = tmp_path / "run.toml"
    path.write_text('seed = 18446744073709551616\n[dataset]\ntype = "lognormal"\n')
    assert fails(capsys, "validate", str(path)) == (
        f"{path}: key 'seed': Input should be less than 18446744073709551616, got "
        "18446744073709551616 (expected 0 <= int < 18446744073709551616, default 0)."
    )


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (
            ["--n-fiducial", "0"],
            "command line: key 'n_fiducial': Input should be greater than or "
            "equal to 10, got 0 (expected int >= 10, default 500).",
        ),
        (
            ["--step", "0"],
            "command line: key 'step': Input should be greater than 0, got 0.0 "
            "(expected 0 < float < 0.5, default 0.005).",
        ),
    ],
)
def test_command_line_numbers_are_validated_like_run_file_numbers(
    tmp_path, capsys, option, message
):
    assert fails(capsys, "fisher", str(run_file(tmp_path, SIMULATOR_RUN)), *option) == message


def test_a_zero_batch_size_is_refused(tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        main(["compress", str(run_file(tmp_path, SIMULATOR_RUN)), "--batch-size", "0"])
    assert info.value.code == 2
    assert "argument --batch-size: must be at least 1, got 0" in capsys.readouterr().err


# ---- bad data files: the same message from validate and run ---------------------------------


def test_a_truncated_npy_file_gets_the_same_message_from_validate_and_run(tmp_path, capsys):
    npy_data(tmp_path)
    maps = tmp_path / "maps.npy"
    maps.write_bytes(maps.read_bytes()[:1000])
    path = run_file(tmp_path)
    expected = f"maps file '{maps}' is truncated (shorter than its header says): write it again"
    assert fails(capsys, "validate", str(path)) == expected
    assert fails(capsys, "run", str(path)) == expected
    assert not (tmp_path / "out" / "train").exists()


def test_a_nan_map_in_the_test_split_stops_the_run_naming_file_map_and_split(tmp_path, capsys):
    npy_data(tmp_path, nan_map=22)
    path = run_file(tmp_path)
    message = fails(capsys, "run", str(path))
    assert message.startswith(f"map set '{tmp_path / 'maps.npy'}': map 22 (")
    assert message.endswith("split) contains NaN or inf values; fix or drop that map")
    assert not (tmp_path / "out" / "summaries" / "power-spectrum.h5").exists()


def test_a_nan_map_in_the_training_split_stops_before_training(tmp_path, capsys):
    npy_data(tmp_path, nan_map=0)
    path = run_file(tmp_path, dataset_extra="split = [1.0, 0.0, 0.0]")
    message = fails(capsys, "run", str(path))
    assert message == (
        f"map set '{tmp_path / 'maps.npy'}': map 0 (train split) contains NaN or inf values; fix "
        "or drop that map"
    )


def test_a_damaged_checkpoint_is_refused_before_compressing(tmp_path, capsys):
    (tmp_path / "ckpt").mkdir()
    (tmp_path / "ckpt" / "state.json").write_text('{"step": 1}')
    (tmp_path / "ckpt" / "weights.safetensors").write_bytes(b"")
    message = fails(
        capsys,
        "compress",
        str(run_file(tmp_path, SIMULATOR_RUN)),
        "--checkpoint",
        str(tmp_path / "ckpt"),
        "--out",
        str(tmp_path / "s.h5"),
    )
    assert message.startswith(f"checkpoint '{tmp_path / 'ckpt'}': '")
    assert "is not a readable safetensors file" in message
    assert not (tmp_path / "s.h5").exists()


# ---- outputs: never someone else's, checked before the work ----------------------------------


def test_run_never_writes_into_a_foreign_folder(tmp_path, capsys):
    foreign = tmp_path / "results"
    (foreign / "train").mkdir(parents=True)
    (foreign / "train" / "paper.tex").write_text("mine")
    path = run_file(tmp_path, SIMULATOR_RUN)
    message = fails(capsys, "run", str(path), "--run-dir", str(foreign))
    assert message.startswith(f"'{foreign}' is not empty (train) and is not a cosmossl run dir")
    assert (foreign / "train" / "paper.tex").read_text() == "mine"
    assert sorted(p.name for p in foreign.iterdir()) == ["train"]


def test_compare_names_its_own_option_when_refusing_a_foreign_folder(tmp_path, capsys):
    foreign = tmp_path / "results"
    foreign.mkdir()
    (foreign / "paper.tex").write_text("mine")
    path = run_file(tmp_path, SIMULATOR_RUN + COMPARE_TABLES)
    message = fails(capsys, "compare", str(path), "--out", str(foreign))
    assert message == (
        f"'{foreign}' is not empty (paper.tex) and is not a cosmossl run directory (it has no "
        ".cosmossl-run marker): cosmossl never writes into a folder it did not make. Choose "
        "another run directory (--out, or run_dir in the run file), or empty this one"
    )
    assert sorted(p.name for p in foreign.iterdir()) == ["paper.tex"]


def test_simulate_never_replaces_a_foreign_file(tmp_path, capsys):
    target = tmp_path / "notes.h5"
    target.write_text("not a map file")
    message = fails(
        capsys, "simulate", str(run_file(tmp_path, SIMULATOR_RUN)), "--out", str(target)
    )
    assert message == (
        f"'{target}' exists and is not a cosmossl map file: cosmossl never overwrites a file it "
        "did not write. Choose another path with --out, or remove that file"
    )
    assert target.read_text() == "not a map file"


def test_simulate_replaces_its_own_map_file(tmp_path, capsys):
    path = run_file(tmp_path, SIMULATOR_RUN)
    target = tmp_path / "maps.h5"
    assert main(["--quiet", "simulate", str(path), "--out", str(target)]) == 0
    assert main(["--quiet", "simulate", str(path), "--out", str(target)]) == 0


def test_compress_and_fisher_never_replace_foreign_files(tmp_path, capsys):
    path = run_file(tmp_path, SIMULATOR_RUN)
    target = tmp_path / "table.h5"
    target.write_text("x")
    message = fails(
        capsys, "compress", str(path), "--statistic", "power-spectrum", "--out", str(target)
    )
    assert message.startswith(f"'{target}' exists and is not a cosmossl summaries file")
    notes = tmp_path / "notes.json"
    notes.write_text('{"mine": 1}')
    message = fails(capsys, "fisher", str(path), "--out", str(notes))
    assert message.startswith(f"'{notes}' exists and is not a cosmossl Fisher file")
    assert target.read_text() == "x" and notes.read_text() == '{"mine": 1}'


def test_infer_never_writes_into_a_foreign_folder(tmp_path, capsys):
    path = tmp_path / "infer.toml"
    path.write_text('[backend]\ntype = "sbi"\n')
    summaries = tmp_path / "s.h5"
    _summaries(summaries)
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "draft.md").write_text("x")
    message = fails(
        capsys, "infer", str(path), "--summaries", str(summaries), "--out", str(tmp_path / "mine")
    )
    assert message == (
        f"'{tmp_path / 'mine'}' is not empty and does not hold a cosmossl inference output: "
        "cosmossl never writes into a folder it did not make. Choose another folder with --out, "
        "or empty it"
    )


def _summaries(path):
    from cosmossl.data import Summaries, write_summaries

    n = 40
    write_summaries(
        path,
        Summaries(
            summaries=np.random.default_rng(0).normal(size=(n, 3)).astype(np.float32),
            params=np.random.default_rng(1).uniform(size=(n, 1)).astype(np.float32),
            param_names=("a",),
            cosmology_id=np.arange(n),
            simulation_id=np.arange(n),
            split=np.array([0] * 30 + [1] * 5 + [2] * 5, np.int8),
            priors={"a": (0.0, 1.0)},
        ),
    )


def test_a_file_where_a_folder_is_expected_and_the_reverse(tmp_path, capsys):
    path = run_file(tmp_path, SIMULATOR_RUN)
    (tmp_path / "a_file").write_text("x")
    assert fails(capsys, "run", str(path), "--run-dir", str(tmp_path / "a_file")) == (
        f"run directory '{tmp_path / 'a_file'}' is a file, not a folder: choose another run "
        "directory (--run-dir)"
    )
    (tmp_path / "a_folder").mkdir()
    assert fails(capsys, "simulate", str(path), "--out", str(tmp_path / "a_folder")) == (
        f"'{tmp_path / 'a_folder'}' is a folder, but a file is expected here (choose another "
        "path with --out)"
    )


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_output_folder_is_refused_before_any_work(tmp_path, capsys):
    path = tmp_path / "infer.toml"
    path.write_text('[backend]\ntype = "sbi"\n')
    _summaries(tmp_path / "s.h5")
    (tmp_path / "ro").mkdir()
    (tmp_path / "ro").chmod(0o555)
    try:
        message = fails(
            capsys,
            "infer",
            str(path),
            "--summaries",
            str(tmp_path / "s.h5"),
            "--out",
            str(tmp_path / "ro" / "inference"),
        )
    finally:
        (tmp_path / "ro").chmod(0o755)
    assert message.startswith(f"cannot write '{tmp_path / 'ro' / 'inference'}': permission denied")


def test_a_full_disk_stops_simulate_with_a_clear_error(tmp_path, capsys, monkeypatch):
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(files.shutil, "disk_usage", lambda path: usage(10**9, 10**9, 1000))
    target = tmp_path / "maps.h5"
    message = fails(
        capsys, "simulate", str(run_file(tmp_path, SIMULATOR_RUN)), "--out", str(target)
    )
    assert message.startswith(f"cannot write '{target}': it needs about ")
    assert message.endswith("free some space, or write elsewhere")
    assert list(tmp_path.iterdir()) == [tmp_path / "run.toml"]


def test_a_second_run_on_a_busy_run_directory_names_the_first(tmp_path, capsys):
    out = tmp_path / "out"
    with held_by_another_process(out) as holder:
        message = fails(capsys, "run", str(run_file(tmp_path, SIMULATOR_RUN, run_dir=out)))
    assert message == (
        f"run directory '{out}' is in use by another cosmossl process (PID {holder.pid}): wait "
        "for it to finish, or choose another run directory (--run-dir)"
    )


# ---- tracebacks: only with --debug, and always for bugs ------------------------------------


def test_debug_shows_the_traceback_of_a_user_error(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COSMOSSL_DEBUG", "")  # restored afterwards: --debug sets it below
    path = tmp_path / "run.toml"
    path.write_text("[dataset]\n")
    assert main(["--debug", "validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "ConfigError" in err
    assert err.strip().splitlines()[-1].startswith("cosmossl: error: ")
    monkeypatch.setenv("COSMOSSL_DEBUG", "1")
    assert main(["validate", str(path)]) == 2
    assert "Traceback (most recent call last)" in capsys.readouterr().err


def test_an_internal_error_keeps_its_traceback(monkeypatch):
    from cosmossl.cli import validate

    def bug(args):
        raise RuntimeError("a bug in cosmossl")

    monkeypatch.setattr(validate, "run", bug)
    with pytest.raises(RuntimeError, match="a bug in cosmossl"):
        main(["validate", "x.toml"])


def test_an_os_error_the_user_can_fix_is_one_line(monkeypatch, capsys):
    from cosmossl.cli import validate

    def full(args):
        raise OSError(28, "No space left on device", "/data/out.h5")

    monkeypatch.setattr(validate, "run", full)
    assert main(["validate", "x.toml"]) == 2
    assert capsys.readouterr().err == (
        "cosmossl: error: cannot use '/data/out.h5': no space left on the device; free some "
        "space, or write elsewhere\n"
    )
