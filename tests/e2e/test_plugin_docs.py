"""The component code in docs/plugins.md runs and passes the contract checks it recommends."""

from __future__ import annotations

import re
import types

import pytest
from support.paths import REPO

from cosmossl.testing import check_augmentation, check_encoder, check_loss

BLOCKS = re.findall(
    r"```python\n(# \S+\.py.*?\n.*?)```", (REPO / "docs/plugins.md").read_text(), re.S
)


def component(path: str, name: str):
    """Class ``name`` of the documented file ``path`` (its code block executed as a module)."""
    source = next((b for b in BLOCKS if b.startswith(f"# {path}")), None)
    assert source is not None, f"docs/plugins.md has no code block for {path}"
    module = types.ModuleType(path.replace("/", ".").removesuffix(".py"))
    code = compile(source, f"docs/plugins.md:{path}", "exec", dont_inherit=True)
    exec(code, module.__dict__)
    return getattr(module, name)


@pytest.mark.parametrize(
    ("path", "name"), [("my_package/flip.py", "RandomFlip"), ("cosmossl_example/psf.py", "PSF")]
)
def test_documented_augmentations_keep_the_contract(path, name):
    check_augmentation(component(path, name))


def test_documented_loss_keeps_the_contract():
    loss = component("cosmossl_example/align_uniform.py", "AlignUniform")
    out = check_loss(loss, views=3)
    assert set(out.terms) == {"alignment", "uniformity"}


def test_documented_encoder_keeps_the_contract():
    check_encoder(component("my_package/encoder.py", "TinyCNN"))
