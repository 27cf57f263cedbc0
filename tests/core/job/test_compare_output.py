"""What a comparison prints and writes: spread only with several seeds, every file named, the
timing of training steps after the first; the run report's "What ran"."""

from __future__ import annotations

import json

import numpy as np
import pytest

import cosmossl.job.compare as compare_module
from cosmossl.cli import main
from cosmossl.config.run_file import parse_run_config
from cosmossl.job.compare import aggregate, training_speed
from cosmossl.job.report.compare_report import write_compare_report
from cosmossl.job.report.run_report import write_run_report
from cosmossl.job.results import CompareResult, RunResult
from cosmossl.job.run_dir import RunDirectory

RUN = {
    "name": "demo",
    "dataset": {"type": "lognormal", "n_cosmologies": 60, "n_pixels": 16},
    "encoder": {"type": "cnn", "summary_dim": 4},
    "loss": {"type": "vicreg"},
    "backend": {"type": "lampe"},
}


def _rows(seeds):
    return [
        {"entry": name, "kind": kind, "seed": seed, "nll": 1.0 + seed, "fom_fraction": 0.5}
        for seed in seeds
        for name, kind in (("vicreg", "loss"), ("power-spectrum", "statistic"))
    ]


def _config(seeds):
    compare = {"losses": ["vicreg"], "baselines": ["power-spectrum"], "seeds": seeds}
    return parse_run_config({**RUN, "compare": compare}, source="demo.toml")


def test_one_seed_has_no_spread_in_the_table():
    table = aggregate(_rows([0]))
    assert table[0]["nll"] == 1.0 and table[0]["nll_std"] is None and table[0]["nll_se"] is None


def test_the_table_holds_the_standard_error_over_seeds():
    (vicreg, _) = aggregate(_rows([0, 1, 2]))
    assert vicreg["nll"] == 2.0 and vicreg["nll_std"] == 1.0
    assert vicreg["nll_se"] == pytest.approx(1.0 / 3**0.5)


def _paired_rows():
    """Two entries whose NLL moves a lot with the seed (the split, the training) but differs
    by about 0.1 at every seed: unpaired they are indistinguishable, paired one wins."""
    base = {0: 1.0, 1: 2.0, 2: 0.5, 3: 1.5}
    offset = {0: 0.09, 1: 0.11, 2: 0.10, 3: 0.10}
    return [
        {"entry": name, "kind": kind, "seed": seed, "nll": base[seed] + (offset[seed] if
         name == "simclr" else 0.0), "fom_fraction": 0.5}
        for seed in base
        for name, kind in (("vicreg", "loss"), ("simclr", "loss"))
    ]  # fmt: skip


def test_paired_differences_are_taken_at_the_same_seed():
    paired = compare_module.paired_differences(_paired_rows())
    (simclr_minus_vicreg,) = [p for p in paired["nll"] if p["a"] == "simclr"]
    assert simclr_minus_vicreg["b"] == "vicreg" and simclr_minus_vicreg["seeds"] == 4
    assert simclr_minus_vicreg["mean"] == pytest.approx(0.10)
    assert simclr_minus_vicreg["se"] == pytest.approx(np.std([0.09, 0.11, 0.1, 0.1], ddof=1) / 2)
    (vicreg_minus_simclr,) = [p for p in paired["nll"] if p["a"] == "vicreg"]
    assert vicreg_minus_simclr["mean"] == pytest.approx(-0.10)
    table = {row["entry"]: row for row in aggregate(_paired_rows())}
    assert table["simclr"]["nll_se"] > 3 * abs(simclr_minus_vicreg["mean"])  # unpaired: lost


def test_paired_differences_skip_seeds_one_entry_lacks_and_say_none_for_one_seed():
    rows = [r for r in _paired_rows() if not (r["entry"] == "vicreg" and r["seed"] > 0)]
    (pair, _) = compare_module.paired_differences(rows)["nll"]
    assert pair["seeds"] == 1 and pair["se"] is None and pair["std"] is None


def test_the_report_shows_a_matrix_of_paired_differences(tmp_path):
    rows = _paired_rows()
    result = CompareResult(tmp_path, rows=rows, table=aggregate(rows),
                           paired=compare_module.paired_differences(rows))  # fmt: skip
    write_compare_report(_config([0, 1, 2, 3]), tmp_path, result)
    text = (tmp_path / "compare.md").read_text()
    assert "## Paired differences" in text and "test NLL: row − column." in text
    assert "| test NLL | vicreg | simclr |" in text
    assert "| simclr | +0.1 ± 0.0041 | – |" in text
    assert "| vicreg | – | -0.1 ± 0.0041 |" in text
    saved = json.loads((tmp_path / "compare.json").read_text())
    assert saved["paired"]["nll"][0]["seeds"] == 4


def test_single_seed_report_prints_no_plus_minus(tmp_path):
    result = CompareResult(tmp_path, rows=_rows([0]), table=aggregate(_rows([0])))
    files = write_compare_report(_config([0]), tmp_path, result)
    text = (tmp_path / "compare.md").read_text()
    assert "±" not in text
    assert "one seed (0), so no spread is shown" in text
    assert "| vicreg | 1 | 0.5 |" in text
    assert (tmp_path / "compare.png") in files


def test_several_seeds_report_mean_and_spread(tmp_path):
    result = CompareResult(tmp_path, rows=_rows([0, 1]), table=aggregate(_rows([0, 1])))
    write_compare_report(_config([0, 1]), tmp_path, result)
    text = (tmp_path / "compare.md").read_text()
    assert "mean ± standard error of the mean over 2 seeds (0, 1)" in text
    assert "1.5 ± 0.5" in text
    assert "every entry and seed has the data and split of data seed 0" in text


def test_report_says_how_training_is_timed(tmp_path):
    result = CompareResult(tmp_path, rows=_rows([0]), table=aggregate(_rows([0])))
    write_compare_report(_config([0]), tmp_path, result)
    assert "from the second one of each training on" in (tmp_path / "compare.md").read_text()


def test_training_speed_counts_the_steps_after_the_first():
    history = [
        {"step": 10, "step_time_s": 4.5, "timed_steps": 9},  # the warm-up step is not here
        {"step": 20, "step_time_s": 5.0, "timed_steps": 10},
    ]
    speed = training_speed(history, maps_per_step=8)
    assert speed["maps_per_second"] == pytest.approx(19 * 8 / 9.5)
    assert speed["train_seconds"] == pytest.approx(9.5 / 19 * 20)
    assert training_speed([{"step": 1, "timed_steps": 0, "step_time_s": 0.0}], 8) == {}


def test_cli_compare_names_every_file_and_prints_no_zero_spread(tmp_path, monkeypatch, capsys):
    path = tmp_path / "demo.toml"
    path.write_text('[backend]\ntype = "lampe"\n')
    files = [tmp_path / f"compare.{ext}" for ext in ("csv", "json", "md", "html", "png")]
    result = CompareResult(tmp_path, rows=_rows([0]), table=aggregate(_rows([0])), files=files)
    monkeypatch.setattr(compare_module, "compare", lambda *args, **kwargs: result)
    assert main(["compare", str(path)]) == 0
    out = capsys.readouterr().out
    written = next(line for line in out.splitlines() if line.startswith("written:"))
    assert str(tmp_path / "compare.png") in written and str(tmp_path / "compare.csv") in written
    assert "±" not in out
    assert "0.500" in out


def test_run_report_lists_what_ran_without_terminal_padding(tmp_path):
    config = parse_run_config(RUN, source="demo.toml")
    write_run_report(config, RunDirectory(tmp_path), RunResult(tmp_path))
    text = (tmp_path / "report.md").read_text()
    assert "run 'demo' (seed 0, device auto)." in text
    assert "| dataset | lognormal (n_cosmologies=60, n_pixels=16) |" in text
    assert "| pairing | 2 views per group, same-cosmology |" in text
    assert "·" not in text and "dataset       " not in text


def test_cli_compare_prints_each_pair_once(tmp_path, monkeypatch, capsys):
    path = tmp_path / "demo.toml"
    path.write_text('[backend]\ntype = "lampe"\n')
    rows = _paired_rows()
    result = CompareResult(tmp_path, rows=rows, table=aggregate(rows),
                           paired=compare_module.paired_differences(rows))  # fmt: skip
    monkeypatch.setattr(compare_module, "compare", lambda *args, **kwargs: result)
    assert main(["compare", str(path)]) == 0
    out = capsys.readouterr().out
    assert "paired differences (same seed and split; mean ± standard error over seeds):" in out
    (line,) = [line for line in out.splitlines() if " − " in line]
    assert line.split() == ["vicreg", "−", "simclr", "Fisher", "FoM", "fraction", "+0.000", "±",
                            "0.000", "test", "NLL", "-0.100", "±", "0.004"]  # fmt: skip
