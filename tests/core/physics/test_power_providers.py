"""Linear power spectrum providers: the built-in EH98 fits against an independent
implementation (colossus, the ``colossus`` extra), selection by name, and their errors."""

from __future__ import annotations

import numpy as np
import pytest

from cosmossl import ConfigError
from cosmossl.physics import cosmology, power_providers
from cosmossl.physics.power_providers import LinearPower, linear_power_provider

#: A grid of cosmologies over and beyond the lognormal prior, and three sets of fixed parameters.
OMEGA_M = np.array([0.12, 0.15, 0.2, 0.3, 0.4, 0.45, 0.5])
SIGMA_8 = np.array([0.6, 0.7, 0.8, 0.9, 0.95, 0.65, 1.0])
FIXED = [
    {"omega_b": 0.05, "h": 0.7, "n_s": 0.96},  # the reference paper
    {"omega_b": 0.049, "h": 0.6711, "n_s": 0.9624},  # CAMELS
    {"omega_b": 0.04, "h": 0.6, "n_s": 1.0},
]
K = np.logspace(-3, 1.3, 200)  # h/Mpc, the BAO scales included


class Doubled(LinearPower):
    """A provider defined outside cosmossl (here: in this test module)."""

    description = "twice EH98"

    def power(self, k, omega_m, sigma_8):
        return 2 * cosmology.linear_power(k, omega_m, sigma_8, self.omega_b, self.h, self.n_s)


@pytest.mark.parametrize("fixed", FIXED)
@pytest.mark.parametrize(
    ("ours", "theirs"),
    [("eh98", "colossus:eisenstein98"), ("eh98-no-wiggle", "colossus:eisenstein98_zb")],
)
def test_builtin_eh98_matches_colossus_to_0_1_percent(ours, theirs, fixed):
    pytest.importorskip("colossus")
    expected = linear_power_provider(theirs, **fixed)(K, OMEGA_M, SIGMA_8)
    got = linear_power_provider(ours, **fixed)(K, OMEGA_M, SIGMA_8)
    assert got.shape == (len(OMEGA_M), len(K))
    np.testing.assert_allclose(got, expected, rtol=1e-3)


def test_builtin_transfer_functions_match_colossus_to_rounding():
    # The transfer functions alone (no σ_8 normalisation): the same formulas, so equal to 1e-10.
    colossus_power = pytest.importorskip("colossus.cosmology.power_spectrum")
    for omega_m in OMEGA_M:
        for fixed in FIXED:
            for ours, model in (
                (cosmology.transfer_eh98, "eisenstein98"),
                (cosmology.transfer_eh98_no_wiggle, "eisenstein98_zb"),
            ):
                cosmo = {"h": fixed["h"], "Om0": omega_m, "Ob0": fixed["omega_b"],
                         "Tcmb0": cosmology.T_CMB}  # fmt: skip
                with pytest.warns(UserWarning, match="deprecated"):
                    theirs = colossus_power.transferFunction(K, model=model, **cosmo)
                got = ours(K, omega_m, fixed["omega_b"], fixed["h"])
                np.testing.assert_allclose(got, theirs, rtol=1e-10)


def test_colossus_differs_from_the_other_eh98_variant():
    # The check above can fail: the two variants differ by up to 8% at Ω_m = 0.3.
    pytest.importorskip("colossus")
    wiggles = linear_power_provider("colossus", **FIXED[0])(K, 0.3, 0.8)
    smooth = linear_power_provider("eh98-no-wiggle", **FIXED[0])(K, 0.3, 0.8)
    assert np.abs(wiggles / smooth - 1).max() > 0.05


def test_providers_broadcast_scalars_and_give_zero_at_k_zero():
    provider = linear_power_provider("eh98", **FIXED[0])
    k = np.array([[0.0, 0.1], [0.5, 1.0]])
    one = provider(k, 0.3, 0.8)
    assert one.shape == (2, 2) and one[0, 0] == 0.0
    np.testing.assert_allclose(
        one[1], cosmology.linear_power(k[1], 0.3, 0.8, 0.05, 0.7, 0.96, wiggles=True)
    )
    batch = provider(k, np.array([0.3, 0.4]), 0.8)
    assert batch.shape == (2, 2, 2)
    np.testing.assert_allclose(batch[0], one)


def test_provider_description_says_which_fit():
    assert (
        "with baryon acoustic oscillations" in linear_power_provider("eh98", **FIXED[0]).description
    )
    assert "no-wiggle" in linear_power_provider("eh98-no-wiggle", **FIXED[0]).description


def test_a_provider_class_is_found_by_module_and_name():
    provider = linear_power_provider(f"{__name__}:Doubled", **FIXED[0])
    assert isinstance(provider, Doubled) and provider.h == 0.7
    np.testing.assert_allclose(
        provider(K, 0.3, 0.8), 2 * linear_power_provider("eh98-no-wiggle", **FIXED[0])(K, 0.3, 0.8)
    )


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("eh99", "unknown linear power spectrum 'eh99': use one of 'eh98', 'eh98-no-wiggle'"),
        ("eh98:fast", "'eh98' takes no option after ':'"),
        ("no_such_module_xyz:Power", "cannot import it (No module named 'no_such_module_xyz')"),
        (f"{__name__}:FIXED", "names a list, not a subclass of cosmossl.physics.LinearPower"),
        (f"{__name__}:ConfigError", "names class ConfigError, not a subclass of"),
    ],
)
def test_bad_provider_names_are_config_errors(name, message):
    with pytest.raises(ConfigError) as excinfo:
        linear_power_provider(name, **FIXED[0])
    assert message in str(excinfo.value)


def test_unknown_colossus_model_lists_its_models():
    pytest.importorskip("colossus")
    with pytest.raises(ConfigError, match="colossus has no power spectrum model 'eh'; its models:"):
        linear_power_provider("colossus:eh", **FIXED[0])


def test_missing_colossus_says_how_to_install_it(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "colossus", None)  # makes `import colossus` fail
    monkeypatch.setitem(sys.modules, "colossus.cosmology", None)
    with pytest.raises(ConfigError, match=r"pip install 'cosmossl\[colossus\]'"):
        linear_power_provider("colossus:eisenstein98", **FIXED[0])


def test_check_provider_name_imports_nothing():
    assert power_providers.check_provider_name("colossus:camb") == "colossus:camb"
    assert power_providers.check_provider_name("somepkg.power:CAMB") == "somepkg.power:CAMB"
    with pytest.raises(ValueError, match="unknown linear power spectrum"):
        power_providers.check_provider_name("camb")
