"""The real-PBX tier's processes: a real Asterisk 22.10.1 (../shared/asterisk/run-asterisk), the
engine (`acd run`) as a subprocess, and sipp phones.  Everything listens on free loopback ports
chosen here, so two runs on one machine never collide, and everything is polled with a
deadline: the PBX is real, so time is real, but no test waits longer than it must.

Where the shared build cannot run on the CPU (it needs AVX-512: SIGILL at start, and the tier
is one skip line naming the CPU), ``$ASTERISK_SHARED_DIR`` may name a copy of the shared folder
(README, ``run-asterisk``, ``etc/``, ``sipp/``) whose ``dist/asterisk-22.10.1.tar.xz`` is a build
of the same tag (22.10.1, bundled pjproject 2.17) for a baseline x86-64 CPU with the same tree:
``asterisk-22.10.1/sbin/asterisk``, ``lib/libasteriskpj.so.2``, ``lib/libasteriskssl.so.1``,
``lib/asterisk/modules/`` holding the modules of the shared tarball (``tar tJf`` lists them;
``etc/modules.conf`` loads them), ``var/lib/asterisk/rest-api/``.  Such a build is a local tool
of the machine that made it, outside the repository, and no CI or README command uses one;
the whole tier passed on one on 2026-12-03 (docs/roadmap.md, issue 10)."""

from __future__ import annotations

import base64
import itertools
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.error import HTTPError, URLError
from urllib.request import Request, urlopen

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
# Outside the ACD_ namespace on purpose: the engine reads every ACD_* variable as a setting.
SHARED_ENV = "ASTERISK_SHARED_DIR"
REQUIRE_ENV = "REQUIRE_REAL_PBX"
AGENTS = ("agent1", "agent2", "agent3", "agent4")
PCAP_AUDIO = "/usr/share/sip-tester/g711a.pcap"  # installed with sipp (Debian sip-tester)

T = TypeVar("T")


def shared_dir() -> Path:
    """Where run-asterisk, etc/ and sipp/ live: $ASTERISK_SHARED_DIR or ../shared/asterisk."""
    configured = os.environ.get(SHARED_ENV)
    return Path(configured) if configured else REPO.parent / "shared" / "asterisk"


def wait_for(predicate: Callable[[], T | None], timeout_s: float, what: str) -> T:
    """Poll ``predicate`` every 50 ms until it returns something truthy; fail after the
    deadline with ``what`` (the thing the test was waiting for)."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout_s} s: {what} (last value: {value!r})")
        time.sleep(0.05)


# ---------------------------------------------------------------------------- ports


def free_tcp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def udp_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


# Every UDP port this process handed out: a port is reserved long before its owner binds it
# (a phone's port is written into pjsip.conf before its sipp starts; Asterisk's RTP range is
# bound call by call), so "free now" alone would hand the same port out twice.
_HANDED_OUT: set[int] = set()


def free_udp_block(size: int) -> int:
    """The first of ``size`` consecutive free UDP ports (an even one: RTP/RTCP pairs), none of
    them handed out before by this process."""
    # Candidates: blocks at random places first, then every block in order, so another
    # Asterisk's RTP range (another test run on the machine) cannot make every try miss.
    random_starts: list[int] = []
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", 0))
            random_starts.append(int(s.getsockname()[1]) & ~1)
    candidates: list[int] = [*random_starts, *range(10_000, 65_000 - size, 500)]
    for start in candidates:
        block = range(start, start + size)
        if start + size >= 65000 or _HANDED_OUT.intersection(block):
            continue
        if all(udp_free(port) for port in block):
            _HANDED_OUT.update(block)
            return start
    raise RuntimeError(f"no block of {size} free UDP ports")


# ---------------------------------------------------------------------------- HTTP


def http_json(
    method: str,
    url: str,
    body: object = None,
    auth: tuple[str, str] | None = None,
    bearer: str | None = None,
) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if bearer is not None:
        request.add_header("Authorization", f"Bearer {bearer}")
    if auth is not None:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urlopen(request, timeout=5) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except HTTPError as exc:
        raw = exc.read()
        try:
            return exc.code, json.loads(raw) if raw else None
        except ValueError:
            return exc.code, raw.decode(errors="replace")


def tail(path: Path, start: int = 0, limit: int = 12_000, drop: str | None = None) -> str:
    """The end of a log file from byte ``start`` on (what one test added to it), without the
    lines that contain ``drop``."""
    if not path.exists():
        return f"({path} does not exist)"
    with path.open("rb") as f:
        f.seek(start)
        text = f.read().decode(errors="replace")
    if drop is not None:
        text = "".join(line for line in text.splitlines(True) if drop not in line)
    return text if len(text) <= limit else "...\n" + text[-limit:]


# ---------------------------------------------------------------------------- Asterisk


class AsteriskCannotRunHere(RuntimeError):
    """The shared Asterisk build dies at start with SIGILL: it was compiled for instructions
    this machine's CPU lacks.  Nothing the engine does can change that."""


def run_asterisk_start(pbx: Asterisk, command: list[str]) -> None:
    """``run-asterisk start``; on failure the PBX is stopped and the error says why."""
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    if done.returncode != 0:
        pbx.stop()
        if "Illegal instruction" in done.stdout + done.stderr:
            raise AsteriskCannotRunHere(cpu_mismatch())
        raise RuntimeError(f"run-asterisk failed:\n{done.stdout}\n{done.stderr}")


def cpu_mismatch() -> str:
    flags: set[str] = set()
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "flags" and not flags:
            flags = set(value.split())
        elif key.strip() == "model name" and model == "unknown CPU":
            model = value.strip()
    missing = sorted({"avx512f", "avx512bw", "avx512vl"} - flags)
    return (
        "the shared Asterisk 22.10.1 build dies at start with SIGILL (Illegal instruction): it "
        f"was compiled for AVX-512 (vmovdqu8 at startup) and this CPU ({model}) lacks "
        f"{', '.join(missing) or 'an instruction it uses'}"
    )


@dataclass
class Asterisk:
    """One real Asterisk on its own ports, configured from the shared etc/ plus this tier's
    pjsip.conf (every phone on a free UDP port)."""

    shared: Path
    root: Path
    http_port: int
    sip_port: int
    phone_ports: dict[str, int]  # endpoint -> the UDP port its sipp UAS listens on

    @classmethod
    def start(cls, shared: Path, root: Path) -> Asterisk:
        phones = [*AGENTS, "citizen", "trunk"]
        base = free_udp_block(len(phones) + 1)
        ports = {name: base + i for i, name in enumerate(phones)}
        pbx = cls(shared, root, free_tcp_port(), base + len(phones), ports)
        etc = root / "etc"
        shutil.copytree(shared / "etc", etc, dirs_exist_ok=True)
        conf = (HERE / "etc" / "pjsip.conf").read_text()
        for name, port in ports.items():
            conf = conf.replace(f"@{name.upper()}_PORT@", str(port))
        (etc / "pjsip.conf").write_text(conf)
        # Extra numbers of this tier, in a second [from-caller] section that Asterisk merges.
        with (etc / "extensions.conf").open("a") as dialplan:
            dialplan.write("\n" + (HERE / "etc" / "extensions.conf").read_text())
        rtp = free_udp_block(200)
        command = [
            str(shared / "run-asterisk"),
            "start",
            str(root / "pbx"),
            "--http-port",
            str(pbx.http_port),
            "--sip-port",
            str(pbx.sip_port),
            "--rtp",
            f"{rtp}-{rtp + 199}",
            "--etc",
            str(etc),
        ]
        run_asterisk_start(pbx, command)
        # Asterisk records into <astspooldir>/recording and refuses (500 "Unrecognized
        # recording error: No such file or directory") when that folder is missing: it resolves
        # it with realpath() before each recording.  `make install` creates it; run-asterisk
        # unpacks a stripped tree without it.
        pbx.recordings.mkdir(parents=True, exist_ok=True)
        return pbx

    def stop(self) -> None:
        subprocess.run(
            [str(self.shared / "run-asterisk"), "stop", str(self.root / "pbx")],
            capture_output=True,
            timeout=30,
            check=False,
        )

    @property
    def prefix(self) -> Path:
        """Where run-asterisk unpacked this Asterisk (the paths of the shared asterisk.conf)."""
        return self.root / "pbx" / "asterisk-22.10.1"

    @property
    def log(self) -> Path:
        return self.prefix / "var" / "log" / "asterisk" / "messages.log"

    @property
    def recordings(self) -> Path:
        """Where ARI recordings land: ``astspooldir``/recording."""
        return self.prefix / "var" / "spool" / "asterisk" / "recording"

    @property
    def ari_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def ari(self, method: str, path: str) -> tuple[int, Any]:
        return http_json(method, f"{self.ari_url}/ari{path}", auth=("asterisk", "asterisk"))

    def channels(self) -> list[dict[str, Any]]:
        status, body = self.ari("GET", "/channels")
        assert status == 200, body
        return list(body)

    def bridges(self) -> list[dict[str, Any]]:
        status, body = self.ari("GET", "/bridges")
        assert status == 200, body
        return list(body)

    def bridged_pairs(self) -> list[set[str]]:
        """Per bridge, the endpoints in it (``caller``, ``agent1``, ...)."""
        names = {c["id"]: endpoint_of(c["name"]) for c in self.channels()}
        return [{names.get(ch, ch) for ch in b["channels"]} for b in self.bridges()]

    def hang_up_everything(self) -> None:
        for channel in self.channels():
            self.ari("DELETE", f"/channels/{channel['id']}")


def endpoint_of(channel_name: str) -> str:
    """``PJSIP/agent1-00000003`` -> ``agent1``."""
    return channel_name.split("/", 1)[-1].rsplit("-", 1)[0]


# ---------------------------------------------------------------------------- engine


def admin_token(command: list[str], cwd: Path, env: dict[str, str]) -> str:
    """A new admin API token in the store of an ``acd run`` command line, made as an operator
    would (``acd tokens add``): the engine's API lets no one in without one."""
    given = dict(itertools.pairwise(command))
    made = subprocess.run(
        [
            sys.executable,
            "-m",
            "acd.cli",
            "tokens",
            "add",
            "realpbx",
            "--scope",
            "admin",
            "--config",
            given["--config"],
            "--storage-url",
            given["--storage-url"],
        ],
        cwd=cwd,
        env=env,
        capture_output=True,
        check=True,
        timeout=60,
    )
    return made.stdout.decode().strip()


@dataclass
class Engine:
    """`acd run` in a subprocess with the tier's config, an SQLite store and a free port."""

    process: subprocess.Popen[bytes]
    http_port: int
    database: Path
    log: Path
    token: str | None = None  # an admin API token of its store (acd tokens add)

    @classmethod
    def start(cls, root: Path, asterisk: Asterisk) -> Engine:
        port = free_tcp_port()
        database = root / "acd.sqlite3"
        log = root / "engine.log"
        acd = Path(sys.executable).with_name("acd")
        command = [
            str(acd) if acd.exists() else "acd",
            "run",
            "--config",
            str(HERE / "config"),
            "--ari-url",
            asterisk.ari_url,
            "--storage-url",
            f"sqlite+aiosqlite:///{database}",
            "--listen",
            f"127.0.0.1:{port}",
        ]
        return cls.spawn(command, root, port, database, log)

    @classmethod
    def spawn(
        cls,
        command: list[str],
        cwd: Path,
        port: int,
        database: Path,
        log: Path,
        env: dict[str, str] | None = None,
    ) -> Engine:
        """Run ``command`` (an ``acd run`` listening on ``port``) with the environment's
        ``ACD_*`` settings left out, and wait until its ARI WebSocket is connected."""
        clean = {k: v for k, v in os.environ.items() if not k.startswith("ACD_")}
        with log.open("ab") as out:  # a restarted engine logs on after the first
            process = subprocess.Popen(
                command, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, env=clean | (env or {})
            )
        engine = cls(process, port, database, log)
        try:
            wait_for(engine.healthy, 30, "the engine's ARI WebSocket is connected (/healthz)")
        except AssertionError:
            engine.stop()
            raise AssertionError(f"the engine did not come up:\n{tail(log)}") from None
        engine.token = admin_token(command, cwd, clean | (env or {}))
        return engine

    def healthy(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"the engine exited with {self.process.returncode}")
        with suppress(URLError, OSError):
            return self.api("GET", "/healthz")[0] == 200
        return False

    def killed_and_restarted(self, asterisk: Asterisk) -> Engine:
        """``kill -9`` this engine (no cleanup of any kind) and start another on the same
        database, as a supervisor (systemd) would."""
        self.process.kill()
        self.process.wait(10)
        return Engine.start(self.database.parent, asterisk)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)

    def api(self, method: str, path: str, body: object = None) -> tuple[int, Any]:
        url = f"http://127.0.0.1:{self.http_port}{path}"
        return http_json(method, url, body, bearer=self.token)

    def login(self, *agent_ids: str) -> None:
        for agent_id in agent_ids:
            status, body = self.api("POST", f"/api/agents/{agent_id}/login")
            assert status == 200, body

    def agents(self) -> dict[str, dict[str, Any]]:
        status, body = self.api("GET", "/api/agents")
        assert status == 200, body
        return {a["id"]: a for a in body["agents"]}

    def waiting(self) -> int:
        status, body = self.api("GET", "/api/queues")
        assert status == 200, body
        return sum(int(q["waiting"]) for q in body["queues"])

    def cancel_pending_callbacks(self) -> None:
        status, body = self.api("GET", "/api/callbacks?status=pending")
        assert status == 200, body
        for callback in body["callbacks"]:
            self.api("POST", f"/api/callbacks/{callback['id']}/cancel", {"reason": "test over"})

    def records(self) -> list[dict[str, Any]]:
        """Every contact record in the SQLite store, oldest first, each with its offers (the
        agents rung, in order, with their results)."""
        rows = self._select("SELECT * FROM contacts ORDER BY arrived_at, id")
        offers = self._select("SELECT * FROM contact_offers ORDER BY contact_id, seq")
        for row in rows:
            row["offers"] = [o for o in offers if o["contact_id"] == row["id"]]
        return rows

    def _select(self, sql: str) -> list[dict[str, Any]]:
        if not self.database.exists():
            return []
        db = sqlite3.connect(f"file:{self.database}?mode=ro", uri=True, timeout=5)
        try:
            db.row_factory = sqlite3.Row
            return [dict(row) for row in db.execute(sql).fetchall()]
        except sqlite3.OperationalError:  # the engine has not created its tables yet
            return []
        finally:
            db.close()


# ---------------------------------------------------------------------------- sipp phones


@dataclass
class Sipp:
    name: str
    process: subprocess.Popen[bytes]
    logs: list[Path]

    def wait(self, timeout_s: float) -> int:
        """sipp's exit code: 0 when its one call went through the scenario to the end."""
        try:
            return self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"sipp {self.name} still running after {timeout_s} s") from None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)


@dataclass
class Phones:
    """The sipp processes of one test: agents' phones and callers; all killed at the end."""

    asterisk: Asterisk
    workdir: Path
    started: list[Sipp] = field(default_factory=list)

    def agent(
        self, endpoint: str, scenario: str, delay_ms: int = 1000, *, echo: bool = False
    ) -> Sipp:
        """A phone for ``endpoint`` playing one of the shared UAS scenarios (``uas_answer``,
        ``uas_answer_bye``, ``uas_busy``, ``uas_noanswer``); ``delay_ms`` is its pause (ringing
        before the answer, and talking before its own BYE).  ``echo``: it sends back every RTP
        packet it receives, so what it heard shows in Asterisk's count of packets from it."""
        port = self.asterisk.phone_ports[endpoint]
        args = ["-sf", str(self.asterisk.shared / "sipp" / f"{scenario}.xml")]
        args += ["-p", str(port), "-d", str(delay_ms)]
        args += ["-rtp_echo"] if echo else []
        phone = self._sipp(endpoint, args)
        # A phone that is not listening yet would make the first INVITE wait for a SIP resend.
        wait_for(lambda: not udp_free(port), 5, f"{endpoint}'s sipp listens on {port}")
        return phone

    def caller(
        self,
        number: str,
        steps: Sequence[int | str] = (),
        hang_up: bool = True,
        user: str = "caller",
        *,
        media: bool = False,
    ) -> Sipp:
        """A caller dialling ``number``; after the answer it goes through ``steps`` (an int is a
        pause in ms, a str a DTMF digit sent as SIP INFO), then hangs up (``hang_up``) or
        waits for the PBX to hang up.  ``media``: from the answer on it talks (G.711 a-law
        from sipp's own pcap, as ``uac_bye_media.xml``)."""
        name = f"caller{len(self.started)}"
        scenario = self.workdir / f"{name}.xml"
        scenario.write_text(caller_scenario(user, steps, hang_up, media=media))
        args = ["-sf", str(scenario), f"127.0.0.1:{self.asterisk.sip_port}", "-s", number]
        args += ["-p", str(free_udp_block(1))]
        return self._sipp(name, args)

    def _sipp(self, name: str, args: list[str]) -> Sipp:
        messages = self.workdir / f"{name}.messages.log"
        errors = self.workdir / f"{name}.errors.log"
        screen = self.workdir / f"{name}.screen.log"
        media = free_udp_block(4)
        command = ["sipp", *args, "-i", "127.0.0.1", "-m", "1", "-nostdin"]
        command += ["-mi", "127.0.0.1", "-mp", str(media), "-timeout", "120s"]
        command += ["-trace_msg", "-message_file", str(messages)]
        command += ["-trace_err", "-error_file", str(errors)]
        with screen.open("wb") as out:
            process = subprocess.Popen(
                command, cwd=self.workdir, stdout=out, stderr=subprocess.STDOUT
            )
        phone = Sipp(name, process, [messages, errors])
        self.started.append(phone)
        return phone

    def stop(self) -> None:
        for phone in self.started:
            phone.stop()

    def logs(self) -> Iterator[tuple[str, str]]:
        for phone in self.started:
            for log in phone.logs:
                if log.exists() and log.stat().st_size:
                    yield f"sipp {phone.name} ({log.name})", tail(log, limit=4000)


_INFO = """
  <send retrans="500">
    <![CDATA[
      INFO sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:{user}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: {cseq} INFO
      Contact: <sip:{user}@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Type: application/dtmf-relay
      Content-Length: [len]

      Signal={digit}
      Duration=160
    ]]>
  </send>
  <recv response="200"/>
"""

_BYE = """
  <send retrans="500">
    <![CDATA[
      BYE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:{user}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: {cseq} BYE
      Contact: <sip:{user}@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
  <recv response="200" crlf="true"/>
"""

_WAIT_BYE = """
  <recv request="BYE"/>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0
    ]]>
  </send>
"""


def caller_scenario(
    user: str, steps: Sequence[int | str], hang_up: bool, *, media: bool = False
) -> str:
    """A sipp UAC scenario like the shared ``uac_bye.xml``, with pauses and SIP INFO digits
    (Asterisk reports INFO digits as ``ChannelDtmfReceived`` like RFC 4733 ones; INFO needs
    no pcap per digit) between the answer and the end; with ``media``, audio from the
    answer on."""
    head = (HERE / "sipp" / "uac_head.xml").read_text().replace("{user}", user)
    if media:  # the pcap is a-law: offer PCMA alone
        head = head.replace("RTP/AVP 0 101", "RTP/AVP 8 101")
        head = head.replace("a=rtpmap:0 PCMU/8000", "a=rtpmap:8 PCMA/8000")
    body = [head]
    if media:
        body.append(f'  <nop><action><exec play_pcap_audio="{PCAP_AUDIO}"/></action></nop>\n')
    cseq = 2
    for step in steps:
        if isinstance(step, int):
            body.append(f'  <pause milliseconds="{step}"/>\n')
        else:
            body.append(_INFO.format(user=user, cseq=cseq, digit=step))
            cseq += 1
    body.append(_BYE.format(user=user, cseq=cseq) if hang_up else _WAIT_BYE)
    body.append("</scenario>\n")
    return "".join(body)


def ended_records(engine: Engine, since: set[str], count: int = 1) -> list[dict[str, Any]]:
    """The ``count`` contact records not in ``since`` (ids known before the test's calls),
    once each of them has its outcome, oldest first."""

    def done() -> list[dict[str, Any]] | None:
        new = [r for r in engine.records() if r["id"] not in since]
        return new if len(new) >= count and all(r["outcome"] for r in new) else None

    return wait_for(done, 20, f"{count} new contact record(s) with an outcome")


@dataclass
class Pbx:
    """The session's real Asterisk and the engine connected to it."""

    asterisk: Asterisk
    engine: Engine

    def known_records(self) -> set[str]:
        """The ids of the contact records so far: a test's own records are the others."""
        return {r["id"] for r in self.engine.records()}

    def bridged_with_caller(self, endpoint: str, caller: str = "caller") -> bool:
        return any({caller, endpoint} <= pair for pair in self.asterisk.bridged_pairs())

    def rtp_received_from(self, endpoint: str) -> int:
        """RTP packets Asterisk has received from ``endpoint``'s channel so far (0 if none)."""
        channel = next(
            (c for c in self.asterisk.channels() if endpoint_of(c["name"]) == endpoint), None
        )
        if channel is None:
            return 0
        status, body = self.asterisk.ari(
            "GET", f"/channels/{channel['id']}/variable?variable=CHANNEL(rtcp%2Crxcount)"
        )
        return int(body["value"] or 0) if status == 200 else 0
