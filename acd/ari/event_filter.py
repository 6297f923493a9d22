"""Asking Asterisk for only the event types the application uses.

A real Asterisk sends an application many events it never reads (62 events, ~38 kB of JSON for
one basic call, 42 of them ``ChannelVarset``, ``ChannelDialplan``, ``ChannelConnectedLine`` or
``DeviceStateChanged``); ``PUT /applications/{app}/eventFilter`` narrows the stream.  The
filter is set on every (re)connection of the events WebSocket, before the resynchronisation,
because an Asterisk restarted in between has forgotten it.

The filter only saves work: an Asterisk without the resource (older than 13.26/16.3), or an
emulator that refuses it, leaves the engine receiving everything, which it copes with.  So a
refusal is logged once and survived, and so is any other failure to set it.

Switched off (``ari.event_filter: false``, for measuring what the filter saves), the engine
clears whatever filter an earlier engine left on the application, so every event arrives.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from acd.ari.client import AriClient
from acd.ari.stream import OnConnected
from foundation.errors import AriBadRequest, AriError, AriNotFound

log = logging.getLogger(__name__)

# What an Asterisk or emulator without the resource answers: no such path, a refused request,
# or "not implemented".
_NOT_IMPLEMENTED = 501


def _unsupported(error: AriError) -> bool:
    return isinstance(error, AriNotFound | AriBadRequest) or error.status == _NOT_IMPLEMENTED


class EventFilter:
    """Sets ``app``'s event filter to ``allowed`` (and clears any disallowed list left by an
    earlier client, which would otherwise still apply); not ``enabled``, clears both lists."""

    def __init__(
        self, ari: AriClient, app: str, allowed: Sequence[str], *, enabled: bool = True
    ) -> None:
        if not allowed:
            raise ValueError("an empty allowed list would let every event through")
        self._ari = ari
        self._app = app
        self.allowed = tuple(allowed)
        self.enabled = enabled
        self.active = False  # whether the filter of the current connection is set
        self._refusal_logged = False

    async def apply(self) -> bool:
        """Set the filter (or clear it when not enabled); True if Asterisk took it.  Never
        raises an ARI error."""
        allowed = self.allowed if self.enabled else ()
        try:
            await self._ari.set_event_filter(self._app, allowed=allowed, disallowed=())
        except AriError as exc:
            self.active = False
            if not _unsupported(exc):
                log.warning("ARI events for %r: event filter not set (%s)", self._app, exc)
            elif not self._refusal_logged:
                self._refusal_logged = True
                log.warning(
                    "ARI events for %r: Asterisk refused the event filter (%s); receiving every "
                    "event type (Asterisk before 13.26/16.3, or an emulator without it)",
                    self._app,
                    exc,
                )
            else:
                log.debug("ARI events for %r: event filter refused again (%s)", self._app, exc)
            return False
        self.active = self.enabled
        log.debug("ARI events for %r: event filter set to %s", self._app, ", ".join(allowed))
        return True

    def before(self, on_connected: OnConnected) -> OnConnected:
        """An ``on_connected`` hook that sets the filter, then runs ``on_connected`` (the
        resynchronisation), so events after the resync are already the filtered ones."""

        async def hook(first: bool) -> None:
            await self.apply()
            await on_connected(first)

        return hook
