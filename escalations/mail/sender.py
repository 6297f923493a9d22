"""The sender: takes due mails from the outbox and delivers them, retrying with backoff.

At least once, never lost: each attempt claims its mail in SQL first (until now + the claim
time) and records the result after; a crash between the two leaves the mail ``sending`` with a
claim that runs out, after which any sender (this one after a restart) sends it again.  So a
crash just after the server accepted a mail sends it twice; the Message-ID / Idempotency-Key
(the mail's id) lets the receiver see that.  Mails go one at a time, oldest due first.

Timing follows the injected :class:`foundation.clock.Clock`: on a virtual clock (tests, the
demo) retries minutes apart take no real time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from datetime import timedelta

from escalations.mail.metrics import MailMetrics
from escalations.mail.model import Mail, Via
from escalations.mail.retry import RetryRules
from escalations.mail.store import DEFAULT_DUE_LIMIT, MailOutboxStore
from escalations.mail.transports import DeliveryFailed, Transport
from foundation.clock import Clock

log = logging.getLogger(__name__)

# With nothing due, look again this often anyway: another node may have stored a mail.
IDLE_CHECK = timedelta(seconds=60)


class MailSender:
    def __init__(
        self,
        store: MailOutboxStore,
        transports: Mapping[Via, Transport],
        clock: Clock,
        *,
        rules: RetryRules | None = None,
        metrics: MailMetrics | None = None,
        batch: int = DEFAULT_DUE_LIMIT,
        on_delivered: Callable[[Mail], None] = lambda mail: None,
    ) -> None:
        """``on_delivered(mail)`` hears of each mail delivered (the engine's escalation
        metrics count it by line code and point)."""
        self._store = store
        self._transports = dict(transports)
        self._clock = clock
        self._rules = rules or RetryRules()
        self._metrics = metrics
        self._on_delivered = on_delivered
        self._batch = batch
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def channels(self) -> frozenset[Via]:
        """The channels this sender can deliver through."""
        return frozenset(self._transports)

    def wake(self) -> None:
        """A mail was stored: look now instead of at the next planned time."""
        self._wake.set()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="escalation-mail-sender")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for transport in self._transports.values():
            await transport.close()

    async def _run(self) -> None:
        while True:
            # Cleared before looking, so a mail stored while we send is not left waiting.
            self._wake.clear()
            try:
                await self.send_due()
                wait = await self._until_next()
            except Exception:
                log.exception("escalation mail sender failed; trying again later")
                wait = self._rules.first
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(max(wait.total_seconds(), 0.0)):
                    await self._wake.wait()

    async def send_due(self) -> int:
        """Try every mail due now (claimed one by one); how many attempts were made."""
        attempted = 0
        while True:
            now = self._clock.now()
            due = await self._store.due(now, limit=self._batch)
            for mail in due:
                claimed = await self._store.claim(mail.id, now, now + self._rules.claim)
                if claimed is None:
                    continue  # another sender took it, or it was finished meanwhile
                await self._attempt(claimed)
                attempted += 1
            if len(due) < self._batch:
                break
        if self._metrics is not None:
            self._metrics.set_waiting(await self._store.count_waiting())
        return attempted

    async def _until_next(self) -> timedelta:
        next_at = await self._store.next_due_at()
        if next_at is None:
            return IDLE_CHECK
        return min(IDLE_CHECK, max(next_at - self._clock.now(), timedelta(0)))

    async def _attempt(self, mail: Mail) -> None:
        transport = self._transports.get(mail.via)
        try:
            if transport is None:
                raise DeliveryFailed(
                    f"no {mail.via.value} delivery is configured (acd.yaml mail.{_section(mail)})",
                    permanent=False,
                )
            # Well inside the claim, so no other sender takes the mail up while this try runs.
            async with asyncio.timeout(self._rules.claim.total_seconds() * 0.75):
                await transport.send(mail)
        except TimeoutError:
            await self._failed(mail, DeliveryFailed("no answer in time", permanent=False))
        except DeliveryFailed as failure:
            await self._failed(mail, failure)
        else:
            done = await self._store.delivered(mail, self._clock.now())
            if done is not None:
                log.info("escalation mail %s to %s delivered", mail.id, mail.point_id)
                if self._metrics is not None:
                    self._metrics.delivered(mail.via)
                self._on_delivered(done)

    async def _failed(self, mail: Mail, failure: DeliveryFailed) -> None:
        now = self._clock.now()
        retry_at = None if failure.permanent else now + self._rules.delay(mail.attempts)
        await self._store.failed(mail, now, failure.reason, retry_at=retry_at)
        if retry_at is None:
            log.error("escalation mail %s to %s given up: %s", mail.id, mail.point_id, failure)
        else:
            log.warning(
                "escalation mail %s to %s not delivered (try %d): %s; again at %s",
                mail.id,
                mail.point_id,
                mail.attempts,
                failure,
                retry_at.isoformat(),
            )
        if self._metrics is not None:
            self._metrics.attempt_failed(mail.via, given_up=retry_at is None)


def _section(mail: Mail) -> str:
    return "smtp" if mail.via is Via.EMAIL else "crm"
