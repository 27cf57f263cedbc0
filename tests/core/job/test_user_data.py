"""A user's own maps through the main job: the prior they state is the posterior's prior
everywhere, a missing one is said loudly, and what the inference needs of the data (surveys,
priors, groups) is checked before any work, in the user's terms."""

from __future__ import annotations

import json

import numpy as np
import pytest
from support.user_data import PRIOR, npy_table, write_user_data

import cosmossl
from cosmossl.cli import main
from cosmossl.config.run_file import load_run_config
from cosmossl.data import read_summaries
from cosmossl.job.run import run

RUN = """
name = "mine"
seed = 0
device = "cpu"
run_dir = "{run_dir}"

{dataset}
[statistic]
type = "power-spectrum"

[backend]
type = "lampe"
max_epochs = 3
transforms = 1
hidden = [16]

[inference]
n_samples = 50
n_bootstrap = 5
n_corner = 0
{inference}
"""


def run_file(tmp_path, *, priors=PRIOR, inference="", **data):
    """A run file on user data written into ``tmp_path`` (``priors=None``: none stated)."""
    write_user_data(tmp_path, **data)
    table = npy_table(tmp_path, priors=priors)
    path = tmp_path / "run.toml"
    path.write_text(RUN.format(run_dir=tmp_path / "run", dataset=table, inference=inference))
    return path


def test_the_stated_prior_is_the_posteriors_prior_and_the_report_says_where_it_came_from(
    tmp_path, recwarn
):
    result = run(run_file(tmp_path), progress=False)
    assert not [w for w in recwarn if issubclass(w.category, cosmossl.PriorWarning)]
    summaries = read_summaries(tmp_path / "run" / "summaries" / "power-spectrum.h5")
    assert summaries.priors == {"A": (0.5, 2.0), "n": (-3.0, -1.0)}
    assert summaries.prior_sources == {"A": "stated", "n": "stated"}
    saved = json.loads((tmp_path / "run/inference/power-spectrum/posterior/posterior.json")
                       .read_text())  # fmt: skip
    assert saved["prior"] == {"names": ["A", "n"], "low": [0.5, -3.0], "high": [2.0, -1.0]}
    assert result.metrics["power-spectrum"]["prior"]["A"] == {
        "low": 0.5, "high": 2.0, "source": "stated"
    }  # fmt: skip
    report = (tmp_path / "run" / "report.md").read_text()
    assert "## Prior" in report and "Warning" not in report
    assert "| A | 0.5 | 2 | stated (the dataset's table, or the simulator's own prior) |" in report


def test_without_a_stated_prior_run_warns_and_the_report_and_results_say_so(tmp_path, capsys):
    path = run_file(tmp_path, priors=None)
    assert main(["run", str(path)]) == 0
    out, err = capsys.readouterr()
    assert err.startswith(f"cosmossl: warning: '{tmp_path / 'params.txt'}': the prior of A ∈ [")
    assert "WARNING: the prior of A ∈ [" in out
    report = (tmp_path / "run" / "report.md").read_text()
    assert "> **Warning.** the prior of A ∈ [" in report
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    assert results["prior"]["n"]["source"] == "data"
    theta = np.loadtxt(tmp_path / "params.txt")
    assert results["prior"]["n"]["low"] == pytest.approx(theta[:, 1].min())


def test_validate_warns_of_a_min_max_prior_naming_the_parameters_and_ranges(tmp_path, capsys):
    path = run_file(tmp_path, priors=None)
    assert main(["validate", str(path)]) == 0
    _, err = capsys.readouterr()
    theta = np.loadtxt(tmp_path / "params.txt")
    (a_low, n_low), (a_high, n_high) = theta.min(0), theta.max(0)
    assert err == (
        f"cosmossl: warning: '{tmp_path / 'params.txt'}': the prior of A ∈ [{a_low:.6g}, "
        f"{a_high:.6g}], n ∈ [{n_low:.6g}, {n_high:.6g}] is the data's min–max: no prior was "
        "stated for them. It is narrower than the box the parameters were drawn from, with the "
        "extreme rows on its edges: posteriors fitted with it are distorted there. State the "
        "prior in the [dataset] table: priors = { A = [low, high], n = [low, high] }\n"
    )


SHORT = [4] * 20
SHORT[3] = SHORT[17] = 2
SHORT[9] = 3


@pytest.mark.parametrize("command", ["validate", "run"])
def test_a_survey_size_some_groups_cannot_fill_stops_before_any_work_naming_them(
    tmp_path, capsys, command
):
    extra = 'survey_size = 4\nfit_on = "train+val"'
    path = run_file(tmp_path, inference=extra, n_groups=20, per_group=SHORT)
    assert main([command, str(path)]) == 2
    _, err = capsys.readouterr()
    assert err == (
        f"cosmossl: error: {path}: [inference] survey_size = 4 needs 4 maps per group (distinct "
        "seeds) in the train, val and test splits; groups 103, 109 and 117 (of 20) have 2 to 3 "
        "— lower survey_size or add maps to them\n"
    )
    assert not (tmp_path / "run" / "summaries").exists()


def test_the_robustness_survey_size_is_checked_too(tmp_path, capsys):
    extra = (
        'fit_on = "train+val"\n[robustness]\nsurvey_size = 3\n[[robustness.contaminations]]\n'
        'augmentation = { type = "gaussian-noise" }'
    )
    path = run_file(tmp_path, inference=extra, n_groups=20, per_group=SHORT)
    assert main(["validate", str(path)]) == 2
    _, err = capsys.readouterr()
    assert "[robustness] survey_size = 3 needs 3 maps per group" in err
    assert "groups 103 and 117 (of 20) have 2 —" in err  # group 109 has 3: enough


def test_a_parameter_without_any_prior_is_refused_before_any_work(tmp_path, capsys):
    path = run_file(tmp_path, priors=None)
    theta = np.loadtxt(tmp_path / "params.txt")
    theta[:, 0] = 1.0  # one value of A everywhere: no min–max box
    np.savetxt(tmp_path / "params.txt", theta)
    assert main(["validate", str(path)]) == 2
    _, err = capsys.readouterr()
    assert err.splitlines()[-1] == (
        f"cosmossl: error: {path}: the posterior needs a prior for every parameter, and A has "
        "none: state it in the [dataset] table, e.g. priors = { A = [low, high] } (a parameter "
        "with one value in every map has no min–max to fall back on)"
    )


def test_fitting_needs_two_groups_in_the_fit_split(tmp_path):
    path = run_file(tmp_path, n_groups=3)
    config = load_run_config(path)
    with pytest.raises(cosmossl.ConfigError, match=r"fitted on the train split, which holds 1 "
                       r"group\(s\); it needs at least 2"):  # fmt: skip
        run(config, progress=False)
