"""A report as named tables of plain cells, which every format renders alike: csv (one file
per table, or one table), xlsx (one sheet per table) and html (tables and charts).

Ratios are fractions (0.95, not 95) and times seconds, rounded to 4 decimals, so a
spreadsheet can compute with them; "no figure" is an empty cell, never 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from acd.reports.content import Content, RatingFigures
from acd.reports.occupancy import OccupancyRow
from acd.reports.operational import OperationalRow
from acd.reports.period import BRUSSELS, Period
from escalations.ratings import Criterion
from sla.service_level import ANSWER_RATE_NORM

Cell = str | int | float | None


@dataclass(frozen=True, slots=True)
class Table:
    name: str  # file and sheet name: operational, totals, points, themes, reasons
    title: str
    header: tuple[str, ...]
    rows: list[tuple[Cell, ...]]
    note: str = ""  # shown instead of rows when there are none, and above them otherwise


@dataclass(frozen=True, slots=True)
class Report:
    period: Period
    made_at: datetime
    tables: list[Table]
    # For the charts: the per-interval rows, summed over line codes per line.
    operational: list[OperationalRow]

    def table(self, name: str) -> Table:
        return next(t for t in self.tables if t.name == name)


TABLE_NAMES = (
    "operational",
    "totals",
    "points",
    "themes",
    "reasons",
    "survey",
    "quality",
    "occupancy",
)

_OPERATIONAL_HEADER = (
    "line",
    "line_code",
    "from",
    "to",
    "offered",
    "answered",
    "answer_rate",
    "answer_rate_norm",
    "meets_norm",
    "service_level",
    "service_level_without_short_abandons",
    "asa_s",
    "aht_s",
    "abandoned",
    "short_abandoned",
    "abandon_rate",
    "callbacks_requested",
    "callbacks_made",
    "callbacks_made_within_deadline",
    "escalations_phone",
    "escalations_email",
)


def local(moment: datetime) -> str:
    """Brussels wall-clock time with its offset, as in every report."""
    return moment.astimezone(BRUSSELS).isoformat(timespec="minutes")


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _operational_row(row: OperationalRow) -> tuple[Cell, ...]:
    meets = row.meets_norm
    return (
        row.line,
        row.line_code,
        local(row.start),
        local(row.end),
        row.offered,
        row.answered,
        _round(row.answer_rate),
        ANSWER_RATE_NORM,
        None if meets is None else ("yes" if meets else "no"),
        _round(row.service_level),
        _round(row.service_level_without_short_abandons),
        _round(row.average_speed_of_answer_s),
        _round(row.average_handling_time_s),
        row.abandoned,
        row.short_abandoned,
        _round(row.abandon_rate),
        row.callbacks_requested,
        row.callbacks_made,
        row.callbacks_made_in_time,
        row.escalations_phone,
        row.escalations_email,
    )


def _rated(figures: RatingFigures) -> tuple[Cell, ...]:
    return (figures.ratings, *(_round(figures.averages[c]) for c in Criterion))


_RATING_HEADER = ("ratings", *(f"avg_{c.value}" for c in Criterion))


def build_tables(
    intervals: Sequence[OperationalRow],
    totals: Sequence[OperationalRow],
    content: Content,
    occupancy: Sequence[OccupancyRow] = (),
) -> list[Table]:
    empty = "no contacts or callbacks in the period"
    return [
        Table(
            "operational",
            "Per line, line code and interval (Europe/Brussels)",
            _OPERATIONAL_HEADER,
            [_operational_row(r) for r in intervals],
            "" if intervals else empty,
        ),
        Table(
            "totals",
            "Per line and line code, the whole period",
            _OPERATIONAL_HEADER,
            [_operational_row(r) for r in totals],
            "" if totals else empty,
        ),
        Table(
            "points",
            "Escalations per escalation point, with their quality ratings (1-5)",
            (
                "point",
                "title",
                "organisation",
                "theme",
                "escalations_phone",
                "escalations_email",
                *_RATING_HEADER,
            ),
            [
                (
                    p.point_id,
                    p.title,
                    p.organisation,
                    p.theme,
                    p.escalations_phone,
                    p.escalations_email,
                    *_rated(p.rated),
                )
                for p in content.points
            ],
            "" if content.points else "no escalations in the period",
        ),
        Table(
            "themes",
            "Escalations per reporting organisation and theme",
            (
                "organisation",
                "theme",
                "points",
                "escalations_phone",
                "escalations_email",
                *_RATING_HEADER,
            ),
            [
                (
                    t.organisation,
                    t.theme,
                    t.points,
                    t.escalations_phone,
                    t.escalations_email,
                    *_rated(t.rated),
                )
                for t in content.themes
            ],
            "" if content.themes else "no escalations in the period",
        ),
        Table(
            "reasons",
            "Contact reasons per line code",
            ("line_code", "reason", "contacts", "share"),
            [(r.line_code, r.reason, r.contacts, _round(r.share)) for r in content.reasons],
            "" if content.reasons else "no contact reasons registered in the period",
        ),
        Table(
            "survey",
            "Survey after the call: scores (1-10) per line code and question",
            ("line_code", "question", "answers", "mean_score", "scores_1_5", "scores_9_10"),
            [
                (r.line_code, r.question, r.answers, _round(r.mean), r.low, r.high)
                for r in content.surveys
            ],
            "" if content.surveys else "no survey answers in the period",
        ),
        Table(
            "quality",
            "Listening sessions: recordings' quality scores per line code, agent and criterion",
            ("line_code", "agent", "criterion", "recordings", "scores", "mean_score"),
            [
                (r.line_code, r.agent_id, r.criterion, r.recordings, r.scores, _round(r.mean))
                for r in content.quality
            ],
            "" if content.quality else "no recordings scored in the period",
        ),
        Table(
            "occupancy",
            "Occupancy per agent: handling (on a call or its wrap-up) / staffed (logged in, "
            "not on a break), by whole days (Europe/Brussels)",
            ("agent", "staffed_s", "handling_s", "occupancy"),
            [
                (r.agent_id, _round(r.staffed_s), _round(r.handling_s), _round(r.occupancy))
                for r in occupancy
            ],
            "" if occupancy else "no agent logged in on the period's days",
        ),
    ]
