"""The pages' message catalogues, one JSON file per language in ``messages/``, and which
language a request gets: ``?lang=`` (remembered in a cookie), else the cookie, else Dutch."""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files

from aiohttp import web

DEFAULT = "nl"
LANGUAGES = ("nl", "en")
COOKIE = "acd_lang"


@cache
def catalogue(language: str) -> dict[str, str]:
    """The messages of ``language``; a key missing there falls back to the Dutch text."""
    base = _load(DEFAULT)
    return base if language == DEFAULT else {**base, **_load(language)}


def _load(language: str) -> dict[str, str]:
    text = files("acd.web").joinpath("messages", f"{language}.json").read_text("utf-8")
    found = json.loads(text)
    assert isinstance(found, dict)
    return {str(key): str(value) for key, value in found.items()}


def chosen(request: web.Request) -> tuple[str, bool]:
    """The request's language, and whether it was asked for in the URL (then the page sets
    the cookie, so the next page speaks it too)."""
    asked = request.query.get("lang")
    if asked in LANGUAGES:
        return asked, True
    remembered = request.cookies.get(COOKIE)
    return (remembered if remembered in LANGUAGES else DEFAULT), False
