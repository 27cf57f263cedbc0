"""Before any work: a loss's declared training data is checked against the dataset, and hybrid
compare entries ('statistic+loss') become a hybrid encoder with the entry's loss."""

from __future__ import annotations

import numpy as np
import pytest

from cosmossl import ConfigError
from cosmossl.cli import main
from cosmossl.config.run_file import parse_run_config
from cosmossl.job.plan import check_config, compare_plan

NPY = {"type": "npy", "maps": "maps.npy", "params": "params.npy"}
LOGNORMAL = {"type": "lognormal", "n_pixels": 16}


def _config(loss="imnn", dataset=NPY, **compare):
    raw = {
        "name": "c",
        "dataset": dataset,
        "encoder": {"type": "cnn", "summary_dim": 4, "symmetrize": "d4", "width": 4},
        "loss": {"type": loss},
        "backend": {"type": "sbi"},
    }
    if compare:
        raw["compare"] = {"baselines": [], "seeds": [0, 1], **compare}
    return parse_run_config(raw, source="run.toml")


def test_a_loss_that_needs_simulations_is_refused_on_stored_maps_naming_both():
    with pytest.raises(ConfigError) as error:
        check_config(_config(), "train")
    assert str(error.value) == (
        "run.toml: [loss] 'imnn' trains on 128 fiducial maps and 32 seed-matched derivative "
        "seeds (3-point stencil, step 0.02·|θ|) at the simulator's fiducial point every step, "
        "but [dataset] 'npy' cannot simulate maps on demand (it loads stored maps): use a "
        "simulator dataset (e.g. 'lognormal') or another loss"
    )


def test_the_same_loss_on_a_simulator_and_a_views_loss_on_stored_maps_are_fine():
    check_config(_config(dataset=LOGNORMAL), "run")
    check_config(_config(loss="vmim"), "train")


def test_validate_says_it_in_one_line_with_exit_status_2(tmp_path, capsys):
    np.save(tmp_path / "maps.npy", np.zeros((4, 8, 8), np.float32))
    np.save(tmp_path / "params.npy", np.zeros((4, 2), np.float32))
    path = tmp_path / "run.toml"
    path.write_text(
        f'[dataset]\ntype = "npy"\nmaps = "{tmp_path}/maps.npy"\nparams = "{tmp_path}/params.npy"'
        '\n[encoder]\ntype = "cnn"\n[loss]\ntype = "imnn"\n'
    )
    assert main(["validate", str(path), "--for", "train"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "[loss] 'imnn' trains on 128 fiducial maps" in err
    assert "[dataset] 'npy' cannot simulate maps on demand" in err


def test_compare_refuses_such_a_loss_before_any_entry_runs():
    with pytest.raises(ConfigError, match=r"^run\.toml: \[compare\] 'imnn': loss 'imnn' trains on"):
        compare_plan(_config(losses=["vicreg", "imnn"]))


def test_a_hybrid_entry_is_the_statistic_before_the_encoder_tables_network():
    plan = compare_plan(
        _config(dataset=LOGNORMAL, losses=["power-spectrum+imnn"], hybrid_dim=2,
                loss_params={"imnn": {"n_fiducial": 64}})
    )  # fmt: skip
    assert [(name, kind, seed) for name, kind, seed, _ in plan] == [
        ("power-spectrum+imnn", "loss", 0), ("power-spectrum+imnn", "loss", 1),
    ]  # fmt: skip
    sub = plan[0][3]
    encoder = sub.component("encoder").to_table()
    assert encoder["type"] == "hybrid" and encoder["statistic"] == {"type": "power-spectrum"}
    assert (encoder["summary_dim"], encoder["symmetrize"]) == (2, "d4")
    assert encoder["learned"]["type"] == "cnn" and encoder["learned"]["width"] == 4
    assert "summary_dim" not in encoder["learned"] and "symmetrize" not in encoder["learned"]
    # The loss's own [compare.loss_params] table serves its hybrid entries too.
    assert sub.component("loss").to_table()["n_fiducial"] == 64


def test_hybrid_learned_size_defaults_to_the_encoder_tables_and_has_its_own_loss_params():
    plan = compare_plan(
        _config(dataset=LOGNORMAL, losses=["vmim", "power-spectrum+vmim"],
                loss_params={"power-spectrum+vmim": {"transforms": 1}})
    )  # fmt: skip
    by_name = {name: sub for name, _, _, sub in plan}
    hybrid = by_name["power-spectrum+vmim"]
    assert hybrid.component("encoder").to_table()["summary_dim"] == 4
    assert hybrid.component("loss").to_table()["transforms"] == 1
    assert by_name["vmim"].component("loss").to_table()["transforms"] == 3


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("power-spectrm+imnn", "'power-spectrm' is not a registered statistic. Did you mean "
                               "'power-spectrum'?"),
        ("power-spectrum+imn", "'imn' is not a registered loss. Did you mean 'imnn'?"),
    ],
)  # fmt: skip
def test_a_hybrid_entry_with_an_unknown_part_names_it(entry, message):
    with pytest.raises(ConfigError) as error:
        compare_plan(_config(dataset=LOGNORMAL, losses=[entry]))
    assert str(error.value).startswith(
        f"run.toml: [compare] '{entry}': a hybrid entry is 'statistic+loss' (e.g. "
        f"'power-spectrum+imnn'), and {message}"
    )
