"""The parts of the engine core alone and through the façade: transition tables, typed timer
keys reaching their owner, leg args, and check-then-apply (a refused or failing input changes
nothing and emits nothing)."""

from __future__ import annotations

import copy
import logging
from datetime import UTC, datetime

import pytest

from acd.ari.events import Channel
from acd.engine import commands as cmd
from acd.engine import core as core_module
from acd.engine import inputs as inp
from acd.engine import legs
from acd.engine.agent_state import ACTIVITY_MOVES, PRESENCE_MOVES, check_move
from acd.engine.agents import AgentBook
from acd.engine.contacts import ACCEPTS, PHASE_MOVES, ContactTable, Phase
from acd.engine.core import EngineCore
from acd.engine.model import LineConfig
from acd.engine.runtime import _entered
from acd.engine.timers import TimerKey, TimerKind
from callbacks.model import AttemptResult
from foundation.contact import Activity, ContactRecord, Presence
from foundation.errors import IllegalTransition, RefusedTransition, UnknownAgent
from ivr.menu import MenuConfig
from skills import Router
from tests.engine.test_core import GENERAL, Harness, ari_state, make_config, of, only

T0 = datetime(2027, 3, 30, 9, 0, tzinfo=UTC)


def state(core: EngineCore) -> tuple[object, ...]:
    """Everything a handler could change, as plain copies to compare before and after."""
    return (
        {k: copy.copy(a) for k, a in core.agents.items()},
        {k: (c.phase, c.agent_id, c.routed, c.record.snapshot()) for k, c in core.contacts.items()},
        sorted(core.tracked_channels()),
        {code: (core.available_for(code), core.free_for(code)) for code in (GENERAL, "Onderwijs")},
    )


# ---------------------------------------------------------------------- transition tables


def test_every_phase_presence_and_activity_has_a_row_and_ended_is_final():
    assert set(PHASE_MOVES) == set(Phase)
    assert PHASE_MOVES[Phase.ENDED] == frozenset()
    assert all(phase is not Phase.ENDED for phases in ACCEPTS.values() for phase in phases)
    assert set(PRESENCE_MOVES) == set(Presence)
    assert set(ACTIVITY_MOVES) == set(Activity)


def test_an_illegal_phase_move_is_refused_and_changes_nothing():
    config = make_config()
    router = Router(config.routing)
    table = ContactTable(config, router, AgentBook(config, router), ids=lambda p: f"{p}-1")
    record = ContactRecord(id="ct-1", channel_id="c1", line="1700", caller_number="", arrived_at=T0)
    contact = table.add(record, config.lines[0], phase=Phase.QUEUED)
    with pytest.raises(IllegalTransition):
        table.to_phase(contact, Phase.WHISPER)  # only a ringing callback goes to the whisper
    assert contact.phase is Phase.QUEUED
    table.to_phase(contact, Phase.RINGING)
    assert contact.phase is Phase.RINGING  # type: ignore[comparison-overlap]  # to_phase changed it


def test_an_illegal_agent_move_is_refused_before_anything_changes():
    config = make_config()
    book = AgentBook(config, Router(config.routing))
    out: list[cmd.Command] = []
    book.login(inp.AgentLogin("a1"), T0, out)
    agent = book.require("a1")
    before = copy.copy(agent)
    out.clear()
    with pytest.raises(IllegalTransition):
        book.move(agent, T0, out, activity=Activity.WRAP_UP)  # idle agents do not wrap up
    assert (agent, out, book.free_for(GENERAL)) == (before, [], 1)
    with pytest.raises(IllegalTransition):
        check_move(agent, Presence.AVAILABLE, Activity.ON_CALL)


def test_a_duplicate_answer_and_a_late_ringing_are_logged_once_and_change_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    h = Harness()
    h.login("a1")
    leg = only(h.queue(), cmd.Originate).channel_id
    h.answer(leg, after_s=2)
    before = state(h.core)
    with caplog.at_level(logging.INFO, logger="acd.engine.contacts"):
        assert h.feed(inp.AgentLegAnswered(leg)) == []
        assert h.feed(inp.AgentLegRinging(leg)) == []
    assert state(h.core) == before
    ignored = [r.getMessage() for r in caplog.records if "ignored" in r.getMessage()]
    assert ignored == [
        "contact ct-1: agent_answered ignored in phase connected",
        "contact ct-1: agent_ringing ignored in phase connected",
    ]


# ---------------------------------------------------------------------- typed timer keys


def test_every_timer_kind_has_exactly_one_owner():
    owned = [
        core_module._INBOUND_TIMERS,
        core_module._OFFER_TIMERS,
        core_module._PLACING_TIMERS,
        frozenset({TimerKind.TRANSFER}),
        frozenset({TimerKind.SURVEY}),
        frozenset({TimerKind.WRAP_UP}),
    ]
    assert sum(len(kinds) for kinds in owned) == len(TimerKind)
    assert frozenset().union(*owned) == set(TimerKind)


def test_a_menu_timer_is_wrapped_in_its_kind_and_reaches_the_menu_only():
    menu = MenuConfig(prompt=("sound:menu",), options={"1": GENERAL}, default_line_code=GENERAL)
    line = LineConfig("1700", "1700", ("1700",), (GENERAL,), GENERAL, (), menu=menu)
    h = Harness(lines=(line,))
    out = h.arrive("c1")
    out = h.feed(inp.PlaybackDone(only(out, cmd.Play).playback_id))  # the menu prompt ends
    (timer,) = of(out, cmd.StartTimer)
    assert (timer.key.kind, timer.key.subject) == (TimerKind.MENU, "ct-1")
    assert timer.key.sub  # the menu's own key, handed back to it unchanged
    stale = TimerKey(TimerKind.MENU, "ct-1", ("stale",))
    assert h.feed(inp.TimerFired(stale)) == []  # not the menu's current timer: nothing
    assert h.feed(inp.TimerFired(TimerKey(TimerKind.ANNOUNCE, "ct-1", timer.key.sub))) == []
    out = h.feed(inp.TimerFired(timer.key), after_s=timer.delay_s)
    assert of(out, cmd.Play)  # the menu asks again


def test_a_wrap_up_timer_reaches_the_agent_book():
    h = Harness(wrap_up_s=5.0)
    h.login("a1")
    leg = only(h.queue(), cmd.Originate).channel_id
    h.answer(leg)
    out = h.feed(inp.ChannelGone("c1"), after_s=30)
    assert cmd.StartTimer(TimerKey(TimerKind.WRAP_UP, "a1"), 5.0) in out
    assert h.core.agents["a1"].activity is Activity.WRAP_UP
    h.feed(inp.TimerFired(TimerKey(TimerKind.WRAP_UP, "a1")), after_s=5)
    assert h.core.agents["a1"].activity is Activity.IDLE  # type: ignore[comparison-overlap]  # the timer changed it


# ---------------------------------------------------------------------- legs and app args


@pytest.mark.parametrize(
    "role",
    [
        legs.AgentLeg("a1", "ct-7"),
        legs.CitizenLeg("ct-9"),
        legs.InboundCall(("inbound", "1700", GENERAL)),
        legs.InboundCall(()),
    ],
)
def test_leg_roles_round_trip_through_app_args(role: legs.LegRole) -> None:
    assert legs.decode(legs.encode(role)) == role


@pytest.mark.parametrize(
    ("args", "line", "line_code"),
    [
        (("inbound", "1700"), "1700", None),
        (("inbound", "1701", "sales"), "1701", "sales"),
        (("outbound", "1701", "sales"), None, None),  # not the documented dialplan form
        ((), None, None),
    ],
)
def test_an_inbound_call_names_its_line_and_line_code_only_in_the_dialplan_form(
    args: tuple[str, ...], line: str | None, line_code: str | None
) -> None:
    call = legs.InboundCall(args)
    assert (call.line, call.line_code) == (line, line_code)


def test_the_agent_leg_the_core_originates_decodes_as_that_agent_leg_in_the_shell():
    h = Harness()
    h.login("a1")
    originate = only(h.queue(), cmd.Originate)
    assert legs.decode(originate.app_args) == legs.AgentLeg("a1", "ct-1")
    assert legs.is_originated_leg(originate.channel_id)
    assert not legs.is_originated_leg("1795390452.1")
    channel = Channel(id=originate.channel_id, name="PJSIP/1001-1", state="Up")
    assert _entered(channel, originate.app_args) == inp.AgentLegAnswered(originate.channel_id)
    caller = Channel(id="c9", name="PJSIP/x", state="Up", exten="1700")
    assert isinstance(_entered(caller, ("inbound", "1700")), inp.CallArrived)


# ---------------------------------------------------------------------- check, then apply


@pytest.mark.parametrize(
    ("request_", "error"),
    [
        (inp.AgentLogin("nobody"), UnknownAgent),
        (inp.SetPresence("a1", Presence.NOT_AVAILABLE, "coffee"), RefusedTransition),
        (inp.SetPresence("a1", Presence.AVAILABLE, "lunch"), RefusedTransition),
        (inp.SetPresence("a3", Presence.AVAILABLE), RefusedTransition),  # logged out
    ],
)
def test_a_refused_request_changes_no_state_and_emits_nothing(
    request_: inp.Input, error: type[Exception]
) -> None:
    h = Harness()
    h.login("a1", "a2")
    h.queue("c1")  # a contact ringing a1: offers and tallies in play
    before = state(h.core)
    with pytest.raises(error):
        h.feed(request_)
    assert state(h.core) == before


def test_a_failing_input_is_logged_once_changes_nothing_and_emits_nothing(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = Harness()
    h.login("a1")
    h.queue("c1")
    before = state(h.core)

    def broken(*args: object) -> None:
        raise RuntimeError("a bug in a handler")

    monkeypatch.setattr(h.core._inbound, "dtmf", broken)
    with caplog.at_level(logging.ERROR, logger="acd.engine.core"):
        assert h.feed(inp.DtmfReceived("c1", "5")) == []
    assert state(h.core) == before
    (logged,) = caplog.records
    assert "DtmfReceived" in logged.getMessage()
    assert h.feed(inp.AgentLogin("a2")) != []  # the core goes on


# ---------------------------------------------------------------------- callback placing


def place_callback(h: Harness) -> tuple[str, str]:
    """A callback handed over, its agent answered and the whisper over: the citizen rings.
    Returns (agent leg, citizen leg)."""
    due = inp.CallbackDue("cb-1", 1, "+32470123456", "1700", GENERAL, requested_at=h.now)
    agent = only(h.feed(due), cmd.Originate)
    assert agent.originator is None  # the citizen is dialled only once the agent is on
    assert legs.decode(agent.app_args) == legs.AgentLeg("a1", "ct-1")
    out = h.answer(agent.channel_id, after_s=3)
    whisper = only(out, cmd.Play)
    assert whisper.channel_id == agent.channel_id
    assert cmd.StartTimer(TimerKey(TimerKind.WHISPER, "ct-1"), 120.0) in out
    out = h.feed(inp.PlaybackDone(whisper.playback_id), after_s=4)
    assert cmd.CancelTimer(TimerKey(TimerKind.WHISPER, "ct-1")) in out
    citizen = only(out, cmd.Originate)
    assert legs.decode(citizen.app_args) == legs.CitizenLeg("ct-1")
    assert citizen.originator == agent.channel_id
    return agent.channel_id, citizen.channel_id


def test_a_callback_is_placed_agent_first_and_its_attempt_ends_answered():
    h = Harness()
    h.login("a1")
    _, citizen = place_callback(h)
    out = h.feed(inp.CitizenAnswered(citizen), after_s=5)
    (finish,) = of(out, cmd.FinishCallback)
    assert (finish.callback_id, finish.result, finish.agent_id) == ("cb-1", "answered", "a1")
    assert finish.result is AttemptResult.ANSWERED


@pytest.mark.parametrize(
    ("cause", "result"),
    [(17, AttemptResult.BUSY), (19, AttemptResult.NO_ANSWER), (None, AttemptResult.NO_ANSWER)],
)
def test_a_citizen_not_reached_ends_the_attempt_with_its_result_and_frees_the_agent(
    cause: int | None, result: AttemptResult
) -> None:
    h = Harness()
    h.login("a1")
    agent_leg, citizen = place_callback(h)
    out = h.feed(inp.ChannelGone(citizen, cause), after_s=20)
    assert only(out, cmd.FinishCallback).result is result
    assert cmd.Hangup(agent_leg) in out
    assert h.core.agents["a1"].activity is Activity.IDLE
    assert not h.core.contacts


def test_a_citizen_gone_during_an_outage_is_not_reached_and_the_agent_is_freed():
    h = Harness()
    h.login("a1")
    agent_leg, _ = place_callback(h)
    out = h.feed(ari_state({agent_leg}))
    assert only(out, cmd.FinishCallback).result is AttemptResult.NO_ANSWER
    assert h.core.agents["a1"].activity is Activity.IDLE
    assert not h.core.contacts
