"""The pool of kept bridges against a model of what Asterisk holds: whatever the order of calls
ending, legs leaving and reconnections, no bridge is handed to a call while another call has
it or a channel of an earlier call may still be in it, and no more than ``capacity`` are kept."""

from __future__ import annotations

import itertools

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from acd.engine import commands as cmd
from acd.engine.bridges import BridgePool

CAPACITY = 3


class PoolMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.pool = BridgePool(CAPACITY)
        self.contacts = itertools.count()
        self.in_use: set[str] = set()  # handed to a call, not given back
        self.occupants: dict[str, set[str]] = {}  # what Asterisk has in each live bridge
        self.destroyed: set[str] = set()
        self.channels = itertools.count()

    def _run(self, out: list[cmd.Command]) -> None:
        for c in out:
            if isinstance(c, cmd.CreateBridge):
                assert c.bridge_id not in self.occupants
                self.occupants[c.bridge_id] = set()
            elif isinstance(c, cmd.DestroyBridge):
                self.destroyed.add(c.bridge_id)
                self.occupants.pop(c.bridge_id, None)

    @rule()
    def take(self) -> None:
        out: list[cmd.Command] = []
        bridge = self.pool.take(f"ct-{next(self.contacts)}", out)
        self._run(out)
        assert bridge not in self.in_use, "a bridge given to two calls"
        assert bridge not in self.destroyed
        assert not self.occupants[bridge], f"{bridge} still holds {self.occupants[bridge]}"
        self.in_use.add(bridge)
        # The call: caller and agent in it.
        self.occupants[bridge] = {f"ch-{next(self.channels)}", f"ch-{next(self.channels)}"}

    @precondition(lambda self: self.in_use)
    @rule(data=st.data(), first_gone=st.booleans())
    def call_ends(self, data: st.DataObject, first_gone: bool) -> None:
        """One party hangs up (gone at once), the engine hangs up the other (still in it)."""
        bridge = data.draw(st.sampled_from(sorted(self.in_use)))
        self.in_use.discard(bridge)
        gone, other = sorted(self.occupants[bridge])
        if not first_gone:
            gone, other = other, gone
        self.occupants[bridge].discard(gone)
        self.pool.channel_gone(gone)
        out: list[cmd.Command] = []
        self.pool.give_back(bridge, (other,), out)
        self._run(out)

    @precondition(lambda self: any(self.occupants.values()))
    @rule(data=st.data(), seen=st.booleans())
    def leg_leaves(self, data: st.DataObject, seen: bool) -> None:
        """Asterisk ends a hung-up leg; the engine hears it, or not (a lost connection)."""
        leaving = [
            (b, ch) for b, chans in self.occupants.items() if b not in self.in_use for ch in chans
        ]
        if not leaving:
            return
        bridge, channel = data.draw(st.sampled_from(sorted(leaving)))
        self.occupants[bridge].discard(channel)
        if seen:
            self.pool.channel_gone(channel)

    @rule(asterisk_restarted=st.booleans())
    def reconnect(self, asterisk_restarted: bool) -> None:
        if asterisk_restarted:
            self.occupants.clear()
            self.in_use.clear()  # those calls are gone with it
        live = {ch for chans in self.occupants.values() for ch in chans}
        self.pool.resynced(live, set(self.occupants))

    @invariant()
    def keeps_at_most_capacity(self) -> None:
        assert len(self.pool.idle) + len(self.pool.draining) <= CAPACITY

    @invariant()
    def an_idle_bridge_is_empty_and_nobodys(self) -> None:
        for bridge in self.pool.idle:
            assert bridge in self.occupants
            assert not self.occupants[bridge]
            assert bridge not in self.in_use


TestBridgePool = PoolMachine.TestCase
