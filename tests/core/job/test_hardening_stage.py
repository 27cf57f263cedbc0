"""[hardening] in the main job: hardened twins of every summary, inferred and judged for
robustness like the others; clear errors before any work."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cosmossl import ConfigError
from cosmossl.config.run_file import parse_run_config
from cosmossl.data.summaries import read_summaries
from cosmossl.information.hardening import NuisanceHardening
from cosmossl.job.plan import check_dataset
from cosmossl.job.robustness import read_contaminated
from cosmossl.job.run import run

pytestmark = pytest.mark.slow

BASE = {
    "name": "hardened",
    "seed": 3,
    "device": "cpu",
    "dataset": {"type": "lognormal", "geometry": "slab", "feedback": True, "n_pixels": 16,
                "n_cosmologies": 40, "n_simulations": 2, "maps_per_simulation": 2,
                "split": [0.6, 0.2, 0.2]},
    "statistic": {"type": "power-spectrum"},
    "backend": {"type": "lampe", "max_epochs": 5, "transforms": 1, "hidden": [16]},
    "inference": {"n_samples": 100, "n_bootstrap": 5, "n_corner": 0, "plots": False},
    "fisher": {"enabled": False},
    "hardening": {"nuisance": ["A_AGN1", "A_AGN2"], "n_fiducial": 200, "n_derivative": 20},
    "robustness": {"contaminations": [{"name": "AGN x4",
                                       "dataset": {"feedback_shift": {"A_AGN1": 2.0}}}]},
}  # fmt: skip


def config(**changes):
    return parse_run_config({**BASE, **changes}, source="hardened.toml")


def test_every_summary_gains_a_hardened_twin_that_is_inferred_and_judged(tmp_path):
    result = run(config(), run_dir=tmp_path, progress=False)
    assert result.ran["harden-power-spectrum"]
    assert set(result.metrics) == {"power-spectrum", "power-spectrum-hardened"}
    assert set(result.robustness) == {"power-spectrum", "power-spectrum-hardened"}
    saved = json.loads((tmp_path / "hardening" / "power-spectrum.json").read_text())
    hardening = NuisanceHardening.from_dict(saved)
    assert hardening.nuisance_names == ("A_AGN1", "A_AGN2")
    plain = read_summaries(tmp_path / "summaries" / "power-spectrum.h5")
    hardened = read_summaries(tmp_path / "summaries" / "power-spectrum-hardened.h5")
    assert hardened.summary_dim == 2 and len(hardened) == len(plain)
    np.testing.assert_allclose(hardened.summaries, hardening(plain.summaries), rtol=1e-5)
    assert hardened.provenance["hardening"]["of"] == "power-spectrum"
    # Stronger AGN feedback moves the posterior of P(k) and hardly that of its hardened twin.
    shift = {label: r["contaminations"]["AGN x4"]["shift_joint_sigma"]
             for label, r in result.robustness.items()}  # fmt: skip
    assert shift["power-spectrum-hardened"] < 0.3 * shift["power-spectrum"]
    assert (
        "## Robustness of the power-spectrum-hardened summaries"
        in (tmp_path / "report.md").read_text()
    )
    # The twin's contaminated summaries are its base's, hardened (not summarised again).
    kept = read_contaminated(tmp_path / "robustness" / "power-spectrum" /
                             "contaminated_summaries.npz")  # fmt: skip
    twin = read_contaminated(tmp_path / "robustness" / "power-spectrum-hardened" /
                             "contaminated_summaries.npz")  # fmt: skip
    assert set(kept) == set(twin) == {"AGN x4"}
    assert kept["AGN x4"].shape == (len(plain.indices("test")), plain.summary_dim)
    np.testing.assert_allclose(twin["AGN x4"], hardening(kept["AGN x4"]))
    again = run(config(), run_dir=tmp_path, progress=False)
    assert not again.ran["harden-power-spectrum"]


def test_hardening_against_a_nuisance_the_dataset_lacks_is_refused_before_any_work(tmp_path):
    bad = config(hardening={"nuisance": ["A_AGN"]})
    message = (
        r"hardened.toml: \[hardening\] nuisance hardening: 'A_AGN' is not a nuisance parameter "
        r"of the simulator\. Did you mean 'A_AGN1' or 'A_AGN2' or 'A_SN1'\? Its nuisance "
        r"parameters: A_SN1, A_AGN1, A_SN2, A_AGN2\."
    )
    with pytest.raises(ConfigError, match=message):
        run(bad, run_dir=tmp_path / "run", progress=False)
    assert not (tmp_path / "run" / "data").exists()


def test_hardening_without_feedback_names_the_fix():
    bad = config(dataset={**BASE["dataset"], "feedback": False})
    message = r"\[hardening\] nuisance hardening needs a simulator with nuisance parameters"
    with pytest.raises(ConfigError, match=message + r" .* feedback = true"):
        check_dataset(bad, "`cosmossl validate`")


def test_nuisance_named_twice_is_refused_by_the_run_file():
    with pytest.raises(ConfigError, match=r"nuisance names must differ"):
        config(hardening={"nuisance": ["A_AGN1", "A_AGN1"]})


def test_an_anchor_must_name_every_hardened_nuisance_parameter():
    with pytest.raises(ConfigError, match=r"anchor #1 must give a value to each of "
                                          r"\['A_AGN1', 'A_AGN2'\] and nothing else"):  # fmt: skip
        config(hardening={**BASE["hardening"], "anchors": [{"A_AGN1": 4.0}]})


def test_anchored_hardening_projects_out_more_directions(tmp_path):
    anchors = [{"A_AGN1": 4.0, "A_AGN2": 2.0}, {"A_AGN1": 0.25, "A_AGN2": 0.5}]
    changed = config(hardening={**BASE["hardening"], "anchors": anchors}, robustness={})
    run(changed, run_dir=tmp_path, progress=False)
    saved = json.loads((tmp_path / "hardening" / "power-spectrum.json").read_text())
    assert saved["rank"] == 6
