"""examples/compare-optimal.toml: the best known compressors against SSL, run end to end at tiny
size (every entry of the example, one seed)."""

from __future__ import annotations

import pytest
from support.paths import REPO

from cosmossl.config.run_file import load_run_config, parse_run_config
from cosmossl.data import read_summaries
from cosmossl.job.compare import compare

pytestmark = pytest.mark.slow

EXAMPLE = REPO / "examples" / "compare-optimal.toml"


def test_example_compares_vmim_imnn_mse_and_a_hybrid_with_ssl_on_the_quickstart_recipe():
    config = load_run_config(EXAMPLE)
    options = config.settings.compare
    entries = [*options.losses, *options.baselines]
    for name in ("vicreg", "simclr", "supervised", "vmim", "imnn", "mse", "power-spectrum"):
        assert name in entries
    assert [e for e in entries if "+" in e] == ["power-spectrum+imnn"]
    assert options.seeds == [0, 1, 2]
    quickstart = load_run_config(REPO / "examples" / "quickstart.toml")
    assert config.settings.train == quickstart.settings.train
    assert config.component("encoder") == quickstart.component("encoder")
    assert config.component("dataset") == quickstart.component("dataset")


def test_example_runs_every_entry_at_tiny_size(tmp_path):
    table = load_run_config(EXAMPLE).to_table()
    table["dataset"].update(n_cosmologies=40, n_pixels=16)
    table["encoder"].update(width=4, depth=2, hidden_dim=16, summary_dim=4)
    table["train"].update(epochs=1, batch_size=8)
    table["compare"].update(seeds=[0], hybrid_dim=2)
    table["compare"]["loss_params"]["imnn"].update(n_fiducial=16, n_derivative=4)
    table["backend"] = {"type": "lampe", "max_epochs": 3, "transforms": 1, "hidden": [16]}
    table["inference"] = {"n_samples": 40, "n_bootstrap": 5, "n_corner": 1, "plots": False}
    table["fisher"] = {"n_fiducial": 30, "n_derivative": 8}
    result = compare(parse_run_config(table, source=str(EXAMPLE)), out_dir=tmp_path,
                     progress=False)  # fmt: skip
    rows = {row["entry"]: row for row in result.table}
    assert list(rows) == [*table["compare"]["losses"], *table["compare"]["baselines"]]
    for name, row in rows.items():
        assert "nll" in row and "fom_fraction" in row, name
    assert "train_seconds" in rows["imnn"] and "train_seconds" not in rows["power-spectrum"]
    # The hybrid's summary: the 16² maps' 11 power-spectrum bins, then 2 learned numbers.
    hybrid = read_summaries(tmp_path / "power-spectrum+imnn" / "seed0" / "summaries" / "encoder.h5")
    assert hybrid.summaries.shape[1] == 11 + 2
