"""The escalation point routes on a real loopback server, over the engine core with a
recording fake ARI: editing points (with the rule that every line code keeps one), what an
agent may do for their call, and a phone transfer checked against the windows at that moment
and handed to the core, which dials the point's E.164 number."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from aiohttp import web

from acd.api import AllowAll, create_api
from acd.engine import inputs as inp
from acd.engine.contacts import Phase
from acd.engine.core import EngineCore
from acd.engine.runtime import EngineRuntime
from acd.escalation_routes import add_escalation_routes
from escalations import MemoryEscalationStore
from foundation.clock import Clock
from sla.metrics import EngineMetrics
from tests.engine.test_core import GENERAL, HOUSING, make_config
from tests.escalations.factories import day_off, jacht
from tests.fakes import FakeAriClient

BRUSSELS = ZoneInfo("Europe/Brussels")
MONDAY_10 = datetime(2022, 12, 12, 10, 0, tzinfo=BRUSSELS)
THURSDAY = date(2022, 12, 15)
DEVIATION = "Telefonisch niet bereikbaar op donderdag 15-12-2022"


@dataclass
class Api:
    session: aiohttp.ClientSession
    url: str
    runtime: EngineRuntime
    ari: FakeAriClient
    store: MemoryEscalationStore
    moment: list[datetime]  # the routes' "now", moved by the test
    refused: list[tuple[str, str]]  # what the metrics heard

    async def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        async with self.session.request(method, self.url + path, json=body) as r:
            return r.status, (await r.json() if r.status != 204 else None)

    def talking(self, agent_id: str = "a1") -> str:
        """A caller on line 1700 (line code 1700 Andere Vragen) talking to ``agent_id``."""
        self.runtime.submit(inp.AgentLogin(agent_id))
        self.runtime.submit(inp.CallArrived("c1", ("inbound", "1700"), "1700", "0470123456"))
        (contact,) = self.runtime.core.contacts.values()
        assert contact.playback_id is not None
        self.runtime.submit(inp.PlaybackDone(contact.playback_id))
        assert contact.agent_channel is not None
        self.runtime.submit(inp.AgentLegAnswered(contact.agent_channel))
        assert contact.bridge_id is not None  # ARI's 204 to the addChannel, told at once:
        bridged = (contact.caller_channel, contact.agent_channel)
        self.runtime.submit(inp.LegsBridged(contact.bridge_id, bridged))
        assert contact.phase is Phase.CONNECTED
        return contact.id


@pytest.fixture
async def api() -> AsyncIterator[Api]:
    clock = Clock()
    ari = FakeAriClient()
    runtime = EngineRuntime(EngineCore(make_config()), ari, clock, [], "acd")
    runtime.start()
    store = MemoryEscalationStore(
        [
            jacht(deviations=(day_off(THURSDAY, DEVIATION),)),
            jacht(
                id="vmm",
                editorial_title="VMM - Grondwater",
                phone=None,
                may_give_number=False,
                may_give_email=True,
            ),
            jacht(id="veka", editorial_title="VEKA", line_codes=(HOUSING,)),
        ]
    )
    moment = [MONDAY_10]
    refused: list[tuple[str, str]] = []
    app = create_api(runtime, clock, EngineMetrics(), authenticator=AllowAll())
    add_escalation_routes(
        app,
        store,
        runtime,
        line_codes=[GENERAL, HOUSING, "Onderwijs"],
        line_users={GENERAL: "1700", HOUSING: "1700"},
        now=lambda: moment[0],
        on_refused=lambda point, reason: refused.append((point, reason)),
    )
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    async with aiohttp.ClientSession() as session:
        yield Api(session, url, runtime, ari, store, moment, refused)
    await runtime.close()
    await runner.cleanup()


# --- what the agent may do -------------------------------------------------------------------


async def test_the_agent_sees_the_points_of_their_calls_line_code_with_what_is_possible(api):
    contact_id = api.talking()
    status, body = await api.call("get", "/api/agents/a1/escalations")
    assert status == 200
    assert (body["contact_id"], body["line_code"]) == (contact_id, GENERAL)
    points = {p["id"]: p for p in body["escalation_points"]}
    assert set(points) == {"anb-jacht", "vmm"}  # not VEKA: another line code
    jacht_ = points["anb-jacht"]
    assert jacht_["phone_transfer"]["possible"] is True
    assert jacht_["instructions"] == "Escalatie per mail? Vermeld altijd rijksregisternummer."
    assert (jacht_["may_give_number"], jacht_["may_send_email"]) == (True, True)
    vmm = points["vmm"]
    assert vmm["phone_transfer"]["reason"] == "no_phone_number"
    assert (vmm["may_give_number"], vmm["may_send_email"], vmm["may_give_email"]) == (
        False,
        True,
        True,
    )


async def test_between_slots_the_agent_sees_why_not_and_the_next_window(api):
    api.talking()
    api.moment[0] = MONDAY_10.replace(hour=12, minute=30)
    _, body = await api.call("get", "/api/agents/a1/escalations")
    transfer = next(p for p in body["escalation_points"] if p["id"] == "anb-jacht")[
        "phone_transfer"
    ]
    assert transfer["reason"] == "outside_reachability"
    assert transfer["next_window"] == {
        "start": "2022-12-12T13:00:00+01:00",
        "end": "2022-12-12T16:00:00+01:00",
    }
    assert transfer["slots"]["mon"] == ["09:00-12:00", "13:00-16:00"]


@pytest.mark.parametrize(
    ("path", "status", "error"),
    [
        ("/api/agents/nobody/escalations", 404, "agent_not_found"),
        ("/api/agents/a2/escalations", 409, "not_on_call"),
    ],
)
async def test_an_unknown_agent_or_one_without_a_call_is_refused(api, path, status, error):
    api.talking("a1")
    code, body = await api.call("get", path)
    assert (code, body["error"]) == (status, error)
    assert body["message"]


# --- the transfer ----------------------------------------------------------------------------


async def test_a_transfer_inside_the_window_dials_the_points_e164_number(api):
    api.talking()
    status, body = await api.call("post", "/api/agents/a1/transfer", {"point_id": "anb-jacht"})
    assert status == 202
    assert body["number"] == "+3211123456"
    (contact,) = api.runtime.core.contacts.values()
    assert contact.phase is Phase.TRANSFERRING
    assert contact.record.escalation_point == "anb-jacht"
    await api.runtime.drain()
    endpoints = [args[0] for args in api.ari.called("originate")]
    assert endpoints[-1] == "PJSIP/+3211123456@trunk"  # after the agent's own leg


@pytest.mark.parametrize(
    ("moment", "point", "error", "says"),
    [
        (
            MONDAY_10.replace(hour=12, minute=30),
            "anb-jacht",
            "outside_reachability",
            "next window mon 2022-12-12 13:00-16:00",
        ),
        (
            datetime(2022, 12, 15, 10, 0, tzinfo=BRUSSELS),
            "anb-jacht",
            "deviating_availability",
            DEVIATION,
        ),
        (MONDAY_10, "vmm", "no_phone_number", "escalate by e-mail"),
    ],
)
async def test_a_transfer_outside_the_rules_is_refused_with_the_reason(
    api, moment, point, error, says
):
    api.talking()
    api.moment[0] = moment
    status, body = await api.call("post", "/api/agents/a1/transfer", {"point_id": point})
    assert (status, body["error"]) == (409, error)
    assert says in body["message"]
    (contact,) = api.runtime.core.contacts.values()
    assert contact.phase is Phase.CONNECTED  # nothing was dialled
    assert api.refused == [(point, error)]  # counted by reason


async def test_a_point_that_takes_no_transfers_is_refused(api):
    await api.store.update(jacht(may_transfer=False))
    api.talking()
    status, body = await api.call("post", "/api/agents/a1/transfer", {"point_id": "anb-jacht"})
    assert (status, body["error"]) == (409, "transfer_not_allowed")
    assert body["details"]["next_window"] is None


@pytest.mark.parametrize(
    ("agent", "body", "status", "error"),
    [
        ("a1", {"point_id": "nope"}, 404, "escalation_point_not_found"),
        ("a1", {}, 422, "invalid_point_id"),
        ("nobody", {"point_id": "anb-jacht"}, 404, "agent_not_found"),
        ("a2", {"point_id": "anb-jacht"}, 409, "not_on_call"),
    ],
)
async def test_transfer_requests_that_cannot_be_served_are_refused(api, agent, body, status, error):
    api.talking("a1")
    code, payload = await api.call("post", f"/api/agents/{agent}/transfer", body)
    assert (code, payload["error"]) == (status, error)


# --- editing ---------------------------------------------------------------------------------


async def test_a_point_is_created_read_changed_and_deleted(api):
    new = {
        "id": "vlabel",
        "editorial_title": "VLABEL - Erfbelasting",
        "phone": "02 553 21 00",
        "reachability": {"tue": ["09:00-12:00"]},
        "line_codes": [GENERAL],
    }
    status, created = await api.call("post", "/api/escalation-points", new)
    assert status == 201
    assert created["phone_e164"] == "+3225532100"
    status, got = await api.call("get", "/api/escalation-points/vlabel")
    assert (status, got) == (200, created)
    got["instructions"] = "Vraag het rijksregisternummer van de overledene."
    status, updated = await api.call("put", "/api/escalation-points/vlabel", got)
    assert (status, updated["instructions"]) == (200, got["instructions"])
    assert (await api.store.get("vlabel")).instructions == got["instructions"]
    status, _ = await api.call("delete", "/api/escalation-points/vlabel")
    assert status == 204
    assert await api.store.get("vlabel") is None


async def test_a_point_is_shown_as_it_stands_today(api):
    api.moment[0] = datetime(2022, 12, 16, 9, 0, tzinfo=BRUSSELS)  # the day after the deviation
    _, body = await api.call("get", "/api/escalation-points/anb-jacht")
    assert body["deviations"] == []
    _, listed = await api.call("get", f"/api/escalation-points?line_code={HOUSING}")
    assert [p["id"] for p in listed["escalation_points"]] == ["veka"]


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "error", "says"),
    [
        (
            "post",
            "/api/escalation-points",
            {"id": "x", "editorial_title": "X", "phone": "011/12.34.56"},
            422,
            "invalid_escalation_point",
            "phone: '011/12.34.56'",
        ),
        (
            "post",
            "/api/escalation-points",
            {
                "id": "x",
                "editorial_title": "X",
                "email": "x@example.org",
                "line_codes": ["Bestaat niet"],
            },
            422,
            "invalid_escalation_point",
            "'Bestaat niet' is not a defined line code",
        ),
        (
            "post",
            "/api/escalation-points",
            {"id": "vmm", "editorial_title": "X", "email": "x@example.org"},
            409,
            "escalation_point_exists",
            "vmm",
        ),
        (
            "put",
            "/api/escalation-points/nope",
            {"editorial_title": "X", "email": "x@example.org"},
            404,
            "escalation_point_not_found",
            "nope",
        ),
        (
            "put",
            "/api/escalation-points/veka",
            {"editorial_title": "VEKA", "email": "x@example.org", "line_codes": [GENERAL]},
            409,
            "line_code_without_escalation_point",
            "'1700 Wonen en energie' (line '1700')",
        ),
        (
            "delete",
            "/api/escalation-points/veka",
            None,
            409,
            "line_code_without_escalation_point",
            "'1700 Wonen en energie'",
        ),
        ("delete", "/api/escalation-points/nope", None, 404, "escalation_point_not_found", "nope"),
    ],
)
async def test_edits_that_break_a_rule_are_refused_with_the_reason(
    api, method, path, body, status, error, says
):
    code, payload = await api.call(method, path, body)
    assert (code, payload["error"]) == (status, error)
    assert says in payload["message"]
    assert await api.store.get("veka") is not None
