"""Outbound legs: one-step originate, two-step create + dial, Local channels, and the far end.

Recorded sequences reproduced here (``originate_failures.jsonl``, ``create_dial.jsonl``):

- originate: ``200`` state Down; ``Dial ""``; ``ChannelStateChange Ringing`` + ``Dial RINGING``;
  on answer ``ChannelStateChange Up``, ``Dial ANSWER``, ``STASISSTATUS``, ``StasisStart``;
- 486: ``ChannelHangupRequest 17/486``, ``Dial BUSY``, ``ChannelDestroyed 17``;
- originate timeout: only ``ChannelDestroyed 19/480``, exactly at the timeout;
- unreachable: ``Dial ""`` then 32 s of nothing, ``ChannelHangupRequest 18/408``,
  ``Dial NOANSWER``, ``ChannelDestroyed 18``;
- ``Local/busy@agents`` / ``Local/congestion@agents``: the ``;1``/``;2`` pair dies at once.

The dialling itself starts a moment after the REST call returns (``ASYNC_S``), as in Asterisk,
where it runs on its own thread and its first event follows the ``200``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from emulator import causes
from emulator.config import EndpointSpec
from emulator.errors import allocation_failed, bad_request, conflict
from emulator.model import Channel, ChannelKind, DialState, Party
from emulator.scripts import EndpointBehaviour, Mode, RandomBehaviour

if TYPE_CHECKING:
    from emulator.pbx import Pbx

#: The hop from the REST thread to the channel's own thread in Asterisk (about 0.5 ms there).
ASYNC_S = 0.0005
#: ``timeout`` of an originate when none (or 0) is given.
DEFAULT_TIMEOUT_S = 30.0

_CALLER_ID = re.compile(r'^\s*"?(?P<name>[^"<]*?)"?\s*<(?P<number>[^>]*)>\s*$')


@dataclass(frozen=True, slots=True)
class OriginateRequest:
    """The parameters of ``POST /channels`` and ``POST /channels/create`` (ARI names)."""

    endpoint: str | None
    app: str | None = None
    app_args: str | None = None
    caller_id: str | None = None
    timeout: int = 0
    channel_id: str | None = None
    other_channel_id: str | None = None
    originator: str | None = None
    formats: str | None = None
    extension: str | None = None
    context: str | None = None
    variables: Mapping[str, str] = field(default_factory=dict)

    @property
    def args(self) -> tuple[str, ...]:
        return tuple(self.app_args.split(",")) if self.app_args else ()


@dataclass(frozen=True, slots=True)
class SipTarget:
    spec: EndpointSpec
    number: str | None  # through a trunk: the user part of the Request-URI
    dialstring: str  # as the Dial events name it: "agent1", "+3211@trunk", "trunk/sip:+3211@h"


@dataclass(frozen=True, slots=True)
class LocalTarget:
    resource: str  # "busy@agents"
    context: str
    exten: str
    application: str  # the dialplan application at that extension: Busy or Congestion


#: What each rejecting dialplan application does to a Local ``;2`` half:
#: (final cause, Dial status, whether its state turns Busy before the ``;1`` half dies).
_LOCAL_APPS: dict[str, tuple[int, str, bool]] = {
    "Busy": (causes.BUSY, "BUSY", True),
    "Congestion": (causes.CONGESTION, "CONGESTION", False),
}


def parse_caller_id(raw: str | None) -> Party:
    """``"ACD <1701>"`` -> name ACD, number 1701 (like ``ast_callerid_parse``)."""
    if not raw:
        return Party()
    match = _CALLER_ID.match(raw)
    if match:
        return Party(match["name"].strip(), match["number"].strip())
    text = raw.strip()
    return Party("", text) if re.fullmatch(r"[+\d*#]+", text) else Party(text, "")


class Dialer:
    def __init__(self, pbx: Pbx) -> None:
        self.pbx = pbx

    # --- REST entry points ---------------------------------------------------------------

    def originate(self, req: OriginateRequest) -> Channel:
        self._validate(req)
        if not req.app and not req.extension:
            raise bad_request("Application or extension must be specified")
        self._originator(req)
        target = self._resolve(req.endpoint or "")
        if isinstance(target, LocalTarget):
            return self._originate_local(req, target)
        spec, number = target.spec, target.number
        chan = self._new_sip_leg(req, spec, ChannelKind.ORIGINATED)
        chan.dial = DialState(
            dialstring=target.dialstring,
            behaviour=self._behaviour(spec, number),
            timeout_s=_timeout(req.timeout),
            app_args=req.args,
            extension=None if req.app else req.extension,
        )
        self._subscribe(req, chan)
        self.pbx.legs_changed("originated", chan)
        if chan.dial.timeout_s is not None:
            chan.dial.timeout_handle = self.pbx.later(
                chan.dial.timeout_s, lambda: self._timed_out(chan), owner=chan
            )
        self.pbx.later(ASYNC_S, lambda: self._start(chan), owner=chan)
        return chan

    def create(self, req: OriginateRequest) -> Channel:
        self._validate(req)
        if not req.app:
            raise bad_request("Missing parameter app")
        originator = self._originator(req)
        target = self._resolve(req.endpoint or "")
        if isinstance(target, LocalTarget):
            raise allocation_failed()  # not modelled: Local channels only via originate
        spec = target.spec
        chan = self._new_sip_leg(req, spec, ChannelKind.CREATED, app=("", ""))
        behaviour = self._behaviour(spec, target.number)
        chan.dial = DialState(target.dialstring, behaviour, None, req.args)
        self._subscribe(req, chan)
        if originator is not None and req.app in self.pbx.bus.apps:
            self.pbx.bus.subscribe_channel(req.app, originator.id, "originator")
        app = req.app
        self.pbx.later(ASYNC_S, lambda: self._created_enters_stasis(chan, app), owner=chan)
        return chan

    def dial(self, channel_id: str, caller: str | None, timeout: int) -> None:
        chan = self.pbx.controlled(channel_id)
        if chan.state not in ("Down", "Rsrvd"):
            raise conflict("Channel is not in the 'Down' state")
        if chan.kind is not ChannelKind.CREATED or chan.dial is None or chan.dial.started:
            raise conflict("Dialing a channel not created by ARI")
        caller_chan = self.pbx.channels.get(caller or "")
        if caller_chan is not None:
            chan.dial.caller_id = caller_chan.id
            chan.connected = Party(caller_chan.caller.name, caller_chan.caller.number)
        chan.dial.started = True
        chan.dial.timeout_s = _timeout(timeout)
        if chan.dial.timeout_s is not None:
            chan.dial.timeout_handle = self.pbx.later(
                chan.dial.timeout_s, lambda: self._timed_out(chan), owner=chan
            )
        self.pbx.later(ASYNC_S, lambda: self._start(chan), owner=chan)

    def publish_dial(self, chan: Channel, status: str) -> None:
        dial = chan.dial
        assert dial is not None
        # Asterisk's own quirk: after the first event a create+dial leg reports no dialstring.
        later = chan.kind is ChannelKind.CREATED and status != ""
        fields: dict[str, Any] = {}
        caller = self.pbx.channels.get(dial.caller_id or "")
        if caller is not None:
            fields["caller"] = caller.to_json()
        fields.update(
            peer=chan.to_json(),
            dialstatus=status,
            forward="",
            dialstring="" if later else dial.dialstring,
        )
        self.pbx.bus.channel_event(chan.id, chan.endpoint_key, "Dial", fields)

    # --- validation and resolution ------------------------------------------------------

    def _validate(self, req: OriginateRequest) -> None:
        for given in (req.channel_id, req.other_channel_id):
            if given is not None and len(given) > 127:
                raise bad_request("Uniqueid length exceeds maximum of 127")
        if not req.endpoint:
            raise bad_request("Endpoint must be specified")
        if req.originator and req.formats:
            raise bad_request("Originator and formats can't both be specified")
        technology, _, resource = req.endpoint.partition("/")
        if not technology or not resource:
            raise bad_request("Invalid endpoint specified")

    def _originator(self, req: OriginateRequest) -> Channel | None:
        if not req.originator:
            return None
        found = self.pbx.channels.get(req.originator)
        if found is None:
            raise bad_request("Provided originator channel was not found")
        return found

    def _resolve(self, endpoint: str) -> SipTarget | LocalTarget:
        """The endpoint to dial and, through a trunk, the number: ``PJSIP/<number>@<trunk>``
        or ``PJSIP/<trunk>/sip:<number>@<host>``.  As chan_pjsip does, the part after a second
        ``/`` is a SIP URI or the name of an AOR (here: the endpoint's own, as in the reference
        pjsip.conf); anything else, ``PJSIP/trunk/+3211123456`` among them, cannot be dialled
        (Asterisk 22 logs "Could not create dialog to invalid URI" and answers 500)."""
        technology, _, resource = endpoint.partition("/")
        if technology.lower() == "local":
            return self._local_target(resource)
        number: str | None = None
        name, slash, target = resource.partition("/")
        if slash:
            if target.startswith(("sip:", "sips:")):
                user, at, _ = target.partition(":")[2].partition("@")
                number = user if at and user else None
            elif target != name:
                raise allocation_failed()
        elif "@" in resource:
            number, _, name = resource.partition("@")
        spec = self.pbx.endpoints.get(f"{technology.upper()}/{name}")
        if spec is None or not spec.online:
            raise allocation_failed()
        dialstring = resource if slash else _dialstring(spec, number)
        return SipTarget(spec, number, dialstring)

    def _local_target(self, resource: str) -> LocalTarget:
        exten, _, context = resource.split("/")[0].partition("@")
        application = self.pbx.config.local_targets.get(context, {}).get(exten)
        if application not in _LOCAL_APPS:
            raise allocation_failed()
        assert application is not None
        return LocalTarget(resource, context, exten, application)

    def _behaviour(self, spec: EndpointSpec, number: str | None) -> EndpointBehaviour:
        behaviour = spec.behaviour_for(number)
        if isinstance(behaviour, RandomBehaviour):
            return behaviour.pick(self.pbx.rng)
        return behaviour

    def _new_sip_leg(
        self,
        req: OriginateRequest,
        spec: EndpointSpec,
        kind: ChannelKind,
        app: tuple[str, str] = ("AppDial2", "(Outgoing Line)"),
    ) -> Channel:
        party = parse_caller_id(req.caller_id)
        chan = self.pbx.lifecycle.new_channel(
            kind=kind,
            technology=spec.technology,
            resource=spec.resource,
            state="Down",
            context=spec.context,
            exten="s",
            channel_id=req.channel_id,
            protocol_id=self.pbx.new_uuid(),
            caller=party,
            app=app,
        )
        chan.connected = Party(party.name, party.number)
        chan.variables.update(req.variables)
        return chan

    def _subscribe(self, req: OriginateRequest, chan: Channel) -> None:
        # Subscribing to an application that never connected does nothing, as in Asterisk.
        if req.app and req.app in self.pbx.bus.apps:
            chan.origin_app = req.app
            self.pbx.bus.subscribe_channel(req.app, chan.id, "originate")

    # --- the far end ---------------------------------------------------------------------

    def _start(self, chan: Channel) -> None:
        dial = chan.dial
        if dial is None or chan.hanging_up:
            return
        dial.started = True
        self.publish_dial(chan, "")
        behaviour = dial.behaviour
        if behaviour.mode is Mode.UNREACHABLE:
            failure = (causes.NO_USER_RESPONSE, "NOANSWER")
            self.pbx.later(behaviour.ring_s, lambda: self._fail(chan, *failure), owner=chan)
            return
        self.pbx.lifecycle.set_state(chan, "Ringing")
        self.publish_dial(chan, "RINGING")
        if behaviour.mode is Mode.ANSWER:
            self.pbx.later(behaviour.ring_s, lambda: self._answered(chan), owner=chan)
        elif behaviour.mode is Mode.BUSY:
            failure = (causes.BUSY, "BUSY")
            self.pbx.later(behaviour.ring_s, lambda: self._fail(chan, *failure), owner=chan)

    def _fail(self, chan: Channel, cause: int, dial_status: str) -> None:
        self.pbx.lifecycle.far_end_failure(chan, cause, dial_status)

    def _answered(self, chan: Channel) -> None:
        dial = chan.dial
        if dial is None or chan.hanging_up:
            return
        if dial.timeout_handle is not None:
            dial.timeout_handle.cancel()
        self.pbx.lifecycle.mark_answered(chan)
        self.pbx.lifecycle.set_state(chan, "Up")
        self.publish_dial(chan, "ANSWER")
        hangup_after = dial.behaviour.hangup_after_s
        if hangup_after is not None:
            self.pbx.later(hangup_after, lambda: self.pbx.lifecycle.phone_hangup(chan), owner=chan)
        if chan.kind is ChannelKind.ORIGINATED:
            self._run_after_answer(chan)

    def _run_after_answer(self, chan: Channel) -> None:
        """An answered originate runs Stasis(app, appArgs), or the dialplan extension."""
        dial = chan.dial
        assert dial is not None
        if dial.extension is not None:
            target = self.pbx.config.dialplan.get(dial.extension)
            entered = target is not None and self.pbx.lifecycle.enter_stasis(
                chan, target.app, target.args
            )
        else:
            app = chan.origin_app
            entered = app is not None and self.pbx.lifecycle.enter_stasis(chan, app, dial.app_args)
        if not entered:
            self.pbx.lifecycle.silent_hangup(chan, causes.NORMAL)

    def _timed_out(self, chan: Channel) -> None:
        if chan.hanging_up or chan.answered_at is not None:
            return
        lifecycle = self.pbx.lifecycle
        if chan.stasis_app is not None:  # create + dial: Stasis sees the dial give up
            lifecycle.publish(
                chan, "ChannelHangupRequest", cause=causes.SOFT_HANGUP_EXPLICIT, soft=True
            )
        lifecycle.silent_hangup(chan, causes.NO_ANSWER)

    def _created_enters_stasis(self, chan: Channel, app: str) -> None:
        dial = chan.dial
        assert dial is not None
        chan.app_name, chan.app_data = "Stasis", ",".join((app, *dial.app_args))
        self.pbx.lifecycle.publish_dialplan(chan)
        if not self.pbx.lifecycle.enter_stasis(chan, app, dial.app_args):
            self.pbx.lifecycle.silent_hangup(chan, causes.NORMAL)

    # --- Local channels ------------------------------------------------------------------

    def _originate_local(self, req: OriginateRequest, target: LocalTarget) -> Channel:
        lifecycle = self.pbx.lifecycle
        n = self.pbx.next_name_counter("Local")
        base = f"Local/{target.resource}-{n:08x}"
        common: dict[str, Any] = {
            "technology": "Local",
            "resource": target.resource,
            "context": target.context,
            "exten": target.exten,
        }
        first = lifecycle.new_channel(
            kind=ChannelKind.ORIGINATED,
            state="Down",
            channel_id=req.channel_id,
            name=f"{base};1",
            caller=parse_caller_id(req.caller_id),
            app=("AppDial2", "(Outgoing Line)"),
            **common,
        )
        second = lifecycle.new_channel(
            kind=ChannelKind.LOCAL_PEER,
            state="Ring",
            channel_id=req.other_channel_id or f"{first.id};2",
            name=f"{base};2",
            **common,
        )
        first.local_peer_id = second.id
        first.dial = DialState(target.resource, EndpointBehaviour(), _timeout(req.timeout))
        for chan in (first, second):
            self._subscribe(req, chan)
        application = target.application
        self.pbx.later(ASYNC_S, lambda: self._run_local(first, second, application), owner=first)
        return first

    def _run_local(self, first: Channel, second: Channel, application: str) -> None:
        lifecycle = self.pbx.lifecycle
        cause, status, busy_first = _LOCAL_APPS[application]
        self.publish_dial(first, "")
        second.app_name, second.app_data = application, "10"
        lifecycle.publish_dialplan(second)
        if busy_first:
            lifecycle.set_state(second, "Busy")
        self.publish_dial(first, status)
        lifecycle.publish(second, "ChannelHangupRequest", cause=causes.UNKNOWN)
        lifecycle.silent_hangup(first, causes.UNKNOWN)
        lifecycle.set_state(second, "Busy")
        lifecycle.publish(second, "ChannelHangupRequest", cause=causes.NORMAL, soft=True)
        lifecycle.silent_hangup(second, cause)


def _dialstring(spec: EndpointSpec, number: str | None) -> str:
    """What Asterisk's ``Dial`` event names: ``agent1``, or ``+3211123456@trunk``; for the
    ``trunk/sip:...`` form, the resource as given."""
    return spec.resource if number is None else f"{number}@{spec.resource}"


def _timeout(raw: int) -> float | None:
    """``timeout`` as ARI reads it: seconds, -1 for none, 0 (or absent) for the default."""
    if raw == -1:
        return None
    return float(raw) if raw > 0 else DEFAULT_TIMEOUT_S
