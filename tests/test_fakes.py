"""The fake ARI client is held to the port it stands in for."""

from __future__ import annotations

import pytest

from foundation.errors import AriAllocationFailed, AriNotFound
from tests.fakes import PORT_METHODS, AriCall, FakeAriClient

pytestmark = pytest.mark.unit


def test_it_answers_exactly_the_port_s_methods() -> None:
    fake = FakeAriClient()
    assert {"answer", "originate", "list_channels"} <= PORT_METHODS
    for name in PORT_METHODS:
        assert callable(getattr(fake, name))
    with pytest.raises(AttributeError):
        fake.continue_in_dialplan  # type: ignore[attr-defined]  # the client's, not the port's  # noqa: B018


async def test_calls_are_recorded_with_their_real_arguments() -> None:
    fake = FakeAriClient()
    await fake.play("c1", ["sound:welcome"], "pb-1")
    await fake.originate("PJSIP/1001", channel_id="ag-1", app="acd", app_args=["agent", "c1"])
    assert fake.calls == [
        AriCall("play", ("c1", ["sound:welcome"], "pb-1", None)),
        AriCall(
            "originate",
            ("PJSIP/1001",),
            {
                "channel_id": "ag-1",
                "app": "acd",
                "app_args": ["agent", "c1"],
                "caller_id": None,
                "timeout_s": None,
                "originator": None,
            },
        ),
    ]
    assert fake.called("play") == [("c1", ["sound:welcome"], "pb-1", None)]


async def test_a_programmed_failure_is_raised_after_the_call_is_recorded() -> None:
    fake = FakeAriClient(
        {
            "answer": AriNotFound(404, "Channel not found"),
            "originate": AriAllocationFailed(500, "Allocation failed"),
        }
    )
    with pytest.raises(AriNotFound):
        await fake.answer("gone")
    with pytest.raises(AriAllocationFailed):
        await fake.originate("PJSIP/x", channel_id="ag-2", app="acd", app_args=[])
    await fake.hangup("c1")  # not programmed: succeeds
    assert [c.name for c in fake.calls] == ["answer", "originate", "hangup"]


def test_a_failure_for_a_method_the_port_lacks_is_refused() -> None:
    with pytest.raises(ValueError, match="continue_in_dialplan"):
        FakeAriClient({"continue_in_dialplan": AriNotFound(404, "x")})
    with pytest.raises(ValueError, match="continue_in_dialplan"):
        FakeAriClient().called("continue_in_dialplan")


async def test_list_channels_answers_the_staged_channels() -> None:
    fake = FakeAriClient()
    assert await fake.list_channels() == []
    assert fake.called("list_channels") == [()]
