"""Record ``tests/data/ari-traces/rest_over_ws.jsonl`` on the real Asterisk 22 of this tier:
ARI REST requests sent as ``RESTRequest`` messages on the events WebSocket.

    .venv/bin/python -m tests.realpbx.record_rest_over_ws [OUT]

First the envelope's rules: a ping with and without ids, a ``uri`` with a leading slash, an
unknown resource and channel, an unknown method, another message type, parameters in the
``uri``'s query string and in ``query_strings`` (a global variable set with a space, a plus
and a comma in its value, then read back), a JSON ``message_body`` (the event filter) and a
malformed one, an ``allowed`` filter without ``RESTResponse`` (the answers stop) and one with
it.  Then a call the engine's way, every request over the socket: caller (sipp,
1700) answered, a mixing bridge, agent1 originated (``appArgs``, ``callerId``, ``timeout``,
``originator``) and added on its ``StasisStart`` (both channels in one ``addChannel``), 1 s of
talk, the app hangs up the agent, then the caller, and deletes the bridge; an answer to the
gone caller (404).  Requests over the WebSocket are ``{"dir": "ws_request", "message": ...}``
entries; their answers are ``RESTResponse`` events.  Otherwise the format is that of
``../shared/asterisk/ari-traces`` (see its README)."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

import aiohttp

from tests.realpbx.harness import REPO, Asterisk, Phones
from tests.realpbx.trace_recording import TraceLog, record_main

OUT = REPO / "tests" / "data" / "ari-traces" / "rest_over_ws.jsonl"


class Recorder(TraceLog):
    """One events WebSocket whose every message sent and received goes into the trace."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, started: float) -> None:
        super().__init__(started)
        self.ws = ws
        self._ids = 0

    async def post(self, message: dict[str, Any]) -> None:
        """Send ``message`` and do not wait for an answer (one that never comes)."""
        self.entries.append({"t": self._t(), "dir": "ws_request", "message": message})
        await self.ws.send_str(json.dumps(message))

    async def send(self, message: dict[str, Any]) -> dict[str, Any] | None:
        """Send ``message`` as it is; its answer if it has a request id, else the next one."""
        self.entries.append({"t": self._t(), "dir": "ws_request", "message": message})
        await self.ws.send_str(json.dumps(message))
        return await self.event("RESTResponse", request_id=message.get("request_id", ""))

    async def rest(self, method: str, uri: str, body: Any = None, **query: str) -> tuple[int, Any]:
        """A request the way the engine sends one: parameters in ``query_strings``."""
        self._ids += 1
        message: dict[str, Any] = {
            "type": "RESTRequest",
            "request_id": f"r{self._ids}",
            "method": method,
            "uri": uri,
        }
        if query:
            message["query_strings"] = [{"name": k, "value": v} for k, v in query.items()]
        if body is not None:
            message["content_type"] = "application/json"
            message["message_body"] = json.dumps(body)
        answer = await self.send(message)
        assert answer is not None
        raw = answer.get("message_body")
        return int(answer["status_code"]), json.loads(raw) if raw else None


async def envelope_rules(rec: Recorder) -> None:
    base = {"type": "RESTRequest", "method": "GET"}
    await rec.send({**base, "transaction_id": "t1", "request_id": "e1", "uri": "asterisk/ping"})
    await rec.send({**base, "request_id": "e2", "uri": "/ari/asterisk/ping"})
    await rec.send({**base, "request_id": "e3", "uri": "nosuchresource"})
    await rec.send({**base, "request_id": "e4", "uri": "channels/nosuch"})
    await rec.send({**base, "request_id": "e5", "uri": "channels", "method": "FOO"})
    await rec.send({"type": "Nonsense", "transaction_id": "t6", "request_id": "e6"})
    await rec.send({**base, "transaction_id": "t7", "uri": "asterisk/ping"})  # no request_id
    # Parameters: in the uri (percent-encoded) and in query_strings (as they are).
    variable = "asterisk/variable"
    await rec.send(
        {**base, "method": "POST", "request_id": "e8", "uri": f"{variable}?variable=A&value=x%20y"}
    )
    await rec.send({**base, "request_id": "e9", "uri": f"{variable}?variable=A"})
    await rec.rest("POST", variable, variable="B", value="one two+three,four")
    await rec.rest("GET", variable, variable="B")
    await rec.rest("PUT", "applications/acd/eventFilter", {"disallowed": [{"type": "Dial"}]})
    await rec.send(
        {
            "type": "RESTRequest",
            "request_id": "e10",
            "method": "PUT",
            "uri": "applications/acd/eventFilter",
            "content_type": "application/json",
            "message_body": "{not json",
        }
    )
    await rec.rest("PUT", "applications/acd/eventFilter", {})  # clears the filter
    # Answers are events of type RESTResponse to the filter: an allowed list without that
    # type swallows them all, its own answer included (the request is carried out).
    await rec.post(
        {
            "type": "RESTRequest",
            "request_id": "f1",
            "method": "PUT",
            "uri": "applications/acd/eventFilter",
            "content_type": "application/json",
            "message_body": json.dumps({"allowed": [{"type": "StasisStart"}]}),
        }
    )
    await asyncio.sleep(0.5)
    await rec.post(
        {"type": "RESTRequest", "request_id": "f2", "method": "GET", "uri": "asterisk/ping"}
    )
    await asyncio.sleep(0.5)
    # Clearing the filter: its own answer already comes.
    await rec.rest("PUT", "applications/acd/eventFilter", {})
    allowed = [{"type": "StasisStart"}, {"type": "RESTResponse"}]
    await rec.rest("PUT", "applications/acd/eventFilter", {"allowed": allowed})
    await rec.rest("GET", "asterisk/ping")
    await rec.rest("PUT", "applications/acd/eventFilter", {})


async def call(rec: Recorder, phones: Phones) -> None:
    phones.agent("agent1", "uas_answer", delay_ms=1000)
    phones.caller("1700", hang_up=False)
    caller = (await rec.event("StasisStart"))["channel"]["id"]
    await rec.rest("POST", f"channels/{caller}/answer")
    await rec.rest("POST", "bridges/br-ws1", type="mixing", name="acd-1700")
    await rec.rest(
        "POST",
        "channels/ag-ws1",
        endpoint="PJSIP/agent1",
        app="acd",
        appArgs=f"agent,agent1,{caller}",
        callerId="ACD <1700>",
        timeout="20",
        originator=caller,
    )
    await rec.event("StasisStart", "ag-ws1")
    await rec.rest("POST", "bridges/br-ws1/addChannel", channel=f"{caller},ag-ws1")
    await asyncio.sleep(1.0)
    # One hang-up at a time: two racing in one bridge interleave their events run by run.
    await rec.rest("DELETE", "channels/ag-ws1", reason="normal")
    await rec.event("ChannelDestroyed", "ag-ws1")
    await rec.rest("DELETE", f"channels/{caller}", reason="normal")
    await rec.event("StasisEnd", caller)
    await rec.rest("POST", f"channels/{caller}/answer")  # gone: 404
    await rec.rest("DELETE", "bridges/br-ws1")
    await asyncio.sleep(0.5)  # the last stragglers (BridgeDestroyed)


async def record(pbx: Asterisk, phones: Phones) -> list[dict[str, Any]]:
    started = time.monotonic()
    query = {"app": "acd", "api_key": "asterisk:asterisk"}
    head: list[dict[str, Any]] = [
        {"t": 0.0, "dir": "request", "method": "GET", "path": "/ari/events"}
        | {"query": query, "websocket": True}
    ]
    async with aiohttp.ClientSession() as session:
        ws = await session.ws_connect(f"ws://127.0.0.1:{pbx.http_port}/ari/events", params=query)
        rec = Recorder(ws, started)
        head.append(
            {"t": rec._t(), "dir": "response", "method": "GET", "path": "/ari/events"}
            | {"status": 101, "websocket": True}
        )
        listener = asyncio.create_task(rec.listen(ws))
        await envelope_rules(rec)
        await call(rec, phones)
        await ws.close()
        listener.cancel()
        return head + rec.entries


def main(argv: list[str]) -> int:
    return record_main(argv, OUT, "rest-ws-trace-", record)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
