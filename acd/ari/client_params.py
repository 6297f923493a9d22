"""How the ARI client puts its arguments on the wire and reads a typed answer back
(:mod:`acd.ari.client`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from foundation.errors import AriServerError

T = TypeVar("T")

# One sound URI, or several played one after the other.
Media = str | Sequence[str]


def join_args(args: Sequence[str]) -> str | None:
    """Stasis arguments travel comma-joined in one parameter, so a comma inside one would
    silently split it into two on the other side: refuse it here."""
    if isinstance(args, str):
        raise TypeError("app_args must be a sequence of strings, not a string")
    for arg in args:
        if "," in arg:
            raise ValueError(f"ARI application argument {arg!r} contains a comma")
    return ",".join(args) if args else None


def media_param(media: Media) -> str:
    return media if isinstance(media, str) else ",".join(media)


def variables_body(variables: Mapping[str, str] | None) -> dict[str, Any] | None:
    # ARI takes channel variables only in a JSON body, never in the query string.
    return {"variables": dict(variables)} if variables else None


def parsed(parse: Callable[[Mapping[str, Any]], T], body: Any, method: str, path: str) -> T:
    try:
        return parse(body)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise AriServerError(200, f"unexpected answer: {exc!r}", method, path) from exc
