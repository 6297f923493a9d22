"""``acd users`` and ``acd tokens``: the API's users and tokens, at a terminal (the first
admin has no other way in)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from acd.auth import migrate
from acd.auth.hashing import password_problem
from acd.auth.model import Role, Scope
from acd.auth.store import AuthStore
from acd.auth.users import user_problem
from acd.text_table import text_table
from foundation.errors import ApiError


class Refused(Exception):
    """Bad input, said in one line."""


def read_password(stdin: TextIO, confirm: bool = True) -> str:
    """From the terminal without echo (asked twice), else the first line of stdin."""
    if stdin.isatty():
        password = getpass.getpass("password: ")
        if confirm and getpass.getpass("again: ") != password:
            raise Refused("the passwords differ")
    else:
        password = stdin.readline().rstrip("\r\n")
    problem = password_problem(password)
    if problem:
        raise Refused(problem)
    return password


def auth_command(args: argparse.Namespace, stdin: TextIO | None = None) -> int:
    """Run ``acd users ...`` or ``acd tokens ...``; 0, or 2 for bad input or a refusal."""
    from acd.settings import load_settings

    overrides = {"storage.url": args.storage_url} if args.storage_url else {}
    settings = load_settings(Path(args.config), overrides=overrides)
    try:
        if args.command == "users":
            problem = None
            if args.users_command == "add":
                problem = user_problem(
                    args.username,
                    Role(args.role),
                    args.agent,
                    tuple(args.line),
                    [agent.id for agent in settings.agents],
                    [line.id for line in settings.lines],
                )
            if problem:
                raise Refused(problem)
            password = (
                read_password(stdin or sys.stdin)
                if args.users_command in ("add", "passwd")
                else None
            )
            out = asyncio.run(_users(args, settings.storage.url, password))
        else:
            out = asyncio.run(_tokens(args, settings.storage.url))
    except (Refused, ApiError) as exc:
        print(f"acd: {exc.message if isinstance(exc, ApiError) else exc}", file=sys.stderr)
        return 2
    print(out)
    return 0


async def _users(args: argparse.Namespace, url: str, password: str | None) -> str:
    await migrate.migrate(url)
    async with AuthStore.open(url) as store:
        action = args.users_command
        if action == "add":
            assert password is not None
            user = await store.add_user(
                args.username,
                password,
                Role(args.role),
                datetime.now(UTC),
                agent_id=args.agent,
                lines=tuple(args.line),
            )
            return f"added {user.role} {user.username}"
        if action == "passwd":
            assert password is not None
            await store.set_password(args.username, password)
            return f"password of {args.username} set; their sessions ended"
        if action in ("disable", "enable"):
            await store.set_disabled(args.username, action == "disable")
            return f"{args.username} {action}d"
        users = await store.users()
        if args.json:
            return json.dumps(
                [
                    {
                        "username": u.username,
                        "role": u.role.value,
                        "agent_id": u.agent_id,
                        "lines": list(u.lines),
                        "disabled": u.disabled,
                    }
                    for u in users
                ],
                indent=2,
            )
        if not users:
            return "no users: add the first admin with `acd users add NAME --role admin`"
        return text_table(
            ("USER", "ROLE", "AGENT", "LINES", "DISABLED"),
            [
                (u.username, u.role.value, u.agent_id or "", ",".join(u.lines), "yes" * u.disabled)
                for u in users
            ],
        )


async def _tokens(args: argparse.Namespace, url: str) -> str:
    await migrate.migrate(url)
    async with AuthStore.open(url) as store:
        action = args.tokens_command
        now = datetime.now(UTC)
        if action == "add":
            scopes = frozenset(Scope(s) for s in args.scope)
            token, secret = await store.add_token(args.name, scopes, now)
            # The secret alone on stdout, so `acd tokens add ... > file` keeps just it; the
            # note goes to stderr.
            print(
                f"token {token.id} ({token.name}: {' '.join(sorted(scopes))}); shown only now",
                file=sys.stderr,
            )
            return secret
        if action == "revoke":
            token = await store.revoke_token(args.id, now)
            return f"token {token.id} ({token.name}) revoked"
        tokens = await store.tokens()
        rows = [
            (
                str(t.id),
                t.name,
                " ".join(sorted(t.scopes)),
                t.created_at.isoformat(),
                t.revoked_at.isoformat() if t.revoked_at else "",
            )
            for t in tokens
        ]
        if args.json:
            keys = ("id", "name", "scopes", "created_at", "revoked_at")
            return json.dumps([dict(zip(keys, row, strict=True)) for row in rows], indent=2)
        if not rows:
            return "no tokens"
        return text_table(("ID", "NAME", "SCOPES", "CREATED", "REVOKED"), rows)
