"""examples/baryons.toml and the study's building blocks in benchmarks/baryons.py."""

from __future__ import annotations

import importlib.util

import numpy as np
from support.paths import REPO

from cosmossl.config.run_file import load_run_config


def study_module():
    spec = importlib.util.spec_from_file_location("baryons_study", REPO / "benchmarks/baryons.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_example_is_camels_like_with_feedback_and_paired_positives():
    config = load_run_config(REPO / "examples" / "baryons.toml")
    data = config.component("dataset").params
    assert (data.geometry, data.box_size, data.slab_thickness, data.feedback) == (
        "slab", 25.0, 5.0, True,
    )  # fmt: skip
    assert data.n_simulations >= 2  # several feedback draws per cosmology
    assert data.paired_draws >= 2  # stored paired twins for the validation batches
    assert data.n_pixels >= 64  # k_Nyquist ≥ 8 h/Mpc: feedback is visible
    assert config.settings.pairing.level == "paired"
    assert (config.component("encoder").type, config.component("loss").type) == ("cnn", "vicreg")
    assert config.component("backend").type in ("sbi", "lampe")
    # Survey posteriors, and the robustness stage judging them under a shifted feedback prior.
    assert config.settings.inference.survey_size > 1
    seeds = data.n_simulations * data.maps_per_simulation
    assert seeds >= 2 * config.settings.inference.survey_size  # ≥ 2 disjoint test surveys
    contaminations = {c.label: c for c in config.settings.robustness.contaminations}
    assert contaminations["feedback-shift"].dataset == {
        "feedback_shift": {"A_AGN1": 1.0, "A_AGN2": 1.0}
    }
    assert contaminations["gaussian-noise"].augmentation["type"] == "gaussian-noise"


def test_variants_share_data_and_differ_only_in_pairing_or_summary():
    baryons = study_module()
    config = load_run_config(REPO / "examples" / "baryons.toml")
    a, a2, b, c = (baryons.variant_config(config, v) for v in baryons.VARIANTS)
    assert a.component("dataset") == a2.component("dataset") == b.component("dataset")
    assert b.component("dataset") == c.component("dataset")
    assert [x.settings.pairing.level for x in (a, a2, b)] == [
        "paired", "across-simulations", "same-simulation",
    ]  # fmt: skip
    assert a.settings.train == a2.settings.train == b.settings.train
    assert a.component("encoder") == b.component("encoder")
    assert c.component("encoder") is None and c.component("statistic").type == "power-spectrum"
    assert a.settings.robustness == c.settings.robustness == config.settings.robustness
    assert a.settings.inference == c.settings.inference


def test_probe_target_is_log10_mc_of_the_heuristic_mapping():
    baryons = study_module()
    names = ("A_SN1", "A_AGN1", "A_SN2", "A_AGN2")
    nuisance = np.array([[1.0, 1.0, 1.0, 1.0], [2.0, 4.0, 0.5, 2.0]])
    # log10 M_c = 14.08 + 0.5 log2 A_AGN1 − 0.25 log2 A_SN1
    np.testing.assert_allclose(baryons.log10_mc(nuisance, names), [14.08, 14.08 + 1.0 - 0.25])
    reordered = nuisance[:, [1, 0, 3, 2]]
    np.testing.assert_allclose(
        baryons.log10_mc(reordered, ("A_AGN1", "A_SN1", "A_AGN2", "A_SN2")),
        [14.08, 14.08 + 1.0 - 0.25],
    )


def test_records_carry_every_field_robustness_json_promises():
    baryons = study_module()
    params = {"bias_sigma_clean": 0.1, "bias_sigma_clean_se": 0.05, "bias_sigma": -1.2,
              "bias_sigma_se": 0.06, "shift_sigma": -1.3, "shift_sigma_se": 0.02,
              "std_ratio": 1.0}  # fmt: skip
    contamination = {"params": {"omega_m": params, "sigma_8": params}, "coverage_68_clean": 0.7,
                     "coverage_68": 0.4, "fom_kept": 0.9, "shift_joint_sigma": 2.0}  # fmt: skip
    row = {
        "robustness": {"survey_size": 8, "n_surveys": 400,
                       "contaminations": {"feedback-shift": contamination}},
        "log_fom": 7.0, "nll": -5.0,
        "probe_log10_mc": {"given_cosmology": {"mlp": 0.8, "linear": 0.6},
                           "marginal": {"mlp": 0.1, "linear": 0.05}},
    }  # fmt: skip
    records = baryons.records({"variants": {"control": row}})
    assert len(records) == 2
    record = records[0]
    for key, value in (("summary", "control"), ("parameter", "omega_m"), ("survey_size", 8),
                       ("bias_sigma_clean", 0.1), ("bias_sigma_shifted", -1.2),
                       ("log_fom", 7.0), ("probe_r2_given_cosmology", 0.8),
                       ("contamination", "feedback-shift")):  # fmt: skip
        assert record[key] == value, key
