"""The parsers of ``acd users`` and ``acd tokens`` (here, without the store's imports, so
``acd --help`` stays quick; :mod:`acd.auth.cli` runs them)."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from acd.auth.model import Role, Scope


def add_auth_parsers(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    common: Callable[[argparse.ArgumentParser], None],
) -> None:
    """``common(parser)`` adds the options every command on the stored data has (--config,
    --storage-url)."""
    users = sub.add_parser(
        "users",
        help="add, list or disable the API's users; set a password",
        description="The HTTP API's users in the config's storage.url.  A password is read "
        "from the terminal (twice) or, when stdin is not a terminal, from its first line; "
        "never from the command line.  Create the first admin with "
        "`acd users add NAME --role admin`.",
    )
    actions = users.add_subparsers(dest="users_command", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="add a user (asks for the password)")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.add_argument("--agent", help="an agent user's agent id, from agents.yaml")
    add.add_argument(
        "--line", action="append", default=[], help="a line a supervisor supervises (repeatable)"
    )
    passwd = actions.add_parser("passwd", help="set a user's password (signs them out)")
    passwd.add_argument("username")
    disable = actions.add_parser("disable", help="disable a user (signs them out)")
    disable.add_argument("username")
    enable = actions.add_parser("enable", help="enable a disabled user again")
    enable.add_argument("username")
    listing = actions.add_parser("list", help="list the users")
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")

    tokens = sub.add_parser(
        "tokens",
        help="API tokens for machine clients: add (shown once), list, revoke",
        description="Bearer tokens with scopes, stored only as their SHA-256.  A new token is "
        "printed once; keep it in a file only its client reads (Prometheus: "
        "authorization.credentials_file).",
    )
    token_actions = tokens.add_subparsers(dest="tokens_command", required=True, metavar="ACTION")
    token_add = token_actions.add_parser("add", help="add a token and print it once")
    token_add.add_argument("name", help="what uses it, such as prometheus")
    token_add.add_argument(
        "--scope",
        action="append",
        required=True,
        choices=[s.value for s in Scope],
        help="what it may do (repeatable); admin is everything",
    )
    token_list = token_actions.add_parser("list", help="list the tokens (never their secret)")
    token_list.add_argument("--json", action="store_true", help="print JSON instead of a table")
    revoke = token_actions.add_parser("revoke", help="revoke a token by its id")
    revoke.add_argument("id", type=int)

    for parser in (add, passwd, disable, enable, listing, token_add, token_list, revoke):
        common(parser)
