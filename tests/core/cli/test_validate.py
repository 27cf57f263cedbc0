"""`cosmossl validate` rejects, before any work and with exit status 2, what the command would
reject later: missing tables, bad [compare] entries (pointing at the table the user wrote), a
component that cannot be imported or is not installed."""

from __future__ import annotations

import importlib
import os
import sys
import textwrap

import numpy as np
import pytest
from support.paths import REPO
from support.plugins import make_distribution

import cosmossl
from cosmossl import ConfigError
from cosmossl.cli import main
from cosmossl.config.run_file import load_run_config, parse_run_config
from cosmossl.job.compare import compare
from cosmossl.job.plan import check_config
from cosmossl.job.run import run

BASE = """
name = "cmp"
[dataset]
type = "lognormal"
[[augmentations]]
type = "d4"
[encoder]
type = "cnn"
[backend]
type = "sbi"
"""

#: What each example is for (all others are for `cosmossl run`).
PURPOSE = {
    "inference.toml": "infer",
    "camels-like.toml": "simulate",
    "paper-lognormal.toml": "simulate",
    "compare.toml": "compare",
}


def validate(tmp_path, capsys, text, *extra):
    path = tmp_path / "run.toml"
    path.write_text(text)
    code = main(["validate", str(path), *extra])
    out, err = capsys.readouterr()
    return code, out, err.strip().removeprefix("cosmossl: error: "), path


@pytest.mark.parametrize("path", sorted((REPO / "examples").glob("*.toml")), ids=lambda p: p.name)
def test_every_example_is_valid_for_its_command(path):
    check_config(load_run_config(path), PURPOSE.get(path.name, "run"))


@pytest.mark.parametrize("text", ["", 'name = "no data"\n'], ids=["empty", "no dataset"])
def test_a_file_without_a_dataset_is_refused_as_run_would(tmp_path, capsys, text):
    code, _, err, path = validate(tmp_path, capsys, text)
    assert code == 2
    assert err == (
        f"{path}: `cosmossl run` needs a [dataset] table, but the run file has no [dataset] table;"
        ' add one, e.g. [dataset] type = "lognormal" (checked for `cosmossl run`; --for COMMAND '
        "checks for another)"
    )


def test_a_file_for_another_command_validates_with_for(tmp_path, capsys):
    code, out, _, path = validate(tmp_path, capsys, '[backend]\ntype = "sbi"\n', "--for", "infer")
    assert code == 0 and f"{path}: valid for `cosmossl infer`" in out


def test_nothing_to_summarise_is_refused_before_any_work(tmp_path, capsys):
    code, _, err, path = validate(tmp_path, capsys, '[dataset]\ntype = "lognormal"\n')
    assert code == 2 and err.startswith(f"{path}: nothing to summarise: give [encoder] and [loss]")


@pytest.mark.parametrize(
    ("compare_table", "message"),
    [
        (
            'losses = ["vicrag"]\nbaselines = []',
            "[compare] 'vicrag' is neither a registered loss nor a statistic. Did you mean "
            "'vicreg'?",
        ),
        (
            'losses = ["vicreg"]\nbaselines = ["power-spectrun"]',
            "[compare] 'power-spectrun' is neither a registered loss nor a statistic. Did you mean "
            "'power-spectrum'?",
        ),
        (
            'losses = ["vicreg", "simclr"]\nbaselines = []\n[compare.loss_params.simclr]\n'
            "temprature = 0.2",
            "[compare.loss_params.simclr] unknown key 'temprature'. Did you mean 'temperature'?",
        ),
        (
            'losses = ["vicreg"]\nbaselines = []\n[compare.loss_params.vicreg]\nsim_wieght = 5',
            "[compare.loss_params.vicreg] unknown key 'sim_wieght'. Did you mean 'sim_weight'?",
        ),
        (
            'losses = ["vicreg"]\nbaselines = []\n[compare.loss_params.vicreg]\nsim_weight = -1',
            "[compare.loss_params.vicreg] key 'sim_weight': Input should be greater than or equal "
            "to 0, got -1",
        ),
        (
            'losses = ["vicreg"]\nbaselines = []\n[compare.loss_params.byol]\nema = 0.9',
            "[compare.loss_params.byol] names no compared loss. Compared losses: vicreg.",
        ),
    ],
    ids=["loss", "baseline", "second entry's key", "sim_wieght", "out of range", "not compared"],
)
def test_bad_compare_entries_point_at_the_table_the_user_wrote(
    tmp_path, capsys, compare_table, message
):
    code, _, err, path = validate(tmp_path, capsys, f"{BASE}[compare]\n{compare_table}\n")
    assert code == 2
    assert err.startswith(f"{path}: {message}"), err
    assert "[loss]" not in err


def test_compare_validates_every_entry_before_the_first_one_runs(tmp_path):
    raw = {
        "dataset": {"type": "lognormal"},
        "encoder": {"type": "cnn"},
        "backend": {"type": "sbi"},
        "compare": {
            "losses": ["vicreg", "simclr"],
            "baselines": [],
            "seeds": [0],
            "loss_params": {"simclr": {"temperature": -1.0}},
        },
    }
    with pytest.raises(ConfigError, match=r"\[compare\.loss_params\.simclr\] key 'temperature'"):
        compare(parse_run_config(raw, source="c.toml"), out_dir=tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()


def test_an_unknown_component_says_a_plugin_may_be_missing(tmp_path, capsys):
    code, _, err, path = validate(tmp_path, capsys, '[dataset]\ntype = "quijote"\n')
    assert code == 2
    assert err.startswith(f"{path}: [dataset] type = 'quijote': no dataset named 'quijote'.")
    assert err.endswith(
        "If 'quijote' comes from a plugin, that plugin may not be installed in this environment "
        "(`cosmossl plugins` lists the loaded ones and those that failed)."
    )


def test_a_component_whose_module_fails_to_import_is_refused(tmp_path, cli):
    plugin = """
        import cosmossl

        @cosmossl.hookimpl
        def register_components(registry):
            registry.add("statistic", "broken-stat", "broken_stat_impl:Stat", summary="broken")
    """
    make_distribution(
        tmp_path,
        "bs-dist",
        "0.2",
        {"bs": "bs_plugin"},
        {"bs_plugin": plugin, "broken_stat_impl": "import numpy_typo\n"},
    )
    path = tmp_path / "run.toml"
    path.write_text('[dataset]\ntype = "lognormal"\n[statistic]\ntype = "broken-stat"\n')
    env = {"PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}
    result = cli("validate", str(path), env=env)
    assert result.returncode == 2
    assert result.stderr == (
        "cosmossl: error: statistic 'broken-stat' from plugin 'bs' (bs-dist 0.2) could not be "
        "loaded from 'broken_stat_impl:Stat': ModuleNotFoundError: No module named 'numpy_typo' "
        "(run with --debug (or COSMOSSL_DEBUG=1) for the traceback)\n"
    )


def test_validate_opens_the_files_of_a_file_dataset(tmp_path, capsys):
    text = f'[dataset]\ntype = "hdf5"\npath = "{tmp_path / "absent.h5"}"\n[statistic]\n'
    code, _, err, _ = validate(tmp_path, capsys, text + 'type = "power-spectrum"\n')
    assert code == 2 and err == f"cosmossl map file '{tmp_path / 'absent.h5'}' does not exist"


def test_robustness_without_a_backend_is_refused_before_any_work(tmp_path, capsys):
    text = (
        '[dataset]\ntype = "lognormal"\n[statistic]\ntype = "power-spectrum"\n'
        '[[robustness.contaminations]]\naugmentation = {type = "gaussian-noise"}\n'
    )
    code, _, err, path = validate(tmp_path, capsys, text)
    assert code == 2
    assert err == (
        f"{path}: [robustness] needs a [backend] table, but the run file has no [backend] table; "
        'add one, e.g. [backend] type = "sbi" (checked for `cosmossl run`; --for COMMAND checks '
        "for another)"
    )


def test_validate_opens_the_files_of_a_dataset_contamination(tmp_path, capsys):
    np.save(tmp_path / "maps.npy", np.zeros((6, 8, 8), dtype=np.float32))
    np.save(tmp_path / "params.npy", np.repeat(np.eye(3, 2), 2, axis=0))
    absent = tmp_path / "noisy.npy"
    text = (
        f'[dataset]\ntype = "npy"\nmaps = "{tmp_path / "maps.npy"}"\n'
        f'params = "{tmp_path / "params.npy"}"\n'
        "priors = { theta_0 = [0, 1], theta_1 = [0, 1] }\n"
        '[statistic]\ntype = "power-spectrum"\n[backend]\ntype = "sbi"\n'
        f'[[robustness.contaminations]]\ndataset = {{maps = "{absent}"}}\n'
    )
    code, _, err, _ = validate(tmp_path, capsys, text)
    assert code == 2 and err == f"maps file '{absent}' does not exist"


PICKY_DATASET = """
    import cosmossl
    from cosmossl.components.meta import MapMeta

    class Picky(cosmossl.Dataset):
        '''Refuses an odd size in its own constructor.'''

        class Params(cosmossl.Params):
            size: int = 2

        def __init__(self, params=None):
            super().__init__(params)
            if self.params.size % 2:
                raise ValueError(f"size must be even, got {self.params.size}")

        def load(self, *, seed, progress=False):
            raise NotImplementedError

    @cosmossl.hookimpl
    def register_components(registry):
        registry.add("dataset", "picky", Picky)
"""


def test_a_dataset_contaminations_own_check_names_its_table_before_any_work(
    tmp_path, capsys, monkeypatch
):
    (tmp_path / "picky_dataset.py").write_text(textwrap.dedent(PICKY_DATASET))
    monkeypatch.syspath_prepend(str(tmp_path))
    cosmossl.register_plugin(importlib.import_module("picky_dataset"), "picky")
    text = (
        '[dataset]\ntype = "picky"\n[statistic]\ntype = "power-spectrum"\n[backend]\n'
        'type = "sbi"\n[[robustness.contaminations]]\naugmentation = {type = "d4"}\n'
        "[[robustness.contaminations]]\ndataset = {size = 3}\n"
    )
    try:
        code, _, err, path = validate(tmp_path, capsys, text)
        # run says the same before any work (Picky cannot load: the data stage would fail).
        with pytest.raises(ConfigError) as info:
            run(load_run_config(path), run_dir=tmp_path / "run", progress=False)
    finally:
        sys.modules.pop("picky_dataset", None)
    expected = f"{path}: [[robustness.contaminations]] #2 dataset: size must be even, got 3"
    assert code == 2 and err == expected
    assert str(info.value) == expected
