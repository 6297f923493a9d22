"""The content section's survey table: answers keyed in the period, per line code and
question in survey order, with the mean and the low and high scores; in every format."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from acd.quality.surveys import SurveyAnswer
from acd.reports.load import make_report
from acd.reports.period import BRUSSELS, parse_period
from acd.reports.render_csv import table_csv
from tests.reports.records import at, records

MADE = datetime(2027, 3, 31, 8, 0, tzinfo=BRUSSELS)
GENERAL, HOUSING = "1700 Andere Vragen", "1700 Wonen en energie"


def _answer(contact: str, position: int, score: int, code: str, when: datetime) -> SurveyAnswer:
    question = ("waiting_time", "politeness")[position]
    return SurveyAnswer(contact, question, position, score, "a1", "1700", code, when)


def test_the_survey_table_sums_the_periods_answers_per_line_code_and_question() -> None:
    answers = [
        _answer("c1", 0, 10, GENERAL, at(9, 5)),
        _answer("c1", 1, 4, GENERAL, at(9, 6)),
        _answer("c2", 0, 7, GENERAL, at(9, 30)),
        _answer("c3", 0, 9, HOUSING, at(10, 15)),
        _answer("c4", 0, 1, GENERAL, at(11, 30)),  # after the period
    ]
    given = replace(records(), survey_answers=answers)
    report = make_report(
        parse_period("2027-03-30T09:00", "2027-03-30T11:00", "1h"),
        given,
        made_at=MADE,
        short_abandon_s=5.0,
    )
    table = report.table("survey")
    assert table.rows == [
        (GENERAL, "waiting_time", 2, 8.5, 0, 1),
        (GENERAL, "politeness", 1, 4.0, 1, 0),
        (HOUSING, "waiting_time", 1, 9.0, 0, 1),
    ]
    assert "mean_score" in table_csv(table).splitlines()[0]


def test_a_period_without_answers_says_so() -> None:
    report = make_report(
        parse_period("2027-03-30T09:00", "2027-03-30T11:00", "1h"),
        records(),
        made_at=MADE,
        short_abandon_s=5.0,
    )
    table = report.table("survey")
    assert table.rows == []
    assert table.note == "no survey answers in the period"
