"""Mixing and holding bridges as ARI shows them.

Recorded facts reproduced here:

- no ``BridgeCreated`` for a bridge the application creates; ``BridgeDestroyed`` on DELETE, but
  only to an application still subscribed to the bridge.  ``addChannel`` subscribes the channel's
  application to the bridge and ``removeChannel`` unsubscribes it again (a reference count), so a
  bridge emptied by ``removeChannel`` dies silently (``moh.jsonl``) while one emptied by hang-ups
  announces its end (``bridge.jsonl``);
- events carry the bridge as it is *at that moment*: ``technology`` moves from ``simple_bridge``
  to ``native_rtp`` only after the second SIP channel's ``ChannelEnteredBridge``, and back after
  a ``ChannelLeftBridge``; a snooped (audiohooked) channel keeps the bridge ``simple_bridge``;
  three or more parties make it ``softmix`` (``supervisor_whisper_barge.jsonl``);
- when two parties meet in a mixing bridge, by a join or because a third one left, each one's
  connected line becomes the other's caller id (``ChannelConnectedLine`` on both, the later
  joiner first), amid ``BRIDGEPEER``/``BRIDGEPVTCALLID`` rounds (:mod:`~emulator.noise`);
  a third party joining changes no connected line;
- one side hanging up leaves the other in the bridge, ``Up`` and in Stasis.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from emulator.errors import AriHttpError, bad_request, conflict, unprocessable
from emulator.model import Bridge, Channel, Party
from emulator.noise import ROUNDS_ON_AUDIOHOOK, ROUNDS_ON_SWITCH, bridge_members

if TYPE_CHECKING:
    from emulator.pbx import Pbx

_BRIDGE_FLAGS = {"mixing", "holding", "dtmf_events", "proxy_media", "video_sfu", "video_single"}


class Bridging:
    def __init__(self, pbx: Pbx) -> None:
        self.pbx = pbx

    # --- lifecycle -----------------------------------------------------------------------

    def create(self, bridge_id: str | None, bridge_type: str | None, name: str | None) -> Bridge:
        """``POST /bridges``: a new bridge; an existing id is a conflict."""
        if bridge_id and bridge_id in self.pbx.bridges:
            raise conflict("Bridge with the same bridgeId already exists")
        return self._new(bridge_id or self.pbx.new_uuid(), bridge_type, name)

    def create_or_update(self, bridge_id: str, bridge_type: str | None, name: str | None) -> Bridge:
        """``POST /bridges/{id}``: creates, or returns the existing bridge unchanged."""
        existing = self.pbx.bridges.get(bridge_id)
        if existing is None:
            return self._new(bridge_id, bridge_type, name)
        if name and name != existing.name:
            raise AriHttpError(500, "Changing bridge name is not implemented")
        if bridge_type:
            raise AriHttpError(
                500, "Supplying a bridge type when updating a bridge is not allowed."
            )
        return existing

    def _new(self, bridge_id: str, bridge_type: str | None, name: str | None) -> Bridge:
        flags = {f.strip() for f in (bridge_type or "mixing").split(",") if f.strip()}
        if not flags <= _BRIDGE_FLAGS:
            raise AriHttpError(500, "Unable to create bridge")
        holding = "holding" in flags
        bridge = Bridge(
            id=bridge_id,
            bridge_type="holding" if holding else "mixing",
            name=name or "",
            creationtime=self.pbx.timestamp(),
            technology="holding_bridge" if holding else "simple_bridge",
        )
        self.pbx.bridges[bridge_id] = bridge
        return bridge

    def destroy(self, bridge_id: str) -> None:
        bridge = self.pbx.bridge(bridge_id)
        for channel_id in list(bridge.channel_ids):
            self.leave(self.pbx.channels[channel_id])
        self.pbx.media.bridge_gone(bridge)
        bridge.destroyed = True
        del self.pbx.bridges[bridge_id]
        self.pbx.bus.bridge_event(bridge_id, "BridgeDestroyed", {"bridge": bridge.to_json()})
        self.pbx.bus.forget_bridge(bridge_id)

    # --- membership ----------------------------------------------------------------------

    def add_channels(self, bridge_id: str, channel_ids: list[str]) -> None:
        bridge = self.pbx.bridge(bridge_id)
        channels = [self._controlled_member(cid) for cid in self._non_empty(channel_ids)]
        for chan in channels:
            if chan.bridge_id == bridge.id:
                continue
            if chan.bridge_id is not None:
                self._unsubscribe(chan, chan.bridge_id)
                self.leave(chan)
            self._enter(bridge, chan)

    def remove_channels(self, bridge_id: str, channel_ids: list[str]) -> None:
        bridge = self.pbx.bridge(bridge_id)
        channels = [self._controlled_member(cid) for cid in self._non_empty(channel_ids)]
        if any(chan.bridge_id != bridge.id for chan in channels):
            raise unprocessable("Channel not in this bridge")
        for chan in channels:
            self._unsubscribe(chan, bridge.id)
            self.leave(chan)

    def leave(self, chan: Channel) -> None:
        """Take ``chan`` out of its bridge (hang-up, removeChannel, move, bridge destroyed)."""
        bridge = self.pbx.bridges.get(chan.bridge_id or "")
        if bridge is None:
            chan.bridge_id = None
            return
        self.pbx.noise.clear_peer(chan)
        bridge.channel_ids.remove(chan.id)
        chan.bridge_id = None
        self._membership(bridge, chan, "ChannelLeftBridge")
        self._changed(bridge, self._retune(bridge))
        self.pbx.phones.bridge_changed(bridge)

    def peers(self, chan: Channel) -> list[Channel]:
        return [self.pbx.channels[c] for c in self.pbx.bridged_with(chan.id)]

    def retune_for(self, chan: Channel) -> None:
        """Re-evaluate the technology of ``chan``'s bridge (after a snoop attaches)."""
        bridge = self.pbx.bridges.get(chan.bridge_id or "")
        if bridge is not None and self._retune(bridge) and len(bridge.channel_ids) > 1:
            for n in range(ROUNDS_ON_AUDIOHOOK):
                self.pbx.noise.peer_round(bridge, first=n == 0)

    def recorder_joined(self, bridge_id: str, joined: bool) -> None:
        """A bridge recording starts or stops: Asterisk's recorder channel is a party too
        (``record.jsonl``: ``BRIDGEPEER`` names ``Recorder/ARI-...;2``)."""
        bridge = self.pbx.bridges.get(bridge_id)
        if bridge is None or bridge.bridge_type != "mixing":
            return
        if joined:
            counter = self.pbx.next_name_counter("Recorder")
            bridge.internal.append(f"Recorder/ARI-{counter:08x};2")
        elif bridge.internal:
            bridge.internal.pop(0)
        self._changed(bridge, switched=True)

    # --- music on hold -------------------------------------------------------------------

    def start_moh(self, bridge_id: str, moh_class: str | None) -> None:
        self.pbx.bridge(bridge_id).moh_class = moh_class or "default"

    def stop_moh(self, bridge_id: str) -> None:
        bridge = self.pbx.bridge(bridge_id)
        if bridge.moh_class is None:
            raise conflict("Bridge isn't playing music")
        bridge.moh_class = None

    # --- internals -----------------------------------------------------------------------

    @staticmethod
    def _non_empty(channel_ids: list[str]) -> list[str]:
        ids = [c for c in channel_ids if c]
        if not ids:
            raise bad_request("Missing parameter channel")
        return ids

    def _controlled_member(self, channel_id: str) -> Channel:
        """Bridges answer 400/422 where channels answer 404/409 (``find_channel_control``)."""
        chan = self.pbx.channels.get(channel_id)
        if chan is None:
            raise bad_request("Channel not found")
        if chan.stasis_app is None:
            raise unprocessable("Channel not in Stasis application")
        return chan

    def _enter(self, bridge: Bridge, chan: Channel) -> None:
        if chan.stasis_app is not None:
            self.pbx.bus.subscribe_bridge(chan.stasis_app, bridge.id)
        bridge.channel_ids.append(chan.id)
        chan.bridge_id = bridge.id
        self._membership(bridge, chan, "ChannelEnteredBridge")
        self._changed(bridge, self._retune(bridge))
        record = self.pbx.history.get(chan.id)
        for peer in self.peers(chan):
            if record is not None and peer.id not in record.bridged_with:
                record.bridged_with.append(peer.id)
            peer_record = self.pbx.history.get(peer.id)
            if peer_record is not None and chan.id not in peer_record.bridged_with:
                peer_record.bridged_with.append(chan.id)
        self.pbx.phones.bridge_changed(bridge)

    def _changed(self, bridge: Bridge, switched: bool) -> None:
        """After a join or a leave: rounds of peer variables; two parties left alone together
        see each other on their connected lines (the newer after the second round)."""
        members = bridge_members(self.pbx, bridge)
        if bridge.bridge_type != "mixing" or len(members) + len(bridge.internal) < 2:
            return
        rounds = ROUNDS_ON_SWITCH if switched else 1
        for n in range(rounds):
            self.pbx.noise.peer_round(bridge, first=n == 0)
            if len(members) == 2 and n == min(1, rounds - 1):
                self._show_connected(members[1], members[0])
            if len(members) == 2 and n == rounds - 1:
                self._show_connected(members[0], members[1])

    def _show_connected(self, party: Channel, other: Channel) -> None:
        wanted = Party(other.caller.name, other.caller.number)
        if party.connected != wanted:
            party.connected = wanted
            self.pbx.lifecycle.publish(party, "ChannelConnectedLine")

    def _membership(self, bridge: Bridge, chan: Channel, event_type: str) -> None:
        self.pbx.bus.membership_event(
            chan.id,
            chan.endpoint_key,
            bridge.id,
            event_type,
            {"bridge": bridge.to_json(), "channel": chan.to_json()},
        )

    def _retune(self, bridge: Bridge) -> bool:
        """Pick the mixing bridge's technology for its members; True if it changed."""
        if bridge.bridge_type != "mixing":
            return False
        members = bridge_members(self.pbx, bridge)
        native = len(members) == 2 and all(c.is_sip and not c.audiohooked for c in members)
        before = bridge.technology
        if len(members) > 2:
            bridge.technology = "softmix"
        else:
            bridge.technology = "native_rtp" if native else "simple_bridge"
        return bridge.technology != before

    def _unsubscribe(self, chan: Channel, bridge_id: str) -> None:
        if chan.stasis_app is not None:
            self.pbx.bus.unsubscribe_bridge(chan.stasis_app, bridge_id)
