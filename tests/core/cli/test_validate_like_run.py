"""`cosmossl validate` runs every check that `cosmossl run` runs before any work, and gives the
same message: the output location, sizes that cannot be allocated, empty splits."""

from __future__ import annotations

import os

import numpy as np
import pytest

from cosmossl.cli import main
from cosmossl.components.meta import MapMeta
from cosmossl.data.hdf5 import write_mapset
from cosmossl.data.mapset import MapSet

SIMULATED = """
name = "sim"
seed = 0
device = "cpu"
run_dir = "{run_dir}"

[dataset]
type = "lognormal"
n_cosmologies = 8
n_simulations = 2
n_pixels = 16

[statistic]
type = "power-spectrum"

[fisher]
enabled = false
"""

TRAINED = """
[encoder]
type = "cnn"
summary_dim = {summary_dim}
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


def both_fail(tmp_path, capsys, text):
    """The one-line error of `validate`, checked to be the one `run` gives, without any work
    (nothing is written next to the run file but what the test made)."""
    path = tmp_path / "run.toml"
    path.write_text(text)
    before = sorted(p.name for p in tmp_path.iterdir())
    messages = []
    for command in ("validate", "run"):
        code = main(["--quiet", command, str(path)])
        err = capsys.readouterr().err
        assert code == 2, err
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
        messages.append(err.strip().removeprefix("cosmossl: error: "))
    assert messages[0] == messages[1]
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    return messages[0]


# ---- the output location -----------------------------------------------------------------


def test_a_run_dir_that_is_a_file(tmp_path, capsys):
    (tmp_path / "taken").write_text("x")
    message = both_fail(tmp_path, capsys, SIMULATED.format(run_dir=tmp_path / "taken"))
    assert message == (
        f"run directory '{tmp_path / 'taken'}' is a file, not a folder: choose another run "
        "directory (--run-dir)"
    )


def test_a_run_dir_that_is_a_foreign_folder(tmp_path, capsys):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("x")
    message = both_fail(tmp_path, capsys, SIMULATED.format(run_dir=tmp_path / "mine"))
    assert message.startswith(
        f"'{tmp_path / 'mine'}' is not empty (thesis.tex) and is not a cosmossl run directory"
    )


def test_a_run_dir_that_is_a_dangling_link_says_where_it_points(tmp_path, capsys):
    (tmp_path / "link").symlink_to(tmp_path / "gone")
    message = both_fail(tmp_path, capsys, SIMULATED.format(run_dir=tmp_path / "link"))
    assert message == (
        f"run directory '{tmp_path / 'link'}' is a symbolic link to '{tmp_path / 'gone'}', "
        "which does not exist: create that folder, remove the link, or choose another run "
        "directory (--run-dir)"
    )


def test_a_run_dir_name_longer_than_the_file_system_allows(tmp_path, capsys):
    long = tmp_path / ("r" * 300)
    message = both_fail(tmp_path, capsys, SIMULATED.format(run_dir=long))
    assert message == (
        f"cannot write '{long}': the name '{'r' * 300}' is longer than the 255 bytes the file "
        "system allows; choose a shorter path"
    )


# ---- sizes that cannot be allocated ----------------------------------------------------------


@pytest.mark.parametrize("summary_dim", [10**6, 10**12, 10**20])
def test_an_encoder_too_large_for_the_machine_is_refused_before_allocating(
    tmp_path, capsys, summary_dim
):
    text = SIMULATED.format(run_dir=tmp_path / "out") + TRAINED.format(summary_dim=summary_dim)
    message = both_fail(tmp_path, capsys, text)
    assert message.startswith(
        f'{tmp_path / "run.toml"}: [encoder] type = "cnn", summary_dim = {summary_dim}, '
        'width = 4, depth = 1, hidden_dim = 4 with [loss] type = "vicreg" is too large'
    ), message
    assert message.endswith("lower the sizes in [encoder] (summary_dim, width, ...)"), message


def test_an_encoder_that_fits_is_valid(tmp_path, capsys):
    path = tmp_path / "run.toml"
    text = SIMULATED.format(run_dir=tmp_path / "out") + TRAINED.format(summary_dim=4)
    path.write_text(text)
    assert main(["validate", str(path)]) == 0, capsys.readouterr().err


# ---- empty splits ------------------------------------------------------------------------


def map_file(path, split):
    n = len(split)
    rng = np.random.default_rng(0)
    mapset = MapSet(
        maps=rng.normal(size=(n, 1, 8, 8)).astype(np.float32),
        params=np.repeat(rng.uniform(0.1, 0.9, size=(n // 2, 2)), 2, axis=0).astype(np.float32),
        param_names=("a", "b"),
        cosmology_id=np.arange(n) // 2,
        simulation_id=np.arange(n),
        split=np.asarray(split, dtype=np.int8),
        meta=MapMeta(shape=(1, 8, 8), box_size=100.0),
        priors={"a": (0.0, 1.0), "b": (0.0, 1.0)},
    )
    return write_mapset(mapset, path)


FILE_RUN = """
name = "file"
seed = 0
device = "cpu"
run_dir = "{run_dir}"

[dataset]
type = "hdf5"
path = "{maps}"

[statistic]
type = "power-spectrum"

[backend]
type = "sbi"
"""


def test_a_map_file_without_test_rows_is_refused_before_any_work(tmp_path, capsys):
    maps = map_file(tmp_path / "maps.h5", [0] * 16 + [1] * 4)
    text = FILE_RUN.format(run_dir=tmp_path / "out", maps=maps) + TRAINED.format(summary_dim=2)
    message = both_fail(tmp_path, capsys, text)
    assert message == (
        f"map set '{maps}' has no test rows (split code 2; it has 16 train and 4 val rows): "
        "the [backend]'s posterior is judged on the test maps; give some cosmologies split "
        "code 2"
    )


def test_a_map_file_without_train_rows_cannot_train(tmp_path, capsys):
    maps = map_file(tmp_path / "maps.h5", [1] * 4 + [2] * 4)
    text = FILE_RUN.format(run_dir=tmp_path / "out", maps=maps) + TRAINED.format(summary_dim=2)
    message = both_fail(tmp_path, capsys, text)
    assert message == (
        f"map set '{maps}' has no train rows (split code 0; it has 4 val and 4 test rows): "
        "the encoder is trained and the [backend] fitted on the train maps; give some "
        "cosmologies split code 0"
    )


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symbolic links")
def test_validate_creates_nothing(tmp_path, capsys):
    path = tmp_path / "run.toml"
    path.write_text(SIMULATED.format(run_dir=tmp_path / "new" / "out"))
    assert main(["validate", str(path)]) == 0, capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.toml"]
