"""The legs the engine originates, and how a channel entering the app says what it is.

The core builds every originated leg's id and Stasis ``app_args`` here; the shell decodes a
StasisStart's args here into a typed role.  Neither side spells the args by hand, and the
shell decides nothing about the domain: it only passes the role on.
"""

from __future__ import annotations

from dataclasses import dataclass

# The ids of the legs the engine originates start with these: an agent's phone, a citizen called
# back.  After a restart they tell our own legs still ringing from other outgoing calls.
AGENT_PREFIX = "ag"
CITIZEN_PREFIX = "cz"
ESCALATION_PREFIX = "es"
BRIDGE_PREFIX = "br"
# A supervisor's own phone, called to listen, whisper or barge; the snoop on the agent's leg;
# the bridge joining the two.
SUPERVISOR_PREFIX = "sv"
SNOOP_PREFIX = "sn"
SPY_BRIDGE_PREFIX = "spy"

_AGENT = "agent"
_CITIZEN = "citizen"
_ESCALATION = "escalation"
_INBOUND = "inbound"
_SUPERVISOR = "supervisor"
_SNOOP = "snoop"


@dataclass(frozen=True, slots=True)
class InboundCall:
    """A call into the app (anything that is not one of our legs): Stasis args as dialled,
    ``Stasis(acd,inbound,<line id or number>[,<line code>])`` in the documented dialplan."""

    args: tuple[str, ...]

    @property
    def line(self) -> str | None:
        """The line the dialplan names, if it names one."""
        args = self.args
        return args[1] if len(args) > 1 and args[0] == _INBOUND else None

    @property
    def line_code(self) -> str | None:
        """The line code the dialplan names, if it names one."""
        return self.args[2] if self.line is not None and len(self.args) > 2 else None


@dataclass(frozen=True, slots=True)
class AgentLeg:
    """An agent's phone we rang for a contact: it picked up."""

    agent_id: str
    contact_id: str


@dataclass(frozen=True, slots=True)
class CitizenLeg:
    """A citizen we dialled for a callback: they picked up."""

    contact_id: str


@dataclass(frozen=True, slots=True)
class EscalationLeg:
    """An escalation point's number we dialled to transfer a caller to: it answered."""

    point_id: str
    contact_id: str


@dataclass(frozen=True, slots=True)
class SupervisorLeg:
    """A supervisor's phone we rang to monitor ``agent_id``'s call: it picked up."""

    agent_id: str


@dataclass(frozen=True, slots=True)
class SnoopLeg:
    """The snoop channel on ``agent_id``'s leg (it enters the app as it is made)."""

    agent_id: str


LegRole = InboundCall | AgentLeg | CitizenLeg | EscalationLeg | SupervisorLeg | SnoopLeg
MONITOR_ROLES = (SupervisorLeg, SnoopLeg)


def agent_leg_args(agent_id: str, contact_id: str) -> tuple[str, ...]:
    return (_AGENT, agent_id, contact_id)


def citizen_leg_args(contact_id: str) -> tuple[str, ...]:
    return (_CITIZEN, contact_id)


def escalation_leg_args(point_id: str, contact_id: str) -> tuple[str, ...]:
    return (_ESCALATION, point_id, contact_id)


def supervisor_leg_args(agent_id: str) -> tuple[str, ...]:
    return (_SUPERVISOR, agent_id)


def snoop_leg_args(agent_id: str) -> tuple[str, ...]:
    return (_SNOOP, agent_id)


def decode(args: tuple[str, ...]) -> LegRole:
    """What a channel entering the app is, from its Stasis args.

    Our legs always carry the args we originated them with; anything else is a call (the core
    ignores a repeated StasisStart of a call it already has)."""
    if args and args[0] == _AGENT:
        return AgentLeg(args[1] if len(args) > 1 else "", args[2] if len(args) > 2 else "")
    if args and args[0] == _CITIZEN:
        return CitizenLeg(args[1] if len(args) > 1 else "")
    if args and args[0] == _ESCALATION:
        return EscalationLeg(args[1] if len(args) > 1 else "", args[2] if len(args) > 2 else "")
    if args and args[0] == _SUPERVISOR:
        return SupervisorLeg(args[1] if len(args) > 1 else "")
    if args and args[0] == _SNOOP:
        return SnoopLeg(args[1] if len(args) > 1 else "")
    return InboundCall(args)


def encode(role: LegRole) -> tuple[str, ...]:
    match role:
        case AgentLeg(agent_id=agent, contact_id=contact):
            return agent_leg_args(agent, contact)
        case CitizenLeg(contact_id=contact):
            return citizen_leg_args(contact)
        case EscalationLeg(point_id=point, contact_id=contact):
            return escalation_leg_args(point, contact)
        case SupervisorLeg(agent_id=agent):
            return supervisor_leg_args(agent)
        case SnoopLeg(agent_id=agent):
            return snoop_leg_args(agent)
        case InboundCall(args=args):
            return args


def leg_id(prefix: str, unique: str, contact_id: str) -> str:
    """The id of a leg originated for ``contact_id``: ``<unique>.<contact id>``, where
    ``unique`` (from the id factory) starts with ``prefix``.  The contact is in the id itself so
    that a restarted engine can tell, from ``GET /channels`` alone, which caller a leg still
    ringing was for: Asterisk shows a dialling leg outside Stasis, without its args."""
    if not unique.startswith(prefix + "-") or "." in unique:
        raise ValueError(f"leg id part {unique!r}: must start with {prefix}- and hold no dot")
    return f"{unique}.{contact_id}"


def leg_contact(channel_id: str) -> str | None:
    """The contact an originated leg was for (see :func:`leg_id`), else None."""
    if not is_originated_leg(channel_id):
        return None
    _, dot, contact = channel_id.partition(".")
    return contact if dot and contact else None


def bridge_id(contact_id: str) -> str:
    """The one bridge of a contact: its id names the contact, for the same reason."""
    return f"{BRIDGE_PREFIX}-{contact_id}"


def bridge_contact(bridge: str) -> str | None:
    """The contact a bridge of ours belongs to (see :func:`bridge_id`), else None."""
    prefix, dash, contact = bridge.partition("-")
    return contact if prefix == BRIDGE_PREFIX and dash and contact else None


def is_originated_leg(channel_id: str) -> bool:
    """Whether ``channel_id`` is one the engine minted for a leg it originates."""
    prefix, dash, _ = channel_id.partition("-")
    return bool(dash) and prefix in (AGENT_PREFIX, CITIZEN_PREFIX, ESCALATION_PREFIX)
