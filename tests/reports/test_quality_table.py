"""The content section's quality table: the listening sessions' scores given in the period,
per line code, agent and criterion (in the configured order), with how many recordings and
verdicts each mean is of; in every format."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from acd.quality.scores import RecordingScore
from acd.reports.load import make_report
from acd.reports.period import BRUSSELS, parse_period
from acd.reports.render_csv import table_csv
from tests.reports.records import at, records

MADE = datetime(2027, 3, 31, 8, 0, tzinfo=BRUSSELS)
GENERAL, HOUSING = "1700 Andere Vragen", "1700 Wonen en energie"
PERIOD = ("2027-03-30T09:00", "2027-03-30T11:00", "1h")


def _verdict(
    recording: str, scorer: str, agent: str, code: str, when: datetime, greeting: int, tone: int
) -> RecordingScore:
    scores = {"greeting": greeting, "tone": tone}
    return RecordingScore(recording, scorer, when, agent, "1700", code, scores, None)


def test_the_quality_table_averages_the_periods_scores_per_line_code_agent_and_criterion() -> None:
    verdicts = [
        _verdict("rec-c1", "sam", "1002", GENERAL, at(9, 5), 4, 5),
        _verdict("rec-c1", "vera", "1002", GENERAL, at(9, 6), 2, 4),  # a second scorer
        _verdict("rec-c2", "sam", "1002", GENERAL, at(10, 30), 5, 5),
        _verdict("rec-c3", "sam", "1001", GENERAL, at(9, 40), 3, 3),
        _verdict("rec-c4", "sam", "1002", HOUSING, at(10, 15), 1, 2),
        _verdict("rec-c5", "sam", "1002", GENERAL, at(11, 30), 1, 1),  # after the period
    ]
    report = make_report(
        parse_period(*PERIOD),
        replace(records(), recording_scores=verdicts),
        made_at=MADE,
        short_abandon_s=5.0,
    )
    table = report.table("quality")
    assert table.rows == [
        (GENERAL, "1001", "greeting", 1, 1, 3.0),
        (GENERAL, "1001", "tone", 1, 1, 3.0),
        (GENERAL, "1002", "greeting", 2, 3, 3.6667),
        (GENERAL, "1002", "tone", 2, 3, 4.6667),
        (HOUSING, "1002", "greeting", 1, 1, 1.0),
        (HOUSING, "1002", "tone", 1, 1, 2.0),
    ]
    assert table_csv(table).splitlines()[0] == (
        "line_code,agent,criterion,recordings,scores,mean_score"
    )


def test_a_period_without_scores_says_so() -> None:
    report = make_report(parse_period(*PERIOD), records(), made_at=MADE, short_abandon_s=5.0)
    table = report.table("quality")
    assert table.rows == []
    assert table.note == "no recordings scored in the period"
