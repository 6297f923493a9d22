"""Record ``tests/data/ari-traces/recording_file.jsonl`` on the real Asterisk 22 of this tier:
what ``GET /recordings/stored/{name}/file`` answers (the listening page's audio comes from it).

    .venv/bin/python -m tests.realpbx.record_recording_file [OUT]

A caller (sipp, 1700, talking) is answered and put alone in a mixing bridge; the bridge is
recorded for 2 s as ``wav`` and stopped.  Then the stored file is asked for: whole, with
``Range: bytes=0-99``, ``bytes=100-``, an unsatisfiable ``bytes=999999999-``, as a ``HEAD``
(sent raw: Asterisk answers it 405 with a body, see ``Recorder._head``);
an unknown recording's file; then the recording is deleted and its file asked for again.
The caller is hung up and the bridge deleted.

Responses to the file requests carry ``headers`` (the ones that say how a file is served:
content type and length, ranges, caching) and, instead of the binary ``body``,
``body_length`` and ``body_head`` (the first 44 bytes in hex: a wav file's RIFF header).
Otherwise the format is that of ``../shared/asterisk/ari-traces`` (see its README)."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import aiohttp

from tests.realpbx.harness import REPO, Asterisk, Phones
from tests.realpbx.trace_recording import TraceLog, record_main

OUT = REPO / "tests" / "data" / "ari-traces" / "recording_file.jsonl"
AUTH = ("asterisk", "asterisk")
NAME = "rec-trace-file"
# The headers a file answer is judged by (Date and Server vary run by run).
KEPT = (
    "Content-Type",
    "Content-Length",
    "Accept-Ranges",
    "Content-Range",
    "Content-Disposition",
    "Cache-Control",
    "Last-Modified",
    "ETag",
    "Allow",
)


class Recorder(TraceLog):
    """One ARI client whose every request, response and event goes into the trace."""

    def __init__(self, session: aiohttp.ClientSession, base: str) -> None:
        super().__init__()
        self.session = session
        self.base = base
        self.auth = {"Authorization": aiohttp.encode_basic_auth(*AUTH)}

    async def call(self, method: str, path: str, **query: str) -> tuple[int, Any]:
        request: dict[str, Any] = {"t": self._t(), "dir": "request", "method": method}
        request |= {"path": f"/ari{path}"} | ({"query": query} if query else {})
        self.entries.append(request)
        url = f"{self.base}/ari{path}"
        async with self.session.request(method, url, headers=self.auth, params=query) as resp:
            raw = await resp.read()
            body = json.loads(raw) if raw else None
            self.entries.append(
                {"t": self._t(), "dir": "response", "method": method, "path": f"/ari{path}"}
                | {"status": resp.status, "reason": resp.reason, "body": body}
            )
            return resp.status, body

    async def file(self, method: str, name: str, range_: str | None = None) -> int:
        path = f"/ari/recordings/stored/{name}/file"
        request: dict[str, Any] = {"t": self._t(), "dir": "request", "method": method}
        request |= {"path": path}
        headers = dict(self.auth)
        if range_ is not None:
            headers["Range"] = range_
            request["headers"] = {"Range": range_}
        self.entries.append(request)
        if method == "HEAD":
            return await self._head(path)
        async with self.session.request(method, self.base + path, headers=headers) as resp:
            raw = await resp.read()
            answer: dict[str, Any] = {"t": self._t(), "dir": "response", "method": method}
            answer |= {"path": path, "status": resp.status, "reason": resp.reason}
            answer["headers"] = {k: resp.headers[k] for k in KEPT if k in resp.headers}
            if resp.content_type == "application/json":
                answer["body"] = json.loads(raw) if raw else None
            else:
                answer["body_length"] = len(raw)
                answer["body_head"] = raw[:44].hex()
            self.entries.append(answer)
            return resp.status

    async def _head(self, path: str) -> int:
        """A ``HEAD`` on a connection of its own, read raw: Asterisk 22 answers it ``405``
        *with* its JSON body, which an HTTP client rightly does not expect after a HEAD and
        takes for the start of the next answer ("Bad status line")."""
        host, port = self.base.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        head = f"HEAD {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n"
        head += f"Authorization: {self.auth['Authorization']}\r\n\r\n"
        writer.write(head.encode())
        raw = await reader.read()
        writer.close()
        top, _, after = raw.partition(b"\r\n\r\n")
        status_line, *lines = top.decode().split("\r\n")
        _, status, reason = status_line.split(" ", 2)
        received = dict(line.split(": ", 1) for line in lines)
        answer: dict[str, Any] = {"t": self._t(), "dir": "response", "method": "HEAD"}
        answer |= {"path": path, "status": int(status), "reason": reason}
        # Asterisk spells it "Content-type" on this answer; kept as it came.
        answer["headers"] = {k: v for k, v in received.items() if k.title() in KEPT}
        answer["body_after_head"] = after.decode(errors="replace")
        self.entries.append(answer)
        return int(status)


async def record(pbx: Asterisk, phones: Phones) -> list[dict[str, Any]]:
    async with aiohttp.ClientSession() as session:
        rec = Recorder(session, pbx.ari_url)
        ws, listener = await rec.open_events(session, pbx.http_port)

        phones.caller("1700", hang_up=False, media=True)
        caller = (await rec.event("StasisStart"))["channel"]["id"]
        await rec.call("POST", f"/channels/{caller}/answer")
        await rec.call("POST", "/bridges/br-file1", type="mixing", name="acd-1700")
        await rec.call("POST", "/bridges/br-file1/addChannel", channel=caller)
        await rec.call(
            "POST",
            "/bridges/br-file1/record",
            name=NAME,
            format="wav",
            maxDurationSeconds="30",
            ifExists="overwrite",
            beep="false",
            terminateOn="none",
        )
        await rec.event("RecordingStarted")
        await asyncio.sleep(2.0)
        await rec.call("POST", f"/recordings/live/{NAME}/stop")
        await rec.event("RecordingFinished")
        await rec.call("GET", f"/recordings/stored/{NAME}")

        await rec.file("GET", NAME)
        await rec.file("GET", NAME, "bytes=0-99")
        await rec.file("GET", NAME, "bytes=100-")
        await rec.file("GET", NAME, "bytes=999999999-")
        await rec.file("HEAD", NAME)
        await rec.file("GET", "no-such-recording")

        await rec.call("DELETE", f"/channels/{caller}", reason="normal")
        await rec.event("StasisEnd", caller)
        await rec.call("DELETE", "/bridges/br-file1")
        await rec.call("DELETE", f"/recordings/stored/{NAME}")
        await rec.file("GET", NAME)
        await asyncio.sleep(0.5)  # the last stragglers (BridgeDestroyed)
        await ws.close()
        listener.cancel()
        return rec.entries


def main(argv: list[str]) -> int:
    return record_main(argv, OUT, "file-trace-", record)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
