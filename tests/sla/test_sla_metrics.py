"""The families the service level is worked out from: what a supervisor would misread if wrong."""

from __future__ import annotations

from datetime import datetime

from foundation.contact import (
    Activity,
    AgentEvent,
    AgentRecord,
    ContactEvent,
    ContactEventKind,
    ContactKind,
    OfferResult,
    Outcome,
    Presence,
    Registration,
)
from sla.metrics import EngineMetrics
from tests.sla.test_metrics import CODE, Call, Exposition, K, at

LINE = {"line": "1700", "line_code": CODE}


class Now:
    """The engine's clock as the metrics read it at scrape."""

    def __init__(self) -> None:
        self.value = at(0)

    def __call__(self) -> datetime:
        return self.value


def answered_call(metrics: EngineMetrics, contact_id: str, agent: str, t0: float) -> Call:
    call = Call(metrics)
    call.record.id = contact_id
    call.queue(t0)
    call.ring(agent, t0 + 5)
    call.answer(t0 + 15)  # waited 15 s
    return call


def agent_event(agent: str, presence: Presence, activity: Activity, now: float, reason=None):
    record = AgentRecord(agent, presence, reason, at(0), at(0), None, 0, 0.0, 0, at(now))
    return AgentEvent(agent, at(now), presence, activity, reason, None, None, record)


def test_no_created_series_come_out_as_gauges():
    metrics = EngineMetrics()
    answered_call(metrics, "c1", "a1", 0).end(Outcome.ANSWERED, 100)
    text = metrics.render().decode()
    assert "_created" not in text
    assert "acd_contacts_offered_total" in text


def test_a_callback_placement_stays_out_of_the_inbound_families():
    metrics = EngineMetrics()
    placing = Call(metrics)
    placing.record.kind = ContactKind.CALLBACK
    placing.queue(0)
    placing.ring("a1", 2)
    placing.answer(4)  # the agent picked up; the citizen is dialled ...
    placing.record.answered_at = None
    placing.end(Outcome.CALLBACK_NOT_REACHED, 40)  # ... and does not answer

    m = Exposition(metrics)
    assert m.names("acd_wait_seconds") == set()
    assert m.names("acd_contacts_offered") == set()
    assert m.names("acd_contacts_total") == set()
    assert m("acd_contacts_waiting", **LINE) is None
    attempt = {**LINE, "outcome": "callback_not_reached"}
    assert m("acd_callback_placement_wait_seconds_count", **attempt) == 1
    assert m("acd_callback_placement_wait_seconds_sum", **attempt) == 40
    assert m("acd_agent_offers_total", line_code=CODE, result="answered") == 1


def test_short_abandons_are_counted_apart_from_the_others():
    metrics = EngineMetrics(short_abandon_s=5)
    for contact_id, waited in (("quick", 3.0), ("edge", 5.0), ("long", 90.0)):
        call = Call(metrics)
        call.record.id = contact_id
        call.queue(0)
        call.end(Outcome.ABANDONED, waited)
    m = Exposition(metrics)
    assert m("acd_contacts_abandoned_total", **LINE) == 3
    assert m("acd_contacts_abandoned_short_total", **LINE) == 1  # under 5 s only


def test_answer_wait_talk_and_wrap_up_are_observed_per_line():
    metrics = EngineMetrics()
    call = answered_call(metrics, "c1", "a1", 0)
    m = Exposition(metrics)
    # At the answer, not only at the end: a long call counts in the service level at once.
    assert m("acd_answer_wait_seconds_bucket", **LINE, le="20.0") == 1
    assert m("acd_answer_wait_seconds_bucket", **LINE, le="10.0") == 0
    assert m("acd_answer_wait_seconds_sum", **LINE) == 15
    metrics.agent_event(agent_event("a1", Presence.AVAILABLE, Activity.ON_CALL, 15))
    call.end(Outcome.ANSWERED, 195)  # talked 180 s
    metrics.agent_event(agent_event("a1", Presence.AVAILABLE, Activity.WRAP_UP, 195))
    metrics.agent_event(agent_event("a1", Presence.AVAILABLE, Activity.IDLE, 225))

    m = Exposition(metrics)
    assert m("acd_talk_seconds_sum", **LINE) == 180
    assert m("acd_talk_seconds_count", **LINE) == 1
    assert m("acd_wrap_up_seconds_sum", **LINE) == 30
    assert m("acd_wrap_up_seconds_count", **LINE) == 1


def test_talk_of_an_escalated_call_ends_when_the_point_takes_over():
    metrics = EngineMetrics()
    call = answered_call(metrics, "c1", "a1", 0)
    call.record.transferred_at = at(75)
    call.end(Outcome.ESCALATED_PHONE, 400)
    m = Exposition(metrics)
    assert m("acd_talk_seconds_sum", **LINE) == 60
    assert m("acd_contacts_total", **LINE, outcome="escalated_phone") == 1


def test_the_oldest_wait_is_read_at_scrape_and_drops_to_zero_when_nobody_waits():
    now = Now()
    metrics = EngineMetrics(now=now)
    first, second = Call(metrics), Call(metrics)
    second.record.id = "c2"
    first.queue(10)
    second.queue(50)
    now.value = at(170)
    assert Exposition(metrics)("acd_oldest_wait_seconds", **LINE) == 160
    first.ring("a1", 171)
    first.answer(172)
    now.value = at(200)
    assert Exposition(metrics)("acd_oldest_wait_seconds", **LINE) == 150
    second.end(Outcome.ABANDONED, 201)
    assert Exposition(metrics)("acd_oldest_wait_seconds", **LINE) == 0


def test_agent_time_and_not_available_reasons():
    now = Now()
    metrics = EngineMetrics(now=now)
    metrics.agent_event(agent_event("a1", Presence.AVAILABLE, Activity.IDLE, 0))
    metrics.agent_event(agent_event("a1", Presence.AVAILABLE, Activity.ON_CALL, 60))
    metrics.agent_event(agent_event("a2", Presence.NOT_AVAILABLE, Activity.IDLE, 0, "lunch"))
    now.value = at(100)
    m = Exposition(metrics)
    spent = "acd_agent_state_seconds_total"
    assert m(spent, presence="available", activity="idle") == 60
    assert m(spent, presence="available", activity="on_call") == 40  # ongoing, up to the scrape
    assert m(spent, presence="not_available", activity="idle") == 100
    assert m("acd_agents_not_available", reason="lunch") == 1
    metrics.agent_event(agent_event("a2", Presence.AVAILABLE, Activity.IDLE, 100))
    assert Exposition(metrics)("acd_agents_not_available", reason="lunch") == 0


def test_ari_state_and_build_info():
    metrics = EngineMetrics()
    connected = [False]
    metrics.watch_ari(lambda: connected[0])
    assert Exposition(metrics)("acd_ari_connected") == 0
    connected[0] = True
    m = Exposition(metrics)
    assert m("acd_ari_connected") == 1
    (build,) = [labels for name, labels in m.samples if name == "acd_build_info"]
    assert dict(build)["version"] not in ("", "unknown")


def test_a_ring_that_ends_unanswered_is_not_an_answer():
    metrics = EngineMetrics()
    call = Call(metrics)
    call.queue(0)
    call.ring("a1", 1)
    call.ring_ends(OfferResult.NO_ANSWER, 16)
    call.emit(K.QUEUED, 16)
    call.end(Outcome.ABANDONED, 30)
    m = Exposition(metrics)
    assert m.names("acd_answer_wait_seconds") == set()
    assert m("acd_contacts_abandoned_total", **LINE) == 1


def test_a_registration_after_the_end_counts_nothing_and_leaves_nothing_open():
    metrics = EngineMetrics()
    call = answered_call(metrics, "c1", "a1", 0)
    call.end(Outcome.ANSWERED, 100)
    before = metrics.render()
    registered = call.record.snapshot()
    registered.registration = Registration("a1", "vraag", "Klacht", (), at(110))
    metrics.contact_event(ContactEvent(ContactEventKind.REGISTERED, at(110), registered))
    assert metrics.render() == before
    assert metrics._progress == {}  # no entry that no ENDED would close
