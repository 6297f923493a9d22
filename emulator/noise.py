"""The events a real Asterisk sends that an ACD never acts on, at the points it sends them.

On Asterisk 22 a basic caller-to-agent call raised 62 events, 42 of them ``ChannelVarset``,
``ChannelDialplan``, ``ChannelConnectedLine`` and ``DeviceStateChanged``.  They are part of the
contract (an engine must decode and ignore them, and pay for them), so the emulator sends them
as the recordings show (``shared/asterisk/ari-traces``):

- ``BRIDGEPEER``/``BRIDGEPVTCALLID`` in *rounds* over every party of a mixing bridge, newest
  party first, each time its membership changes: ``BRIDGEPEER`` names the other parties (newest
  first, comma-separated), ``BRIDGEPVTCALLID`` the other party's SIP Call-ID while there are
  just two (not set for a peer without one, such as a snoop; cleared once when a third joins).
  Three rounds when the change also switched the bridge technology (``simple_bridge`` ->
  ``native_rtp`` or ``softmix`` and back), one otherwise, two when a snoop's audiohook alone
  switched it.  A party leaving has both variables cleared (those that were set).
- ``RTPAUDIOQOS``, ``...JITTER``, ``...LOSS``, ``...RTT``, ``...MES`` when an answered SIP
  channel hangs up; with exactly one bridge peer, that peer (if SIP) gets ``...BRIDGED`` copies.
  Statistics are zeros (no media is simulated), in Asterisk's exact formatting.
- ``DeviceStateChanged`` for ``PJSIP/<endpoint>`` when the state aggregated over the endpoint's
  channels changes (``NOT_INUSE``, ``RINGING``, ``INUSE``, ``RINGINUSE``), to applications
  subscribed to everything or to ``deviceState:<name>``.  Not recorded (the traces' application
  did not subscribe to devices); the states follow ``ast_state_chan2dev``.

``ChannelDialplan``, ``STASISSTATUS`` and ``ChannelConnectedLine`` are sent where they happen
(:mod:`~emulator.lifecycle`, :mod:`~emulator.bridging`).  Nothing here draws from the PBX's
random generator beyond the one SSRC per hang-up, so seeded runs replay identically.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from emulator.model import Bridge, Channel

if TYPE_CHECKING:
    from emulator.pbx import Pbx

#: The RTCP summary variables chan_pjsip sets on an answered channel as it hangs up.
QOS_VARIABLES = (
    ("RTPAUDIOQOS", "ssrc={ssrc};themssrc=0;lp=0;rxjitter=0.000000;rxcount=0;txjitter=0.000000;"
     "txcount=0;rlp=0;rtt=0.000000;rxmes=0.000000;txmes=0.000000"),
    ("RTPAUDIOQOSJITTER", "minrxjitter=000.000000;maxrxjitter=000.000000;avgrxjitter=000.000000;"
     "stdevrxjitter=000.000000;mintxjitter=000.000000;maxtxjitter=000.000000;"
     "avgtxjitter=000.000000;stdevtxjitter=000.000000;"),
    ("RTPAUDIOQOSLOSS", "  minrxlost=000.000000;  maxrxlost=000.000000;  avgrxlost=000.000000;"
     "  stdevrxlost=000.000000;  mintxlost=000.000000;  maxtxlost=000.000000;"
     "  avgtxlost=000.000000;  stdevtxlost=000.000000;"),
    ("RTPAUDIOQOSRTT", "     minrtt=000.000000;     maxrtt=000.000000;     avgrtt=000.000000;"
     "     stdevrtt=000.000000;"),
    ("RTPAUDIOQOSMES", "   minrxmes=000.000000;   maxrxmes=000.000000;   avgrxmes=000.000000;"
     "   stdevrxmes=000.000000;   mintxmes=000.000000;   maxtxmes=000.000000;"
     "   avgtxmes=000.000000;   stdevtxmes=000.000000;"),
)  # fmt: skip

PEER = "BRIDGEPEER"
PEER_CALL_ID = "BRIDGEPVTCALLID"

#: Rounds of peer variables after a membership change, by whether the technology switched.
ROUNDS_ON_SWITCH = 3
ROUNDS_ON_AUDIOHOOK = 2


class Noise:
    def __init__(self, pbx: Pbx) -> None:
        self.pbx = pbx
        self._device_states: dict[str, str] = {}

    # --- bridge peers ----------------------------------------------------------------------

    def peer_round(self, bridge: Bridge, first: bool) -> None:
        """One round of peer variables over the bridge's parties (internal ones joined last)."""
        members = bridge_members(self.pbx, bridge)
        newest_first = [*bridge.internal[::-1], *(m.name for m in members[::-1])]
        call_ids = {m.name: m.protocol_id for m in members}
        pair = len(newest_first) == 2
        for chan in members[::-1]:
            others = [name for name in newest_first if name != chan.name]
            self.pbx.lifecycle.set_variable(chan, PEER, ",".join(others))
            if pair and call_ids.get(others[0]):
                self.pbx.lifecycle.set_variable(chan, PEER_CALL_ID, call_ids[others[0]])
            elif not pair and first and chan.variables.get(PEER_CALL_ID):
                self.pbx.lifecycle.set_variable(chan, PEER_CALL_ID, "")

    def clear_peer(self, chan: Channel) -> None:
        """A party leaves its bridge (or hangs up in it): the variables it had are cleared."""
        for name in (PEER, PEER_CALL_ID):
            if chan.variables.get(name):
                self.pbx.lifecycle.set_variable(chan, name, "")

    # --- hang-up statistics ----------------------------------------------------------------

    def qos(self, chan: Channel) -> None:
        """chan_pjsip's RTCP summary variables, copied to a lone bridge peer (*BRIDGED)."""
        if not chan.is_sip or chan.answered_at is None:
            return
        ssrc = str(self.pbx.rng.getrandbits(31))
        peers = [self.pbx.channels[c] for c in self.pbx.bridged_with(chan.id)]
        copy_to = peers[0] if len(peers) == 1 and peers[0].is_sip else None
        for name, template in QOS_VARIABLES:
            value = template.format(ssrc=ssrc)
            self.pbx.lifecycle.set_variable(chan, name, value)
            if copy_to is not None:
                self.pbx.lifecycle.set_variable(copy_to, f"{name}BRIDGED", value)

    # --- device states ---------------------------------------------------------------------

    def device_changed(self, chan: Channel) -> None:
        """Re-aggregate the state of ``chan``'s device soon; announce it if it changed.

        Asterisk computes device states on a task processor, so the event follows the channel
        events that caused it; changes within one loop turn collapse into one.
        """
        if not chan.is_sip:
            return
        name = chan.endpoint_key
        if not any(a.subscribe_all or name in a.devices for a in self.pbx.bus.apps.values()):
            return  # nobody listens: skip the scan over all channels
        self.pbx.later(0.0, lambda: self._announce(name))

    def _announce(self, name: str) -> None:
        bus = self.pbx.bus
        state = _aggregate(c.state for c in self.pbx.channels.values() if c.endpoint_key == name)
        if self._device_states.get(name, "NOT_INUSE") == state:
            return
        self._device_states[name] = state
        bus.device_event(name, {"device_state": {"name": name, "state": state}})


def _aggregate(states: Iterable[str]) -> str:
    """chan_pjsip's device state from its channels' states (``ast_state_chan2dev``)."""
    ringing = in_use = False
    for state in states:
        if state in ("Ringing", "Pre-ring"):
            ringing = True
        elif state != "Down":
            in_use = True
    if ringing:
        return "RINGINUSE" if in_use else "RINGING"
    return "INUSE" if in_use else "NOT_INUSE"


def bridge_members(pbx: Pbx, bridge: Bridge) -> list[Channel]:
    return [pbx.channels[c] for c in bridge.channel_ids if c in pbx.channels]
