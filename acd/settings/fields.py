"""The value types the config models are built from: text that must match a shape (dialable
numbers, endpoints, media URIs, ...), bounded numbers, and the proficiency mapping.

Each refuses a bad value with a reason an operator can act on ("'17OO' is not a dialable
number"), which :mod:`acd.settings.problems` turns into ``file: key: reason``.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from datetime import date, datetime
from types import MappingProxyType
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer

from acd.settings.problems import field_error
from foundation.calendars import Slot
from foundation.redact import redact_url
from ivr.say import UnsupportedLanguage, rules_for

# Proficiency per line code: 1 (novice) .. 5 (expert).  An agent listed with plain line code
# names gets the middle level, so routing by proficiency treats them all alike until a planner
# says otherwise.
MIN_PROFICIENCY = 1
MAX_PROFICIENCY = 5
DEFAULT_PROFICIENCY = 3

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def _matching(pattern: str, what: str) -> AfterValidator:
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(f"{value!r} is not {what}")
        return value

    return AfterValidator(check)


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


def _http_url(value: str) -> str:
    if not re.fullmatch(r"https?://[^/\s]+(/\S*)?", value):
        # Quoted back without its password: config errors are printed and logged.
        raise ValueError(f"{redact_url(value)!r} is not an http:// or https:// URL")
    # Kept as text without a trailing slash so the ARI client can append "/ari/..." directly.
    return value.rstrip("/")


def split_listen(value: str) -> tuple[str, int]:
    """``"127.0.0.1:8080"`` -> ``("127.0.0.1", 8080)``; IPv6 hosts in brackets: ``[::1]:8080``."""
    host, _, port = value.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        host = ""  # an unbracketed IPv6 address: which colon starts the port is ambiguous
    if not host or not port.isdigit():
        raise ValueError(f"{value!r} is not host:port (such as 127.0.0.1:8080)")
    # Port 0 is allowed: the OS picks a free port, which tests on loopback rely on.
    if int(port) > 65535:
        raise ValueError(f"port {port} is out of range 0-65535")
    return host, int(port)


def _listen(value: str) -> str:
    split_listen(value)
    return value


def _log_level(value: object) -> object:
    if isinstance(value, str):
        if value.upper() not in LOG_LEVELS:
            raise ValueError(f"{value!r} is not a log level ({', '.join(LOG_LEVELS)})")
        return value.upper()
    return value


def one_or_many(value: object) -> object:
    # welcome_prompt: "sound:x" is shorthand for ["sound:x"]; an empty key means no prompt.
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else value


Text = Annotated[str, AfterValidator(_not_blank)]
# Ids travel in Stasis arguments (comma separated) and in HTTP API paths: keep them plain.
Identifier = Annotated[
    str, _matching(r"[A-Za-z0-9][A-Za-z0-9_.-]*", "a valid id (letters, digits, '.', '_', '-')")
]
DialableNumber = Annotated[str, _matching(r"\+?[0-9*#]+", "a dialable number")]
Endpoint = Annotated[
    str,
    _matching(
        r"[A-Za-z][A-Za-z0-9_-]*/[^\s/]\S*",
        "an endpoint of the form TECH/resource (such as PJSIP/1001)",
    ),
]
DIAL_PLACEHOLDERS = ("e164", "digits", "national")


def _dial_template(value: str) -> str:
    """A citizen's or an escalation point's number in an ARI endpoint (``ivr_glue.dial_string``).
    Asterisk 22's chan_pjsip reads ``PJSIP/<endpoint>/<rest>`` with ``<rest>`` a SIP URI or an
    AOR name: ``PJSIP/trunk/+3211123456`` is neither and every dial would fail with 500
    "Allocation failed" (seen on the real PBX), so it is refused here, not at the first call."""
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a dial template ({exc})") from None
    known = ", ".join(f"{{{name}}}" for name in DIAL_PLACEHOLDERS)
    unknown = sorted(names - set(DIAL_PLACEHOLDERS))
    if unknown:
        raise ValueError(f"{value!r} has the unknown placeholder {{{unknown[0]}}} ({known})")
    if not names:
        raise ValueError(f"{value!r} dials no number: put one of {known} in it")
    technology, _, resource = value.partition("/")
    endpoint, slash, rest = resource.partition("/")
    if technology.upper() == "PJSIP" and slash and not rest.startswith(("sip:", "sips:")):
        raise ValueError(
            f"{value!r}: Asterisk takes what follows PJSIP/{endpoint}/ as a SIP URI or an AOR "
            f"and cannot dial this (500 Allocation failed); write "
            f"'PJSIP/{{e164}}@{endpoint}' or 'PJSIP/{endpoint}/sip:{{e164}}@<host>'"
        )
    return value


DialTemplate = Annotated[
    str,
    _matching(r"[A-Za-z][A-Za-z0-9_-]*/\S+", "an ARI endpoint (such as PJSIP/{e164}@trunk)"),
    AfterValidator(_dial_template),
]
SAID_MEDIA = ("number:", "digits:", "characters:")


def _not_said(value: str) -> str:
    # Asterisk says these with say.c, and ARI cannot stop a said item: an agent who answers
    # while one plays waits for it to end before the caller hears them (ivr/README.md).
    if value.startswith(SAID_MEDIA):
        raise ValueError(
            f"{value!r} is said by Asterisk and cannot be stopped; use sound files "
            "(such as sound:digits/4)"
        )
    return value


def _says_numbers(value: str) -> str:
    try:
        rules_for(value)
    except UnsupportedLanguage as error:
        raise ValueError(str(error)) from None
    return value


MediaUri = Annotated[
    str,
    AfterValidator(_not_said),
    _matching(
        r"(sound|recording|tone):\S+",
        "a media URI (such as sound:hello-world)",
    ),
]
Language = Annotated[
    str,
    _matching(r"[a-z]{2,3}([_-][A-Za-z]{2,})?", "a language (such as nl)"),
    AfterValidator(_says_numbers),
]
HttpUrl = Annotated[str, AfterValidator(_http_url)]


def _database_url(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9+_-]*://\S*", value):
        # Quoted back without its password (a PostgreSQL URL may hold one).
        raise ValueError(
            f"{redact_url(value)!r} is not a database URL "
            "(such as sqlite+aiosqlite:///var/acd.sqlite3)"
        )
    return value


DatabaseUrl = Annotated[str, AfterValidator(_database_url)]
ListenAddress = Annotated[str, AfterValidator(_listen)]
# inf and nan parse as floats; a ring timeout of "inf" is a mistake, not a wish.
Seconds = Annotated[float, Field(gt=0, allow_inf_nan=False)]
SecondsOrZero = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Proficiency = Annotated[int, Field(ge=MIN_PROFICIENCY, le=MAX_PROFICIENCY)]
LogLevel = Annotated[
    Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"], BeforeValidator(_log_level)
]
ProficiencyMap = Annotated[
    Mapping[str, Proficiency],
    # Read-only so a frozen Agent really is frozen; serialised back as a plain dict.
    AfterValidator(lambda levels: MappingProxyType(dict(levels))),
    PlainSerializer(dict, return_type=dict[str, int]),
]


# --- prompts, menus, calendars ----------------------------------------------------------------

# One media URI or a list played in order; "sound:x" is shorthand for ["sound:x"].
Prompts = Annotated[tuple[MediaUri, ...], BeforeValidator(one_or_many)]
Count = Annotated[int, Field(ge=1)]
CountOrZero = Annotated[int, Field(ge=0)]
Weight = Annotated[float, Field(gt=0, allow_inf_nan=False)]

DTMF_DIGITS = "0123456789*#"


def dtmf_digit(value: str) -> str:
    if len(value) != 1 or value not in DTMF_DIGITS:
        raise ValueError(f"{value!r} is not a DTMF digit (0-9, * or #)")
    return value


def _digit_text(value: object) -> object:
    # YAML reads an unquoted 1 as a number; a key on the phone is still the digit "1".
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


DtmfDigit = Annotated[str, BeforeValidator(_digit_text), AfterValidator(dtmf_digit)]
# ISO 3166 alpha-2, as phone number libraries name regions: the country of numbers without one.
RegionCode = Annotated[
    str, _matching(r"[A-Z]{2}", "a region code of two capital letters (such as BE)")
]


def _slot(value: str) -> str:
    Slot.parse(value)  # the calendars own the slot syntax
    return value


def _no_overlap(slots: tuple[str, ...]) -> tuple[str, ...]:
    parsed = [Slot.parse(slot) for slot in slots]
    for index, slot in enumerate(parsed):
        for earlier, other in enumerate(parsed[:index]):
            if slot.overlaps(other):
                raise field_error(index, f"{slots[index]!r} overlaps {slots[earlier]!r}")
    return slots


def _local_date(value: object) -> object:
    if isinstance(value, str):
        try:
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                raise ValueError
            return date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)") from None
    return value


def _local_datetime(value: object) -> object:
    if isinstance(value, str):
        try:
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}", value):
                raise ValueError
            return datetime.fromisoformat(value)
        except ValueError:
            # No offset on purpose: closures are wall-clock time in the calendar's zone.
            reason = "is not a date and time (YYYY-MM-DDTHH:MM, local time without offset)"
            raise ValueError(f"{value!r} {reason}") from None
    return value


def _time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not a known time zone (such as Europe/Brussels)") from None
    return value


TimeSlot = Annotated[str, AfterValidator(_slot)]
DaySlots = Annotated[tuple[TimeSlot, ...], AfterValidator(_no_overlap)]
LocalDate = Annotated[date, BeforeValidator(_local_date)]
LocalDateTime = Annotated[datetime, BeforeValidator(_local_datetime)]
TimeZoneName = Annotated[str, AfterValidator(_time_zone)]
