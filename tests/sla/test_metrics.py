from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from foundation.contact import (
    Activity,
    AgentEvent,
    AgentRecord,
    ContactEvent,
    ContactEventKind,
    ContactRecord,
    Offer,
    OfferResult,
    Outcome,
    Presence,
)
from sla.metrics import EngineMetrics

T0 = datetime(2027, 3, 29, 9, 0, tzinfo=UTC)
CODE = "Wonen en energie"
K = ContactEventKind


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


class Exposition:
    """The rendered metrics, parsed back the way Prometheus reads them."""

    def __init__(self, metrics: EngineMetrics) -> None:
        text = metrics.render().decode()
        self.samples = {
            (s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text)
            for s in family.samples
        }

    def __call__(self, name: str, **labels: str) -> float | None:
        return self.samples.get((name, frozenset(labels.items())))

    def names(self, prefix: str) -> set[str]:
        return {name for name, _ in self.samples if name.startswith(prefix)}


class Call:
    """Drives one contact through the engine's steps, emitting snapshots as the core does."""

    def __init__(self, metrics: EngineMetrics, line: str | None = "1700") -> None:
        self.metrics = metrics
        self.record = ContactRecord("c1", "chan-1", line, "+3225551234", T0)

    def emit(self, kind: ContactEventKind, now: float) -> None:
        self.metrics.contact_event(ContactEvent(kind, at(now), self.record.snapshot()))

    def queue(self, now: float, line_code: str | None = CODE) -> None:
        self.record.line_code = line_code
        self.record.queued_at = at(now)
        self.emit(K.QUEUED, now)

    def ring(self, agent_id: str, now: float) -> None:
        self.record.offered_at = self.record.offered_at or at(now)
        self.record.offers.append(Offer(agent_id, at(now)))
        self.emit(K.OFFERED, now)

    def ring_ends(self, result: OfferResult, now: float) -> None:
        self.record.offers[-1].result = result
        self.record.offers[-1].ended_at = at(now)
        self.emit(K.OFFER_ENDED, now)

    def answer(self, now: float) -> None:
        self.record.offers[-1].result = OfferResult.ANSWERED
        self.record.offers[-1].ended_at = at(now)
        self.record.answered_at = at(now)
        self.record.agent_id = self.record.offers[-1].agent_id
        self.emit(K.ANSWERED, now)

    def end(self, outcome: Outcome, now: float) -> None:
        if self.record.offers and self.record.offers[-1].result is None:
            self.record.offers[-1].result = OfferResult.CANCELLED
        self.record.outcome = outcome
        self.record.ended_at = at(now)
        self.emit(K.ENDED, now)


def test_an_answered_call_counts_offered_answered_and_its_wait():
    metrics = EngineMetrics()
    call = Call(metrics)
    call.emit(K.ARRIVED, 0)
    call.queue(10)
    assert Exposition(metrics)("acd_contacts_waiting", line="1700", line_code=CODE) == 1
    call.ring("a1", 40)
    call.ring_ends(OfferResult.NO_ANSWER, 55)
    call.emit(K.QUEUED, 55)  # back in the queue after the missed ring: still one contact
    call.ring("a2", 60)
    call.answer(85)  # waited 75 s
    call.end(Outcome.ANSWERED, 400)

    m = Exposition(metrics)
    line = {"line": "1700", "line_code": CODE}
    assert m("acd_contacts_offered_total", **line) == 1
    assert m("acd_contacts_answered_total", **line) == 1
    assert m("acd_contacts_abandoned_total", **line) is None
    assert m("acd_contacts_waiting", **line) == 0
    assert m("acd_contacts_total", **line, outcome="answered") == 1
    assert m("acd_agent_offers_total", line_code=CODE, result="no_answer") == 1
    assert m("acd_agent_offers_total", line_code=CODE, result="answered") == 1
    wait = {**line, "outcome": "answered"}
    assert m("acd_wait_seconds_bucket", **wait, le="60.0") == 0
    assert m("acd_wait_seconds_bucket", **wait, le="90.0") == 1
    assert m("acd_wait_seconds_count", **wait) == 1
    assert m("acd_wait_seconds_sum", **wait) == 75


def test_an_answer_whose_ring_is_not_closed_yet_still_counts_one_answered_ring():
    metrics = EngineMetrics()
    call = Call(metrics)
    call.queue(0)
    call.ring("a1", 5)
    call.record.answered_at = at(9)  # the snapshot says answered, the offer has no result yet
    call.emit(K.ANSWERED, 9)
    call.record.offers[-1].result = OfferResult.ANSWERED
    call.end(Outcome.ANSWERED, 60)

    m = Exposition(metrics)
    assert m("acd_agent_offers_total", line_code=CODE, result="answered") == 1


def test_an_abandoned_call_counts_abandoned_and_its_ring_as_cancelled():
    metrics = EngineMetrics()
    call = Call(metrics)
    call.emit(K.ARRIVED, 0)
    call.queue(10)
    call.ring("a1", 190)
    call.end(Outcome.ABANDONED, 210)  # hung up while a1 rang, after 200 s in the queue

    m = Exposition(metrics)
    line = {"line": "1700", "line_code": CODE}
    assert m("acd_contacts_offered_total", **line) == 1
    assert m("acd_contacts_abandoned_total", **line) == 1
    assert m("acd_contacts_answered_total", **line) is None
    assert m("acd_contacts_waiting", **line) == 0
    assert m("acd_contacts_total", **line, outcome="abandoned") == 1
    assert m("acd_agent_offers_total", line_code=CODE, result="cancelled") == 1
    wait = {**line, "outcome": "abandoned"}
    assert m("acd_wait_seconds_bucket", **wait, le="180.0") == 0
    assert m("acd_wait_seconds_bucket", **wait, le="240.0") == 1


def test_a_closed_contact_counts_in_contacts_total_only():
    metrics = EngineMetrics()
    call = Call(metrics)
    call.emit(K.ARRIVED, 0)
    call.end(Outcome.CLOSED, 12)
    unknown = Call(metrics, line=None)
    unknown.record.id = "c2"
    unknown.emit(K.ARRIVED, 0)
    unknown.end(Outcome.UNKNOWN_LINE, 3)

    m = Exposition(metrics)
    assert m("acd_contacts_total", line="1700", line_code="", outcome="closed") == 1
    assert m("acd_contacts_total", line="", line_code="", outcome="unknown_line") == 1
    for family in ("acd_contacts_offered", "acd_contacts_answered", "acd_contacts_abandoned"):
        assert m.names(family) == set()
    assert m.names("acd_agent_offers") == set()
    assert m.names("acd_wait_seconds") == set()
    assert m.names("acd_contacts_waiting") == set()


def agent(agent_id: str, presence: Presence, activity: Activity, before=None) -> AgentEvent:
    previous = before or (None, None)
    record = AgentRecord(agent_id, presence, None, T0, T0, None, 0, 0.0, 0, T0)
    return AgentEvent(agent_id, T0, presence, activity, None, previous[0], previous[1], record)


def test_agent_gauges_follow_each_transition():
    metrics = EngineMetrics()
    steps = [
        (Presence.AVAILABLE, Activity.IDLE),
        (Presence.AVAILABLE, Activity.RINGING),
        (Presence.AVAILABLE, Activity.ON_CALL),
        (Presence.AVAILABLE, Activity.WRAP_UP),
        (Presence.NOT_AVAILABLE, Activity.IDLE),
        (Presence.LOGGED_OUT, Activity.IDLE),
    ]
    before = None
    for presence, activity in steps:
        metrics.agent_event(agent("a1", presence, activity, before))
        metrics.agent_event(agent("a2", Presence.NOT_AVAILABLE, Activity.WRAP_UP))  # repeated
        m = Exposition(metrics)
        assert m("acd_agents", presence=presence.value, activity=activity.value) == 1
        if before is not None:
            assert m("acd_agents", presence=before[0].value, activity=before[1].value) == 0
        assert m("acd_agents", presence="not_available", activity="wrap_up") == 1
        assert sum(v for (n, _), v in m.samples.items() if n == "acd_agents") == 2
        before = (presence, activity)


def test_an_agent_first_seen_mid_shift_does_not_drive_a_gauge_negative():
    metrics = EngineMetrics()
    # The event claims a previous state this instance never counted.
    metrics.agent_event(
        agent("a1", Presence.AVAILABLE, Activity.IDLE, (Presence.AVAILABLE, Activity.ON_CALL))
    )
    m = Exposition(metrics)
    assert m("acd_agents", presence="available", activity="on_call") == 0
    assert m("acd_agents", presence="available", activity="idle") == 1


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a1", "a2", "a3"]),
            st.sampled_from(list(Presence)),
            st.sampled_from(list(Activity)),
        ),
        max_size=30,
    )
)
def test_agent_gauges_never_go_negative_and_count_each_agent_once(events):
    metrics = EngineMetrics()
    for agent_id, presence, activity in events:
        metrics.agent_event(agent(agent_id, presence, activity, (presence, activity)))
    values = [v for (n, _), v in Exposition(metrics).samples.items() if n == "acd_agents"]
    assert min(values) >= 0
    assert sum(values) == len({agent_id for agent_id, _, _ in events})


def test_each_instance_has_its_own_registry_and_serves_text_format():
    first, second = EngineMetrics(), EngineMetrics()
    Call(first).queue(0)
    assert Exposition(second)("acd_contacts_offered_total", line="1700", line_code=CODE) is None
    assert first.registry is not REGISTRY
    assert first.content_type.startswith("text/plain")
    assert b"# TYPE acd_wait_seconds histogram" in first.render()


def transfer(call: Call, point: str, now: float) -> None:
    call.record.escalation_point = point
    call.emit(K.TRANSFER_STARTED, now)


def test_phone_escalations_count_once_each_by_point_and_how_they_ended():
    metrics = EngineMetrics()
    first = Call(metrics)
    first.queue(0)
    first.ring("a1", 1)
    first.answer(3)
    transfer(first, "anb", 60)  # busy: the caller comes back to the agent
    first.emit(K.TRANSFER_FAILED, 65)
    first.record.escalation_point = None
    transfer(first, "anb", 90)  # the second try is answered
    first.emit(K.ESCALATED, 95)
    first.end(Outcome.ESCALATED_PHONE, 300)
    second = Call(metrics)
    second.record.id = "c2"
    second.queue(0)
    second.ring("a2", 1)
    second.answer(3)
    transfer(second, "vlaamse-belastingdienst", 30)
    second.end(Outcome.ANSWERED, 40)  # the caller hung up while the point rang

    seen = Exposition(metrics)
    phone = {"line_code": CODE, "channel": "phone"}
    assert seen("acd_escalations_total", point="anb", outcome="connected", **phone) == 1
    assert seen("acd_escalations_total", point="anb", outcome="not_reached", **phone) == 1
    assert seen("acd_escalations_total", point="anb", outcome="caller_hung_up", **phone) is None
    assert (
        seen(
            "acd_escalations_total",
            point="vlaamse-belastingdienst",
            outcome="caller_hung_up",
            **phone,
        )
        == 1
    )


def test_refused_transfers_are_counted_by_point_and_reason():
    metrics = EngineMetrics()
    metrics.transfer_refused("anb", "outside_reachability")
    metrics.transfer_refused("anb", "outside_reachability")
    metrics.transfer_refused("anb", "not_allowed")
    seen = Exposition(metrics)
    assert seen("acd_transfers_refused_total", point="anb", reason="outside_reachability") == 2
    assert seen("acd_transfers_refused_total", point="anb", reason="not_allowed") == 1


def test_declared_escalation_points_have_every_series_at_zero():
    metrics = EngineMetrics()
    metrics.declare_escalations([("anb-jacht", ["1700 Andere Vragen"])])
    seen = Exposition(metrics)
    for channel, outcome in [("phone", "connected"), ("phone", "not_reached"), ("email", "queued")]:
        labels = {"line_code": "1700 Andere Vragen", "point": "anb-jacht", "channel": channel}
        assert seen("acd_escalations_total", **labels, outcome=outcome) == 0
    assert seen("acd_transfers_refused_total", point="anb-jacht", reason="no_phone_number") == 0
    metrics.escalation("1700 Andere Vragen", "anb-jacht", "email", "delivered")
    labels = {"line_code": "1700 Andere Vragen", "point": "anb-jacht", "channel": "email"}
    assert Exposition(metrics)("acd_escalations_total", **labels, outcome="delivered") == 1
