"""``POST /api/escalations/{contact_id}/rating`` and the reports: the point an escalation went
to rates it, once per rater (posting again replaces), over real HTTP with the contact records
and the ratings in SQLite; the point's gauges follow the stored ratings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from acd.api import AllowAll, create_api
from acd.engine.core import EngineCore
from acd.engine.runtime import EngineRuntime
from acd.escalation_rating_routes import add_escalation_rating_routes
from acd.records import ContactStore
from acd.records import migrate as migrate_records
from escalations import migrate as migrate_escalations
from escalations.ratings import RatingMetrics, SqlRatingStore
from foundation.clock import Clock, hold_clock
from foundation.contact import ContactRecord, Outcome
from sla.metrics import EngineMetrics
from tests.engine.test_core import make_config
from tests.fakes import FakeAriClient
from tests.sla.test_metrics import Exposition

pytestmark = pytest.mark.component

T0 = datetime(2022, 12, 12, 9, 0, tzinfo=UTC)


def record(
    contact_id: str, outcome: Outcome | None, point: str | None, agent: str
) -> ContactRecord:
    return ContactRecord(
        id=contact_id,
        channel_id=f"ch-{contact_id}",
        line="1700",
        caller_number="0470123456",
        arrived_at=T0,
        line_code="1700 Andere Vragen",
        answered_at=T0 + timedelta(seconds=20),
        ended_at=None if outcome is None else T0 + timedelta(minutes=5),
        outcome=outcome,
        agent_id=agent,
        escalation_point=point,
    )


@dataclass
class Api:
    session: aiohttp.ClientSession
    url: str
    metrics: EngineMetrics
    clock: list[datetime]

    async def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        async with self.session.request(method, self.url + path, json=body) as response:
            return response.status, await response.json()


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'acd.db'}"
    await migrate_records(url, hold=hold_clock)
    await migrate_escalations(url, hold=hold_clock)
    runtime = EngineRuntime(EngineCore(make_config()), FakeAriClient(), Clock(), [], "acd")
    metrics = EngineMetrics()
    gauges = RatingMetrics(metrics.registry)
    clock = [T0 + timedelta(days=1)]
    async with (
        ContactStore.open(url, hold=hold_clock) as contacts,
        SqlRatingStore.open(url, hold=hold_clock) as ratings,
    ):
        await contacts.save_many(
            [
                record("phoned", Outcome.ESCALATED_PHONE, "anb-jacht", "a1"),
                record("mailed", Outcome.ESCALATED_EMAIL, "anb-jacht", "a2"),
                record("plain", Outcome.ANSWERED, None, "a1"),
                record("ongoing", None, "anb-jacht", "a1"),
            ]
        )
        app = create_api(runtime, Clock(), metrics, authenticator=AllowAll())
        add_escalation_rating_routes(
            app, ratings, find_contact=contacts.get, now=lambda: clock[0], on_rated=gauges.set
        )
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        async with aiohttp.ClientSession() as session:
            yield Api(session, f"http://127.0.0.1:{runner.addresses[0][1]}", metrics, clock)
        await runner.cleanup()


def scores(clarity: int, completeness: int, correctness: int, **more: Any) -> dict[str, Any]:
    return {
        "point_id": "anb-jacht",
        "rater": "An Peeters",
        "clarity": clarity,
        "completeness": completeness,
        "correctness": correctness,
        **more,
    }


async def test_a_rating_is_linked_to_the_escalation_and_the_same_rater_replaces_it(api: Api):
    status, body = await api.call(
        "post", "/api/escalations/phoned/rating", scores(2, 3, 4, comment="Nummer ontbrak.")
    )
    assert status == 201
    assert body["created"] is True
    assert (body["agent_id"], body["line_code"], body["channel"]) == (
        "a1",
        "1700 Andere Vragen",
        "phone",
    )
    api.clock[0] += timedelta(hours=1)
    status, body = await api.call("post", "/api/escalations/phoned/rating", scores(4, 5, 4))
    assert (status, body["created"], body["comment"]) == (200, False, None)

    _, listed = await api.call("get", "/api/escalation-ratings?point=anb-jacht")
    assert [(r["contact_id"], r["clarity"]) for r in listed["ratings"]] == [("phoned", 4)]
    seen = Exposition(api.metrics)
    assert seen("acd_escalation_ratings", point="anb-jacht") == 1
    assert seen("acd_escalation_rating_average", point="anb-jacht", criterion="clarity") == 4


async def test_reports_per_point_and_per_agent_with_counts_and_averages(api: Api):
    await api.call("post", "/api/escalations/phoned/rating", scores(2, 3, 4))
    await api.call("post", "/api/escalations/mailed/rating", scores(5, 4, 4))
    await api.call("post", "/api/escalations/mailed/rating", scores(3, 3, 3, rater="Jo Claes"))

    status, by_point = await api.call("get", "/api/escalation-ratings/summary?by=point")
    assert status == 200
    assert by_point["summaries"] == [
        {
            "key": "anb-jacht",
            "count": 3,
            "averages": {"clarity": 3.33, "completeness": 3.33, "correctness": 3.67},
        }
    ]
    _, by_agent = await api.call("get", "/api/escalation-ratings/summary?by=agent")
    assert [(s["key"], s["count"], s["averages"]["clarity"]) for s in by_agent["summaries"]] == [
        ("a1", 1, 2.0),
        ("a2", 2, 4.0),
    ]
    _, one_agent = await api.call("get", "/api/escalation-ratings?agent=a2")
    assert {r["channel"] for r in one_agent["ratings"]} == {"email"}
    later = (T0 + timedelta(days=2)).isoformat().replace("+00:00", "Z")
    _, none_yet = await api.call("get", f"/api/escalation-ratings?from={later}")
    assert none_yet["ratings"] == []


@pytest.mark.parametrize(
    ("contact", "body", "status", "error", "named"),
    [
        ("nobody", scores(3, 3, 3), 404, "contact_not_found", "nobody"),
        ("plain", scores(3, 3, 3), 409, "not_escalated", "ended answered"),
        ("ongoing", scores(3, 3, 3), 409, "not_escalated", "still in progress"),
        ("phoned", scores(3, 3, 3, point_id="woonloket"), 409, "escalated_elsewhere", "anb-jacht"),
        ("phoned", scores(6, 3, 3), 422, "invalid_rating", "clarity: 6 is not from 1 to 5"),
        ("phoned", scores(3, True, 3), 422, "invalid_rating", "completeness"),
        ("phoned", scores(3, 3, 3, rater=" "), 422, "invalid_rating", "rater"),
        ("phoned", {"rater": "x"}, 422, "invalid_rating", "point_id"),
    ],
)
async def test_what_is_not_a_rating_of_an_escalation_is_refused_and_nothing_stored(
    api: Api, contact: str, body: dict[str, Any], status: int, error: str, named: str
):
    got, refused = await api.call("post", f"/api/escalations/{contact}/rating", body)
    assert (got, refused["error"]) == (status, error)
    assert named in refused["message"]
    _, listed = await api.call("get", "/api/escalation-ratings")
    assert listed["ratings"] == []


async def test_bad_report_queries_are_refused_naming_the_parameter(api: Api):
    status, body = await api.call("get", "/api/escalation-ratings/summary?by=line")
    assert (status, body["details"]["key"]) == (422, "by")
    status, body = await api.call("get", "/api/escalation-ratings?from=gisteren")
    assert (status, body["details"]["key"]) == (422, "from")
