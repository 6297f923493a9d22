"""The phone side: inbound calls placed by scripted callers, SIP BYE, DTMF key presses.

An inbound call enters its dialplan extension's ``Stasis()`` at once: ``StasisStart`` (state
``Ring``, ``args`` after the application name) is the first event the application sees.  A
number not in the dialplan is refused before any channel exists (chan_pjsip answers 404), and a
``Stasis()`` whose application has no WebSocket fails, so the call ends without an event.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from emulator import causes
from emulator.errors import not_found
from emulator.model import Bridge, CallRecord, Channel, ChannelKind, Party
from emulator.scripts import CallerScript

if TYPE_CHECKING:
    from emulator.pbx import Pbx


class Phones:
    def __init__(self, pbx: Pbx) -> None:
        self.pbx = pbx
        self._patience: dict[str, Any] = {}
        self._calls = 0

    def place_call(
        self,
        number: str,
        caller_number: str,
        caller_name: str,
        script: CallerScript | None,
        endpoint: str | None,
    ) -> str:
        pbx = self.pbx
        config = pbx.config
        target = config.dialplan.get(number)
        self._calls += 1
        if target is None:
            return self._refused(number, caller_number)
        chan = pbx.lifecycle.new_channel(
            kind=ChannelKind.INBOUND,
            technology="PJSIP",
            resource=endpoint or config.caller_endpoint,
            state="Ring",
            context=config.inbound_context,
            exten=number,
            priority=2,
            protocol_id=f"{self._calls}-{pbx.rng.randrange(1000, 99999)}@127.0.0.1",
            caller=Party(caller_name, caller_number),
            app=("Stasis", target.app_data),
        )
        chan.script = script
        if script is not None and script.hangup_after_s is not None:
            pbx.later(script.hangup_after_s, lambda: self._bye(chan), owner=chan)
        if not pbx.lifecycle.enter_stasis(chan, target.app, target.args):
            pbx.lifecycle.silent_hangup(chan, causes.NORMAL)
        return chan.id

    def _refused(self, number: str, caller_number: str) -> str:
        pbx = self.pbx
        record = CallRecord(
            id=pbx.new_unique_id(),
            name="",
            kind=ChannelKind.INBOUND.value,
            exten=number,
            caller_number=caller_number,
            created_at=pbx.now(),
            ended_at=pbx.now(),
            cause=causes.UNALLOCATED,
            rejected=True,
        )
        pbx.remember(record)
        return record.id

    def hangup(self, channel_id: str, cause: int | None) -> None:
        chan = self.pbx.channels.get(channel_id)
        if chan is None:
            raise not_found("Channel not found")
        self.pbx.lifecycle.phone_hangup(chan, cause)

    def send_dtmf(self, channel_id: str, digits: str, duration_ms: int, gap_s: float) -> None:
        chan = self.pbx.channels.get(channel_id)
        if chan is None:
            raise not_found("Channel not found")
        for i, digit in enumerate(digits):
            delay = i * gap_s + duration_ms / 1000
            self.pbx.later(delay, partial(self._digit, chan, digit, duration_ms), owner=chan)

    def _digit(self, chan: Channel, digit: str, duration_ms: int) -> None:
        # The event comes when the digit ends; media flows only once the call is answered.
        if chan.state == "Up" and not chan.hanging_up:
            self.pbx.lifecycle.publish(
                chan, "ChannelDtmfReceived", digit=digit, duration_ms=duration_ms
            )

    def _bye(self, chan: Channel) -> None:
        self.pbx.lifecycle.phone_hangup(chan)

    # --- hooks from the rest of the PBX -------------------------------------------------

    def answered(self, chan: Channel) -> None:
        script = chan.script
        if script is None:
            return
        for press in script.dtmf:
            delay = press.at_s + press.duration_ms / 1000
            action = partial(self._digit, chan, press.digit, press.duration_ms)
            self.pbx.later(delay, action, owner=chan)
        if script.patience_s is not None and not chan.talk_started:
            self._patience[chan.id] = self.pbx.later(
                script.patience_s, lambda: self._bye(chan), owner=chan
            )

    def playback_done(self, chan: Channel, media: list[str]) -> None:
        """A playback to this channel played out: a caller who answers surveys keys the score
        of the question just asked, or hangs up half-way."""
        survey = chan.script.survey if chan.script is not None else None
        keys = survey.keys_for(media) if survey is not None else None
        if survey is None or keys is None or chan.hanging_up:
            return
        if not keys:
            self.pbx.later(survey.answer_after_s, lambda: self._bye(chan), owner=chan)
            return
        for i, digit in enumerate(keys):
            # One key after the other, 0.6 s apart (the 0 of a 10 well inside the engine's
            # digit timeout), the event at the end of each press.
            delay = survey.answer_after_s + i * 0.6 + 0.28
            self.pbx.later(delay, partial(self._digit, chan, digit, 280), owner=chan)

    def bridge_changed(self, bridge: Bridge) -> None:
        """Start the talk timer of scripted callers who now share a mixing bridge with someone."""
        if bridge.bridge_type != "mixing" or len(bridge.channel_ids) < 2:
            return
        for channel_id in bridge.channel_ids:
            chan = self.pbx.channels.get(channel_id)
            if chan is None or chan.script is None or chan.talk_started:
                continue
            chan.talk_started = True
            patience = self._patience.pop(chan.id, None)
            if patience is not None:
                patience.cancel()
            if chan.script.talk_s is not None:
                self.pbx.later(chan.script.talk_s, partial(self._bye, chan), owner=chan)

    def channel_gone(self, chan: Channel) -> None:
        self._patience.pop(chan.id, None)
