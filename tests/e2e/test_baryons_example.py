"""examples/baryons.toml and the study's building blocks in benchmarks/baryons.py."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
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
    # Out of family: the test maps' feedback from another published S(k).
    assert contaminations["feedback-spk"].dataset == {"feedback_model": "salcido-spk"}
    assert config.settings.hardening.nuisance == ["A_AGN1", "A_AGN2"]


def test_variants_share_data_and_differ_only_in_pairing_or_summary():
    baryons = study_module()
    config = load_run_config(REPO / "examples" / "baryons.toml")
    v = {name: baryons.variant_config(config, name) for name in baryons.VARIANTS}
    a, a2, b, c = v["paired"], v["across"], v["control"], v["power-spectrum"]
    assert all(x.component("dataset") == a.component("dataset") for x in v.values())
    assert [x.settings.pairing.level for x in (a, a2, b)] == [
        "paired", "across-simulations", "same-simulation",
    ]  # fmt: skip
    assert a.settings.train == a2.settings.train == b.settings.train == v["mixed-d4"].settings.train
    assert a.component("encoder") == b.component("encoder")
    assert c.component("encoder") is None and c.component("statistic").type == "power-spectrum"
    for name, x in v.items():
        assert x.settings.robustness == config.settings.robustness
        assert x.settings.inference == config.settings.inference
        if name != "power-spectrum-anchored":
            assert x.settings.hardening == config.settings.hardening
    anchored = v["power-spectrum-anchored"]
    assert anchored.component("statistic").type == "power-spectrum"
    assert anchored.settings.hardening.nuisance == config.settings.hardening.nuisance
    assert len(anchored.settings.hardening.anchors) == 4
    assert baryons.summary_names("power-spectrum-anchored") == {
        "power-spectrum-anchored": "power-spectrum-hardened"
    }
    for name in ("paired-d4", "control-d4", "mixed-d4"):
        encoder = v[name].component("encoder").params
        assert (encoder.summary_dim, encoder.symmetrize) == (16, "d4")
    assert v["control-d4"].settings.pairing.level == "same-simulation"
    mixed = v["mixed-d4"].settings.pairing
    assert (mixed.level, mixed.paired_fraction) == ("paired", 0.5)
    assert v["paired-d4"].settings.pairing.paired_fraction == 1.0


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


def _row(log_fom: float, fom_marginal: float, joint: dict[str, float]) -> dict:
    params = {"bias_sigma_clean": 0.1, "bias_sigma_clean_se": 0.05, "bias_sigma": -1.2,
              "bias_sigma_se": 0.06, "shift_sigma": -1.3, "shift_sigma_se": 0.02,
              "std_ratio": 1.0}  # fmt: skip
    contaminations = {
        name: {"params": {"omega_m": params, "sigma_8": params}, "coverage_68_clean": 0.7,
               "coverage_68": 0.4, "fom_kept": 0.9, "shift_joint_sigma": value,
               "shift_joint_sigma_se": 0.01}
        for name, value in joint.items()
    }  # fmt: skip
    return {
        "robustness": {"survey_size": 8, "n_surveys": 400, "contaminations": contaminations},
        "log_fom": log_fom, "nll": -5.0,
        "probe_log10_mc": {"given_cosmology": {"mlp": 0.8, "linear": 0.6},
                           "marginal": {"mlp": 0.1, "linear": 0.05}},
        "fisher": {"fom_marginal": fom_marginal, "fom_fixed": 2 * fom_marginal,
                   "fom_fraction_of_marginal_limit": fom_marginal / 100.0,
                   "interval": [0.9 * fom_marginal / 100.0, 1.1 * fom_marginal / 100.0]},
    }  # fmt: skip


def _part(variant: str, summaries: dict) -> dict:
    return {"variant": variant, "config": "examples/baryons.toml", "survey_size": 8,
            "summaries": summaries, "limits": {}, "probe_floor": {}, "seconds": 1.0,
            "stage_seconds": {}, "machine": {"date": "today"}}  # fmt: skip


def test_fom_is_a_fraction_of_the_larger_marginal_reference_and_the_aim_is_checked():
    baryons = study_module()
    spk = {"feedback-shift": 0.2, "feedback-spk": 0.25}
    parts = {
        "control": _part("control", {"control": _row(6.0, 50.0, {"feedback-shift": 1.2,
                                                                  "feedback-spk": 0.9})}),
        "power-spectrum": _part("power-spectrum", {
            "power-spectrum": _row(7.0, 80.0, {"feedback-shift": 1.4, "feedback-spk": 1.0}),
            "power-spectrum-hardened": _row(6.9, 72.0, spk),
        }),
        "paired": _part("paired", {"paired": _row(5.0, 20.0, spk)}),
    }  # fmt: skip
    results = baryons.assemble(parts)
    assert results["reference"] == "power-spectrum"
    fractions = results["aims"]["fom_fraction_of_marginal"]
    assert fractions["power-spectrum-hardened"] == pytest.approx(0.9)
    assert fractions["paired"] == pytest.approx(0.25)
    assert fractions["control"] == pytest.approx(50 / 80)
    assert results["aims"]["aim_met_by"] == ["power-spectrum-hardened"]
    hardened = results["summaries"]["power-spectrum-hardened"]
    assert hardened["posterior_fom_fraction_of_pk"] == pytest.approx(np.exp(-0.1))
    interval = hardened["fisher"]["fom_fraction_of_marginal_interval"]
    assert interval == pytest.approx([0.81, 0.99])


def test_records_carry_every_field_robustness_json_promises():
    baryons = study_module()
    row = _row(7.0, 80.0, {"feedback-shift": 2.0})
    row["fisher"]["fom_fraction_of_marginal"] = 1.0
    records = baryons.records({"summaries": {"control": row}})
    assert len(records) == 2
    record = records[0]
    for key, value in (("summary", "control"), ("parameter", "omega_m"), ("survey_size", 8),
                       ("bias_sigma_clean", 0.1), ("bias_sigma_shifted", -1.2),
                       ("log_fom", 7.0), ("probe_r2_given_cosmology", 0.8),
                       ("contamination", "feedback-shift"), ("shift_joint_sigma", 2.0),
                       ("fom_fraction_of_marginal", 1.0)):  # fmt: skip
        assert record[key] == value, key


def test_tradeoff_table_shows_every_measure_of_cosmology_kept_and_marks_npd_estimates():
    baryons = study_module()
    shifts = {"feedback-shift": 0.4, "feedback-spk": 0.9}
    parts = {
        "power-spectrum": _part("power-spectrum", {
            "power-spectrum": _row(7.0, 80.0, shifts),
            "power-spectrum-hardened": _row(7.0 + np.log(0.25), 0.0, shifts),
        }),
    }  # fmt: skip
    table = baryons.baryons_report.tradeoff_table(baryons.assemble(parts)).splitlines()
    assert table[0].startswith("| summary | marginal FoM / reference [68%] | with the feedback")
    assert table[2].startswith("| power-spectrum | **1.000** [0.900, 1.100] | – | 1.00 | 0.40")
    assert table[3].startswith("| power-spectrum-hardened | n.p.d. | n.p.d. | 0.25 | 0.40")
