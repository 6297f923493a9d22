from __future__ import annotations

from datetime import timedelta

import pytest

from escalations.mail import RetryRules

pytestmark = pytest.mark.unit


def test_the_wait_doubles_after_each_failure_up_to_the_most():
    rules = RetryRules(first=timedelta(seconds=30), most=timedelta(minutes=5))
    waits = [rules.delay(n).total_seconds() for n in range(1, 7)]
    assert waits == [30, 60, 120, 240, 300, 300]


def test_a_long_outage_does_not_overflow_the_wait():
    assert RetryRules().delay(10_000) == RetryRules().most


def test_the_most_may_not_be_below_the_first():
    with pytest.raises(ValueError, match="at least the first"):
        RetryRules(first=timedelta(minutes=5), most=timedelta(minutes=1))
