"""The callback routes on a real loopback server, behind the API's error middleware, over a
real store (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from acd.api import AUTH, AllowAll, errors_and_auth
from callbacks import Callback
from callbacks.http import CALLBACK_STORE, add_callback_routes
from callbacks.store import CallbackStore
from foundation.calendars import Closure, standard_calendar
from tests.callbacks.factories import DUE, MORNING, key, line, number

NOW = MORNING + timedelta(minutes=30)


class Client:
    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self.session = session
        self.url = url

    async def call(self, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
        async with self.session.request(method, self.url + path, **kwargs) as response:
            return response.status, await response.json()


# The line's calendar for the reschedule rule: the standard hours, but closed all Thursday
# 1 April 2027, the day the callbacks are due (DUE, 19:00).
THURSDAY_CLOSED = replace(
    standard_calendar(),
    closures=(Closure(datetime(2027, 4, 1), datetime(2027, 4, 2), "inventory"),),
)


@pytest.fixture
async def client(store: CallbackStore) -> AsyncIterator[Client]:
    app = web.Application(middlewares=[errors_and_auth])
    app[AUTH] = AllowAll()
    app[CALLBACK_STORE] = store
    add_callback_routes(
        app, CALLBACK_STORE, now=lambda: NOW, calendar_of=lambda line: THURSDAY_CLOSED
    )
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        async with aiohttp.ClientSession() as session:
            yield Client(session, f"http://127.0.0.1:{runner.addresses[0][1]}")
    finally:
        await runner.cleanup()


async def requested(store: CallbackStore, where: str, **overrides: Any) -> Callback:
    values: dict[str, Any] = {
        "number": number(),
        "line": where,
        "line_code": "1700 Andere Vragen",
        "contact_id": "contact-1",
        "requested_at": MORNING,
        "due_by": DUE,
        "idempotency_key": key(),
    }
    values.update(overrides)
    return (await store.request(**values))[0]


async def test_list_get_cancel_and_reschedule(client: Client, store: CallbackStore):
    where = line()
    first = await requested(store, where)
    second = await requested(store, where, requested_at=MORNING + timedelta(seconds=1))
    status, body = await client.call("GET", f"/api/callbacks?line={where}")
    assert status == 200
    assert [c["id"] for c in body["callbacks"]] == [first.id, second.id]
    view = body["callbacks"][0]
    assert view["status"] == "pending"
    assert view["number"] == first.number
    assert datetime.fromisoformat(view["due_by"]) == DUE
    assert (view["overdue"], view["attempts"], view["merged_count"]) == (False, [], 0)

    status, body = await client.call("GET", f"/api/callbacks/{first.id}")
    assert (status, body["id"]) == (200, first.id)

    at = "2027-03-30T14:00:00+02:00"
    status, body = await client.call(
        "POST", f"/api/callbacks/{first.id}/reschedule", json={"at": at}
    )
    assert status == 200
    assert datetime.fromisoformat(body["next_attempt_at"]) == datetime.fromisoformat(at)

    status, body = await client.call(
        "POST", f"/api/callbacks/{second.id}/cancel", json={"reason": "asked by e-mail"}
    )
    assert (status, body["status"], body["reason"]) == (200, "cancelled", "asked by e-mail")
    assert datetime.fromisoformat(body["closed_at"]) == NOW

    status, body = await client.call("GET", f"/api/callbacks?line={where}&status=pending")
    assert [c["id"] for c in body["callbacks"]] == [first.id]
    due_before = (DUE + timedelta(minutes=1)).isoformat()
    status, body = await client.call(
        "GET", "/api/callbacks", params={"line": where, "due_before": due_before, "limit": "1"}
    )
    assert (status, [c["id"] for c in body["callbacks"]]) == (200, [first.id])


async def test_an_overdue_callback_says_so(client: Client, store: CallbackStore):
    late = await requested(store, line(), due_by=NOW - timedelta(minutes=1))
    status, body = await client.call("GET", f"/api/callbacks/{late.id}")
    assert (status, body["overdue"]) == (200, True)


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "error"),
    [
        ("GET", "/api/callbacks/nope", None, 404, "callback_not_found"),
        ("POST", "/api/callbacks/nope/cancel", {"reason": "x"}, 404, "callback_not_found"),
        ("POST", "/api/callbacks/nope/reschedule", {"at": "2027-03-30T14:00Z"}, 404, None),
        ("GET", "/api/callbacks?status=lost", None, 422, "invalid_status"),
        ("GET", "/api/callbacks?due_before=tomorrow", None, 422, "invalid_time"),
        ("GET", "/api/callbacks?due_before=2027-03-30T10:00", None, 422, "invalid_time"),
        ("GET", "/api/callbacks?limit=0", None, 422, "invalid_limit"),
        ("POST", "/api/callbacks/{id}/cancel", {}, 422, "invalid_reason"),
        ("POST", "/api/callbacks/{id}/cancel", {"reason": "  "}, 422, "invalid_reason"),
        ("POST", "/api/callbacks/{id}/cancel", [1], 400, "invalid_json"),
        ("POST", "/api/callbacks/{id}/reschedule", {"at": 5}, 422, "invalid_time"),
        ("POST", "/api/callbacks/{id}/reschedule", {"at": "2027-03-30T14:00"}, 422, None),
        ("POST", "/api/callbacks/{id}/reschedule", {"at": "2027-04-09T10:00Z"}, 422, None),
        # Past the year 9999 once in UTC (was a 500: OverflowError).
        (
            "POST",
            "/api/callbacks/{id}/reschedule",
            {"at": "9999-12-31T23:59-14:00"},
            422,
            "invalid_time",
        ),
        ("GET", "/api/callbacks?due_before=0001-01-01T00:00%2B01:00", None, 422, "invalid_time"),
        # Into the past (was accepted and dialled at once).
        (
            "POST",
            "/api/callbacks/{id}/reschedule",
            {"at": "1970-01-01T00:00Z"},
            422,
            "callback_invalid",
        ),
        (
            "POST",
            "/api/callbacks/{id}/reschedule",
            {"at": "0001-01-01T00:00Z"},
            422,
            "callback_invalid",
        ),
    ],
)
async def test_bad_requests_get_json_errors(
    client: Client,
    store: CallbackStore,
    method: str,
    path: str,
    body: Any,
    status: int,
    error: str | None,
):
    callback = await requested(store, line())
    got, answer = await client.call(method, path.format(id=callback.id), json=body)
    assert got == status
    assert set(answer) == {"status", "error", "message", "details"}
    assert answer["status"] == status
    if error is not None:
        assert answer["error"] == error
    assert answer["message"]


async def test_only_pending_callbacks_change(client: Client, store: CallbackStore):
    callback = await requested(store, line())
    await store.cancel(callback.id, "duplicate", MORNING)
    status, body = await client.call(
        "POST", f"/api/callbacks/{callback.id}/reschedule", json={"at": NOW.isoformat()}
    )
    assert (status, body["error"], body["details"]) == (
        409,
        "callback_wrong_state",
        {"status": "cancelled"},
    )


async def test_a_reschedule_into_the_past_says_so_and_changes_nothing(
    client: Client, store: CallbackStore
):
    callback = await requested(store, line())
    an_hour_ago = (NOW - timedelta(hours=1)).isoformat()
    status, body = await client.call(
        "POST", f"/api/callbacks/{callback.id}/reschedule", json={"at": an_hour_ago}
    )
    assert (status, body["error"]) == (422, "callback_invalid")
    assert "that is in the past" in body["message"]
    assert (await store.get(callback.id)) == callback
    # Seconds behind (a client's clock): taken as now.
    just_now = (NOW - timedelta(seconds=20)).isoformat()
    status, body = await client.call(
        "POST", f"/api/callbacks/{callback.id}/reschedule", json={"at": just_now}
    )
    assert (status, body["next_attempt_at"]) == (200, NOW.astimezone(UTC).isoformat())


async def test_a_reschedule_outside_hours_is_kept_unless_no_opening_comes_before_the_deadline(
    client: Client, store: CallbackStore
):
    callback = await requested(store, line())
    path = f"/api/callbacks/{callback.id}/reschedule"
    # Tuesday 21:00 in Brussels: closed, tried at Wednesday's opening, well before the deadline.
    status, body = await client.call("POST", path, json={"at": "2027-03-30T21:00+02:00"})
    assert (status, body["next_attempt_at"]) == (200, "2027-03-30T19:00:00+00:00")
    # Wednesday 20:00: the line is closed until Friday (Thursday's closure), after the deadline.
    status, body = await client.call("POST", path, json={"at": "2027-03-31T20:00+02:00"})
    assert (status, body["error"]) == (422, "no_opening_before_deadline")
    assert body["message"].endswith(
        "the line is closed then and opens next at 2027-04-02 09:00, after the callback's "
        "deadline 2027-04-01 19:00 (Europe/Brussels)"
    )
    assert body["details"] == {"id": callback.id, "due_by": DUE.isoformat()}
    kept = await store.get(callback.id)
    assert kept is not None
    assert kept.next_attempt_at == datetime(2027, 3, 30, 19, 0, tzinfo=UTC)
