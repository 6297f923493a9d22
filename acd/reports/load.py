"""The reports' I/O edge: read a period's records from the stores of ``storage.url`` and make
a :class:`reports.tables.Report` with the pure cores."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from acd.quality.scores import RecordingScore
from acd.quality.surveys import SurveyAnswer
from acd.records.agent_days import AgentDay
from acd.reports.content import content_report
from acd.reports.occupancy import occupancy_rows, report_days
from acd.reports.operational import Group, OperationalRow, operational_rows
from acd.reports.period import Period
from acd.reports.tables import Report, build_tables
from acd.settings import Settings
from callbacks.model import Callback
from escalations.model import EscalationPoint
from escalations.ratings import Rating
from foundation.clock import Hold, no_hold
from foundation.contact import ContactRecord

RATINGS_LIMIT = 10_000_000  # every rating of the period; the store's default caps a listing


@dataclass(frozen=True, slots=True)
class Records:
    """What a report is made from, for one period."""

    contacts: list[ContactRecord]
    callbacks: list[Callback]
    ratings: list[Rating]
    points: list[EscalationPoint]
    wrap_ups: Mapping[str, float]  # contact id -> seconds of after-call work
    survey_answers: Sequence[SurveyAnswer] = ()
    recording_scores: Sequence[RecordingScore] = ()  # listening sessions' verdicts
    # The agents' figures per day, the period's and each agent's last before (occupancy).
    agent_days: Sequence[AgentDay] = ()


def make_report(
    period: Period,
    records: Records,
    *,
    made_at: datetime,
    short_abandon_s: float,
    groups: Iterable[Group] = (),
) -> Report:
    groups = tuple(groups)

    def rows(whole_period: bool) -> list[OperationalRow]:
        return operational_rows(
            period,
            records.contacts,
            records.callbacks,
            short_abandon_s=short_abandon_s,
            wrap_ups=records.wrap_ups,
            groups=groups,
            whole_period=whole_period,
        )

    intervals, totals = rows(False), rows(True)
    content = content_report(
        period,
        records.contacts,
        records.ratings,
        records.points,
        survey_answers=records.survey_answers,
        recording_scores=records.recording_scores,
    )
    occupancy = occupancy_rows(period, records.agent_days, made_at=made_at)
    return Report(period, made_at, build_tables(intervals, totals, content, occupancy), intervals)


async def load_records(
    url: str,
    period: Period,
    *,
    configured_points: Iterable[EscalationPoint] = (),
    hold: Hold = no_hold,
    migrated: bool = False,
) -> Records:
    """Read the period from the database at ``url``, migrating it first as the engine does at
    start (idempotent), so a fresh deployment reports zeros rather than a missing table.
    ``migrated``: the caller (the running engine) has migrated it already; Alembic's context
    is process-global, so a second migration running beside the engine's would break both."""
    from acd.quality.migrate import migrate as migrate_quality
    from acd.quality.scores import ScoreStore
    from acd.quality.surveys import SurveyStore
    from acd.records import ContactStore
    from acd.records import migrate as migrate_records
    from acd.records.agent_days import AgentDayStore
    from acd.records.wrap_ups import WrapUpStore
    from callbacks.migrate import migrate as migrate_callbacks
    from callbacks.store import CallbackStore
    from escalations import SqlEscalationStore
    from escalations import migrate as migrate_escalations
    from escalations.ratings import RatingFilter, SqlRatingStore

    if not migrated:
        await migrate_quality(url, hold=hold)
        await migrate_records(url, hold=hold)
        await migrate_callbacks(url, hold=hold)
        await migrate_escalations(url, hold=hold)
    async with ContactStore.open(url, hold=hold) as contacts:
        found = await contacts.arrived_between(period.start, period.end)
    async with WrapUpStore.open(url, hold=hold) as wrap_up_store:
        wrap_ups = await wrap_up_store.seconds_by_contact([c.id for c in found])
    async with CallbackStore.open(url, hold=hold) as callbacks:
        requested = await callbacks.requested_between(period.start, period.end)
    async with SqlRatingStore.open(url, hold=hold) as ratings:
        # A rating comes after its escalation: anything rated before the period cannot be
        # of one of its contacts.
        rated = await ratings.list(RatingFilter(since=period.start), limit=RATINGS_LIMIT)
    async with SqlEscalationStore.open(url, hold=hold) as escalations:
        points = {p.id: p for p in configured_points}
        points.update({p.id: p for p in await escalations.list()})
    async with SurveyStore.open(url, hold=hold) as surveys:
        answers = await surveys.between(period.start, period.end)
    async with ScoreStore.open(url, hold=hold) as scores:
        verdicts = await scores.between(period.start, period.end)
    async with AgentDayStore.open(url, hold=hold) as agent_days:
        days = await agent_days.between(*report_days(period))
    return Records(
        found, requested, rated, list(points.values()), wrap_ups, answers, verdicts, days
    )


async def report_for(
    settings: Settings,
    period: Period,
    *,
    made_at: datetime,
    hold: Hold = no_hold,
    migrated: bool = False,
) -> Report:
    """Read the period from the settings' database and make the report: what ``acd report``
    and the scheduled runs both do.  Every configured line and line code has its rows."""
    records = await load_records(
        settings.storage.url,
        period,
        configured_points=settings.escalation_point_models(),
        hold=hold,
        migrated=migrated,
    )
    return make_report(
        period,
        records,
        made_at=made_at,
        short_abandon_s=settings.engine.short_abandon_s,
        groups=[(line.id, code) for line in settings.lines for code in line.line_codes],
    )
