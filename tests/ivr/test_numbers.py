"""Which numbers a caller may be called back on, as E.164, and how they are said."""

from __future__ import annotations

import pytest

from ivr.numbers import dial_groups, normalise, number_media

# Each row: what the caller ID says or the caller keyed, whether foreign numbers are allowed,
# and the number we would call (None: refused).
NUMBERS = [
    # Belgian numbers, however they are written.
    ("mobile, national", "0470123456", False, "+32470123456"),
    ("mobile, E.164", "+32470123456", False, "+32470123456"),
    ("mobile, keyed with 00", "0032470123456", False, "+32470123456"),
    ("mobile, written with spaces", " 0470 12 34 56 ", False, "+32470123456"),
    ("mobile, written with / and .", "0470/12.34.56", False, "+32470123456"),
    ("mobile, +32 (0)", "+32 (0)470 12 34 56", False, "+32470123456"),
    ("Brussels fixed line", "02 553 12 34", False, "+3225531234"),
    ("Brussels fixed line, keyed", "025531234", False, "+3225531234"),
    ("Ghent fixed line", "09 265 45 67", False, "+3292654567"),
    ("Leuven fixed line (three-digit zone)", "016 31 23 45", False, "+3216312345"),
    # Belgian numbers nobody answers in person, or that cost money to call.
    ("premium rate 0900", "090012345", False, None),
    ("toll-free 0800", "080012345", False, None),
    ("UAN 078", "078151515", False, None),
    ("short number 1700", "1700", False, None),
    ("emergency 112", "112", False, None),
    # Not numbers at all.
    ("too short", "0470", False, None),
    ("too long", "04701234567", False, None),
    ("empty", "", False, None),
    ("blank", "   ", False, None),
    ("anonymous caller ID", "anonymous", False, None),
    ("letters read as vanity digits", "0800FLOWERS", False, None),
    ("a star keyed by mistake", "0470*123456", False, None),
    ("a hash", "0470123456#", False, None),
    ("an extension", "0470123456;ext=1", False, None),
    # Foreign numbers: only when the line allows them.
    ("Dutch mobile, refused by default", "+31612345678", False, None),
    ("Dutch mobile keyed with 00, refused by default", "0031612345678", False, None),
    ("Dutch mobile, allowed", "0031612345678", True, "+31612345678"),
    ("French mobile, allowed", "+33612345678", True, "+33612345678"),
    ("US number (fixed line or mobile), allowed", "+1 202 555 0123", True, "+12025550123"),
    ("foreign premium rate, even when allowed", "+31909123456", True, None),
    ("Belgian numbers stay fine when foreign ones are allowed", "0470123456", True, "+32470123456"),
]


@pytest.mark.parametrize(
    ("case", "raw", "allow_foreign", "e164"), NUMBERS, ids=[row[0] for row in NUMBERS]
)
def test_normalise(case, raw, allow_foreign, e164):
    assert normalise(raw, allow_foreign=allow_foreign) == e164


def test_national_numbers_are_read_in_the_default_region():
    assert normalise("0612345678", default_region="NL") == "+31612345678"
    assert normalise("0470123456", default_region="NL") is None  # a Belgian number: foreign


@pytest.mark.parametrize(
    ("e164", "region", "groups"),
    [
        ("+32470123456", "BE", ("0470", "12", "34", "56")),
        ("+3225531234", "BE", ("02", "553", "12", "34")),
        ("+31612345678", "BE", ("00", "31", "6", "12345678")),
        ("+12025550123", "BE", ("00", "1", "202", "555", "0123")),
        ("+3225531234", "NL", ("00", "32", "2", "553", "12", "34")),
    ],
)
def test_dial_groups_are_what_a_caller_in_the_region_would_key(e164, region, groups):
    assert dial_groups(e164, region) == groups


def test_a_number_is_said_as_digit_sounds_with_a_pause_between_groups():
    # Only sound files: ARI stops such a list as a whole, never a said ``digits:`` item.
    assert number_media("+3225531234") == (
        "sound:digits/0",
        "sound:digits/2",
        "sound:silence/1",
        "sound:digits/5",
        "sound:digits/5",
        "sound:digits/3",
        "sound:silence/1",
        "sound:digits/1",
        "sound:digits/2",
        "sound:silence/1",
        "sound:digits/3",
        "sound:digits/4",
    )
    assert number_media("+3225531234", "NL")[:4] == (
        "sound:digits/0",
        "sound:digits/0",
        "sound:silence/1",
        "sound:digits/3",
    )
