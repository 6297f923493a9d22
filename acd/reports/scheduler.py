"""Runs the scheduled reports inside the engine, on its clock: at each schedule's run time it
makes the due periods' reports, writes them to the folder and/or queues them in the mail
outbox, and then records the period as made (:class:`acd.reports.runs.ReportRunStore`).

Writing comes before recording, and both writes are idempotent (the file's name is the
period's; the outbox keeps one mail per request key), so a crash between the two makes the
same report again at restart without a second file or mail: nothing skipped, nothing
repeated.  Several engine nodes may run schedulers on one database: the conditional record
lets one win; another's same report only rewrites the same file.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path

from acd.reports.period import BRUSSELS, Period
from acd.reports.render_csv import table_csv, write_csv
from acd.reports.render_html import html_text
from acd.reports.render_xlsx import xlsx_bytes
from acd.reports.runs import ReportRunStore
from acd.reports.schedule import Schedule, due_periods, next_run
from acd.reports.tables import Report
from foundation.clock import Clock

log = logging.getLogger(__name__)

MakeReport = Callable[[Period, datetime], Awaitable[Report]]
# (request key, address, subject, body): queue one mail; idempotent by its key.
QueueMail = Callable[[str, str, str, str], Awaitable[None]]
# The outbox's point id of a scheduled report's mail: not an escalation, kept out of their
# metrics.
REPORT_MAIL = "report"
RETRY_AFTER = timedelta(minutes=5)  # after a failed run (database down, folder not writable)
LONGEST_SLEEP = timedelta(hours=1)  # wake up at least hourly, in case the clock was set


def file_stem(schedule: Schedule, period: Period) -> str:
    """``<name>-<first day>-<last day>``: one name per period, so a redo overwrites."""
    first = period.start.astimezone(BRUSSELS).date()
    last = (period.end.astimezone(BRUSSELS) - timedelta(seconds=1)).date()
    return f"{schedule.name}-{first.isoformat()}-{last.isoformat()}"


def write_report(schedule: Schedule, period: Period, report: Report, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    stem = folder / file_stem(schedule, period)
    if schedule.format == "csv":
        return write_csv(report, stem.with_suffix(".csv"))
    path = stem.with_suffix(f".{schedule.format}")
    if schedule.format == "xlsx":
        path.write_bytes(xlsx_bytes(report))
    else:
        path.write_text(html_text(report), encoding="utf-8")
    return [path]


def mail_text(schedule: Schedule, report: Report, files: Sequence[Path]) -> tuple[str, str]:
    """The subject and body of a scheduled report's mail: the outbox carries plain text, so
    the totals go in the body as CSV and the full report's files are named."""
    period = report.period
    first = period.start.astimezone(BRUSSELS).date()
    last = (period.end.astimezone(BRUSSELS) - timedelta(seconds=1)).date()
    subject = f"ACD report {schedule.name}: {first} to {last}"
    lines = [
        f"The scheduled report {schedule.name!r} for {first} to {last} (Europe/Brussels).",
        "",
        "Per line and line code, the whole period:",
        "",
        table_csv(report.table("totals")),
    ]
    if files:
        lines += ["The full report:", *(f"  {path}" for path in files)]
    return subject, "\n".join(lines)


class ReportScheduler:
    def __init__(
        self,
        schedules: Sequence[Schedule],
        runs: ReportRunStore,
        make: MakeReport,
        clock: Clock,
        *,
        queue_mail: QueueMail | None = None,
    ) -> None:
        self._schedules = list(schedules)
        self._runs = runs
        self._make = make
        self._clock = clock
        self._queue_mail = queue_mail
        self._task: asyncio.Task[None] | None = None
        self._failed = False

    async def run_due(self) -> list[tuple[str, Period]]:
        """Make every report due now; the (schedule, period) pairs made."""
        made: list[tuple[str, Period]] = []
        self._failed = False
        for schedule in self._schedules:
            try:
                made += await self._run_schedule(schedule)
            except Exception:  # a bad folder or a database hiccup must not stop the engine
                log.exception("scheduled report %s failed; trying again later", schedule.name)
                self._failed = True
        return made

    async def _run_schedule(self, schedule: Schedule) -> list[tuple[str, Period]]:
        made = []
        last = await self._runs.last_end(schedule.name)
        for period in due_periods(schedule, last, self._clock.now()):
            now = self._clock.now()
            report = await self._make(period, now)
            files = []
            if schedule.folder is not None:
                files = write_report(schedule, period, report, schedule.folder)
            if schedule.mail_to:
                if self._queue_mail is None:
                    raise RuntimeError("mail_to is set but e-mail is not configured")
                subject, body = mail_text(schedule, report, files)
                for address in schedule.mail_to:
                    key = f"report:{schedule.name}:{period.end.isoformat()}:{address}"
                    await self._queue_mail(key, address, subject, body)
            if not await self._runs.advance(schedule.name, last, period.end, now):
                log.info("scheduled report %s: another node recorded it first", schedule.name)
                break
            log.info(
                "scheduled report %s made for %s to %s",
                schedule.name,
                period.start.isoformat(),
                period.end.isoformat(),
            )
            made.append((schedule.name, period))
            last = period.end
        return made

    async def next_wake(self) -> datetime:
        now = self._clock.now()
        wake = now + (RETRY_AFTER if self._failed else LONGEST_SLEEP)
        for schedule in self._schedules:
            upcoming = next_run(schedule, await self._runs.last_end(schedule.name), now)
            if upcoming is not None:
                wake = min(wake, upcoming[0])
        return max(wake, now)

    async def _forever(self) -> None:
        while True:
            await self.run_due()
            try:
                wake = await self.next_wake()
            except Exception:
                log.exception("scheduled reports: cannot read the last runs")
                wake = self._clock.now() + RETRY_AFTER
            # On the engine's clock: virtual in the tests, so no test waits in real time.
            await asyncio.sleep(max(0.0, (wake - self._clock.now()).total_seconds()))

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._forever(), name="report-scheduler")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
