"""The runtime shell with an ARI fake: how ARI refusals flow back into the core."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import pytest

from acd.ari import events as ev
from acd.engine import inputs as inp
from acd.engine.ari_commands import ANSWER_RETRY_DELAYS_S
from acd.engine.commands import RecordingStep
from acd.engine.contacts import Phase
from acd.engine.core import EngineCore
from acd.engine.model import RecordingRule
from acd.engine.runtime import EngineRuntime
from foundation.clock import Clock
from foundation.contact import (
    Activity,
    ContactEvent,
    ContactEventKind,
    OfferResult,
    Outcome,
    Presence,
)
from foundation.errors import (
    AriAllocationFailed,
    AriBadRequest,
    AriError,
    AriNotFound,
    AriServerError,
    AriUnavailable,
    AriWrongState,
)
from tests.engine.test_core import make_config
from tests.fakes import AriCall, FakeAriClient


class Events:
    def __init__(self) -> None:
        self.contacts: list[ContactEvent] = []

    def contact_event(self, event: ContactEvent) -> None:
        self.contacts.append(event)

    def agent_event(self, event: Any) -> None:
        pass


def runtime_with(ari: FakeAriClient) -> tuple[EngineRuntime, Events]:
    sink = Events()
    runtime = EngineRuntime(EngineCore(make_config()), ari, Clock(), [sink], "acd")
    runtime.start()
    return runtime, sink


def stasis_start(channel_id: str, *args: str, state: str = "Ring") -> ev.AriEvent:
    return ev.parse_event(
        {
            "type": "StasisStart",
            "application": "acd",
            "args": list(args),
            "channel": {
                "id": channel_id,
                "name": "PJSIP/caller-1",
                "state": state,
                "caller": {"number": "0470"},
                "dialplan": {"exten": args[1]},
            },
        }
    )


def playback_finished(playback_id: str) -> ev.AriEvent:
    return ev.parse_event(
        {
            "type": "PlaybackFinished",
            "application": "acd",
            "playback": {"id": playback_id, "target_uri": "channel:c1", "state": "done"},
        }
    )


async def test_a_prompt_refused_by_ari_does_not_hold_the_caller_in_silence():
    ari = FakeAriClient({"play": AriWrongState(412, "Channel in invalid state")})
    runtime, _ = runtime_with(ari)
    runtime.on_event(stasis_start("c1", "inbound", "1700"))
    await runtime.drain()
    (contact,) = runtime.core.contacts.values()
    assert contact.phase is Phase.QUEUED
    assert ari.called("start_moh") == [("c1", "default")]


async def test_an_agent_that_cannot_be_dialled_passes_the_call_to_the_next():
    ari = FakeAriClient({"originate": AriAllocationFailed(500, "Allocation failed")})
    runtime, _ = runtime_with(ari)
    runtime.submit(inp.AgentLogin("a1"))
    await asyncio.sleep(1)
    runtime.submit(inp.AgentLogin("a2"))
    runtime.on_event(stasis_start("c1", "inbound", "1700"))
    await runtime.drain()
    (playback_id,) = [args[2] for args in ari.called("play")]
    runtime.on_event(playback_finished(playback_id))
    await runtime.drain()
    tried = [args[0] for args in ari.called("originate")]
    assert tried[:2] == ["PJSIP/1001", "PJSIP/1002"]
    assert runtime.core.agents["a1"].reason == "missed"


async def test_a_caller_gone_before_the_answer_is_recorded_abandoned():
    ari = FakeAriClient({"answer": AriNotFound(404, "Channel not found")})
    runtime, sink = runtime_with(ari)
    runtime.on_event(stasis_start("c1", "inbound", "1700"))
    await runtime.drain()
    assert not runtime.core.contacts
    assert sink.contacts[-1].kind is ContactEventKind.ENDED
    assert sink.contacts[-1].contact.outcome is Outcome.ABANDONED


async def test_unknown_and_malformed_events_are_survived(caplog):
    runtime, _ = runtime_with(FakeAriClient())
    runtime.on_event(ev.parse_event({"type": "SomethingNew", "application": "acd"}))
    runtime.on_event(ev.parse_event({"type": "StasisStart", "application": "acd"}))
    assert "malformed StasisStart" in caplog.text
    assert runtime.events_handled == 2


async def test_a_caller_the_dialplan_answered_is_welcomed_without_a_second_answer():
    ari = FakeAriClient()
    runtime, _ = runtime_with(ari)
    runtime.on_event(stasis_start("c1", "inbound", "1700", state="Up"))
    await runtime.drain()
    assert not ari.called("answer")
    assert [c.name for c in ari.calls] == ["play"]  # straight to the welcome
    (contact,) = runtime.core.contacts.values()
    assert contact.phase is Phase.WELCOME


class FlakyAnswer(FakeAriClient):
    """Answers fail with ``errors`` in turn, then succeed."""

    def __init__(self, *errors: AriError) -> None:
        super().__init__()
        self.errors = list(errors)

    async def _respond(self, call: AriCall) -> None:
        if call.name == "answer" and self.errors:
            raise self.errors.pop(0)


async def test_a_refused_answer_is_retried_and_the_caller_then_served():
    ari = FlakyAnswer(
        AriServerError(503, "Service Unavailable"), AriUnavailable(0, "ConnectionResetError")
    )
    runtime, _ = runtime_with(ari)
    runtime.on_event(stasis_start("c1", "inbound", "1700"))
    await runtime.drain()
    assert ari.called("answer") == [("c1",)] * 3
    names = [c.name for c in ari.calls]
    assert names[:4] == ["answer", "answer", "answer", "play"]  # the welcome after the answer
    (contact,) = runtime.core.contacts.values()
    assert contact.phase is Phase.WELCOME


async def test_an_answer_refused_for_good_hangs_the_caller_up_and_ends_the_contact():
    ari = FakeAriClient({"answer": AriServerError(500, "Internal Server Error")})
    runtime, sink = runtime_with(ari)
    runtime.on_event(stasis_start("c1", "inbound", "1700"))
    await runtime.drain()
    assert len(ari.called("answer")) == 1 + len(ANSWER_RETRY_DELAYS_S)
    assert ari.called("hangup") == [("c1", None)]
    assert not ari.called("play")  # no prompt to a caller never answered
    assert not runtime.core.contacts
    assert sink.contacts[-1].kind is ContactEventKind.ENDED


async def test_an_answer_refused_because_the_channel_left_stasis_is_not_retried():
    ari = FakeAriClient({"answer": AriWrongState(412, "Channel not in Stasis application")})
    runtime, _ = runtime_with(ari)
    runtime.on_event(stasis_start("c1", "inbound", "1700"))
    await runtime.drain()
    assert ari.called("answer") == [("c1",)]
    assert ari.called("hangup") == [("c1", None)]
    assert not runtime.core.contacts


async def test_a_caller_gone_as_the_agent_is_dialled_does_not_count_against_the_agent():
    # Asterisk checks the originator before it dials: a caller who just hung up makes the
    # originate answer 400, before the caller's own hang-up event arrives.
    ari = FakeAriClient(
        {"originate": AriBadRequest(400, "Provided originator channel was not found")}
    )
    runtime, sink = runtime_with(ari)
    runtime.submit(inp.AgentLogin("a1"))
    runtime.on_event(stasis_start("c1", "inbound", "1700"))
    await runtime.drain()
    (playback_id,) = [args[2] for args in ari.called("play")]
    runtime.on_event(playback_finished(playback_id))
    await runtime.drain()
    assert len(ari.called("originate")) == 1
    agent = runtime.core.agents["a1"]
    assert (agent.presence, agent.activity, agent.reason) == (
        Presence.AVAILABLE,
        Activity.IDLE,
        None,
    )
    assert not runtime.core.contacts
    record = sink.contacts[-1].contact
    assert record.outcome is Outcome.ABANDONED
    assert record.offers[-1].result is OfferResult.CANCELLED


async def test_a_caller_gone_as_the_agent_answers_frees_the_agent_instead_of_leaving_them_alone():
    # Under load the caller's hang-up and the agent's answer cross: Asterisk refuses the
    # addChannel with 400 "Channel not found", naming no channel.  The runtime asks which one
    # is gone, so the agent is hung up and freed rather than left alone in the bridge.
    ari = FakeAriClient({"add_channel": AriBadRequest(400, "Channel not found")})
    runtime, sink = runtime_with(ari)
    originate = await offered(runtime, ari)
    leg = originate.kwargs["channel_id"]
    ari.channels = [ev.Channel(leg, "PJSIP/a1-00000001", "Up")]  # the caller is gone
    await answered(runtime, originate)
    assert ari.called("add_channel")
    assert (leg, None) in ari.called("hangup")
    assert runtime.core.agents["a1"].activity is not Activity.ON_CALL
    assert not runtime.core.contacts
    assert sink.contacts[-1].kind is ContactEventKind.ENDED


def recorded_runtime(ari: FakeAriClient) -> tuple[EngineRuntime, list[RecordingStep]]:
    """A runtime whose first line records every call, and the recording steps it files."""
    base = make_config()
    lines = (replace(base.lines[0], recording=RecordingRule(share=1.0)), *base.lines[1:])
    runtime = EngineRuntime(EngineCore(make_config(lines=lines)), ari, Clock(), [Events()], "acd")
    steps: list[RecordingStep] = []
    runtime.recording_sinks.append(steps.append)
    runtime.start()
    return runtime, steps


async def offered(runtime: EngineRuntime, ari: FakeAriClient) -> AriCall:
    """Caller c1 welcomed and queued, a1 logged in and dialled: the originate."""
    runtime.submit(inp.AgentLogin("a1"))
    runtime.on_event(stasis_start("c1", "inbound", "1700"))
    await runtime.drain()
    (playback_id,) = [args[2] for args in ari.called("play")]
    runtime.on_event(playback_finished(playback_id))
    await runtime.drain()
    (originate,) = [c for c in ari.calls if c.name == "originate"]
    return originate


async def answered(runtime: EngineRuntime, originate: AriCall) -> None:
    """The dialled agent's leg enters the app (they picked up), and what follows is run."""
    runtime.on_event(stasis_start(originate.kwargs["channel_id"], *originate.kwargs["app_args"]))
    await runtime.drain()
    await runtime.drain()


async def bridged(runtime: EngineRuntime, ari: FakeAriClient) -> None:
    await answered(runtime, await offered(runtime, ari))


@pytest.mark.parametrize(
    "refusal",
    [
        # A real Asterisk 22 whose spool has no recording/ folder (tests/realpbx found it).
        AriServerError(500, "Internal Server Error"),
        AriNotFound(404, "Bridge not found"),  # the bridge went before the request
    ],
)
async def test_a_recording_asterisk_refuses_leaves_no_row_and_the_call_goes_on(
    refusal: AriError,
) -> None:
    ari = FakeAriClient({"record_bridge": refusal})
    runtime, steps = recorded_runtime(ari)
    await bridged(runtime, ari)
    assert len(ari.called("record_bridge")) == 1
    (contact,) = runtime.core.contacts.values()
    assert contact.phase is Phase.CONNECTED
    assert contact.recording is None
    assert contact.record.recording_started_at is None
    name = f"rec-{contact.id}"
    assert [(s.name, s.refused) for s in steps] == [(name, False), (name, True)]
    runtime.on_event(
        ev.parse_event(
            {
                "type": "StasisEnd",
                "application": "acd",
                "channel": {"id": "c1", "name": "PJSIP/caller-1", "state": "Up"},
            }
        )
    )
    await runtime.drain()
    assert len(steps) == 2  # no end for a recording that never was


async def test_a_recording_request_lost_on_the_way_keeps_its_row() -> None:
    # Asterisk unreachable: it may have started the recording; the row keeps its file findable.
    ari = FakeAriClient({"record_bridge": AriUnavailable(0, "ConnectionResetError")})
    runtime, steps = recorded_runtime(ari)
    await bridged(runtime, ari)
    (contact,) = runtime.core.contacts.values()
    assert contact.recording is not None
    assert [s.refused for s in steps] == [False]


class BrokenSink:
    def contact_event(self, event: ContactEvent) -> None:
        raise RuntimeError("disk full")

    def agent_event(self, event: Any) -> None:
        raise RuntimeError("disk full")


class AgentEvents(Events):
    def __init__(self) -> None:
        super().__init__()
        self.agents: list[Any] = []

    def agent_event(self, event: Any) -> None:
        self.agents.append(event)


async def test_a_failing_sink_neither_stops_the_call_nor_the_sinks_after_it(caplog):
    after = AgentEvents()
    runtime = EngineRuntime(
        EngineCore(make_config()), FakeAriClient(), Clock(), [BrokenSink(), after], "acd"
    )
    runtime.start()
    runtime.submit(inp.AgentLogin("a1"))
    runtime.on_event(stasis_start("c1", "inbound", "1700"))
    await runtime.drain()
    assert after.agents[-1].agent_id == "a1"  # the login, after the agents at start
    assert after.contacts[0].kind is ContactEventKind.ARRIVED
    assert "event sink" in caplog.text
    assert "disk full" in caplog.text
