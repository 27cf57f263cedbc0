"""Metric names in reports: one table, per-parameter metrics named after their parameter."""

from __future__ import annotations

import pytest

from cosmossl.job.report.labels import label, robustness_label


@pytest.mark.parametrize(
    ("key", "heading"),
    [
        ("fom_kept", "FoM kept"),
        ("shift_joint", "joint shift/σ"),
        ("coverage_68_change", "Δ 68% coverage"),
        ("bias_clean_omega_m", "bias/σ clean (omega_m)"),
        ("bias_sigma_8", "bias/σ (sigma_8)"),
        ("shift_omega_m", "shift/σ (omega_m)"),
        ("something_else", "something_else"),
    ],
)
def test_robustness_metrics_have_one_heading_each(key, heading):
    assert robustness_label(key) == heading


def test_inference_metrics_are_named_with_their_parameter():
    assert label("bias_omega_m") == "bias / posterior σ (omega_m)"
    assert label("cr_sigma_ratio_sigma_8") == "Cramér–Rao σ / limit σ (sigma_8)"
    assert label("unknown") == "unknown"
