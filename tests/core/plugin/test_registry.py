"""The registry: adding, looking up, duplicates, unknown names, manifests."""

from __future__ import annotations

import pytest

import cosmossl
from cosmossl import CosmosslError, DuplicateComponentError, Registry, UnknownComponentError
from cosmossl.plugin.registry import Provider, read_manifest


class Jitter(cosmossl.Augmentation):
    """Adds nothing; a test component."""

    role = "symmetry"

    def __call__(self, maps, generator):
        return maps


def test_add_records_provider_and_summary_from_docstring():
    registry = Registry()
    with registry.provided_by(Provider("mine", "my-dist", "1.2.3")):
        entry = registry.add("augmentation", "jitter", Jitter)
    assert entry.summary == "Adds nothing; a test component."
    assert entry.provider == Provider("mine", "my-dist", "1.2.3")
    assert registry.load("augmentation", "jitter") is Jitter


def test_duplicate_name_names_both_providers():
    registry = Registry()
    with registry.provided_by(Provider("first", "dist-a", "1.0")):
        registry.add("augmentation", "jitter", Jitter)
    with (
        registry.provided_by(Provider("second", "dist-b", "2.0")),
        pytest.raises(DuplicateComponentError) as info,
    ):
        registry.add("augmentation", "jitter", Jitter)
    message = str(info.value)
    assert "plugin 'first' (dist-a 1.0)" in message
    assert "plugin 'second' (dist-b 2.0)" in message
    assert "COSMOSSL_DISABLE_PLUGINS=second" in message


def test_unknown_name_suggests_close_match_and_lists_available():
    with pytest.raises(UnknownComponentError) as info:
        cosmossl.registry().get("loss", "vicrg")
    message = str(info.value)
    assert "Did you mean 'vicreg'?" in message
    assert "simclr (cosmossl)" in message


def test_unknown_kind_suggests_kind():
    with pytest.raises(UnknownComponentError, match="Did you mean 'encoder'"):
        Registry().names("encodr")


def test_string_target_is_imported_only_when_loaded():
    registry = Registry()
    entry = registry.add("augmentation", "ghost", "no_such_module_xyz:Thing", summary="lazy")
    assert entry.summary == "lazy"
    with pytest.raises(CosmosslError, match="could not be loaded from 'no_such_module_xyz:Thing'"):
        entry.load()


def test_target_of_wrong_kind_is_rejected():
    registry = Registry()
    registry.add("encoder", "jitter", Jitter)
    with pytest.raises(CosmosslError, match=r"not a subclass of cosmossl\.Encoder"):
        registry.load("encoder", "jitter")


@pytest.mark.parametrize(
    ("params", "what"), [({"sigma": 1.0}, "a dict instance"), (None, "None")], ids=["dict", "none"]
)
def test_a_component_whose_params_is_not_a_model_class_is_rejected_by_name(params, what):
    broken = type("Broken", (Jitter,), {"Params": params})
    registry = Registry()
    registry.add("augmentation", "broken", broken)
    with pytest.raises(CosmosslError) as info:
        registry.load("augmentation", "broken")
    assert str(info.value) == (
        f"augmentation 'broken' from plugin '<direct>': its Params is {what}, not a class "
        "deriving from cosmossl.Params; declare it as `class Params(cosmossl.Params)`"
    )


def test_target_without_colon_is_rejected():
    with pytest.raises(CosmosslError, match="must have the form 'module:attr'"):
        Registry().add("loss", "x", "just_a_module")


def test_entries_filter_by_kind_and_wildcard():
    names = [e.name for e in cosmossl.registry().entries("augmentation", "*o*")]
    assert names == sorted(names)
    assert "roll" in names and "d4" not in names


def test_manifest_rejects_unknown_keys_and_missing_target():
    with pytest.raises(CosmosslError, match=r"\[loss.x\] has unknown keys: targt"):
        read_manifest('[loss.x]\ntarget = "a:b"\ntargt = "c"\n', source="m.toml")
    with pytest.raises(CosmosslError, match=r"m.toml: \[loss.x\] needs a string 'target"):
        read_manifest("[loss.x]\nsummary = 'hi'\n", source="m.toml")


def test_builtin_manifest_lists_every_kind():
    kinds = {e.kind for e in cosmossl.registry().entries()}
    assert kinds == set(cosmossl.KINDS)


def test_every_builtin_loads_and_has_documented_params():
    for entry in cosmossl.registry().entries():
        cls = entry.load()
        assert cls.kind == entry.kind
        for key, field in cls.Params.model_fields.items():
            assert field.description, f"{entry.kind} '{entry.name}': parameter '{key}' undocumented"
            assert not field.is_required(), f"{entry.kind} '{entry.name}': '{key}' needs a default"


def test_provenance_names_the_plugin_distribution_and_version():
    registry = Registry()
    with registry.provided_by(Provider("example", "cosmossl-example", "0.1.1")):
        registry.add("augmentation", "example-psf", "cosmossl_example.psf:PSF")
    spec = {"type": "example-psf", "params": {"noise": 0.1}}
    assert registry.provenance("augmentation", spec) == {
        **spec,
        "provider": {"plugin": "example", "distribution": "cosmossl-example", "version": "0.1.1"},
    }
    assert registry.provenance("augmentation", {"type": "other"})["provider"] is None
