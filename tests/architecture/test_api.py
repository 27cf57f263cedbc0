"""The compatibility promise, enforced: the public API (the ``__all__`` of ``cosmossl`` and of the
modules in ``cosmossl.PLUGIN_API``, with every signature) keeps what the committed snapshot in
``api/`` holds. New names and new optional parameters are fine; a name that disappears or a
signature that changes incompatibly fails, unless the old name still works with a
DeprecationWarning. Regenerate the snapshot after an intended addition with
``python tests/support/api.py``."""

from __future__ import annotations

import pytest
from support import api

import cosmossl


def test_the_public_api_keeps_every_name_and_signature_of_the_snapshot():
    broken = api.breaking_changes(api.read_snapshot(), api.public_api())
    assert not broken, (
        "the public API broke against tests/architecture/api/ (keep the old name working with a "
        "shim in cosmossl/_util/moved.py and say so in CHANGELOG.md):\n" + "\n".join(broken)
    )


def test_a_removed_name_fails(monkeypatch):
    monkeypatch.setattr(
        cosmossl.nn, "__all__", [n for n in cosmossl.nn.__all__ if n != "gather_with_grad"]
    )
    old = {"cosmossl.nn": api.read_snapshot()["cosmossl.nn"]}
    assert api.breaking_changes(old, {"cosmossl.nn": api.module_stub("cosmossl.nn")}) == [
        "cosmossl.nn.gather_with_grad: Public object was removed"
    ]


def test_a_removed_name_with_a_deprecation_shim_does_not_fail():
    # cosmossl.training.TrainSettings moved to cosmossl in 0.2.0 and still works with a warning.
    old = {"cosmossl.training": "class TrainSettings(BaseModel):\n    epochs: int = ...\n"}
    assert api.breaking_changes(old, {"cosmossl.training": ""}) == []


def test_additions_do_not_fail():
    old = {"cosmossl.nn": "def f(x: int) -> int: ...\nclass A:\n    def g(self): ...\n"}
    new = {
        "cosmossl.nn": "def f(x: int, scale: float = 1.0) -> int: ...\nclass A:\n"
        "    def g(self, *, fast: bool = False): ...\n    def h(self): ...\ndef new(): ...\n",
        "cosmossl.brand_new": "def thing(): ...\n",
    }
    assert api.breaking_changes(old, new) == []


@pytest.mark.parametrize(
    ("new", "message"),
    [
        ("def f(x, y): ...", "cosmossl.nn.f(y): Parameter was added as required"),
        (
            "def f(x, *, scale=1.0): ...",
            "cosmossl.nn.f(scale): Parameter kind was changed: "
            "positional or keyword -> keyword-only",
        ),
        (
            "def f(scale=1.0, x=0): ...",
            "cosmossl.nn.f(x): Positional parameter was moved (position: from 0 to 1 (+1))",
        ),
        ("def f(x, scale): ...", "cosmossl.nn.f(scale): Parameter is now required"),
        ("def f(x): ...", "cosmossl.nn.f(scale): Parameter was removed"),
        (
            "class f: ...",
            "cosmossl.nn.f: Public object points to a different kind of object: function -> class",
        ),
    ],
)
def test_an_incompatible_signature_change_fails(new, message):
    old = {"cosmossl.nn": "def f(x, scale=1.0): ...\n"}
    broken = api.breaking_changes(old, {"cosmossl.nn": new + "\n"})
    assert message in broken or any(b.startswith(message) for b in broken), broken


def test_a_changed_default_is_not_a_break():
    old = {"cosmossl.nn": "def f(x, scale=1.0): ...\n"}
    assert api.breaking_changes(old, {"cosmossl.nn": "def f(x, scale=2.0): ...\n"}) == []


def test_a_removed_class_member_fails():
    old = {"cosmossl.nn": "class Loss:\n    def after_step(self, step): ...\n    kind: str = ...\n"}
    new = {"cosmossl.nn": "class Loss:\n    kind: str = ...\n"}
    assert api.breaking_changes(old, new) == [
        "cosmossl.nn.Loss.after_step: Public object was removed"
    ]
