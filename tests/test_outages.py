"""An outage is said in one line of the log, whatever the driver's error looks like."""

from __future__ import annotations

import logging

import pytest

from acd.outages import Outage

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("error", "said"),
    [
        (ConnectionError("Connection refused\nwhile reading the response"), "Connection refused"),
        (TimeoutError(), "TimeoutError"),  # a driver error that says nothing: its type
        (OSError("   "), "OSError"),
    ],
)
def test_an_outage_is_logged_in_one_line(caplog, error, said):
    caplog.set_level(logging.ERROR, logger="acd.outages")
    outage = Outage("redis")
    assert outage.failed(error)
    assert [r.getMessage() for r in caplog.records] == [f"redis outage began: {said}"]
