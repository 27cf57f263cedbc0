"""The stage cache sees everything that can change an output: the data files a dataset reads
and the code of the components a stage runs (plugin versions, edits to local plugin sources)."""

from __future__ import annotations

import importlib
import os
import shutil
import sys
import textwrap

import numpy as np
import pytest
from support.plugins import GOOD_PLUGIN, make_distribution

import cosmossl
from cosmossl._util.digest import file_fingerprint
from cosmossl.config.run_file import parse_run_config
from cosmossl.data import read_summaries
from cosmossl.data.hdf5 import write_mapset
from cosmossl.job.run import run
from cosmossl.plugin.provenance import code_identity, is_local

STATISTIC_PLUGIN = """
    import cosmossl

    FACTOR = {factor}

    class MapMean(cosmossl.Statistic):
        '''The mean of each map, times a factor.'''

        def __call__(self, maps):
            return maps.mean(dim=(-2, -1)) * FACTOR

    @cosmossl.hookimpl
    def register_components(registry):
        registry.add("statistic", "map-mean", MapMean)
"""


def write_npy(folder, seed=0):
    rng = np.random.default_rng(seed)
    np.save(folder / "maps.npy", rng.normal(size=(24, 16, 16)).astype(np.float32))
    np.save(folder / "params.npy", np.repeat(rng.uniform(0.1, 0.9, size=(8, 2)), 3, axis=0))


def files_config(folder, statistic="power-spectrum", **dataset):
    dataset = dataset or {
        "type": "npy",
        "maps": str(folder / "maps.npy"),
        "params": str(folder / "params.npy"),
        "box_size": 100.0,
    }
    raw = {
        "name": "files",
        "seed": 0,
        "device": "cpu",
        "dataset": dataset,
        "statistic": {"type": statistic},
        "fisher": {"enabled": False},
    }
    return parse_run_config(raw, source="files.toml")


def ran(result):
    return sorted(name for name, did in result.ran.items() if did)


def test_replacing_the_npy_files_reruns_the_stages_that_read_them(tmp_path):
    data, out = tmp_path / "data", tmp_path / "run"
    data.mkdir()
    write_npy(data, seed=0)
    first = run(files_config(data), run_dir=out, progress=False)
    assert ran(first) == ["compress-power-spectrum", "data"]
    assert ran(run(files_config(data), run_dir=out, progress=False)) == []
    before = read_summaries(out / "summaries" / "power-spectrum.h5").summaries
    write_npy(data, seed=1)  # same names, same sizes, other maps
    again = run(files_config(data), run_dir=out, progress=False)
    assert ran(again) == ["compress-power-spectrum", "data"]
    after = read_summaries(out / "summaries" / "power-spectrum.h5").summaries
    assert not np.allclose(before, after)


def test_replacing_an_hdf5_map_file_reruns_the_stages_that_read_it(tmp_path):
    simulator = cosmossl.create(
        "dataset", "lognormal", n_cosmologies=6, n_simulations=2, n_pixels=16
    )
    maps = tmp_path / "maps.h5"
    write_mapset(simulator.load(seed=0), maps)
    config = files_config(tmp_path, type="hdf5", path=str(maps))
    run(config, run_dir=tmp_path / "run", progress=False)
    assert ran(run(config, run_dir=tmp_path / "run", progress=False)) == []
    write_mapset(simulator.load(seed=1), maps)
    assert ran(run(config, run_dir=tmp_path / "run", progress=False)) == [
        "compress-power-spectrum",
        "data",
    ]


def test_a_file_fingerprint_sees_content_when_size_and_time_are_kept(tmp_path):
    path = tmp_path / "maps.npy"
    path.write_bytes(b"a" * 100)
    before = file_fingerprint(path)
    stat = path.stat()
    path.write_bytes(b"b" * 100)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # copied over with its time kept
    assert file_fingerprint(path) != before  # small files are digested
    big = dict(file_fingerprint(path, content=False))
    assert "sha256" in big  # under 16 MiB: always
    assert file_fingerprint(tmp_path / "absent.npy")["exists"] is False


@pytest.fixture
def local_plugin(tmp_path, monkeypatch):
    """A plugin module in a folder on sys.path, registered at run time (no distribution)."""
    folder = tmp_path / "plugin_src"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    path = folder / "local_stat.py"

    def install(factor):
        path.write_text(textwrap.dedent(STATISTIC_PLUGIN.format(factor=factor)))
        importlib.invalidate_caches()
        module = (
            importlib.reload(sys.modules["local_stat"])
            if "local_stat" in sys.modules
            else importlib.import_module("local_stat")
        )
        cosmossl.reset_plugins()
        cosmossl.register_plugin(module, "local-stat")

    yield install
    sys.modules.pop("local_stat", None)


def test_an_edited_local_plugin_reruns_the_stages_it_feeds(tmp_path, local_plugin):
    write_npy(tmp_path)
    config = lambda: files_config(tmp_path, "map-mean")  # noqa: E731  (after each registration)
    local_plugin(1.0)
    assert ran(run(config(), run_dir=tmp_path / "run", progress=False)) == [
        "compress-map-mean",
        "data",
    ]
    local_plugin(1.0)  # registered again, unchanged
    assert ran(run(config(), run_dir=tmp_path / "run", progress=False)) == []
    local_plugin(2.0)  # edited: no new version, no --force
    assert ran(run(config(), run_dir=tmp_path / "run", progress=False)) == ["compress-map-mean"]
    summaries = read_summaries(tmp_path / "run" / "summaries" / "map-mean.h5")
    maps = np.load(tmp_path / "maps.npy")
    np.testing.assert_allclose(summaries.summaries[:, 0], 2.0 * maps.mean(axis=(1, 2)), rtol=1e-5)


def test_an_upgraded_installed_plugin_reruns_the_stages_it_feeds(tmp_path, monkeypatch):
    site = tmp_path / "site"
    modules = {"installed_stat": textwrap.dedent(STATISTIC_PLUGIN.format(factor=1.0))}
    make_distribution(site, "stat-dist", "0.1.0", {"stat": "installed_stat"}, modules)
    monkeypatch.syspath_prepend(str(site))
    write_npy(tmp_path)
    cosmossl.reset_plugins()
    assert not is_local("stat-dist")  # installed from an index: its version identifies it
    assert ran(
        run(files_config(tmp_path, "map-mean"), run_dir=tmp_path / "run", progress=False)
    ) == ["compress-map-mean", "data"]
    shutil.rmtree(site / "stat_dist-0.1.0.dist-info")
    make_distribution(site, "stat-dist", "0.1.1", {"stat": "installed_stat"}, {})
    importlib.invalidate_caches()
    cosmossl.reset_plugins()
    assert code_identity("statistic", "map-mean")["version"] == "0.1.1"
    assert ran(
        run(files_config(tmp_path, "map-mean"), run_dir=tmp_path / "run", progress=False)
    ) == ["compress-map-mean"]
    sys.modules.pop("installed_stat", None)


def test_an_editable_install_is_identified_by_its_source(tmp_path, monkeypatch):
    site = tmp_path / "site"
    modules = {"editable_stat": textwrap.dedent(STATISTIC_PLUGIN.format(factor=1.0))}
    make_distribution(site, "edit-dist", "1.0", {"stat": "editable_stat"}, modules)
    (site / "edit_dist-1.0.dist-info" / "direct_url.json").write_text(
        '{"url": "file:///src/edit", "dir_info": {"editable": true}}'
    )
    monkeypatch.syspath_prepend(str(site))
    cosmossl.reset_plugins()
    first = code_identity("statistic", "map-mean")
    assert is_local("edit-dist") and first["version"] == "1.0" and first["source"]
    (site / "editable_stat.py").write_text(textwrap.dedent(STATISTIC_PLUGIN.format(factor=3.0)))
    assert code_identity("statistic", "map-mean")["source"] != first["source"]
    sys.modules.pop("editable_stat", None)


def test_the_training_record_holds_the_code_of_the_components_that_train(tmp_path, monkeypatch):
    """The record enters the training's configuration hash: an edited augmentation makes the
    train stage start over instead of resuming the training made with the old code."""
    folder = tmp_path / "src"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    (folder / "local_aug.py").write_text(textwrap.dedent(GOOD_PLUGIN))
    raw = {
        "dataset": {"type": "lognormal"},
        "augmentations": [{"type": "negate"}],
        "encoder": {"type": "mlp", "summary_dim": 2},
        "loss": {"type": "vicreg"},
    }

    def record():
        cosmossl.reset_plugins()
        cosmossl.register_plugin(importlib.import_module("local_aug"), "local-aug")
        return parse_run_config(raw).training_record()

    before = record()
    names = [(c["kind"], c["name"]) for c in before["code"]]
    assert names == [
        ("augmentation", "negate"),
        ("dataset", "lognormal"),
        ("encoder", "mlp"),
        ("loss", "vicreg"),
    ]
    assert all(c["distribution"] == "cosmossl" and c["version"] for c in before["code"][1:])
    (folder / "local_aug.py").write_text(textwrap.dedent(GOOD_PLUGIN).replace("-maps", "maps"))
    after = record()
    assert after["code"][0]["source"] != before["code"][0]["source"]
    assert after["code"][1:] == before["code"][1:]
    sys.modules.pop("local_aug", None)


# ---- outputs that another command replaced ------------------------------------------------

NPY_TOML = """
name = "files"
seed = 0
device = "cpu"
run_dir = "{run_dir}"

[dataset]
type = "npy"
maps = "{folder}/maps.npy"
params = "{folder}/params.npy"
box_size = 100.0

[statistic]
type = "power-spectrum"

[fisher]
enabled = false
"""


def test_run_sees_summaries_that_another_run_file_compressed_into_its_directory(tmp_path):
    from cosmossl.cli import main

    out = tmp_path / "run"
    for name, seed in (("ours", 0), ("other", 1)):
        (tmp_path / name).mkdir()
        write_npy(tmp_path / name, seed=seed)
        text = NPY_TOML.format(run_dir=out, folder=tmp_path / name)
        (tmp_path / f"{name}.toml").write_text(text)
    assert ran(run(tmp_path / "ours.toml", progress=False)) == ["compress-power-spectrum", "data"]
    summaries = out / "summaries" / "power-spectrum.h5"
    ours = read_summaries(summaries).summaries
    other = ["compress", str(tmp_path / "other.toml"), "--statistic", "power-spectrum"]
    assert main(["--quiet", *other, "--run-dir", str(out)]) == 0
    assert not np.allclose(read_summaries(summaries).summaries, ours)
    assert ran(run(tmp_path / "ours.toml", progress=False)) == ["compress-power-spectrum"]
    np.testing.assert_array_equal(read_summaries(summaries).summaries, ours)


def test_run_after_compressing_with_the_last_checkpoint_compresses_with_the_best_again(tmp_path):
    from support.configs import TINY_RUN

    from cosmossl.cli import main

    config = tmp_path / "tiny.toml"
    backend = '\n[backend]\ntype = "sbi"\nmax_epochs = 3\n\n[inference]\nn_samples = 50\n'
    config.write_text(TINY_RUN.format(run_dir=tmp_path / "run") + backend)
    first = run(config, progress=False)
    summaries = first.run_dir / "summaries" / "encoder.h5"
    best = read_summaries(summaries).summaries
    last = first.run_dir / "train" / "checkpoints" / "last"
    assert main(["--quiet", "compress", str(config), "--checkpoint", str(last)]) == 0
    assert not np.allclose(read_summaries(summaries).summaries, best)
    again = run(config, progress=False)
    assert ran(again) == ["compress-encoder"]  # the same summaries again: the posterior holds
    np.testing.assert_array_equal(read_summaries(summaries).summaries, best)
    assert again.report.is_file()
