"""check_loss_distributed names a loss that is wrong under two processes (a correct one passes
in tests/plugins/losses/test_loss_contract.py and in the example plugin's tests)."""

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


def test_a_lambda_cannot_reach_other_processes():
    with pytest.raises(AssertionError, match=r"cannot be sent to other processes.*not a lambda"):
        check_loss_distributed(lambda **context: kit.GoodLoss(**context))
