"""check_loss passes a correct loss and names what is wrong with a broken one."""

from __future__ import annotations

import pytest
from support import kit

from cosmossl import LossOutput
from cosmossl.testing import check_loss


def test_a_correct_loss_passes_and_its_output_is_returned():
    out = check_loss(kit.GoodLoss, batch=6, views=2, summary_dim=3)
    assert isinstance(out, LossOutput)
    assert set(out.terms) == {"invariance", "variance"}
    assert out.embeddings.shape == (12, 3)


@pytest.mark.parametrize(
    ("loss", "message"),
    [
        (kit.NaNGradientLoss, r"the gradient of 'encoder\.1\.weight' is not finite: .* NaN"),
        (kit.AttachedTermLoss, r"term 'invariance' is not detached"),
        (kit.ReservedTermLoss, r"term 'rankme': the metrics log already writes"),
        (
            kit.ProjectorEmbeddingsLoss,
            r"embeddings must be the summaries of every view, \[B·V, D\] = \[16, 4\].*"
            r"got \(16, 6\)",
        ),
        (kit.NumpyRandomLoss, r"not deterministic: the same seed gave loss .* then"),
        (kit.PeekingLoss, r"the loss changes with theta but the class says supervised = False"),
        (
            kit.LazyHeadLoss,
            r"forward created trainable parameters \['late\.bias', 'late\.weight'\]",
        ),
        (kit.UnusedParameterLoss, r"parameter 'loss\.spare\.weight' got no gradient"),
        (kit.UnsavedStateLoss, r"some state .* is not in state_dict"),
    ],
    ids=lambda value: value.__name__ if isinstance(value, type) else "",
)
def test_a_broken_loss_fails_with_a_message_naming_the_problem(loss, message):
    with pytest.raises(AssertionError, match=message) as info:
        check_loss(loss)
    assert str(info.value).startswith(f"loss {loss.__name__}: ")


def test_a_factory_that_builds_something_else_is_named():
    with pytest.raises(AssertionError, match=r"returned Linear, not a cosmossl\.Loss"):
        check_loss(lambda **context: kit.nn.Linear(2, 2))


def test_checks_leave_the_callers_random_state_alone():
    import torch

    torch.manual_seed(1234)
    expected = torch.rand(3)
    torch.manual_seed(1234)
    check_loss(kit.GoodLoss)
    assert torch.equal(torch.rand(3), expected)
