"""``acd hours`` as an operator runs it, on the shipped config: a moment or an ISO week."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from acd.cli import main
from acd.hours import hours_at, hours_week, parse_at, parse_week
from acd.settings import Settings, load_settings

CONFIG = Path(__file__).resolve().parents[2] / "config"


@pytest.fixture(scope="module")
def example() -> Settings:
    return load_settings(CONFIG, env={})


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["hours", "--config", str(CONFIG), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_hours_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["hours", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "usage: acd hours" in out
    assert "--week" in out


def test_easter_monday(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--line", "1700", "--at", "2027-03-29T10:00")
    assert code == 0
    assert out.splitlines() == [
        "line 1700 (1700 Vlaamse overheid): calendar 1700 (Europe/Brussels)",
        "Mon 2027-03-29 10:00 CEST: closed (holiday: Paasmaandag)",
        "next opening: Tue 2027-03-30 09:00 CEST",
    ]


def test_week_13_of_2027(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--line", "1700", "--week", "2027-W13")
    assert code == 0
    assert out.splitlines() == [
        "line 1700 (1700 Vlaamse overheid): calendar 1700 (Europe/Brussels), week 2027-W13",
        "Mon 2027-03-29  closed (holiday: Paasmaandag)",
        "Tue 2027-03-30  09:00-19:00",
        "Wed 2027-03-31  09:00-19:00",
        "Thu 2027-04-01  09:00-19:00",
        "Fri 2027-04-02  09:00-19:00",
        "Sat 2027-04-03  closed (weekend)",
        "Sun 2027-04-04  closed (weekend)",
    ]


@pytest.mark.parametrize(
    ("line", "at", "expected"),
    [
        (
            "1700",
            "2027-03-30T10:00",
            [
                "Tue 2027-03-30 10:00 CEST: open until Tue 2027-03-30 19:00 CEST",
                "next opening: Wed 2027-03-31 09:00 CEST",
            ],
        ),
        # An offset is honoured and shown in the line's zone.
        (
            "1700",
            "2027-03-30T17:30+00:00",
            [
                "Tue 2027-03-30 19:30 CEST: closed (outside hours)",
                "next opening: Wed 2027-03-31 09:00 CEST",
            ],
        ),
        (
            "1700",
            "2027-05-06T12:00",
            [
                "Thu 2027-05-06 12:00 CEST: closed (holiday: O. L. H. Hemelvaart)",
                "message: sound:acd-closed-tomorrow",
                "next opening: Mon 2027-05-10 09:00 CEST",
            ],
        ),
        (
            "1700",
            "2027-12-24T17:00",
            [
                "Fri 2027-12-24 17:00 CET: closed (closure: Kerstavond: vroeger dicht)",
                "next opening: Mon 2027-12-27 09:00 CET",
            ],
        ),
        (
            "1702",
            "2027-03-26T12:45",
            [
                "Fri 2027-03-26 12:45 CET: closed (no hours on Fridays)",
                "next opening: Tue 2027-03-30 08:30 CEST",
            ],
        ),
        (
            "1702",
            "2027-03-25T12:45",
            [
                "Thu 2027-03-25 12:45 CET: closed (outside hours)",
                "next opening: Thu 2027-03-25 13:00 CET",
            ],
        ),
    ],
)
def test_hours_at(example: Settings, line: str, at: str, expected: list[str]) -> None:
    assert hours_at(example, line, parse_at(at)).splitlines()[1:] == expected


def test_sector_line_week_with_its_own_hours(example: Settings) -> None:
    week = hours_week(example, "1702", parse_week("2027-W52")).splitlines()
    assert week[1] == "Mon 2027-12-27  08:30-12:30, 13:00-16:30"
    assert week[5:] == [
        "Fri 2027-12-31  closed (no hours on Fridays)",
        "Sat 2028-01-01  closed (holiday: Nieuwjaar)",
        "Sun 2028-01-02  closed (weekend)",
    ]


def test_week_with_a_closure_across_midnight(example: Settings) -> None:
    week = hours_week(example, "1700", date(2027, 12, 20)).splitlines()
    assert week[5:] == [
        "Fri 2027-12-24  09:00-16:00  (Kerstavond: vroeger dicht)",
        "Sat 2027-12-25  closed (closure: Kerstavond: vroeger dicht)",
        "Sun 2027-12-26  closed (closure: Kerstavond: vroeger dicht)",
    ]


def test_without_at_it_is_now(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--line", "1701")
    assert code == 0
    assert out.startswith("line 1701 (Sectorlijn Onderwijs): calendar onderwijs")
    assert "next opening: " in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--line", "1799"], "acd: no line '1799' in the config (lines: 1700, 1701, 1702)"),
        (
            ["--line", "1700", "--at", "tomorrow"],
            "acd: 'tomorrow' is not a date and time (such as 2027-03-29T10:00)",
        ),
        (
            ["--line", "1700", "--week", "2027-W54"],
            "acd: '2027-W54' is not an ISO week (such as 2027-W13)",
        ),
    ],
)
def test_mistakes_exit_2(capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    code, out, err = run(capsys, *args)
    assert (code, out, err.strip()) == (2, "", message)


def test_at_and_week_exclude_each_other(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        run(capsys, "--line", "1700", "--at", "2027-03-29T10:00", "--week", "2027-W13")
    assert exit_info.value.code == 2


def test_parse() -> None:
    assert parse_week("2027-W13") == date(2027, 3, 29)
    assert parse_week("2027W01") == date(2027, 1, 4)
    assert parse_at("2027-03-29T10:00") == datetime(2027, 3, 29, 10)


@pytest.mark.parametrize(
    "args",
    [
        ["--at", "9999-12-31T23:59"],
        ["--at", "0001-01-01T00:00"],
        ["--week", "9999-W52"],
    ],
)
def test_the_ends_of_the_calendar_get_one_line(
    capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    # Each was a Python traceback (OverflowError looking a day ahead or back).
    code, out, err = run(capsys, "--line", "1700", *args)
    assert (code, out) == (2, "")
    assert err == (
        f"acd: {args[1]!r} is too near the end of the calendar (year 1 or 9999) to work out "
        "opening hours\n"
    )
