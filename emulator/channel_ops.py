"""The per-channel REST operations an application performs on a channel it controls.

Status codes follow ``res/ari/resource_channels.c``: 404 unknown channel, 409 not in Stasis,
412 for media and state operations on an unanswered outbound leg (Down/Ringing).  Ring, MOH,
hold and silence change only the media a phone hears and produce no events
(``moh.jsonl``, ``continue.jsonl``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from emulator import causes
from emulator.errors import AriHttpError, bad_request, not_found
from emulator.model import Channel, ChannelKind

if TYPE_CHECKING:
    from emulator.pbx import Pbx

_SNOOP_DIRECTIONS = frozenset({"none", "both", "out", "in"})
_CALLERID_FUNCTIONS = {"CALLERID(num)": "number", "CALLERID(name)": "name"}


class ChannelOps:
    def __init__(self, pbx: Pbx) -> None:
        self.pbx = pbx

    def hangup(self, channel_id: str, reason: str | None) -> None:
        chan = self.pbx.channel(channel_id)
        cause = causes.HANGUP_REASONS.get(reason or "normal")
        if cause is None:
            raise bad_request("Invalid reason for hangup provided")
        self.pbx.lifecycle.app_hangup(chan, cause)

    def answer(self, channel_id: str) -> None:
        chan = self.pbx.controlled_answerable(channel_id)
        if chan.state == "Up":
            return
        self.pbx.lifecycle.mark_answered(chan)
        self.pbx.lifecycle.set_state(chan, "Up")
        self.pbx.phones.answered(chan)

    def ring(self, channel_id: str, on: bool) -> None:
        self.pbx.controlled_answerable(channel_id).ringing_indicated = on

    def moh(self, channel_id: str, moh_class: str | None) -> None:
        """Start (a class name, default ``default``) or stop (``None`` via ``stop_moh``)."""
        self.pbx.controlled_answerable(channel_id).moh_class = moh_class or "default"

    def stop_moh(self, channel_id: str) -> None:
        self.pbx.controlled_answerable(channel_id).moh_class = None

    def hold(self, channel_id: str, on: bool) -> None:
        self.pbx.controlled_answerable(channel_id).on_hold = on

    def silence(self, channel_id: str, on: bool) -> None:
        self.pbx.controlled_answerable(channel_id).silenced = on

    def send_dtmf(self, channel_id: str, dtmf: str | None) -> None:
        """DTMF *to* the phone: nothing the application would see."""
        self.pbx.controlled_answerable(channel_id)
        if not dtmf:
            raise bad_request("DTMF is required")

    def get_variable(self, channel_id: str, name: str | None) -> str:
        if not name:
            raise bad_request("Variable name is required")
        chan = self.pbx.channels.get(channel_id)
        if chan is None:
            raise not_found("Provided channel was not found")
        if name in _CALLERID_FUNCTIONS:
            return getattr(chan.caller, _CALLERID_FUNCTIONS[name])  # type: ignore[no-any-return]
        if name.endswith(")"):
            raise AriHttpError(500, "Unable to read provided function")
        if name not in chan.variables:
            raise not_found("Provided variable was not found")
        return chan.variables[name]

    def set_variable(self, channel_id: str, name: str | None, value: str | None) -> None:
        if not name:
            raise bad_request("Variable name is required")
        chan = self.pbx.controlled(channel_id)
        self.pbx.lifecycle.set_variable(chan, name, value or "")

    def continue_in_dialplan(
        self, channel_id: str, context: str | None, extension: str | None, priority: int | None
    ) -> None:
        """Leave Stasis at once; the dialplan then decides the channel's fate."""
        chan = self.pbx.controlled_answerable(channel_id)
        if context:
            target_context, target_exten = context, extension or "s"
        else:
            target_context, target_exten = chan.context, extension or chan.exten
        same_place = not context and not extension
        self.pbx.lifecycle.leave_stasis(chan)
        chan.priority = chan.priority + 1 if same_place and priority is None else priority or 1
        chan.context, chan.exten = target_context, target_exten
        self.pbx.later(0, lambda: self._run_dialplan(chan, same_place), owner=chan)

    def _run_dialplan(self, chan: Channel, same_place: bool) -> None:
        """The little dialplan behind the emulator: Stasis numbers and rejecting extensions."""
        config = self.pbx.config
        lifecycle = self.pbx.lifecycle
        target = config.dialplan.get(chan.exten)
        stasis = not same_place and chan.context == config.inbound_context and target is not None
        if stasis and target is not None and lifecycle.enter_stasis(chan, target.app, target.args):
            return
        application = config.local_targets.get(chan.context, {}).get(chan.exten)
        cause = {"Busy": causes.BUSY, "Congestion": causes.CONGESTION}.get(
            application or "", causes.NORMAL
        )
        lifecycle.silent_hangup(chan, cause)

    def snoop(
        self,
        channel_id: str,
        snoop_id: str | None,
        spy: str | None,
        whisper: str | None,
        app: str | None,
        app_args: str | None,
    ) -> Channel:
        spy, whisper = spy or "none", whisper or "none"
        if spy not in _SNOOP_DIRECTIONS:
            raise bad_request("Invalid direction specified for spy")
        if whisper not in _SNOOP_DIRECTIONS:
            raise bad_request("Invalid direction specified for whisper")
        if spy == "none" and whisper == "none":
            raise bad_request("Direction must be specified for at least spy or whisper")
        if not app:
            raise bad_request("Application name is required")
        target = self.pbx.channels.get(channel_id)
        if target is None:
            raise not_found("Provided channel was not found")
        if snoop_id and snoop_id in self.pbx.channels:
            raise AriHttpError(500, "Snoop channel could not be created")
        counter = self.pbx.next_name_counter("Snoop")
        snoop = self.pbx.lifecycle.new_channel(
            kind=ChannelKind.SNOOP,
            technology="Snoop",
            resource=target.id,
            state="Up",
            context="default",
            exten="s",
            channel_id=snoop_id,
            name=f"Snoop/{target.id}-{counter:08x}",
        )
        snoop.snoop_target_id = target.id
        target.snoop_ids.append(snoop.id)
        snoop.answered_at = self.pbx.now()
        target.audiohooked = True
        self.pbx.bridging.retune_for(target)
        args = tuple(app_args.split(",")) if app_args else ()
        self.pbx.later(0.0005, lambda: self._snoop_enters(snoop, app, args), owner=snoop)
        return snoop

    def _snoop_enters(self, snoop: Channel, app: str, args: tuple[str, ...]) -> None:
        if not self.pbx.lifecycle.enter_stasis(snoop, app, args):
            self.pbx.lifecycle.silent_hangup(snoop, causes.NORMAL)
