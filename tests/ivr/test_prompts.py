"""Media lists for position, wait and closed messages, and waits rounded as a person says them."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from ivr.prompts import (
    DUTCH,
    ENGLISH,
    FRENCH,
    LESS_THAN_A_MINUTE,
    SoundNames,
    announcement_media,
    closed_media,
    next_opening_media,
    position_media,
    sounds_for,
    spoken_wait_minutes,
    wait_media,
)
from ivr.say import UnsupportedLanguage

BRUSSELS = ZoneInfo("Europe/Brussels")


@pytest.mark.parametrize(
    ("wait_s", "minutes"),
    [
        (0, LESS_THAN_A_MINUTE),
        (-5, LESS_THAN_A_MINUTE),
        (59.9, LESS_THAN_A_MINUTE),
        (60, 1),
        (89, 1),
        (90, 2),  # halves round up, as people do (round() would say 2 for 2.5, too)
        (150, 3),  # round() would say 2
        (269, 4),
        (270, 5),
        (600, 10),
        (630, 10),  # 10.5 min: beyond ten minutes, nearest five
        (749, 10),
        (750, 15),
        (1000, 15),
        (1350, 25),  # 22.5 min rounds up
        (3600, 60),
    ],
)
def test_waits_are_rounded_as_a_person_says_them(wait_s, minutes):
    assert spoken_wait_minutes(wait_s) == minutes


def test_a_spoken_wait_is_never_zero_minutes():
    assert all(spoken_wait_minutes(s) != 0 or s < 60 for s in range(0, 7200, 7))
    assert wait_media(0) == (
        "sound:queue-holdtime",
        "sound:queue-less-than",
        "sound:digits/1",
        "sound:queue-minute",
    )


@pytest.mark.parametrize(
    ("wait_s", "media"),
    [
        (75, ("sound:queue-holdtime", "sound:digits/1", "sound:queue-minute")),
        (125, ("sound:queue-holdtime", "sound:digits/2", "sound:queue-minutes")),
        (900, ("sound:queue-holdtime", "sound:digits/15", "sound:queue-minutes")),
    ],
)
def test_wait_media(wait_s, media):
    assert wait_media(wait_s) == media


@pytest.mark.parametrize(
    ("position", "limit", "media"),
    [
        (1, None, ("sound:queue-youarenext",)),
        (1, 5, ("sound:queue-youarenext",)),
        (4, None, ("sound:queue-thereare", "sound:digits/4", "sound:queue-callswaiting")),
        (5, 5, ("sound:queue-thereare", "sound:digits/5", "sound:queue-callswaiting")),
        (6, 5, ("sound:queue-quantity1", "sound:digits/5", "sound:queue-quantity2")),
    ],
)
def test_position_media(position, limit, media):
    assert position_media(position, limit=limit) == media


def test_a_position_below_one_is_a_bug():
    with pytest.raises(ValueError, match="starts at 1"):
        position_media(0)


def test_announcement_joins_position_wait_and_thanks():
    assert announcement_media(3, 200) == (
        "sound:queue-thereare",
        "sound:digits/3",
        "sound:queue-callswaiting",
        "sound:queue-holdtime",
        "sound:digits/3",
        "sound:queue-minutes",
        "sound:queue-thankyou",
    )
    assert announcement_media(None, 30) == (*wait_media(30), "sound:queue-thankyou")
    assert announcement_media(2, None) == (*position_media(2), "sound:queue-thankyou")
    assert announcement_media(None, None) == ()


def test_an_empty_sound_name_leaves_that_piece_out():
    quiet = SoundNames(thank_you="", calls_waiting="")
    assert announcement_media(3, None, quiet) == ("sound:queue-thereare", "sound:digits/3")


# Tuesday 30 March 2027, Europe/Brussels (CEST, UTC+2).
NOW = datetime(2027, 3, 30, 19, 5, tzinfo=BRUSSELS)


@pytest.mark.parametrize(
    ("opening", "day"),
    [
        (datetime(2027, 3, 30, 21, 0, tzinfo=BRUSSELS), ("sound:digits/today",)),
        (datetime(2027, 3, 31, 9, 0, tzinfo=BRUSSELS), ("sound:digits/tomorrow",)),
        (datetime(2027, 4, 1, 9, 0, tzinfo=BRUSSELS), ("sound:digits/day-4",)),  # Thursday
        (datetime(2027, 4, 4, 9, 0, tzinfo=BRUSSELS), ("sound:digits/day-0",)),  # Sunday
        (datetime(2027, 4, 5, 9, 0, tzinfo=BRUSSELS), ("sound:digits/day-1",)),  # Monday
        (  # a week or more away: the date too
            datetime(2027, 4, 6, 9, 0, tzinfo=BRUSSELS),
            ("sound:digits/day-2", "sound:digits/6", "sound:digits/mon-3"),
        ),
    ],
)
def test_the_next_opening_day(opening, day):
    media = next_opening_media(opening, NOW)
    assert media[0] == "sound:acd-open-again"
    assert media[1 : 1 + len(day)] == day
    assert media[1 + len(day)] == "sound:digits/at"


@pytest.mark.parametrize(
    ("hour", "minute", "dutch", "english"),
    [
        (
            9,
            0,
            ("sound:digits/9", "sound:digits/nl-uur"),
            ("sound:digits/9", "sound:digits/oclock"),
        ),
        (
            9,
            30,
            ("sound:digits/9", "sound:digits/nl-uur", "sound:digits/30"),
            ("sound:digits/9", "sound:digits/30"),
        ),
        (
            13,
            5,
            ("sound:digits/13", "sound:digits/nl-uur", "sound:digits/5"),
            ("sound:digits/13", "sound:digits/oh", "sound:digits/5"),
        ),
    ],
)
def test_the_next_opening_time_in_dutch_and_english(hour, minute, dutch, english):
    opening = datetime(2027, 4, 1, hour, minute, tzinfo=BRUSSELS)
    assert next_opening_media(opening, NOW)[3:] == dutch
    assert next_opening_media(opening, NOW, ENGLISH)[3:] == english


def test_the_next_opening_is_said_in_brussels_time_whatever_the_input_zone():
    opening_utc = datetime(2027, 3, 31, 7, 0, tzinfo=UTC)  # 09:00 in Brussels (CEST)
    now_utc = datetime(2027, 3, 30, 21, 30, tzinfo=UTC)  # 23:30 the day before in Brussels
    assert next_opening_media(opening_utc, now_utc) == (
        "sound:acd-open-again",
        "sound:digits/tomorrow",
        "sound:digits/at",
        "sound:digits/9",
        "sound:digits/nl-uur",
    )


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        next_opening_media(datetime(2027, 4, 1, 9, 0), NOW)


HOLIDAY = ("sound:acd-closed-holiday",)


def test_closed_message_with_and_without_the_next_opening():
    opening = datetime(2027, 3, 31, 9, 0, tzinfo=BRUSSELS)
    assert closed_media(HOLIDAY, NOW) == HOLIDAY
    assert closed_media(HOLIDAY, NOW, opening) == (
        "sound:acd-closed-holiday",
        "sound:acd-open-again",
        "sound:digits/tomorrow",
        "sound:digits/at",
        "sound:digits/9",
        "sound:digits/nl-uur",
    )


def test_closed_message_where_the_prompts_do_not_allow_a_next_opening():
    no_open_again = SoundNames(open_again="")
    opening = datetime(2027, 3, 31, 9, 0, tzinfo=BRUSSELS)
    assert closed_media(HOLIDAY, NOW, opening, no_open_again) == HOLIDAY


def test_a_sound_table_needs_seven_days_and_twelve_months():
    with pytest.raises(ValueError, match="7 weekdays"):
        SoundNames(weekdays=("digits/day-1",))


def test_dutch_is_the_default():
    assert SoundNames() == DUTCH


@pytest.mark.parametrize(
    ("language", "position", "said"),
    [
        ("nl", 21, ("digits/1", "digits/nl-en", "digits/20")),  # een-en-twintig
        ("en", 21, ("digits/20", "digits/1")),
        ("en_GB", 101, ("digits/1", "digits/hundred", "vm-and", "digits/1")),
        ("fr", 71, ("digits/60", "digits/et", "digits/11")),  # soixante et onze
    ],
)
def test_a_position_is_said_by_the_rules_of_the_line_language(language, position, said):
    media = position_media(position, sounds_for(language))
    assert media == (
        "sound:queue-thereare",
        *(f"sound:{f}" for f in said),
        "sound:queue-callswaiting",
    )


def test_no_media_list_holds_a_said_item_which_asterisk_cannot_stop():
    now = datetime(2027, 3, 1, 18, 0, tzinfo=BRUSSELS)
    for language in ("nl", "en", "en_GB", "fr"):
        sounds = sounds_for(language)
        lists = [
            announcement_media(position, position * 90.0, sounds)
            for position in (1, 2, 42, 999, 1000, 5000)
        ]
        lists.append(announcement_media(7, 3600 * 24 * 30, sounds, position_limit=5))
        lists += [
            next_opening_media(datetime(2027, 3, d, h, m, tzinfo=BRUSSELS), now, sounds)
            for d, h, m in ((1, 21, 45), (2, 9, 0), (31, 13, 5))
        ]
        for media in lists:
            assert all(m.startswith("sound:") for m in media), (language, media)


def test_positions_and_waits_beyond_what_we_say_are_capped():
    assert position_media(1234) == (
        "sound:queue-quantity1",
        "sound:digits/9",
        "sound:digits/hundred",
        "sound:digits/9",
        "sound:digits/nl-en",
        "sound:digits/90",
        "sound:queue-quantity2",
    )
    assert wait_media(3600 * 24 * 7, ENGLISH)[1:-1] == (
        "sound:digits/9",
        "sound:digits/hundred",
        "sound:digits/90",
        "sound:digits/9",
    )
    with pytest.raises(ValueError, match=r"position limit is 1\.\.999, not 1000"):
        position_media(3, limit=1000)


def test_french_says_the_hour_with_heures_and_in_the_feminine_once_recorded():
    opening = datetime(2027, 4, 1, 21, 1, tzinfo=BRUSSELS)
    assert next_opening_media(opening, NOW, FRENCH)[3:] == (
        "sound:digits/20",
        "sound:digits/et",
        "sound:digits/1",  # the stock French pack has no digits/1F
        "sound:digits/oclock",
        "sound:digits/1",
    )
    feminine = dataclasses.replace(FRENCH, feminine_time=True)
    assert next_opening_media(opening, NOW, feminine)[3:] == (
        "sound:digits/20",
        "sound:digits/et",
        "sound:digits/1F",  # vingt et une heures
        "sound:digits/oclock",
        "sound:digits/1F",  # une
    )


def test_a_line_language_without_number_rules_has_no_sounds():
    assert sounds_for("nl_BE") == DUTCH
    assert sounds_for("en_GB").numbers == "en_GB"
    with pytest.raises(UnsupportedLanguage, match="'de'"):
        sounds_for("de")
    with pytest.raises(UnsupportedLanguage, match="'de'"):
        SoundNames(numbers="de")
