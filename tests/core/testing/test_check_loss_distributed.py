"""check_loss_distributed names a loss that is wrong under two processes (a correct one passes
in tests/plugins/losses/test_loss_contract.py and in the example plugin's tests)."""

from __future__ import annotations

import pytest
import torch
from support import kit

from cosmossl.testing import check_loss_distributed
from cosmossl.testing.distributed import LowerPrecision

pytestmark = pytest.mark.slow


def test_local_batch_statistics_fail_under_two_processes():
    with pytest.raises(AssertionError) as info:
        check_loss_distributed(kit.LocalStatisticsLoss)
    message = str(info.value)
    assert "differs between 1 process and 2 processes" in message
    assert "gather embeddings with cosmossl.nn.gather_with_grad" in message


def test_a_lambda_cannot_reach_other_processes():
    with pytest.raises(AssertionError, match=r"cannot be sent to other processes.*not a lambda"):
        check_loss_distributed(lambda **context: kit.GoodLoss(**context))


def test_a_loss_that_casts_its_inputs_is_told_so_not_blamed_on_batch_statistics():
    with pytest.raises(AssertionError) as info:
        check_loss_distributed(kit.CastingLoss)
    message = str(info.value)
    assert "differs between 1 process and 2 processes" in message
    assert (
        "the loss computes in float32 (first in Tensor.float) although its inputs are float64: "
        "the check compares in float64, so the difference is that dtype's round-off, not a batch "
        "statistic. Keep the dtype of the inputs (drop casts such as z.float();"
    ) in message
    assert "gather_with_grad" not in message


def test_the_precision_watch_finds_the_first_lower_precision_operation():
    x = torch.ones(3, dtype=torch.float64)
    with LowerPrecision() as quiet:
        (x * 2).sum()
    with LowerPrecision() as cast:
        y = x.to(torch.float32) + 1
        y.half()
    assert quiet.first is None
    assert cast.first == ("Tensor.to", torch.float32)
