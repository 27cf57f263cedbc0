"""check_loss_distributed: two processes against one, on a correct and a wrong loss."""

from __future__ import annotations

import pytest
from support import kit

from cosmossl.testing import check_loss_distributed

pytestmark = pytest.mark.slow


def test_local_batch_statistics_fail_under_two_processes():
    with pytest.raises(AssertionError) as info:
        check_loss_distributed(kit.LocalStatisticsLoss)
    message = str(info.value)
    assert "differs between 1 process and 2 processes" in message
    assert "gather embeddings with cosmossl.nn.gather_with_grad" in message


def test_gathered_statistics_pass_and_the_one_process_gradients_come_back():
    result = check_loss_distributed(kit.GoodLoss)
    assert {"loss", "grad encoder.1.weight", "grad loss.projector.weight"} <= set(result)


def test_a_lambda_cannot_reach_other_processes():
    with pytest.raises(AssertionError, match=r"cannot be sent to other processes.*not a lambda"):
        check_loss_distributed(lambda **context: kit.GoodLoss(**context))
