"""Generated documentation stays in sync with the code."""

from __future__ import annotations

from support.paths import REPO

from cosmossl.config.reference import configuration_markdown, configuration_schema
from cosmossl.plugin.host import load_plugins


def test_configuration_reference_is_current():
    expected = configuration_markdown(load_plugins(autoload=False).registry)
    committed = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert committed == expected, (
        "docs/configuration.md is stale: run "
        "`COSMOSSL_LOAD_PLUGINS= .venv/bin/cosmossl schema --markdown > docs/configuration.md`"
    )


def test_json_schema_has_a_type_union_per_slot():
    schema = configuration_schema(load_plugins(autoload=False).registry)
    losses = {o["properties"]["type"]["const"] for o in schema["properties"]["loss"]["oneOf"]}
    assert {"vicreg", "simclr", "byol", "barlow", "supervised"} <= losses
    augmentation = schema["properties"]["augmentations"]["items"]["oneOf"]
    d4 = next(o for o in augmentation if o["properties"]["type"]["const"] == "d4")
    assert d4["required"] == ["type"]


def test_reference_writes_constrained_types_and_choices():
    text = configuration_markdown(load_plugins(autoload=False).registry)
    row = next(line for line in text.splitlines() if "`expander_dims`" in line)
    assert "| list[int > 0] \\| None |" in row
    assert "| `plateau_factor` | 0 < float < 1 |" in text
    assert "| `batch_norm` | Literal['sync', 'local'] |" in text
