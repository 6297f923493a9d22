"""The ``reports`` section of acd.yaml: schedules are checked when the config loads."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from acd.reports.schedule import Schedule
from acd.settings.models import AcdFile

MAIL = {"from_address": "acd@example.org", "smtp": {"host": "127.0.0.1"}}


def acd(schedule: dict[str, Any], **more: Any) -> AcdFile:
    base = {"name": "weekly", "every": "1w", "starting": "2027-01-04", "folder": "var/reports"}
    return AcdFile.model_validate({"reports": {"schedules": [{**base, **schedule}]}, **more})


def test_a_schedule_with_defaults():
    (schedule,) = acd({}).reports.schedules  # type: ignore[union-attr]
    assert schedule.every_parts == (1, "w")
    assert (str(schedule.run_at), schedule.interval, schedule.format) == ("06:00:00", "1d", "html")


@pytest.mark.parametrize(
    ("schedule", "says"),
    [
        ({"every": "weekly"}, "N days, weeks or months, such as 1d, 2w, 1mo"),
        ({"every": "0d"}, "N days, weeks or months"),
        ({"folder": None}, "give folder, mail_to or both"),
        ({"every": "1mo", "starting": "2027-01-31"}, "a monthly schedule starts on day 1 to 28"),
        ({"format": "pdf"}, "csv"),
        ({"mail_to": ["not an address"]}, "is not an e-mail address"),
        ({"mail_to": ["boss@example.org"]}, "mailing a report needs the mail section"),
    ],
)
def test_a_bad_schedule_is_refused_with_the_reason(schedule: dict[str, Any], says: str):
    with pytest.raises(ValidationError) as raised:
        acd(schedule)
    assert says in str(raised.value)


def test_mail_to_with_a_mail_section_is_fine():
    assert acd({"mail_to": ["boss@example.org"]}, mail=MAIL).reports is not None


def test_schedule_names_are_unique():
    base = {"every": "1d", "starting": "2027-01-04", "folder": "x"}
    with pytest.raises(ValidationError, match="'a' is listed twice"):
        AcdFile.model_validate(
            {"reports": {"schedules": [{"name": "a", **base}, {"name": "a", **base}]}}
        )


def test_the_pure_schedule_refuses_what_the_settings_refuse():
    with pytest.raises(ValueError, match="give a folder, mail_to or both"):
        Schedule("x", 1, "d", date(2027, 1, 1))
