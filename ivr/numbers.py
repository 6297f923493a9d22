"""Which telephone numbers we may call a caller back on, and how to say them.

Pure functions over the ``phonenumbers`` package (Google's libphonenumber metadata), so the
rules for Belgian numbers (``0470 12 34 56``, ``02 553 12 34``) and for every other country
come from one maintained source instead of prefixes written here by hand.

A number is accepted when it is a valid number of a kind a person answers: fixed line, mobile
(or a country where the two cannot be told apart, like the US) or VoIP.  Premium rate
(``0900``), toll-free (``0800``), shared-cost and personal numbers (``078``, ``070``), pagers,
short numbers (``1700``, ``112``) and anything with an extension are refused: a callback from
a public contact centre must never cost the government money nor ring an automatic service.

A number is said as a list of stock sound files (:func:`number_media`), never as Asterisk's
``digits:`` media: ARI cannot stop a said item.  ``DELETE /playbacks/{id}`` answers ``500``
during one, or, once a sound has played in that playback, cuts only the digit file being said
while the rest of the number and of the prompt plays on (``playback_stop.jsonl``).  A list of
sound files stops as a whole, so a caller who presses a key during the read-out cuts it at once.
"""

from __future__ import annotations

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

CALLABLE_TYPES = frozenset(
    {
        PhoneNumberType.FIXED_LINE,
        PhoneNumberType.MOBILE,
        PhoneNumberType.FIXED_LINE_OR_MOBILE,
        PhoneNumberType.VOIP,
    }
)

# What a caller ID or a keyed number may hold: digits and the punctuation people and switches
# write numbers with.  phonenumbers itself is more lenient (it reads letters as vanity digits,
# skips "*" and takes ";ext=" as an extension); none of those is a number we can call back.
_ALLOWED_CHARS = frozenset("0123456789+ -./()")


def normalise(raw: str, default_region: str = "BE", allow_foreign: bool = False) -> str | None:
    """``raw`` in E.164 (``+32470123456``), or ``None`` when we must not call it back.

    ``raw`` is a caller ID or digits keyed by the caller: national format is read in
    ``default_region`` (an ISO 3166 code), international numbers start with ``+`` or the
    ``00`` a caller keys on a phone.  A number of another country is refused unless
    ``allow_foreign``.
    """
    text = raw.strip()
    if not text or not set(text) <= _ALLOWED_CHARS:
        return None
    try:
        number = phonenumbers.parse(text, default_region)
    except NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    if phonenumbers.number_type(number) not in CALLABLE_TYPES:
        return None
    # Compared by country calling code, not region: +1 is one numbering plan for many regions.
    if not allow_foreign and number.country_code != phonenumbers.country_code_for_region(
        default_region
    ):
        return None
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def dial_groups(e164: str, region: str = "BE") -> tuple[str, ...]:
    """The digits a caller in ``region`` dials for ``e164``, in the groups the number is
    written in there: ``+32470123456`` -> ``("0470", "12", "34", "56")``, ``+31612345678`` ->
    ``("00", "31", "6", "12345678")``.

    Said group by group, a number is easier to check by ear than eleven digits in one breath.
    """
    number = phonenumbers.parse(e164, None)
    written = phonenumbers.format_out_of_country_calling_number(number, region)
    groups = "".join(c if c.isdigit() else " " for c in written).split()
    return tuple(groups)


DIGIT_SOUND = "sound:digits/{}"
"""A stock Asterisk sound per digit, in the channel's language (``say.c`` says digits with it)."""
GROUP_PAUSE = "sound:silence/1"
"""Between two groups: one second of silence, the shortest stock silence file."""


def number_media(e164: str, region: str = "BE") -> tuple[str, ...]:
    """ARI media that say ``e164`` as a caller in ``region`` dials it, digit by digit, with
    :data:`GROUP_PAUSE` between the groups of :func:`dial_groups`: ``+32470123456`` ->
    ``sound:digits/0``, ``sound:digits/4``, ``sound:digits/7``, ``sound:digits/0``,
    ``sound:silence/1``, ``sound:digits/1``, ... ``sound:digits/6``."""
    media: list[str] = []
    for group in dial_groups(e164, region):
        if media:
            media.append(GROUP_PAUSE)
        media += (DIGIT_SOUND.format(digit) for digit in group)
    return tuple(media)
