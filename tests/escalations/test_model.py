"""One escalation point on its own: the seed's phone number format, E.164 for dialling, and
the options a point shows depending on what is filled in."""

from __future__ import annotations

import re
from datetime import date

import pytest

from escalations import Deviation, EscalationPoint, ScheduledChange, phone_to_e164
from escalations.codec import from_data, to_data
from tests.escalations.factories import change, day_off, jacht


@pytest.mark.parametrize(
    ("written", "e164"),
    [
        ("011 12 34 56", "+3211123456"),
        ("02 553 21 00", "+3225532100"),
        ("0470123456", "+32470123456"),
    ],
)
def test_phone_numbers_in_the_seeds_format_are_kept_and_dialled_in_e164(written, e164):
    assert phone_to_e164(written) == e164
    point = jacht(phone=written)
    assert (point.phone, point.phone_e164) == (written, e164)


@pytest.mark.parametrize(
    "written",
    ["011/12.34.56", "011  12 34 56", "011 12 34 5x", "O11 12 34 56", " 011 12 34 56", ""],
)
def test_slashes_dots_double_spaces_and_letters_are_refused_naming_the_field(written):
    with pytest.raises(ValueError, match=r"^phone: .*digits with single spaces"):
        jacht(phone=written)


def test_a_number_in_the_right_format_that_does_not_exist_is_refused():
    with pytest.raises(ValueError, match="not a valid phone number in Belgium"):
        jacht(phone="02 553 210")


def test_without_a_phone_number_only_the_email_option_is_there():
    point = jacht(phone=None, may_give_number=False)
    assert not point.transfer_allowed
    assert point.email_allowed
    assert point.phone_e164 is None


def test_the_options_follow_what_is_filled_in_unless_the_editor_says_no():
    assert jacht().transfer_allowed
    assert jacht().email_allowed
    assert not jacht(may_transfer=False).transfer_allowed
    assert not jacht(may_send_email=False).email_allowed


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"phone": None, "may_transfer": True}, "may_transfer: a phone transfer needs a phone"),
        ({"phone": None}, "may_give_number: there is no phone number"),
        ({"email": None, "may_send_email": True}, "may_send_email: sending the question needs"),
        ({"phone": None, "may_give_number": False, "email": None}, "phone: a point needs a phone"),
        ({"email": "jacht(at)vlaanderen.be"}, "email: 'jacht(at)vlaanderen.be' is not an e-mail"),
        ({"handling_days": 0}, "handling_days: must be at least 1"),
        ({"line_codes": ()}, "line_codes: a point needs at least one"),
    ],
)
def test_contradictions_are_refused_naming_the_field(overrides, message):
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        jacht(**overrides)


def test_the_seeds_defaults():
    point = EscalationPoint("x", "ANB - Team Jacht", email="jacht@vlaanderen.be")
    assert point.public_title == "ANB - Team Jacht"  # the same as the editorial title
    assert point.line_codes == ("1700 Andere Vragen",)
    assert point.handling_days == 5
    assert point.transfer_mode.value == "closed"
    assert point.mail_channel.value == "email"


def test_overlapping_deviations_and_two_changes_on_one_date_are_refused():
    with pytest.raises(ValueError, match=r"^deviations: .*overlaps"):
        jacht(
            deviations=(
                Deviation(date(2022, 12, 12), date(2022, 12, 14), "Teamdagen"),
                day_off(date(2022, 12, 13)),
            )
        )
    with pytest.raises(ValueError, match=r"^scheduled_changes: more than one change"):
        jacht(
            scheduled_changes=(
                change(date(2023, 1, 1), instructions="a"),
                change(date(2023, 1, 1), content="b"),
            )
        )
    with pytest.raises(ValueError, match="names id"):
        ScheduledChange(date(2023, 1, 1), {"id": "other"})


def test_a_point_survives_the_round_trip_through_its_json_document():
    point = jacht(
        deviations=(day_off(date(2022, 12, 12)),),
        scheduled_changes=(change(date(2023, 1, 2), phone="02 553 21 00", line_codes=("a", "b")),),
    )
    assert from_data(to_data(point)) == point
