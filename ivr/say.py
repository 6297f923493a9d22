"""Whole numbers said as stock sound files, by the rules of Asterisk's ``main/say.c``.

ARI's ``number:<n>`` media is said by ``say.c`` on the channel, and a said item cannot be
stopped: ``DELETE /playbacks/{id}`` answers ``204`` (or ``500``) while the number plays on, and
Asterisk holds the channel's ``addChannel`` until it has ended (``ivr/README.md``, "Sounds").  A
list of ``sound:`` files stops at once, so the IVR says numbers itself, file by file, with the
very files ``say.c`` would play: ``say_number(21, "nl")`` is ``sound:digits/1``,
``sound:digits/nl-en``, ``sound:digits/20`` ("een-en-twintig").

Only 0..999 are said: enough for queue positions (capped at ``position_limit``), minutes, days
and clock times.  The rules follow ``say_number_full`` (Asterisk 22): a language is matched by
its first letters, case-insensitively, ``en_GB`` before ``en``, so ``en_US`` says numbers as
``en`` and ``nl_BE`` as ``nl``.  Asterisk says a language it has no rules for in English; we
refuse it (:func:`rules_for`), since its sound pack would not say English numbers right either.
"""

from __future__ import annotations

from collections.abc import Callable

MAX_SAID = 999
"""The largest number :func:`say_number` says."""


class UnsupportedLanguage(ValueError):
    """A language whose number rules we do not have."""


def _digit(n: int) -> str:
    return f"digits/{n}"


def _en(n: int) -> tuple[str, ...]:
    # get_number_str_en: "one hundred twenty one", no "and".
    if n < 20:
        return (_digit(n),)
    if n < 100:
        return (_digit(n - n % 10), *(_en(n % 10) if n % 10 else ()))
    return (_digit(n // 100), "digits/hundred", *(_en(n % 100) if n % 100 else ()))


def _en_gb(n: int) -> tuple[str, ...]:
    # ast_say_number_full_en_GB: "one hundred and one", with voicemail's "vm-and".
    if n < 100:
        return _en(n)
    rest = n % 100
    return (_digit(n // 100), "digits/hundred", *(("vm-and", *_en(rest)) if rest else ()))


def _nl(n: int) -> tuple[str, ...]:
    # ast_say_number_full_nl: units before tens ("een-en-twintig"), "honderd" not "een honderd".
    if n < 20:
        return (_digit(n),)
    if n < 100:
        units = n % 10
        return (_digit(units), "digits/nl-en", _digit(n - units)) if units else (_digit(n),)
    rest = n % 100
    head = ("digits/hundred",) if n < 200 else (_digit(n // 100), "digits/hundred")
    return (*head, *(_nl(rest) if rest else ()))


def _fr(n: int, feminine: bool = False) -> tuple[str, ...]:
    # ast_say_number_full_fr: "vingt et un", "soixante-dix" = 60 + 10, "quatre-vingts" = 80
    # (one file), "quatre-vingt-onze" = 80 + 11 without "et"; "cent" not "un cent".
    if n == 1:
        return ("digits/1F" if feminine else "digits/1",)
    if n < 21:
        return (_digit(n),)
    if n < 100:
        tens = 80 if n >= 80 else 60 if n >= 60 else n - n % 10
        rest = n - tens
        joint = ("digits/et",) if n % 10 == 1 and n < 80 else ()
        return (_digit(tens), *joint, *(_fr(rest, feminine) if rest else ()))
    rest = n % 100
    head = ("digits/hundred",) if n < 200 else (_digit(n // 100), "digits/hundred")
    return (*head, *(_fr(rest, feminine) if rest else ()))


_Rules = Callable[[int, bool], tuple[str, ...]]

# (prefix, name, rules) in say_number_full's order of matching: en_GB before en.
_RULES: tuple[tuple[str, str, _Rules], ...] = (
    ("en_gb", "en_GB", lambda n, _f: _en_gb(n)),
    ("en", "en", lambda n, _f: _en(n)),
    ("fr", "fr", _fr),
    ("nl", "nl", lambda n, _f: _nl(n)),
)

LANGUAGES = tuple(name for _, name, _ in _RULES)
"""The languages (and, by prefix, their variants) whose numbers we can say."""


def _match(language: str) -> tuple[str, _Rules]:
    lowered = language.lower()
    for prefix, name, rules in _RULES:
        if lowered.startswith(prefix):
            return name, rules
    raise UnsupportedLanguage(
        f"no rules to say numbers in {language!r} (we have {', '.join(sorted(LANGUAGES))})"
    )


def rules_for(language: str) -> str:
    """The ``say.c`` rules ``language`` is said by (one of :data:`LANGUAGES`), or
    :class:`UnsupportedLanguage` naming the ones we have."""
    return _match(language)[0]


def number_files(n: int, language: str, feminine: bool = False) -> tuple[str, ...]:
    """The sound files (names without ``sound:``) that say ``n`` in ``language``; ``feminine``
    only changes French "une" (``digits/1F``, as ``say.c`` says hours and minutes)."""
    if not 0 <= n <= MAX_SAID:
        raise ValueError(f"can only say 0..{MAX_SAID}, not {n}")
    _, rules = _match(language)
    # say.c says 0 with ast_say_digits_full in every language: digits/0.
    return (_digit(0),) if n == 0 else rules(n, feminine)


def say_number(n: int, language: str, feminine: bool = False) -> tuple[str, ...]:
    """ARI media (``sound:digits/...``) that say ``n`` in ``language``, stoppable at once."""
    return tuple(f"sound:{name}" for name in number_files(n, language, feminine))
