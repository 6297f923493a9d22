"""Between the engine core and the sans-I/O IVR flows in ``ivr/``: actions become commands,
and the queue facts an announcement needs (position, estimated wait) are derived here.

The flows decide *what* to say; this module only translates and measures.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from acd.engine import commands as cmd
from acd.engine.model import ContactState, Phase
from foundation.contact import ContactRecord, Outcome
from ivr import actions as act
from ivr.numbers import dial_groups

WAITING = (Phase.QUEUED, Phase.RINGING)


def translate(
    actions: Iterable[object],
    contact: ContactState,
    playbacks: dict[str, str],
    out: list[cmd.Command],
    *,
    pause_moh: bool = False,
) -> object | None:
    """Append the commands for ``actions``; return the flow's last other action (a menu's
    decision, a callback offer's outcome) for the core to act on.

    ``pause_moh``: the caller is on music on hold, which a playback on the channel silences
    for good, so stop it explicitly first (the core restarts it when the prompt ends)."""
    done: object | None = None
    lang = contact.line.language if contact.line else None
    for action in actions:
        match action:
            case act.PlayPrompt(media=media, playback_id=pb):
                playbacks[pb] = contact.id
                if pause_moh:
                    out.append(cmd.StopMoh(contact.caller_channel))
                out.append(cmd.Play(contact.caller_channel, media, pb, lang))
            case act.StopPrompt(playback_id=pb):
                out.append(cmd.StopPlayback(pb))
            case act.StartTimer(key=key, delay_s=delay):
                out.append(cmd.StartTimer(key, delay))
            case act.CancelTimer(key=key):
                out.append(cmd.CancelTimer(key))
            case _:
                done = action
    return done


def number_media(e164: str) -> tuple[str, ...]:
    """A number said as it is dialled here, group by group (``digits:0470``, ``digits:12``)."""
    return tuple(f"digits:{group}" for group in dial_groups(e164))


def dial_string(template: str, e164: str) -> str:
    """The ARI endpoint for a citizen's number: ``{e164}``, ``{digits}`` or ``{national}``."""
    national = "".join(dial_groups(e164))
    return template.format(e164=e164, digits=e164.lstrip("+"), national=national)


def queue_position(contact: ContactState, contacts: Iterable[ContactState]) -> int:
    """1 for the caller who is next for their line code, counting only who is still waiting."""
    key = _place(contact)
    code = contact.record.line_code
    return 1 + sum(
        1
        for c in contacts
        if c is not contact
        and c.phase in WAITING
        and c.record.line_code == code
        and _place(c) < key
    )


def _place(contact: ContactState) -> tuple[int, datetime, int]:
    record = contact.record
    assert record.queued_at is not None
    return (-contact.priority, record.queued_at, contact.seq)


def handle_seconds(record: ContactRecord, wrap_up_s: float) -> float | None:
    """Ring + talk + wrap-up of an answered contact: what an agent spent on it."""
    if record.outcome is not Outcome.ANSWERED or record.answered_at is None:
        return None
    if record.ended_at is None or not record.offers:
        return None
    rang_from = record.offers[-1].offered_at
    return (record.ended_at - rang_from).total_seconds() + wrap_up_s
