"""The mixing bridges of contacts, kept for the next call rather than destroyed and made again.

A call used to cost a ``POST /bridges`` and a ``DELETE /bridges/{id}``: two of its eight ARI
requests, and for Asterisk a bridge's whole life (its technology, its Stasis topic, the
``BridgeCreated`` and ``BridgeDestroyed`` sent to every subscriber).  A bridge whose call ended
cleanly is empty once both parties' channels have left it, and mixes the next caller and agent
just as a new one would.

Only a bridge that held nothing but the contact's caller and agent comes back: a recorded one
(Asterisk's recorder channel sits in it), one a supervisor barged into or an escalation point
joined, and one a caller stays in (the survey) are destroyed, as before.  A bridge comes back
*draining*: it waits for the channel the engine has just hung up (still in it until Asterisk
ends it) and is taken again only once ARI said that channel is gone.  A bridge is never given to
a new contact while anything of an earlier call may be in it: the ids of the channels it waits
for are its only state, and a resynchronisation after a lost connection clears those ARI no
longer has.

At most ``capacity`` bridges are kept (idle and draining): the number of agents, as no more
calls than agents can be bridged at once.  Past that, and for a bridge found gone, the
``DestroyBridge`` of before.  After a restart the empty bridges of ours that no contact claims
are kept the same way (:meth:`adopt`).
"""

from __future__ import annotations

from collections.abc import Iterable

from acd.engine import commands as cmd
from acd.engine import legs


class BridgePool:
    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._idle: list[str] = []  # the last one back is taken first (its memory is warm)
        self._draining: dict[str, set[str]] = {}  # bridge -> channels that may still be in it
        self._bridge_of: dict[str, str] = {}  # a draining channel -> its bridge

    def take(self, contact_id: str, out: list[cmd.Command]) -> str:
        """A bridge for ``contact_id``'s call: an idle one, else a new one made now."""
        if self._idle:
            return self._idle.pop()
        bridge_id = legs.bridge_id(contact_id)
        out.append(cmd.CreateBridge(bridge_id))
        return bridge_id

    def give_back(self, bridge_id: str, leaving: Iterable[str], out: list[cmd.Command]) -> None:
        """The call in ``bridge_id`` is over and only ``leaving`` (channels being hung up) may
        still be in it: kept for another call once they are gone, else destroyed."""
        if len(self._idle) + len(self._draining) >= self.capacity:
            out.append(cmd.DestroyBridge(bridge_id))
            return
        waiting = set(leaving)
        if not waiting:
            self._idle.append(bridge_id)
            return
        self._draining[bridge_id] = waiting
        for channel_id in waiting:
            self._bridge_of[channel_id] = bridge_id

    def channel_gone(self, channel_id: str) -> None:
        bridge_id = self._bridge_of.pop(channel_id, None)
        if bridge_id is None:
            return
        waiting = self._draining[bridge_id]
        waiting.discard(channel_id)
        if not waiting:
            del self._draining[bridge_id]
            self._idle.append(bridge_id)

    def resynced(self, live_channels: set[str], live_bridges: set[str]) -> None:
        """After a (re)connection: a channel ARI no longer has left its bridge while no one
        listened, and a bridge ARI no longer has (Asterisk restarted) is no one's to take."""
        for channel_id in [c for c in self._bridge_of if c not in live_channels]:
            self.channel_gone(channel_id)
        self._idle = [b for b in self._idle if b in live_bridges]
        for bridge_id in [b for b in self._draining if b not in live_bridges]:
            for channel_id in self._draining.pop(bridge_id):
                self._bridge_of.pop(channel_id, None)

    def adopt(self, bridge_ids: Iterable[str], out: list[cmd.Command]) -> None:
        """Empty bridges of ours that an earlier run left, that no contact claims and that
        this pool does not hold already."""
        for bridge_id in bridge_ids:
            self.give_back(bridge_id, (), out)

    def forget(self, bridge_id: str) -> None:
        """A bridge Asterisk no longer has (it answered 404 for it)."""
        if bridge_id in self._idle:
            self._idle.remove(bridge_id)
        for channel_id in self._draining.pop(bridge_id, ()):
            self._bridge_of.pop(channel_id, None)

    def holds(self, bridge_id: str) -> bool:
        return bridge_id in self._draining or bridge_id in self._idle

    @property
    def idle(self) -> tuple[str, ...]:
        """The bridges ready for a call, the next one taken last."""
        return tuple(self._idle)

    @property
    def draining(self) -> tuple[str, ...]:
        return tuple(self._draining)
