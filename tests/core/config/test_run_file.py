"""The run file: component slots validated by each component's own Params model."""

from __future__ import annotations

import pytest

from cosmossl import ConfigError, create, load_run_config
from cosmossl.config.run_file import parse_run_config


def write(tmp_path, text):
    path = tmp_path / "run.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_valid_file_gives_typed_params(tmp_path):
    path = write(
        tmp_path,
        """
        seed = 3
        [encoder]
        type = "mlp"
        summary_dim = 8
        hidden = [32]
        [[augmentations]]
        type = "d4"
    """.replace("\n        ", "\n"),
    )
    config = load_run_config(path)
    assert config.settings.seed == 3
    encoder = config.component("encoder")
    assert (encoder.type, encoder.params.summary_dim, encoder.params.hidden) == ("mlp", 8, [32])
    assert encoder.params.activation == "gelu"
    assert [a.type for a in config.augmentations] == ["d4"]


def test_unknown_key_names_file_table_and_close_match(tmp_path):
    path = write(tmp_path, '[encoder]\ntype = "mlp"\nsumary_dim = 8\n')
    with pytest.raises(ConfigError) as info:
        load_run_config(path)
    message = str(info.value)
    assert message.startswith(f"{path}: [encoder] unknown key 'sumary_dim'.")
    assert "Did you mean 'summary_dim'?" in message


def test_vicreg_typo_suggests_sim_weight(tmp_path):
    path = write(tmp_path, '[loss]\ntype = "vicreg"\nsim_wieght = 5.0\n')
    with pytest.raises(
        ConfigError,
        match=r"\[loss\] unknown key 'sim_wieght'\. Did you mean "
        r"'sim_weight'\?",
    ):
        load_run_config(path)


def test_unknown_type_suggests_registered_name(tmp_path):
    path = write(tmp_path, '[loss]\ntype = "vicrg"\n')
    with pytest.raises(ConfigError) as info:
        load_run_config(path)
    assert f"{path}: [loss] type = 'vicrg': no loss named 'vicrg'." in str(info.value)
    assert "Did you mean 'vicreg'?" in str(info.value)


def test_wrong_value_says_what_was_expected(tmp_path):
    path = write(tmp_path, '[encoder]\ntype = "mlp"\nsummary_dim = -2\n')
    with pytest.raises(ConfigError) as info:
        load_run_config(path)
    message = str(info.value)
    assert "[encoder] key 'summary_dim': Input should be greater than 0, got -2" in message
    assert "(expected int > 0, default 16)" in message


def test_missing_type_lists_available(tmp_path):
    path = write(tmp_path, "[encoder]\nsummary_dim = 4\n")
    with pytest.raises(
        ConfigError,
        match=r"\[encoder\] needs type = \"<name>\" naming the "
        r"encoder to use\. Available: .*mlp",
    ):
        load_run_config(path)


def test_augmentation_errors_name_the_array_entry(tmp_path):
    path = write(tmp_path, '[[augmentations]]\ntype = "d4"\n[[augmentations]]\ntype = "rol"\n')
    with pytest.raises(ConfigError, match=r"\[\[augmentations\]\] #2 type = 'rol'.*'roll'"):
        load_run_config(path)


def test_unknown_top_level_table_suggests(tmp_path):
    path = write(tmp_path, '[encodr]\ntype = "mlp"\n')
    with pytest.raises(
        ConfigError,
        match=r"unknown key or table 'encodr'\. Did you mean "
        r"'encoder'\?",
    ):
        load_run_config(path)


def test_invalid_toml_names_the_file(tmp_path):
    path = write(tmp_path, "[encoder\n")
    with pytest.raises(ConfigError, match=rf"{path}: not valid TOML"):
        load_run_config(path)


def test_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read run file"):
        load_run_config(tmp_path / "absent.toml")


def test_core_settings_validated(tmp_path):
    with pytest.raises(ConfigError, match=r"\[pairing\]|pairing\.views"):
        parse_run_config({"pairing": {"views": 1}}, source="x.toml")


def test_create_validates_params_and_context():
    encoder = create("encoder", "mlp", summary_dim=4, hidden=[8], input_shape=(5,))
    assert encoder.summary_dim == 4
    with pytest.raises(
        ConfigError,
        match=r"encoder 'mlp': unknown key 'hiden'\. Did you mean "
        r"'hidden'\?",
    ):
        create("encoder", "mlp", hiden=[8], input_shape=(5,))


def test_third_party_component_validates_like_builtins(tmp_path):
    import cosmossl

    class Plugin:
        @cosmossl.hookimpl
        def register_components(self, registry):
            registry.add("augmentation", "example-flip", "cosmossl_example.flip:RandomFlip")

    import sys

    from support.paths import REPO

    sys.path.insert(0, str(REPO / "examples/plugins/cosmossl-example"))
    try:
        cosmossl.register_plugin(Plugin(), name="example")
        path = write(tmp_path, '[[augmentations]]\ntype = "example-flip"\np = 1.5\n')
        with pytest.raises(ConfigError, match=r"key 'p': Input should be less than or equal to 1"):
            load_run_config(path)
    finally:
        sys.path.remove(str(REPO / "examples/plugins/cosmossl-example"))


def test_unknown_key_in_a_core_table_suggests_from_that_table(tmp_path):
    path = write(tmp_path, "[inference]\nn_corners = 2\n[train]\nepochs = 0\n")
    with pytest.raises(ConfigError) as info:
        load_run_config(path)
    message = str(info.value)
    assert f"{path}: [inference] unknown key 'n_corners'. Did you mean 'n_corner'?" in message
    assert f"{path}: [train] key 'epochs': Input should be greater than or equal to 1" in message


ROBUST = """
[dataset]
type = "lognormal"
feedback = true
geometry = "slab"
"""


def test_robustness_contaminations_are_validated_like_components(tmp_path):
    text = (
        ROBUST
        + """
[robustness]
survey_size = 8
[[robustness.contaminations]]
augmentation = {type = "gaussian-noise", sigma_min = 0.1, sigma_max = 0.1}
[[robustness.contaminations]]
name = "AGN x2"
dataset = {feedback_shift = {A_AGN1 = 1.0}}
"""
    )
    config = load_run_config(write(tmp_path, text))
    robustness = config.settings.robustness
    assert robustness.survey_size == 8
    assert [c.label for c in robustness.contaminations] == ["gaussian-noise", "AGN x2"]
    assert "robustness    gaussian-noise, AGN x2 (test surveys of 8 maps)" in config.describe()


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('augmentation = {type = "gausian-noise"}',
         r"\[\[robustness.contaminations\]\] #1 augmentation type = 'gausian-noise': no "
         r"augmentation named 'gausian-noise'\. Did you mean 'gaussian-noise'\?"),
        ('augmentation = {type = "smoothing", fwhm = 2}',
         r"#1 augmentation unknown key 'fwhm'\. Did you mean 'fwhm_max'"),
        ("dataset = {feedback_shift = {A_AGN = 1.0}}",
         r"#1 dataset key 'feedback_shift': .*unknown: \['A_AGN'\]"),
        ('dataset = {type = "npy"}', r"cannot change its type to 'npy'"),
        ('name = "x"', r"\[\[robustness.contaminations\]\] #1 keys 'augmentation', 'dataset': "
         r"give exactly one of 'augmentation' or 'dataset' \(given augmentation = None "
         r"\(default\), dataset = None \(default\)\)\.$"),
        ('augmentation = {type = "d4"}\nnme = "x"',
         r"\[\[robustness.contaminations\]\] #1 unknown key 'nme'\. Did you mean 'name'\?"),
    ],
)  # fmt: skip
def test_a_bad_contamination_names_its_table_and_what_is_wrong(tmp_path, table, message):
    path = write(tmp_path, ROBUST + f"[[robustness.contaminations]]\n{table}\n")
    with pytest.raises(ConfigError, match=message):
        load_run_config(path)


def test_contaminations_need_distinct_names_and_a_dataset_for_dataset_changes(tmp_path):
    twice = '[[robustness.contaminations]]\naugmentation = {type = "d4"}\n' * 2
    with pytest.raises(ConfigError, match="contamination names must differ: d4 appear twice"):
        load_run_config(write(tmp_path, ROBUST + twice))
    alone = "[[robustness.contaminations]]\ndataset = {n_pixels = 8}\n"
    with pytest.raises(ConfigError, match=r"a dataset contamination needs a \[dataset\] table"):
        load_run_config(write(tmp_path, alone))


def test_hardening_and_a_mixture_of_positives_are_described(tmp_path):
    text = (
        ROBUST
        + """
[pairing]
level = "paired"
paired_fraction = 0.5
[hardening]
nuisance = ["A_AGN1", "A_AGN2"]
"""
    )
    config = load_run_config(write(tmp_path, text))
    assert config.settings.hardening.nuisance == ["A_AGN1", "A_AGN2"]
    described = config.describe()
    assert "hardening     every summary also hardened against A_AGN1, A_AGN2" in described
    assert "pairing       2 views per group, paired (0.5 of rows)" in described
