"""``acd run`` checks what it can before it touches the PBX and says what is wrong in one line
(issue 12, item 7): a used HTTP port, a database that refuses the connection, an ARI URL with
a password in it.  The ARI "server" here is a listening socket that records whether anything
connected to it; the password never appears in logs, errors or API output whatever form it
was given in."""

from __future__ import annotations

import json
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from acd.cli import main
from tests.system.harness import CONFIG, system

SECRET = "pw-s3cret-42"


@pytest.fixture
def ari() -> Iterator[tuple[str, socket.socket]]:
    """An ARI URL nobody may connect to before the checks passed; the socket tells."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.setblocking(False)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}", sock
    sock.close()


def untouched(sock: socket.socket) -> bool:
    try:
        sock.accept()[0].close()
    except BlockingIOError:
        return True
    return False


def run(capsys: pytest.CaptureFixture[str], *args: str, config: Path = CONFIG) -> tuple[int, str]:
    code = main(["run", "--config", str(config), *args])
    return code, capsys.readouterr().err


def one_line(err: str) -> str:
    assert "Traceback" not in err
    (line,) = [line for line in err.splitlines() if line.startswith("acd:")]
    return line


def test_a_used_http_port_is_said_before_ari_and_storage(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], ari: tuple[str, socket.socket]
):
    url, ari_sock = ari
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        code, err = run(
            capsys,
            "--ari-url",
            url,
            "--storage-url",
            f"sqlite+aiosqlite:///{tmp_path / 'acd.db'}",
            "--listen",
            f"127.0.0.1:{port}",
        )
    assert code == 2
    assert one_line(err) == (
        f"acd: http.listen 127.0.0.1:{port}: Address already in use (is another acd running?)"
    )
    assert untouched(ari_sock)
    assert not (tmp_path / "acd.db").exists()


@pytest.mark.postgres
def test_a_wrong_postgresql_user_is_one_line_without_its_password(
    capsys: pytest.CaptureFixture[str], ari: tuple[str, socket.socket]
):
    url, ari_sock = ari
    storage = f"postgresql+asyncpg://nosuchuser:{SECRET}@127.0.0.1:5432/test"
    code, err = run(capsys, "--ari-url", url, "--storage-url", storage, "--listen", "127.0.0.1:0")
    assert code == 2
    assert one_line(err) == (
        "acd: storage postgresql+asyncpg://nosuchuser:***@127.0.0.1:5432/test: "
        'role "nosuchuser" does not exist'
    )
    assert SECRET not in err
    assert untouched(ari_sock)


def config_with_ari_url(tmp_path: Path, url: str) -> Path:
    config = tmp_path / "config"
    shutil.copytree(CONFIG, config)
    with (config / "acd.yaml").open("a") as f:
        f.write(f"ari:\n  url: {url}\n")
    return config


ARI_URL_PROBLEM = (
    "'http://asterisk:***@127.0.0.1:{port}' holds a user name or password: put the URL "
    "without them, and set ari.username and ari.password (ACD_ARI__PASSWORD)"
)


@pytest.mark.parametrize("form", ["acd.yaml", "--ari-url", "environment"])
def test_an_ari_url_with_a_password_is_refused_without_printing_it(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    ari: tuple[str, socket.socket],
    form: str,
):
    url, ari_sock = ari
    port = url.rsplit(":", 1)[1]
    with_password = url.replace("http://", f"http://asterisk:{SECRET}@")
    config, args = CONFIG, ["--listen", "127.0.0.1:0"]
    if form == "acd.yaml":
        config = config_with_ari_url(tmp_path, with_password)
    elif form == "--ari-url":
        args += ["--ari-url", with_password]
    else:
        monkeypatch.setenv("ACD_ARI__URL", with_password)
    args += ["--storage-url", f"sqlite+aiosqlite:///{tmp_path / 'acd.db'}"]
    code, err = run(capsys, *args, config=config)
    assert code == 2
    assert ARI_URL_PROBLEM.format(port=port) in err
    assert SECRET not in err + caplog.text
    assert untouched(ari_sock)
    # acd check-config says the same, also without the password.
    if form != "--ari-url":
        assert main(["check-config", str(config)]) == 2
        out, err = capsys.readouterr()
        assert ARI_URL_PROBLEM.format(port=port) in err
        assert SECRET not in out + err


async def test_the_ari_password_never_reaches_logs_or_the_api(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    config = tmp_path / "config"
    shutil.copytree(CONFIG, config)
    with (config / "acd.yaml").open("a") as f:
        f.write(f"ari:\n  password: {SECRET}\n")
    caplog.set_level("DEBUG")
    async with system(tmp_path, config=config) as s:
        assert "engine up" in caplog.text  # the line that printed --ari-url whole
        s.login("1001")
        call = s.emu.pbx.place_call("1700", caller_number="0470123456")
        await s.until(lambda: s.bridged_agent(call))
        seen = []
        async with aiohttp.ClientSession(headers=s.headers) as session:
            for path in ("/api/agents", "/api/queues", "/api/callbacks", "/healthz", "/metrics"):
                async with session.get(f"{s.engine.http_url}{path}") as r:
                    assert r.status == 200
                    seen.append(await r.text())
        assert SECRET not in json.dumps(seen)
    assert SECRET not in caplog.text
