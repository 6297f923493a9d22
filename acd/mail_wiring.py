"""What the engine sends by mail, as the composition root (:mod:`acd.app`) starts it: the
escalation mail outbox with its sender (SMTP, CRM webhook), and the scheduled reports of
acd.yaml, whose mails go out through the same outbox.  Both off without their section."""

from __future__ import annotations

from contextlib import AsyncExitStack
from datetime import datetime

from acd.reports.load import report_for
from acd.reports.period import Period
from acd.reports.runs import ReportRunStore
from acd.reports.schedule import schedules_of
from acd.reports.scheduler import REPORT_MAIL, ReportScheduler
from acd.reports.tables import Report
from acd.settings import Settings
from escalations.mail import (
    CrmTransport,
    MailMetrics,
    MailOutboxStore,
    MailSender,
    Outbox,
    SmtpTransport,
    Transport,
    Via,
)
from escalations.mail import migrate as migrate_mail
from foundation.clock import Clock
from sla.metrics import EngineMetrics


async def mail_outbox(
    stack: AsyncExitStack, settings: Settings, clock: Clock, metrics: EngineMetrics
) -> Outbox | None:
    """The escalation mail outbox with its sender started (stopped by ``stack``), or None
    without a mail section.  Mails a previous run left waiting or half sent go out again."""
    mail = settings.mail
    if mail is None:
        return None
    url = settings.storage.url
    await migrate_mail(url, hold=clock.hold)
    store = await stack.enter_async_context(MailOutboxStore.open(url, hold=clock.hold))
    transports: dict[Via, Transport] = {}
    smtp, crm = mail.smtp_config(), mail.crm_config()
    if smtp is not None:
        transports[Via.EMAIL] = SmtpTransport(smtp)
    if crm is not None:
        transports[Via.CRM] = CrmTransport(crm)
    mail_metrics = MailMetrics(metrics.registry)  # one /metrics for all
    sender = MailSender(
        store,
        transports,
        clock,
        rules=mail.retry_rules(),
        metrics=mail_metrics,
        on_delivered=lambda sent: (
            None
            if sent.point_id == REPORT_MAIL  # a scheduled report, not an escalation
            else metrics.escalation(sent.line_code, sent.point_id, "email", "delivered")
        ),
    )
    await sender.start()
    stack.push_async_callback(sender.stop)
    return Outbox(store, sender.channels, notify=sender.wake, metrics=mail_metrics)


async def report_scheduler(
    stack: AsyncExitStack, settings: Settings, clock: Clock, outbox: Outbox | None
) -> None:
    """The scheduled reports of acd.yaml (none without a reports section), on the engine's
    clock; their mails go through the escalation mail outbox."""
    schedules = schedules_of(settings)
    if not schedules:
        return
    runs = await stack.enter_async_context(
        ReportRunStore.open(settings.storage.url, hold=clock.hold)
    )

    async def make(period: Period, now: datetime) -> Report:
        # The engine migrated the database at start (before this scheduler ran).
        return await report_for(settings, period, made_at=now, hold=clock.hold, migrated=True)

    async def queue_mail(key: str, address: str, subject: str, body: str) -> None:
        assert outbox is not None  # the settings refuse mail_to without a mail section
        await outbox.store.enqueue(
            key,
            point_id=REPORT_MAIL,
            via=Via.EMAIL,
            address=address,
            subject=subject,
            body=body,
            contact_id="",
            agent_id="",
            now=clock.now(),
        )
        outbox.notify()

    scheduler = ReportScheduler(
        schedules, runs, make, clock, queue_mail=queue_mail if outbox is not None else None
    )
    await scheduler.start()
    stack.push_async_callback(scheduler.stop)
