"""Typed timer keys: which flow of the core a timer belongs to, and for what.

Every timer the core starts is a :class:`TimerKey`; its :class:`TimerKind` names the part (and
the flow within it) that gets the expiry back, so an expiry reaches exactly one handler.  The
IVR machines in ``ivr/`` mint their own opaque keys; those travel in ``sub`` and are handed
back to the machine unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class TimerKind(StrEnum):
    # inbound: a caller's dialogue
    PROMPT = "prompt"  # guard: a welcome or farewell prompt that never reports its end
    MENU = "menu"  # the menu's own timers (sub: the menu's key)
    ANNOUNCE = "announce"  # the announcer's ticks (sub: its key)
    CALLBACK_OFFER_DUE = "callback_offer_due"  # time to offer a callback to a waiting caller
    CALLBACK_DIALOGUE = "callback_dialogue"  # the callback offer's own timers (sub: its key)
    CLOSE = "close"  # closing time of a line that closes its queue (subject: the line id)
    # offers
    ROUTE = "route"  # the router's next deadline (one timer, no subject)
    RING = "ring"  # guard: an agent leg ringing past its timeout (subject: the leg)
    # agent book
    WRAP_UP = "wrap_up"  # an agent's wrap-up is over (subject: the agent id)
    # callback placing
    WHISPER = "whisper"  # guard: the whisper to the agent never reports its end
    CITIZEN = "citizen"  # guard: the citizen's phone ringing past its timeout
    # transfers
    TRANSFER = "transfer"  # guard: the escalation point ringing past its timeout (subject: contact)
    # surveys
    SURVEY = "survey"  # the survey's own timers (subject: contact, sub: its key)


@dataclass(frozen=True, slots=True)
class TimerKey:
    kind: TimerKind
    subject: str = ""  # a contact id, an agent id, a channel id or a line id (see the kind)
    sub: tuple[str, ...] = ()  # an IVR machine's own key, opaque here

    def __str__(self) -> str:
        return ":".join((self.kind.value, self.subject, *self.sub))
