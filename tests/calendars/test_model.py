"""The calendar data on its own: slots parsed and checked, invariants refused on construction,
and each day's effective slots after openings, holidays and closures."""

from __future__ import annotations

import re
from datetime import date, datetime, time

import pytest

from foundation.calendars import (
    END_OF_DAY,
    Calendar,
    Closure,
    Message,
    Opening,
    PublicHolidays,
    Reason,
    Slot,
    day_schedule,
    effective_slots,
    standard_calendar,
    weekly_schedule,
)
from tests.calendars.conftest import AROUND_THE_CLOCK, BRUSSELS, C1700


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("09:00-19:00", time(9), time(19)),
        ("9:00-12:30", time(9), time(12, 30)),
        ("00:00-24:00", time(0), END_OF_DAY),
        (" 22:00-24:00 ", time(22), END_OF_DAY),
    ],
)
def test_slot_parse(text: str, start: time, end: time) -> None:
    assert Slot.parse(text) == Slot(start, end)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("9-17", "'9-17' is not a time slot (HH:MM-HH:MM)"),
        ("09:00 - 19:00", "'09:00 - 19:00' is not a time slot (HH:MM-HH:MM)"),
        ("19:00-09:00", "'19:00-09:00' does not end after it starts"),
        ("09:00-09:00", "'09:00-09:00' does not end after it starts"),
        ("24:00-24:00", "'24:00-24:00' does not start at a time of day"),
        ("09:60-10:00", "'09:60-10:00' does not start at a time of day"),
        ("09:00-25:00", "'09:00-25:00' does not end at a time of day"),
        ("09:00-24:30", "'09:00-24:30' does not end at a time of day"),
    ],
)
def test_slot_parse_refuses(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(reason)}$"):
        Slot.parse(text)


def test_slot_str_and_overlap() -> None:
    assert str(Slot.parse("22:00-24:00")) == "22:00-24:00"
    assert Slot.parse("09:00-13:00").overlaps(Slot.parse("12:00-14:00"))
    assert Slot.parse("22:00-24:00").overlaps(Slot.parse("23:00-23:30"))
    assert not Slot.parse("09:00-12:00").overlaps(Slot.parse("12:00-14:00"))


@pytest.mark.parametrize(
    ("build", "reason"),
    [
        (lambda: Slot(time(19), time(9)), "19:00-09:00 does not end after it starts"),
        (
            lambda: weekly_schedule(mon=["09:00-13:00", "12:00-14:00"]),
            None,  # building the tuple is fine; the Calendar refuses it
        ),
        (lambda: weekly_schedule(mo=["09:00-13:00"]), "unknown weekdays: mo"),
        (
            lambda: Calendar("x", BRUSSELS, weekly_schedule(mon=["09:00-13:00", "12:00-14:00"])),
            "12:00-14:00 overlaps 09:00-13:00",
        ),
        (lambda: Calendar("x", BRUSSELS, ((),)), "weekly needs 7 days (Monday first)"),
        (
            lambda: Closure(datetime(2027, 1, 2), datetime(2027, 1, 1), "oops"),
            "closure 'oops' ends before it starts",
        ),
        (
            lambda: Closure(datetime(2027, 1, 1, tzinfo=BRUSSELS), datetime(2027, 1, 2)),
            "closure bounds are wall-clock times without a time zone",
        ),
        (lambda: Opening(date(2027, 1, 2), ()), "the opening on 2027-01-02 has no slots"),
        (
            lambda: Calendar("x", BRUSSELS, messages=(Message(date(2027, 1, 1), "a"),) * 2),
            "more than one message on a date",
        ),
        (lambda: PublicHolidays("ZZ"), "the holidays package has no holidays for 'ZZ'"),
        (
            lambda: PublicHolidays("BE", "XX"),
            "'XX' is not a subdivision of BE (Flemish, French, German)",
        ),
        (
            lambda: PublicHolidays("BE", language="xx"),
            "'xx' is not a language of BE's holidays (de, en_US, fr, nl, uk)",
        ),
    ],
)
def test_invariants_are_refused(build: object, reason: str | None) -> None:
    if reason is None:
        build()  # type: ignore[operator]
        return
    with pytest.raises(ValueError, match=f"^{re.escape(reason)}$"):
        build()  # type: ignore[operator]


def test_slots_are_kept_in_order_and_holidays_in_the_countrys_language() -> None:
    calendar = Calendar("x", BRUSSELS, weekly_schedule(mon=["13:00-16:30", "08:30-12:30"]))
    assert [str(slot) for slot in calendar.weekly[0]] == ["08:30-12:30", "13:00-16:30"]
    assert PublicHolidays("BE").language == "nl"
    assert PublicHolidays("BE", language="fr").name_on(date(2027, 3, 29)) == "Lundi de Pâques"


def test_standard_calendar_is_1700s_hours() -> None:
    standard = standard_calendar()
    assert standard.name == "standard"
    assert [[str(s) for s in day] for day in standard.weekly] == [["09:00-19:00"]] * 5 + [[]] * 2
    assert standard.public_holidays == PublicHolidays("BE", None, "nl")
    assert standard.timezone.key == "Europe/Brussels"


# day, slots, reason, detail
DAYS = [
    (date(2027, 3, 29), [], Reason.HOLIDAY, "Paasmaandag"),
    (date(2027, 3, 30), ["09:00-19:00"], Reason.OPEN, ""),
    (date(2027, 4, 3), ["10:00-14:00"], Reason.OPEN, "Extra zaterdag"),
    (date(2027, 4, 4), [], Reason.WEEKEND, ""),
    (date(2027, 5, 7), [], Reason.CLOSURE, "Brugdag"),
    (date(2027, 12, 24), ["09:00-16:00"], Reason.OPEN, "Kerstsluiting"),
    (date(2027, 12, 25), [], Reason.CLOSURE, "Kerstsluiting"),
    (date(2027, 12, 27), ["09:00-19:00"], Reason.OPEN, ""),  # the closure ends as it opens
]


@pytest.mark.parametrize(("day", "slots", "reason", "detail"), DAYS)
def test_day_schedule(day: date, slots: list[str], reason: Reason, detail: str) -> None:
    schedule = day_schedule(C1700, day)
    assert [str(slot) for slot in schedule.slots] == slots
    assert (schedule.reason, schedule.detail) == (reason, detail)
    assert schedule.slots == effective_slots(C1700, day)


def test_a_closure_across_midnight_cuts_both_days() -> None:
    assert [str(s) for s in effective_slots(AROUND_THE_CLOCK, date(2027, 6, 1))] == ["00:00-22:00"]
    assert [str(s) for s in effective_slots(AROUND_THE_CLOCK, date(2027, 6, 2))] == ["06:00-24:00"]


def test_a_closure_inside_a_slot_splits_it() -> None:
    calendar = Calendar(
        "x",
        BRUSSELS,
        weekly_schedule(tue=["09:00-19:00"]),
        closures=(Closure(datetime(2027, 6, 1, 12), datetime(2027, 6, 1, 13), "Personeelsfeest"),),
    )
    schedule = day_schedule(calendar, date(2027, 6, 1))
    assert [str(s) for s in schedule.slots] == ["09:00-12:00", "13:00-19:00"]
    assert schedule.detail == "Personeelsfeest"


def test_a_closure_that_takes_all_hours_of_a_day_is_its_reason() -> None:
    calendar = Calendar(
        "x",
        BRUSSELS,
        weekly_schedule(tue=["09:00-12:00"]),
        closures=(Closure(datetime(2027, 6, 1, 8), datetime(2027, 6, 1, 20), "Staking"),),
    )
    schedule = day_schedule(calendar, date(2027, 6, 1))
    assert (schedule.slots, schedule.reason, schedule.detail) == ((), Reason.CLOSURE, "Staking")


def test_message_on_the_day() -> None:
    assert day_schedule(C1700, date(2027, 3, 30)).message == "sound:acd-changed-hours"
    assert day_schedule(C1700, date(2027, 3, 31)).message is None
