"""Numbers said as stock sound files, checked against examples written out by hand from the
rules of Asterisk 22's ``main/say.c`` (``get_number_str_en``, ``ast_say_number_full_en_GB``,
``_nl`` and ``_fr``)."""

from __future__ import annotations

import pytest

from ivr.say import LANGUAGES, MAX_SAID, UnsupportedLanguage, number_files, rules_for, say_number

EN = {
    0: "0",
    1: "1",
    10: "10",
    13: "13",
    19: "19",
    20: "20",
    21: "20 1",
    42: "40 2",
    99: "90 9",
    100: "1 hundred",
    101: "1 hundred 1",
    110: "1 hundred 10",
    120: "1 hundred 20",
    342: "3 hundred 40 2",
    999: "9 hundred 90 9",
}
EN_GB = {
    **{n: said for n, said in EN.items() if n < 100},
    100: "1 hundred",
    101: "1 hundred vm-and 1",
    110: "1 hundred vm-and 10",
    200: "2 hundred",
    999: "9 hundred vm-and 90 9",
}
NL = {
    0: "0",
    1: "1",
    10: "10",
    19: "19",
    20: "20",
    21: "1 nl-en 20",  # een-en-twintig
    42: "2 nl-en 40",
    80: "80",
    99: "9 nl-en 90",
    100: "hundred",  # honderd, not een honderd
    101: "hundred 1",
    110: "hundred 10",
    121: "hundred 1 nl-en 20",
    200: "2 hundred",
    999: "9 hundred 9 nl-en 90",
}
FR = {
    0: "0",
    1: "1",
    10: "10",
    16: "16",
    17: "17",  # say.c has a file per number up to 20
    20: "20",
    21: "20 et 1",  # vingt et un
    22: "20 2",
    61: "60 et 1",
    70: "60 10",  # soixante-dix
    71: "60 et 11",  # soixante et onze
    79: "60 19",
    80: "80",  # quatre-vingts
    81: "80 1",  # quatre-vingt-un, no "et"
    90: "80 10",
    91: "80 11",
    99: "80 19",
    100: "hundred",  # cent
    101: "hundred 1",
    110: "hundred 10",
    200: "2 hundred",
    999: "9 hundred 80 19",
}


def _files(said: str) -> tuple[str, ...]:
    return tuple(word if word == "vm-and" else f"digits/{word}" for word in said.split())


@pytest.mark.parametrize(
    ("language", "table"), [("en", EN), ("en_GB", EN_GB), ("nl", NL), ("fr", FR)]
)
def test_numbers_are_said_with_the_files_say_c_plays(language, table):
    for n, said in table.items():
        assert number_files(n, language) == _files(said), n


def test_french_says_une_when_feminine_as_say_c_says_hours():
    assert number_files(1, "fr", feminine=True) == ("digits/1F",)
    assert number_files(21, "fr", feminine=True) == ("digits/20", "digits/et", "digits/1F")
    assert number_files(1, "nl", feminine=True) == ("digits/1",)  # only French has genders here


@pytest.mark.parametrize(
    ("language", "rules"),
    [("en", "en"), ("en_US", "en"), ("EN_gb", "en_GB"), ("nl_BE", "nl"), ("fr-BE", "fr")],
)
def test_a_language_is_matched_by_its_first_letters_as_say_c_does(language, rules):
    assert rules_for(language) == rules


def test_a_language_without_number_rules_is_refused_by_name():
    with pytest.raises(UnsupportedLanguage, match=r"'de'.*en, en_GB, fr, nl"):
        number_files(3, "de")
    with pytest.raises(UnsupportedLanguage):
        rules_for("e")


@pytest.mark.parametrize("n", [-1, MAX_SAID + 1])
def test_numbers_outside_what_we_say_are_refused(n):
    with pytest.raises(ValueError, match=f"0..{MAX_SAID}, not {n}"):
        number_files(n, "nl")


def test_every_number_is_a_list_of_sound_media_without_said_items():
    for language in LANGUAGES:
        for n in range(MAX_SAID + 1):
            media = say_number(n, language)
            assert media, (language, n)
            assert all(m.startswith("sound:") for m in media), (language, n)
    assert say_number(21, "nl") == ("sound:digits/1", "sound:digits/nl-en", "sound:digits/20")
