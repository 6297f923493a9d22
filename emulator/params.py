"""Request parameters the way ARI reads them: query string first, a JSON object body on top.

Asterisk takes every parameter from the query string and lets a JSON body set the same fields
(``ast_ari_*_parse_body``), plus ``variables`` for originate.  Malformed values answer 400.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from emulator.errors import bad_request


class Params:
    def __init__(self, query: Mapping[str, str], lists: Mapping[str, list[str]], body: Any) -> None:
        self._query = query
        self._lists = lists
        self.raw_body = body  # the parsed JSON as sent (a list, a string...), None without one
        self._body: dict[str, Any] = body if isinstance(body, dict) else {}

    @classmethod
    async def read(cls, request: web.Request) -> Params:
        lists: dict[str, list[str]] = {}
        for key, value in request.query.items():
            lists.setdefault(key, []).append(value)
        body: Any = None
        if request.can_read_body:
            raw = await request.text()
            if raw.strip():
                try:
                    body = json.loads(raw)
                except ValueError:
                    raise bad_request("Invalid JSON in request body") from None
        return cls({k: v[-1] for k, v in lists.items()}, lists, body)

    @property
    def body(self) -> dict[str, Any]:
        return self._body

    def get(self, name: str) -> str | None:
        if name in self._body and self._body[name] is not None:
            return _text(self._body[name])
        return self._query.get(name)

    def required(self, name: str) -> str:
        value = self.get(name)
        if not value:
            raise bad_request(f"Missing parameter {name}")
        return value

    def integer(self, name: str, default: int = 0) -> int:
        value = self.get(name)
        if value is None or value == "":
            return default
        try:
            return int(value)
        except ValueError:
            raise bad_request(f"Invalid value for {name}: {value!r} is not an integer") from None

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.get(name)
        if value is None or value == "":
            return default
        lowered = value.lower()
        if lowered not in ("true", "false", "yes", "no", "1", "0"):
            raise bad_request(f"Invalid value for {name}: {value!r} is not a boolean")
        return lowered in ("true", "yes", "1")

    def many(self, name: str) -> list[str]:
        """A repeatable parameter; each value may itself be comma-separated (``media``)."""
        if name in self._body:
            raw = self._body[name]
            values = [_text(v) for v in raw] if isinstance(raw, list) else [_text(raw)]
        else:
            values = self._lists.get(name, [])
        return [part for value in values for part in value.split(",") if part]

    def variables(self) -> dict[str, str]:
        raw = self._body.get("variables") or {}
        if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
            raise bad_request("Only string values in the 'variables' object allowed")
        return {str(k): v for k, v in raw.items()}


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
