"""The lean HTTP/1.1 client (``ari.http_client: lean``) against a server whose every byte the
test writes: what goes on the wire, kept-alive connections and the server closing them,
answers chunked, close-delimited or large, and requests that never get their answer.

The behaviour it shares with aiohttp's client (every error, the replayed traces, the pool
bound) is tested on both clients in test_errors.py, test_client.py and test_pool.py."""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from acd.ari.client import AriClient
from acd.ari.http11 import Http11Transport
from acd.ari.rest import RestTransport
from foundation.errors import AriError, AriNotFound, AriServerError, AriUnavailable

Reader = asyncio.StreamReader
Writer = asyncio.StreamWriter
# Called once per request on a connection: writes (or withholds) the answer.
Answer = Callable[[bytes, Writer], Awaitable[None]]


class RawServer:
    """An HTTP server written by hand: each request's head and body are kept, the answer is
    what ``answer`` writes; counts the connections it accepted."""

    def __init__(self, answer: Answer, tls: ssl.SSLContext | None = None) -> None:
        self.answer = answer
        self._tls = tls
        self.requests: list[bytes] = []
        self.connections = 0
        self.url = ""
        self._server: asyncio.Server | None = None
        self._writers: list[Writer] = []

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self._tls)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"{'https' if self._tls else 'http'}://127.0.0.1:{port}"

    async def close(self) -> None:
        for writer in self._writers:
            writer.close()
        if self._server is not None:
            self._server.close()

    async def _serve(self, reader: Reader, writer: Writer) -> None:
        self.connections += 1
        self._writers.append(writer)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                request = head + (await reader.readexactly(length) if length else b"")
                self.requests.append(request)
                await self.answer(request, writer)
                if writer.is_closing():
                    return
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()
        except asyncio.CancelledError:
            # The test's loop closing: end quietly (a cancelled connection task makes
            # asyncio's stream server log an error of its own in Python 3.11).
            writer.close()


def ok(body: Any, status: int = 200, extra: bytes = b"") -> bytes:
    raw = json.dumps(body).encode()
    return b"HTTP/1.1 %d OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n%s\r\n%s" % (
        status,
        len(raw),
        extra,
        raw,
    )


async def pong(_request: bytes, writer: Writer) -> None:
    writer.write(ok({"ping": "pong"}))


@pytest.fixture
async def serve() -> AsyncIterator[Callable[..., Awaitable[RawServer]]]:
    servers: list[RawServer] = []

    async def start(answer: Answer, tls: ssl.SSLContext | None = None) -> RawServer:
        server = RawServer(answer, tls)
        await server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        await server.close()


async def test_a_request_is_one_http11_message_with_auth_and_the_urls_prefix(serve):
    async def channel(_request: bytes, writer: Writer) -> None:
        writer.write(ok({"id": "ag-1", "name": "PJSIP/agent 1-00000001", "state": "Down"}))

    server = await serve(channel)
    async with AriClient(server.url + "/pbx1", "asterisk", "s3cret", "acd") as ari:
        await ari.originate(
            "PJSIP/agent 1",
            channel_id="ag-1",
            app_args=["agent", "Local/x@y;2"],
            variables={"ACD": "1"},
        )
        await ari.info()
    post, get = server.requests
    head, body = post.split(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    assert lines[0] == (
        "POST /pbx1/ari/channels/ag-1?endpoint=PJSIP/agent%201&app=acd"
        "&appArgs=agent,Local/x@y%3B2 HTTP/1.1"
    )
    assert "Authorization: Basic YXN0ZXJpc2s6czNjcmV0" in lines  # asterisk:s3cret
    assert f"Host: {server.url.removeprefix('http://')}" in lines
    assert "Content-Type: application/json" in lines
    assert json.loads(body) == {"variables": {"ACD": "1"}}
    assert get.startswith(b"GET /pbx1/ari/asterisk/info HTTP/1.1\r\n")
    assert b"Content-Length" not in get


async def test_a_post_without_a_body_says_so(serve):
    server = await serve(pong)
    async with AriClient(server.url, "asterisk", "asterisk", "acd") as ari:
        await ari.answer("c1")
    assert b"\r\nContent-Length: 0\r\n" in server.requests[0]


async def test_requests_one_after_another_share_one_connection(serve):
    server = await serve(pong)
    async with AriClient(server.url, "asterisk", "asterisk", "acd") as ari:
        for _ in range(5):
            assert await ari.ping() == {"ping": "pong"}
    assert server.connections == 1


async def test_a_connection_the_server_closed_while_idle_is_not_used_again(serve):
    async def answer_then_close(_request: bytes, writer: Writer) -> None:
        # Asterisk closing an idle kept-alive session (http.conf session_keep_alive).
        writer.write(ok({"ping": "pong"}))
        await writer.drain()
        writer.close()

    server = await serve(answer_then_close)
    async with AriClient(server.url, "asterisk", "asterisk", "acd") as ari:
        await ari.ping()
        await asyncio.sleep(0.1)
        # A POST is never retried: it succeeds only because it goes out on a new connection.
        await ari.answer("c1")
    assert server.connections == 2


async def test_an_answer_that_says_connection_close_ends_its_connection(serve):
    async def closing(_request: bytes, writer: Writer) -> None:
        writer.write(ok({"ping": "pong"}, extra=b"Connection: close\r\n"))

    server = await serve(closing)
    async with AriClient(server.url, "asterisk", "asterisk", "acd") as ari:
        await ari.ping()
        await ari.ping()
    assert server.connections == 2


async def test_idle_connections_are_not_reused_after_the_keep_alive_time(serve):
    server = await serve(pong)
    rest = Http11Transport(server.url, "asterisk", "asterisk", keepalive_s=10)
    try:
        await rest.request("GET", "/ari/asterisk/ping")
        await asyncio.sleep(9)
        await rest.request("GET", "/ari/asterisk/ping")
        assert server.connections == 1
        await asyncio.sleep(11)  # Asterisk's own limit is 15 s: never reuse one that late
        await rest.request("GET", "/ari/asterisk/ping")
        assert server.connections == 2
        assert rest.connections == 1  # the stale one was closed, not leaked
    finally:
        await rest.close()


async def test_chunked_and_close_delimited_answers_are_read_whole(serve):
    async def chunked(request: bytes, writer: Writer) -> None:
        if request.startswith(b"GET /ari/channels "):
            writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            for piece in (b'[{"id": "c1", ', b'"name": "PJSIP/x", "state": "Up"}]'):
                writer.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                await writer.drain()
                await asyncio.sleep(0.01)
            writer.write(b"0\r\n\r\n")
        else:  # HTTP/1.0 style: the body ends with the connection
            writer.write(b'HTTP/1.0 200 OK\r\nConnection: close\r\n\r\n{"ping": "po')
            await writer.drain()
            await asyncio.sleep(0.01)
            writer.write(b'ng"}')
            writer.close()

    server = await serve(chunked)
    async with AriClient(server.url, "asterisk", "asterisk", "acd") as ari:
        assert [c.id for c in await ari.list_channels()] == ["c1"]
        assert await ari.ping() == {"ping": "pong"}
        assert await ari.ping() == {"ping": "pong"}


async def test_a_large_answer_arrives_whole(serve):
    # 20,000 channels, ~2.6 MB: written in one go, read in many pieces.
    channels = [
        {"id": f"17953904{i:05d}.{i}", "name": f"PJSIP/caller-{i:08x}", "state": "Up"}
        for i in range(20_000)
    ]

    async def big(_request: bytes, writer: Writer) -> None:
        writer.write(ok(channels))

    server = await serve(big)
    async with AriClient(server.url, "asterisk", "asterisk", "acd") as ari:
        listed = await ari.list_channels()
    assert len(listed) == 20_000
    assert listed[-1].id == channels[-1]["id"]


async def test_a_late_answer_never_goes_to_the_next_request(serve):
    async def slow_first(request: bytes, writer: Writer) -> None:
        if b"/channels/first/" in request:
            await asyncio.sleep(5)  # after the client gave up
            writer.write(ok({"who": "first"}))
        else:
            writer.write(ok({"who": "second"}))

    server = await serve(slow_first)
    rest = Http11Transport(server.url, "asterisk", "asterisk", max_connections=1, timeout_s=3)
    try:
        with pytest.raises(AriUnavailable, match="no answer within 3 s"):
            await rest.request("GET", "/ari/channels/first/variable")
        assert await rest.request("GET", "/ari/channels/second/variable") == {"who": "second"}
        await asyncio.sleep(5)
        assert await rest.request("GET", "/ari/channels/second/variable") == {"who": "second"}
    finally:
        await rest.close()


async def test_a_cancelled_request_gives_its_connection_back(serve):
    async def slow_first(request: bytes, writer: Writer) -> None:
        if b"/first" in request:
            await asyncio.sleep(5)
        writer.write(ok({"ok": True}))

    server = await serve(slow_first)
    rest = Http11Transport(server.url, "asterisk", "asterisk", max_connections=1)
    try:
        first = asyncio.ensure_future(rest.request("GET", "/ari/first"))
        waiting = asyncio.ensure_future(rest.request("GET", "/ari/waiting"))
        await asyncio.sleep(0.1)
        waiting.cancel()  # cancelled while it waits for the one connection
        first.cancel()  # cancelled with its request on the wire
        await asyncio.gather(first, waiting, return_exceptions=True)
        assert await rest.request("GET", "/ari/second") == {"ok": True}
        assert rest.connections == 1
    finally:
        await rest.close()


async def test_waiting_for_a_free_connection_counts_in_the_timeout(serve):
    async def hang(_request: bytes, _writer: Writer) -> None:
        await asyncio.sleep(3600)

    server = await serve(hang)
    rest = Http11Transport(server.url, "asterisk", "asterisk", max_connections=1, timeout_s=3)
    loop = asyncio.get_running_loop()
    started = loop.time()
    try:
        results = await asyncio.gather(
            rest.request("POST", "/ari/channels/c1/answer"),
            rest.request("POST", "/ari/channels/c2/answer"),
            return_exceptions=True,
        )
    finally:
        await rest.close()
    assert [type(r) for r in results] == [AriUnavailable, AriUnavailable]
    assert loop.time() - started == pytest.approx(3, abs=0.1)
    assert server.connections == 1


async def test_a_garbled_answer_is_unavailable_and_its_connection_dropped(serve):
    async def garbage(request: bytes, writer: Writer) -> None:
        if b"/garbled" in request:
            writer.write(b"SIP/2.0 200 OK\r\n\r\n")
        else:
            writer.write(ok({"ok": True}))

    server = await serve(garbage)
    async with AriClient(server.url, "asterisk", "asterisk", "acd") as ari:
        with pytest.raises(AriUnavailable, match="bad HTTP answer"):
            await ari.stop_playback("garbled")
        assert await ari.ping() == {"ok": True}
    assert server.connections == 2


async def test_a_server_gone_mid_answer_is_unavailable(serve):
    async def cut(_request: bytes, writer: Writer) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n[1, 2")
        await writer.drain()
        writer.close()

    server = await serve(cut)
    async with AriClient(server.url, "asterisk", "asterisk", "acd") as ari:
        with pytest.raises(AriUnavailable, match="ConnectionResetError"):
            await ari.answer("c1")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


async def test_both_clients_fail_alike(serve):
    """The same failure gives the same error class, status, method and path through either
    client, and for answers from the server the same message."""

    async def answers(request: bytes, writer: Writer) -> None:
        path = request.split(b" ")[1]
        if path.endswith(b"/gone"):
            writer.write(ok({"message": "Channel not found"}, status=404))
        elif path.endswith(b"/full"):
            writer.write(ok({"error": "Internal Server Error"}, status=500))
        elif path.endswith(b"/html"):
            page = b"<html>proxy</html>"
            writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: %d\r\n\r\n%s" % (18, page))
        elif path.endswith(b"/text"):
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")
        elif path.endswith(b"/slow"):
            await asyncio.sleep(3600)
        else:
            writer.close()  # dropped without an answer

    server = await serve(answers)
    refused = f"http://127.0.0.1:{_free_port()}"

    async def outcome(
        transport: type[RestTransport] | type[Http11Transport], url: str, path: str
    ) -> tuple[Any, ...]:
        rest = transport(url, "asterisk", "asterisk", timeout_s=2, retry_gets=False)
        try:
            await rest.request("POST", path)
        except AriError as exc:
            said = exc.message if exc.status else ""  # socket errors are worded per library
            return type(exc), exc.status, said, exc.method, exc.path
        finally:
            await rest.close()
        raise AssertionError("no error")

    cases = [(server.url, f"/ari/x/{name}") for name in ("gone", "full", "html", "text")]
    cases += [(server.url, "/ari/x/slow"), (server.url, "/ari/x/drop"), (refused, "/ari/x/y")]
    lean = [await outcome(Http11Transport, url, path) for url, path in cases]
    reference = [await outcome(RestTransport, url, path) for url, path in cases]
    assert lean == reference
    assert [kind for kind, *_ in lean] == [
        AriNotFound,
        AriServerError,
        AriServerError,
        AriServerError,
        AriUnavailable,
        AriUnavailable,
        AriUnavailable,
    ]


def _self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 made by the openssl CLI, and its key."""
    cert, key = directory / "pbx.crt", directory / "pbx.key"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


async def test_https_to_a_trusted_asterisk_and_refused_to_an_untrusted_one(serve, tmp_path):
    cert, key = _self_signed(tmp_path)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    server = await serve(pong, tls)
    trusting = ssl.create_default_context(cafile=str(cert))
    rest = Http11Transport(server.url, "asterisk", "asterisk", ssl_context=trusting)
    try:
        assert await rest.request("GET", "/ari/asterisk/ping") == {"ping": "pong"}
    finally:
        await rest.close()
    assert server.requests[0].startswith(b"GET /ari/asterisk/ping HTTP/1.1\r\n")
    # The system's trust store does not know this certificate: no request goes out.
    async with AriClient(server.url, "asterisk", "asterisk", "acd") as ari:
        with pytest.raises(AriUnavailable, match="CERTIFICATE_VERIFY_FAILED"):
            await ari.ping()
    assert len(server.requests) == 1
