"""Public names that moved since cosmossl 0.1.0 keep working at their old path with a warning
that names the new home; names gone for good say what replaces them."""

from __future__ import annotations

import importlib

import pytest

import cosmossl
from cosmossl._util import moved

MOVES = sorted(
    (old, name, new) for old, names in moved.MOVED.items() for name, new in names.items()
)


@pytest.mark.parametrize(("old", "name", "new"), MOVES, ids=[f"{o}.{n}" for o, n, _ in MOVES])
def test_a_moved_name_is_the_object_of_its_new_home_with_a_warning(old, name, new):
    home, attr = new.split(":")
    with pytest.warns(DeprecationWarning) as record:
        value = getattr(importlib.import_module(old), name)
    assert value is getattr(importlib.import_module(home), attr)
    assert str(record[0].message) == (
        f"{old}.{name} moved to {home}.{attr} in cosmossl 0.2.0; import it from {home} "
        "(the old path goes in 0.3.0)"
    )
    assert record[0].filename == __file__  # it points at the code that used the old path


@pytest.mark.parametrize(("old", "name", "new"), MOVES, ids=[f"{o}.{n}" for o, n, _ in MOVES])
def test_every_new_home_is_public(old, name, new):
    home, attr = new.split(":")
    public = home == "cosmossl" or home in cosmossl.PLUGIN_API
    parent, _, module = home.rpartition(".")
    if not public and parent in cosmossl.PLUGIN_API:  # a public module's submodule (physics.fields)
        public = module in importlib.import_module(parent).__all__
    assert public, f"{old}.{name} moved to {home}, which is not a public module"
    assert attr in getattr(
        importlib.import_module(home), "__all__", dir(importlib.import_module(home))
    )


def test_importing_a_moved_name_warns_at_the_import():
    with pytest.warns(DeprecationWarning, match=r"cosmossl\.nn \(the old path goes in 0\.3\.0\)"):
        from cosmossl.distributed import gather_with_grad
    assert gather_with_grad is cosmossl.nn.gather_with_grad


def test_a_name_gone_for_good_names_its_replacement_in_the_import_error():
    with pytest.raises(ImportError) as info:
        from cosmossl.training import fisher_of_encoder  # noqa: F401
    assert str(info.value) == (
        "cosmossl.training.fisher_of_encoder was removed in cosmossl 0.2.0: the Fisher matrix of "
        "a trained encoder is `cosmossl fisher RUN_FILE --checkpoint CHECKPOINT`, or "
        "cosmossl.information.information(simulator, {'encoder': summary})"
    )


@pytest.mark.parametrize("gone", sorted(moved.GONE))
def test_every_gone_name_raises_its_message(gone):
    module, _, name = gone.rpartition(".")
    with pytest.raises(ImportError, match=f"^{gone} was removed in cosmossl 0.2.0: "):
        getattr(importlib.import_module(module), name)


def test_an_unknown_name_of_an_old_module_says_where_its_names_went():
    import cosmossl.pairing

    with pytest.raises(AttributeError) as info:
        cosmossl.pairing.SmallGroups  # noqa: B018
    assert str(info.value) == (
        "module 'cosmossl.pairing' has no attribute 'SmallGroups' (its public names moved to "
        "cosmossl)"
    )
    assert not hasattr(cosmossl.pairing, "__path__")  # dunders stay plain AttributeErrors


def test_an_old_module_lists_its_moved_names_but_a_facade_does_not():
    import cosmossl.heads

    assert dir(cosmossl.heads) == sorted(moved.MOVED["cosmossl.heads"])
    assert "TrainSettings" not in dir(cosmossl.training)
    assert "TrainSettings" not in cosmossl.training.__all__


def test_train_components_takes_pairing_or_the_0_1_keywords_not_both(tmp_path):
    with pytest.raises(TypeError, match=r"give pairing or \['views'\], not both"):
        cosmossl.train_components(None, None, None, run_dir=tmp_path,
                                  pairing=cosmossl.PairingSettings(), views=2)  # fmt: skip
    with pytest.raises(TypeError, match=r"unexpected keyword arguments \['view'\]"):
        cosmossl.train_components(None, None, None, run_dir=tmp_path, view=2)
