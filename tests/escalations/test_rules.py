"""What an agent may do with an escalation point at a moment: phone transfer inside the
reachability slots only, never on a deviating date, with scheduled changes taking effect on
their date; and every line code of the lines keeps at least one point."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from escalations import (
    Deviation,
    Refusal,
    as_of,
    check_transfer,
    handling_due,
    options,
    uncovered_line_codes,
)
from foundation.calendars import Slot, weekly_schedule
from tests.escalations.factories import change, day_off, jacht

BRUSSELS = ZoneInfo("Europe/Brussels")
MONDAY = date(2022, 12, 12)
THURSDAY = date(2022, 12, 15)


def at(day: date, hhmm: str) -> datetime:
    hour, minute = (int(part) for part in hhmm.split(":"))
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BRUSSELS)


def test_inside_a_slot_the_transfer_is_possible_until_the_slot_ends():
    check = check_transfer(jacht(), at(MONDAY, "10:00"))
    assert check.possible
    assert check.reason is None
    assert check.next_window is not None
    assert check.next_window.end == at(MONDAY, "12:00")
    assert "until 12:00" in check.message


def test_between_two_slots_it_is_refused_with_the_slots_and_the_next_window():
    check = check_transfer(jacht(), at(MONDAY, "12:30"))
    assert not check.possible
    assert check.reason is Refusal.OUTSIDE_SLOTS
    assert check.next_window is not None
    assert (check.next_window.start, check.next_window.end) == (
        at(MONDAY, "13:00"),
        at(MONDAY, "16:00"),
    )
    assert check.weekly is not None
    assert check.weekly["mon"] == ["09:00-12:00", "13:00-16:00"]
    assert "mon 09:00-12:00, 13:00-16:00" in check.message
    assert "next window mon 2022-12-12 13:00-16:00" in check.message


def test_after_the_last_slot_of_the_week_the_next_window_is_monday_morning():
    friday = date(2022, 12, 16)
    check = check_transfer(jacht(), at(friday, "12:00"))  # a slot's end is outside it
    assert check.reason is Refusal.OUTSIDE_SLOTS
    assert check.next_window is not None
    assert check.next_window.start == at(date(2022, 12, 19), "09:00")


def test_on_a_deviating_date_it_is_refused_with_the_points_own_text():
    text = "Telefonisch niet bereikbaar op donderdag 15-12-2022"
    point = jacht(deviations=(day_off(THURSDAY, text),))
    check = check_transfer(point, at(THURSDAY, "10:00"))  # inside the usual slot
    assert not check.possible
    assert check.reason is Refusal.DEVIATING_DATE
    assert check.deviation_text == text
    assert text in check.message
    assert check.next_window is not None
    assert check.next_window.start == at(date(2022, 12, 16), "09:00")
    # The day before and the day after, the weekly slots hold again.
    assert check_transfer(point, at(THURSDAY.replace(day=14), "10:00")).possible
    assert check_transfer(point, at(THURSDAY.replace(day=16), "10:00")).possible


def test_a_deviating_date_with_slots_allows_only_those():
    point = jacht(
        deviations=(
            Deviation(THURSDAY, THURSDAY, "Enkel 's namiddags", (Slot.parse("14:00-15:00"),)),
        )
    )
    assert check_transfer(point, at(THURSDAY, "14:30")).possible
    check = check_transfer(point, at(THURSDAY, "10:00"))
    assert (check.reason, check.deviation_text) == (Refusal.DEVIATING_DATE, "Enkel 's namiddags")
    assert check.next_window is not None
    assert check.next_window.start == at(THURSDAY, "14:00")


def test_a_deviation_is_removed_the_day_after_it_ends():
    point = jacht(deviations=(day_off(THURSDAY),))
    assert as_of(point, THURSDAY).deviations == point.deviations
    assert as_of(point, date(2022, 12, 16)).deviations == ()


def test_a_scheduled_change_takes_effect_on_its_date():
    afternoons = weekly_schedule(mon=["14:00-17:00"])
    point = jacht(
        scheduled_changes=(
            change(date(2022, 12, 19), reachability=afternoons, phone="02 553 21 00"),
        )
    )
    assert check_transfer(point, at(MONDAY, "10:00")).possible  # the old slots still hold
    next_monday = date(2022, 12, 19)
    refused = check_transfer(point, at(next_monday, "10:00"))
    assert refused.reason is Refusal.OUTSIDE_SLOTS
    assert refused.next_window is not None
    assert refused.next_window.start == at(next_monday, "14:00")
    assert check_transfer(point, at(next_monday, "14:00")).possible
    changed = as_of(point, next_monday)
    assert (changed.phone_e164, changed.scheduled_changes) == ("+3225532100", ())
    assert as_of(point, MONDAY).phone_e164 == "+3211123456"


def test_a_scheduled_change_that_removes_the_phone_number_leaves_only_email():
    point = jacht(
        scheduled_changes=(change(date(2022, 12, 19), phone=None, may_give_number=False),)
    )
    check = check_transfer(point, at(date(2022, 12, 19), "10:00"))
    assert check.reason is Refusal.NO_PHONE_NUMBER


def test_a_point_that_takes_no_transfers_says_so_at_any_hour():
    check = check_transfer(jacht(may_transfer=False), at(MONDAY, "10:00"))
    assert (check.possible, check.reason, check.next_window) == (False, Refusal.NOT_ALLOWED, None)


def test_a_public_holiday_is_outside_the_reachability_named():
    easter_monday = date(2023, 4, 10)
    check = check_transfer(jacht(), at(easter_monday, "10:00"))
    assert check.reason is Refusal.OUTSIDE_SLOTS
    assert "Paasmaandag" in check.message
    assert check_transfer(jacht(follows_public_holidays=False), at(easter_monday, "10:00")).possible


def test_options_list_the_points_of_the_line_code_with_what_the_agent_may_do():
    points = [
        jacht(),
        jacht(
            id="vmm", editorial_title="VMM", phone=None, may_give_number=False, may_give_email=True
        ),
        jacht(id="other", line_codes=("1700 Wonen en energie",)),
    ]
    found = {o.point.id: o for o in options(points, "1700 Andere Vragen", at(MONDAY, "10:00"))}
    assert set(found) == {"anb-jacht", "vmm"}
    assert found["anb-jacht"].transfer.possible
    assert found["anb-jacht"].may_give_number
    assert found["anb-jacht"].instructions.startswith("Escalatie per mail?")
    vmm = found["vmm"]
    assert vmm.transfer.reason is Refusal.NO_PHONE_NUMBER
    assert (vmm.may_give_number, vmm.may_send_email, vmm.may_give_email) == (False, True, True)


def test_a_line_code_without_escalation_point_is_named():
    points = [jacht(), jacht(id="b", line_codes=("1700 Belastingen",))]
    codes = ["1700 Andere Vragen", "1700 Belastingen", "Mobiliteit Rijbewijs"]
    assert uncovered_line_codes(points, codes) == {"Mobiliteit Rijbewijs": None}


def test_a_scheduled_change_that_would_orphan_a_line_code_is_named_with_its_date():
    later = date(2023, 1, 2)
    points = [jacht(scheduled_changes=(change(later, line_codes=("1700 Belastingen",)),))]
    assert uncovered_line_codes(points, ["1700 Andere Vragen"]) == {"1700 Andere Vragen": later}


def test_the_handling_term_counts_working_days_not_phone_hours():
    friday = date(2023, 4, 7)  # Good Friday is a working day in Belgium; Easter Monday is not
    due = handling_due(jacht(), at(friday, "15:00"))
    # Easter Monday 10 skipped: Tue 11, Wed 12, Thu 13, Fri 14, (weekend), Mon 17.
    assert due == at(date(2023, 4, 17), "15:00")
    longer = jacht(scheduled_changes=(change(date(2023, 4, 1), handling_days=10),))
    assert handling_due(longer, at(friday, "15:00")) == at(date(2023, 4, 24), "15:00")
