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


def test_example_is_camels_like_with_feedback_and_cross_feedback_positives():
    config = load_run_config(REPO / "examples" / "baryons.toml")
    data = config.component("dataset").params
    assert (data.geometry, data.box_size, data.slab_thickness, data.feedback) == (
        "slab", 25.0, 5.0, True,
    )  # fmt: skip
    assert data.n_simulations >= 2  # several feedback draws per cosmology
    assert config.settings.pairing.level == "across-simulations"
    assert (config.component("encoder").type, config.component("loss").type) == ("cnn", "vicreg")
    assert config.component("backend").type in ("sbi", "lampe")


def test_variants_share_data_and_differ_only_in_pairing_or_summary():
    baryons = study_module()
    config = load_run_config(REPO / "examples" / "baryons.toml")
    a, b, c = (baryons.variant_config(config, v) for v in baryons.VARIANTS)
    assert a.component("dataset") == b.component("dataset") == c.component("dataset")
    assert (a.settings.pairing.level, b.settings.pairing.level) == (
        "across-simulations", "same-simulation",
    )  # fmt: skip
    assert a.settings.train == b.settings.train
    assert a.component("encoder") == b.component("encoder")
    assert c.component("encoder") is None and c.component("statistic").type == "power-spectrum"


def test_feedback_targets_are_log_amplitudes_and_the_two_effective_combinations():
    baryons = study_module()
    names = ("A_SN1", "A_AGN1", "A_SN2", "A_AGN2")
    nuisance = np.array([[1.0, 1.0, 1.0, 1.0], [2.0, 4.0, 0.5, 2.0]])
    targets, labels = baryons.feedback_targets(nuisance, names)
    assert labels == ["log A_SN1", "log A_AGN1", "log A_SN2", "log A_AGN2", "log10 M_c",
                      "log10 η_b"]  # fmt: skip
    np.testing.assert_allclose(targets[1, :4], np.log([2.0, 4.0, 0.5, 2.0]))
    # log10 M_c = 14.08 + 0.5 log2 A_AGN1 − 0.25 log2 A_SN1; η_b = 0.5 A_AGN2^0.6 A_SN2^−0.3
    np.testing.assert_allclose(targets[:, 4], [14.08, 14.08 + 1.0 - 0.25])
    np.testing.assert_allclose(targets[:, 5], np.log10([0.5, 0.5 * 2**0.6 * 0.5**-0.3]))
