"""Contract checks for plugin authors: run them in your own tests, one call per component.

Each ``check_*`` function builds small inputs, exercises the component the way the engine will,
and raises :class:`AssertionError` with a message that says what is wrong and what the engine
needs instead. They are plain functions (use them from pytest, unittest or a notebook), cheap
(tiny tensors, CPU; CUDA too when it is there), and return what they computed so that you can
add assertions of your own. cosmossl's built-in components are held to the same checks.

Example (a plugin's ``tests/test_contract.py``)::

    import functools
    import cosmossl
    from cosmossl.testing import check_augmentation, check_loss, sample_meta

    def test_my_loss_keeps_the_contract():
        check_loss(functools.partial(cosmossl.create, "loss", "my-loss"))

    def test_my_augmentation_keeps_the_contract():
        check_augmentation(cosmossl.create("augmentation", "my-psf", meta=sample_meta()))
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cosmossl._util.lazy import lazy_attributes

_LAZY: dict[str, str] = {
    "VOLUME_SHAPES": "cosmossl.testing.encoders",
    "check_augmentation": "cosmossl.testing.augmentations",
    "check_backend": "cosmossl.testing.backends",
    "check_dataset": "cosmossl.testing.datasets",
    "check_encoder": "cosmossl.testing.encoders",
    "check_loss": "cosmossl.testing.losses",
    "check_loss_distributed": "cosmossl.testing.distributed",
    "check_simulator": "cosmossl.testing.datasets",
    "check_statistic": "cosmossl.testing.encoders",
    "sample_meta": "cosmossl.testing.inputs",
}

__all__ = sorted(_LAZY)

__getattr__, __dir__ = lazy_attributes(__name__, _LAZY)

if TYPE_CHECKING:
    from cosmossl.testing.augmentations import check_augmentation
    from cosmossl.testing.backends import check_backend
    from cosmossl.testing.datasets import check_dataset, check_simulator
    from cosmossl.testing.distributed import check_loss_distributed
    from cosmossl.testing.encoders import VOLUME_SHAPES, check_encoder, check_statistic
    from cosmossl.testing.inputs import sample_meta
    from cosmossl.testing.losses import check_loss
