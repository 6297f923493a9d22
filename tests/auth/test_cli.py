"""``acd users`` and ``acd tokens``: passwords read from stdin or the terminal, never argv;
disabling a user stops their login; a token is printed once and revocable."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest

from acd.auth.cli import auth_command
from acd.auth.hashing import verify_password
from acd.auth.store import AuthStore
from acd.cli import main
from acd.cli_parsers import build_parser

pytestmark = pytest.mark.component

CONFIG = Path(__file__).resolve().parents[1] / "system" / "config"


def _run(tmp_path: Path, *argv: str, stdin: str = "") -> int:
    url = f"sqlite+aiosqlite:///{tmp_path / 'acd.db'}"
    args = build_parser().parse_args([*argv, "--config", str(CONFIG), "--storage-url", url])
    return auth_command(args, io.StringIO(stdin))


def _login_works(tmp_path: Path, username: str, password: str) -> bool:
    async def check() -> bool:
        async with AuthStore.open(f"sqlite+aiosqlite:///{tmp_path / 'acd.db'}") as store:
            found = await store.password_hash(username)
            return (
                found is not None and not found[0].disabled and verify_password(found[1], password)
            )

    return asyncio.run(check())


def test_the_first_admin_is_added_with_the_password_from_stdin_and_can_be_disabled(
    tmp_path, capsys
):
    assert _run(tmp_path, "users", "list") == 0
    assert "add the first admin" in capsys.readouterr().out
    assert _run(tmp_path, "users", "add", "ada", "--role", "admin", stdin="a long password!\n") == 0
    assert _login_works(tmp_path, "ada", "a long password!")
    assert _run(tmp_path, "users", "passwd", "ada", stdin="another long one\n") == 0
    assert _login_works(tmp_path, "ada", "another long one")
    assert not _login_works(tmp_path, "ada", "a long password!")
    assert _run(tmp_path, "users", "disable", "ada") == 0
    assert not _login_works(tmp_path, "ada", "another long one")
    capsys.readouterr()
    assert _run(tmp_path, "users", "list") == 0
    assert "yes" in capsys.readouterr().out.splitlines()[1]


def test_a_password_is_never_taken_from_the_command_line(capsys):
    with pytest.raises(SystemExit):
        main(["users", "add", "ada", "--role", "admin", "--password", "a long password!"])
    assert "unrecognized arguments" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "stdin", "says"),
    [
        (["users", "add", "ada", "--role", "admin"], "short\n", "at least 12 characters"),
        (["users", "add", "ada", "--role", "admin"], "", "at least 12 characters"),
        (["users", "add", "an", "--role", "agent"], "a long password!\n", "needs the agent id"),
        (
            ["users", "add", "an", "--role", "agent", "--agent", "9"],
            "a long password!\n",
            "no agent '9'",
        ),
        (
            ["users", "add", "s", "--role", "supervisor", "--line", "x"],
            "a long password!\n",
            "no line 'x'",
        ),
        (["users", "disable", "nobody"], "", "no user 'nobody'"),
        (["tokens", "revoke", "42"], "", "no token 42"),
    ],
)
def test_bad_input_is_refused_in_one_line(tmp_path, capsys, argv, stdin, says):
    assert _run(tmp_path, *argv, stdin=stdin) == 2
    err = capsys.readouterr().err
    assert says in err
    assert err.count("\n") == 1


def test_a_token_is_printed_once_then_listed_without_it_and_revoked(tmp_path, capsys):
    assert _run(tmp_path, "tokens", "add", "prom", "--scope", "metrics") == 0
    secret = capsys.readouterr().out.strip()
    assert secret.startswith("acd_")
    assert len(secret) > 40
    assert _run(tmp_path, "tokens", "list") == 0
    listed = capsys.readouterr().out
    assert "prom" in listed
    assert secret not in listed
    assert _run(tmp_path, "tokens", "revoke", "1") == 0
    assert _run(tmp_path, "tokens", "list", "--json") == 0
    assert '"revoked_at": "20' in capsys.readouterr().out
