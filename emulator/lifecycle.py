"""Channel birth, Stasis entry and exit, and the hang-up sequences Asterisk 22 produces.

The sequences are the recorded ones (``shared/asterisk/README.md``, "Hangups and cause codes"):

- app hang-up (``DELETE /channels/{id}``): ChannelHangupRequest ``cause 32 soft``, then the tail;
- phone hang-up (SIP BYE): ChannelHangupRequest without a cause, then the tail;
- the tail: playbacks on the channel fail, ChannelLeftBridge, StasisEnd, STASISSTATUS, the
  outbound ``Dial`` result if it never answered, and ChannelDestroyed - delivered only to
  applications still subscribed, which is why a dialplan channel gets none after StasisEnd.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from emulator import causes
from emulator.errors import conflict
from emulator.model import CallRecord, Channel, ChannelKind, Party

if TYPE_CHECKING:
    from emulator.pbx import Pbx


class Lifecycle:
    def __init__(self, pbx: Pbx) -> None:
        self.pbx = pbx

    # --- birth ---------------------------------------------------------------------------

    def new_channel(
        self,
        *,
        kind: ChannelKind,
        technology: str,
        resource: str,
        state: str,
        context: str,
        exten: str,
        priority: int = 1,
        channel_id: str | None = None,
        name: str | None = None,
        protocol_id: str = "",
        caller: Party | None = None,
        app: tuple[str, str] = ("", ""),
    ) -> Channel:
        pbx = self.pbx
        unique = pbx.new_unique_id()
        cid = channel_id or unique
        if cid in pbx.channels:
            raise conflict("Channel with given unique ID already exists")
        if name is None:
            name = f"{technology}/{resource}-{pbx.next_name_counter(technology):08x}"
        chan = Channel(
            id=cid,
            name=name,
            kind=kind,
            technology=technology,
            resource=resource,
            state=state,
            protocol_id=protocol_id,
            creationtime=pbx.timestamp(),
            context=context,
            exten=exten,
            priority=priority,
            caller=caller or Party(),
            created_at=pbx.now(),
        )
        pbx.channels[cid] = chan
        pbx.remember(CallRecord.of(chan))
        self.endpoint_changed(chan)
        # Only applications subscribed to the endpoint (or to everything) see these: the
        # channel itself is subscribed after it exists.
        self.publish(chan, "ChannelCreated")
        if app[0]:
            chan.app_name, chan.app_data = app
            self.publish_dialplan(chan)
        return chan

    # --- publishing helpers ----------------------------------------------------------------

    def publish(self, chan: Channel, event_type: str, **fields: Any) -> None:
        self.pbx.bus.channel_event(
            chan.id, chan.endpoint_key, event_type, {**fields, "channel": chan.to_json()}
        )

    def publish_dialplan(self, chan: Channel) -> None:
        self.publish(
            chan, "ChannelDialplan", dialplan_app=chan.app_name, dialplan_app_data=chan.app_data
        )

    def set_variable(self, chan: Channel, name: str, value: str) -> None:
        chan.variables[name] = value
        self.pbx.bus.channel_event(
            chan.id,
            chan.endpoint_key,
            "ChannelVarset",
            {"variable": name, "value": value, "channel": chan.to_json()},
        )

    def mark_answered(self, chan: Channel) -> None:
        chan.answered_at = self.pbx.now()
        record = self.pbx.history.get(chan.id)
        if record is not None:
            record.answered_at = chan.answered_at

    def set_state(self, chan: Channel, state: str) -> None:
        if chan.state != state:
            chan.state = state
            self.publish(chan, "ChannelStateChange")
            self.pbx.noise.device_changed(chan)

    def endpoint_changed(self, chan: Channel) -> None:
        self.pbx.noise.device_changed(chan)
        spec = self.pbx.endpoints.get(chan.endpoint_key)
        apps = self.pbx.bus.apps.values()
        if spec is None or not any(a.subscribe_all or a.sees_endpoint(spec.key) for a in apps):
            return  # nobody listens: skip the scan over all channels
        ids = [c.id for c in self.pbx.channels.values() if c.endpoint_key == spec.key]
        state = "online" if spec.online else "offline"
        endpoint = {
            "technology": spec.technology,
            "resource": spec.resource,
            "state": state,
            "channel_ids": ids,
        }
        self.pbx.bus.endpoint_event(spec.key, "EndpointStateChange", {"endpoint": endpoint})

    # --- Stasis --------------------------------------------------------------------------

    def enter_stasis(self, chan: Channel, app: str, args: tuple[str, ...]) -> bool:
        """Run ``Stasis(app, args)``; fails (False) when no WebSocket serves ``app``."""
        if not self.pbx.bus.is_active(app):
            chan.variables["STASISSTATUS"] = "FAILED"
            return False
        chan.app_name, chan.app_data = "Stasis", ",".join((app, *args))
        self.set_variable(chan, "STASISSTATUS", "")
        self.pbx.bus.subscribe_channel(app, chan.id, "stasis")
        chan.stasis_app, chan.stasis_args = app, args
        self.pbx.bus.to_app(app, "StasisStart", {"args": list(args), "channel": chan.to_json()})
        return True

    def leave_stasis(self, chan: Channel) -> None:
        app = chan.stasis_app
        if app is None:
            return
        self.pbx.bus.to_app(app, "StasisEnd", {"channel": chan.to_json()})
        chan.stasis_app = None
        self.pbx.bus.unsubscribe_channel(app, chan.id, "stasis")
        self.set_variable(chan, "STASISSTATUS", "SUCCESS")

    # --- hang-ups ------------------------------------------------------------------------

    def app_hangup(self, chan: Channel, cause: int) -> None:
        """``DELETE /channels/{id}``: a soft hang-up requested by the application."""
        if chan.hanging_up:
            return
        self.pbx.noise.qos(chan)
        self.publish(chan, "ChannelHangupRequest", cause=causes.SOFT_HANGUP_EXPLICIT, soft=True)
        self.teardown(chan, cause, dial_status=self._unanswered_dial_status(chan, "NOANSWER"))

    def phone_hangup(self, chan: Channel, cause: int | None = None) -> None:
        """The far end hangs up (SIP BYE): no cause in the request unless the phone gave one."""
        if chan.hanging_up:
            return
        self.pbx.noise.qos(chan)
        fields = {} if cause is None else {"cause": cause}
        self.publish(chan, "ChannelHangupRequest", **fields)
        self.teardown(chan, causes.NORMAL if cause is None else cause, dial_status=None)

    def far_end_failure(self, chan: Channel, cause: int, dial_status: str) -> None:
        """The dialled endpoint refused (486) or never answered (timer B, 408)."""
        if chan.hanging_up:
            return
        fields: dict[str, Any] = {"cause": cause}
        if chan.is_sip and causes.sip_status(cause):
            fields["tech_cause"] = causes.sip_status(cause)
        self.publish(chan, "ChannelHangupRequest", **fields)
        status = dial_status if chan.answered_at is None else None
        self.teardown(chan, cause, dial_status=status)

    def silent_hangup(self, chan: Channel, cause: int) -> None:
        """A hang-up nobody announces first: an originate that timed out, a dialplan ending."""
        if not chan.hanging_up:
            self.teardown(chan, cause, dial_status=None)

    def teardown(self, chan: Channel, cause: int, *, dial_status: str | None) -> None:
        pbx = self.pbx
        chan.hanging_up = True
        chan.hangup_cause = cause
        pbx.media.channel_gone(chan)
        if chan.bridge_id is not None:
            pbx.bridging.leave(chan)
        self.leave_stasis(chan)
        if dial_status is not None and chan.dial is not None:
            pbx.dialer.publish_dial(chan, dial_status)
        if chan.kind is ChannelKind.INBOUND and self._still_seen(chan):
            # The dialplan's own hang-up once Stasis() returns; seen only when subscribed.
            self.publish(chan, "ChannelHangupRequest", cause=causes.NORMAL, soft=True)
        self.destroy(chan)

    def destroy(self, chan: Channel) -> None:
        pbx = self.pbx
        if chan.kind is ChannelKind.ORIGINATED and chan.dial is not None:
            chan.app_name, chan.app_data = "AppDial2", "(Outgoing Line)"
        else:
            chan.app_name, chan.app_data = "", ""
        fields: dict[str, Any] = {
            "cause": chan.hangup_cause,
            "cause_txt": causes.cause_text(chan.hangup_cause),
        }
        tech_cause = causes.sip_status(chan.hangup_cause) if chan.is_sip else None
        if tech_cause is not None:
            fields["tech_cause"] = tech_cause
        self.publish(chan, "ChannelDestroyed", **fields)
        chan.cancel_timers()
        pbx.channels.pop(chan.id, None)
        pbx.bus.forget_channel(chan.id)
        record = pbx.history.get(chan.id)
        if record is not None:
            record.ended_at, record.cause = pbx.now(), chan.hangup_cause
        self.endpoint_changed(chan)
        pbx.phones.channel_gone(chan)
        if chan.kind is ChannelKind.ORIGINATED:
            pbx.legs_changed("destroyed", chan)
        target = pbx.channels.get(chan.snoop_target_id or "")
        if target is not None and chan.id in target.snoop_ids:
            # The audiohook goes, but the bridge keeps its technology until its membership
            # changes (snoop.jsonl: still simple_bridge at the next leave).
            target.snoop_ids.remove(chan.id)
            target.audiohooked = bool(target.snoop_ids)
        for snoop_id in list(chan.snoop_ids):
            snoop = pbx.channels.get(snoop_id)
            if snoop is not None:
                self.phone_hangup(snoop)

    # --- helpers -------------------------------------------------------------------------

    def _still_seen(self, chan: Channel) -> bool:
        return any(chan.id in app.channels for app in self.pbx.bus.apps.values())

    @staticmethod
    def _unanswered_dial_status(chan: Channel, status: str) -> str | None:
        """An originate's Dial result is reported only while it has not been answered."""
        if chan.kind is ChannelKind.ORIGINATED and chan.dial and chan.answered_at is None:
            return status
        return None
