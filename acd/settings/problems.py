"""Config mistakes as ``(key path, reason)`` pairs, and the one place that turns pydantic's
validation errors into them.

Pydantic reports ``loc=('lines', 2, 'numbers', 0)`` and ``msg='Value error, ...'``; operators
should read ``lines[2].numbers[0]: '17OO' is not a dialable number``.  Every mistake, whether
pydantic found it or a cross-file check did, goes through :func:`format_key` so they all look
the same.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sized
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails, PydanticCustomError

Loc = tuple[str | int, ...]

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_FIELD_ERROR = "acd_field_error"


@dataclass(frozen=True, slots=True)
class Problem:
    """One mistake: where (a key path inside one file) and why."""

    loc: Loc
    reason: str

    @property
    def key(self) -> str:
        return format_key(self.loc)


def format_key(loc: Loc) -> str:
    """``('lines', 2, 'numbers', 0)`` -> ``lines[2].numbers[0]``; keys that are not identifiers
    (line code names used as mapping keys) are quoted: ``line_codes['1700 Belastingen']``."""
    key = ""
    for part in loc:
        if isinstance(part, int):
            key += f"[{part}]"
        elif _IDENTIFIER.fullmatch(part):
            key += f".{part}" if key else part
        else:
            key += f"[{part!r}]"
    return key


def field_error(field: str | int | Loc, reason: str) -> PydanticCustomError:
    """An error for a model validator to raise about one of its fields (or, from a field
    validator, one item of the field).  A model validator can only report at the model's own
    location; this carries the field along so the message points at ``lines[0].default_line_code``
    rather than at ``lines[0]``.  A tuple reaches deeper: ``("menu", "options", "1")``."""
    path = field if isinstance(field, tuple) else (field,)
    return PydanticCustomError(_FIELD_ERROR, "{reason}", {"field": path, "reason": reason})


def describe(value: object) -> str:
    """What a YAML value is, in words an operator knows."""
    if value is None:
        return "nothing"
    if isinstance(value, str):
        return "text"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    return type(value).__name__


def _expected(what: str) -> Callable[[object, dict[str, Any]], str]:
    def reason(value: object, ctx: dict[str, Any]) -> str:
        # Values from YAML and the environment arrive as text (see sources.py), so a wrong
        # scalar is quoted back as given; anything else is described by its kind.
        if isinstance(value, str):
            return f"{value!r} is not {what}"
        return f"expected {what}, got {describe(value)}"

    return reason


def _bound(word: str, ctx_key: str) -> Callable[[object, dict[str, Any]], str]:
    def reason(value: object, ctx: dict[str, Any]) -> str:
        return f"must be {word} {ctx[ctx_key]:g}, not {value}"

    return reason


def _choice(value: object, ctx: dict[str, Any]) -> str:
    if isinstance(value, str):
        return f"must be {ctx['expected']}, not {value!r}"
    return f"expected {ctx['expected']}, got {describe(value)}"


def _too_short(value: object, ctx: dict[str, Any]) -> str:
    if ctx["min_length"] == 1:
        return "must not be empty"
    return f"needs at least {ctx['min_length']} items"


_REASONS: dict[str, Callable[[object, dict[str, Any]], str]] = {
    "int_parsing": _expected("a whole number"),
    "int_type": _expected("a whole number"),
    "int_from_float": _expected("a whole number"),
    "float_parsing": _expected("a number"),
    "float_type": _expected("a number"),
    "finite_number": lambda value, ctx: f"{value!r} is not a finite number",
    "bool_parsing": _expected("true or false"),
    "bool_type": _expected("true or false"),
    "string_type": lambda value, ctx: f"expected text, got {describe(value)}",
    "list_type": lambda value, ctx: f"expected a list, got {describe(value)}",
    "tuple_type": lambda value, ctx: f"expected a list, got {describe(value)}",
    "dict_type": lambda value, ctx: f"expected a mapping, got {describe(value)}",
    "mapping_type": lambda value, ctx: f"expected a mapping, got {describe(value)}",
    "model_type": lambda value, ctx: f"expected a mapping, got {describe(value)}",
    "model_attributes_type": lambda value, ctx: f"expected a mapping, got {describe(value)}",
    "greater_than": _bound("greater than", "gt"),
    "greater_than_equal": _bound("at least", "ge"),
    "less_than": _bound("less than", "lt"),
    "less_than_equal": _bound("at most", "le"),
    "enum": _choice,
    "literal_error": _choice,
    "too_short": _too_short,
    "string_too_short": lambda value, ctx: "must not be empty",
}


def translate(error: ErrorDetails) -> Problem:
    """One pydantic error -> one :class:`Problem`.  Unknown and missing keys are reported at the
    mapping that holds them, naming the key, because the key path of a key that should not be
    there (or is not) reads oddly."""
    loc: Loc = tuple(error["loc"])
    kind = error["type"]
    value = error.get("input")
    ctx = error.get("ctx", {})
    if kind == "missing":
        return Problem(loc[:-1], f"missing required key '{loc[-1]}'")
    if kind == "extra_forbidden":
        return Problem(loc[:-1], f"unknown key '{loc[-1]}'")
    if kind == _FIELD_ERROR:
        return Problem((*loc, *ctx["field"]), str(ctx["reason"]))
    if kind == "value_error":
        return Problem(loc, str(ctx["error"]))
    if value is None and kind.endswith("_type"):
        return Problem(loc, "has no value")
    reason = _REASONS.get(kind)
    return Problem(loc, reason(value, ctx) if reason else error["msg"])


def problems_of(error: ValidationError) -> list[Problem]:
    return [translate(e) for e in error.errors(include_url=False) if not _echo(e)]


def _echo(error: ErrorDetails) -> bool:
    """Pydantic counts a list's length after dropping its invalid items, so one bad item in a
    list that must not be empty also yields "too short"; the item's own error says it all."""
    if error["type"] != "too_short":
        return False
    value = error.get("input")
    return isinstance(value, Sized) and len(value) >= error.get("ctx", {})["min_length"]
