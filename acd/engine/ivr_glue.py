"""Between the engine core and the sans-I/O IVR flows in ``ivr/``: actions become commands,
and the queue facts an announcement needs (position, estimated wait) are derived here.

The flows decide *what* to say; this module only translates and measures.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from acd.engine import commands as cmd
from acd.engine.timers import TimerKey, TimerKind
from foundation.contact import ContactRecord, Outcome
from ivr import actions as act
from ivr.numbers import dial_groups

if TYPE_CHECKING:
    from acd.engine.contacts import ContactState, ContactTable, Prompt


def translate(
    actions: Iterable[object],
    contact: ContactState,
    table: ContactTable,
    owner: Prompt,
    out: list[cmd.Command],
    *,
    pause_moh: bool = False,
) -> object | None:
    """Append the commands for ``actions`` of the flow ``owner``; return the flow's last other
    action (a menu's decision, a callback offer's outcome) for the core to act on.

    Playbacks are recorded as the flow's and its timer keys wrapped in the flow's kind, so their
    ends come back to it.  ``pause_moh``: the caller is on music on hold, which a playback on
    the channel silences for good, so stop it explicitly first (the core restarts it when the
    prompt ends)."""
    done: object | None = None
    lang = contact.line.language if contact.line else None
    kind = _TIMER_KIND[owner.value]
    for action in actions:
        match action:
            case act.PlayPrompt(media=media, playback_id=pb):
                table.add_playback(contact, pb, owner)
                if pause_moh:
                    out.append(cmd.StopMoh(contact.caller_channel))
                out.append(cmd.Play(contact.caller_channel, media, pb, lang))
            case act.StopPrompt(playback_id=pb):
                out.append(cmd.StopPlayback(pb))
            case act.StartTimer(key=key, delay_s=delay):
                out.append(cmd.StartTimer(TimerKey(kind, contact.id, key), delay))
            case act.CancelTimer(key=key):
                out.append(cmd.CancelTimer(TimerKey(kind, contact.id, key)))
            case _:
                done = action
    return done


# The IVR flow a playback owner stands for -> the kind its timers are wrapped in.
_TIMER_KIND = {
    "menu": TimerKind.MENU,
    "callback_offer": TimerKind.CALLBACK_DIALOGUE,
    "announcement": TimerKind.ANNOUNCE,
    "prompt": TimerKind.PROMPT,
    "whisper": TimerKind.WHISPER,
    "survey": TimerKind.SURVEY,
}


def dial_string(template: str, e164: str) -> str:
    """The ARI endpoint for a citizen's number: ``{e164}``, ``{digits}`` or ``{national}``."""
    national = "".join(dial_groups(e164))
    return template.format(e164=e164, digits=e164.lstrip("+"), national=national)


def handle_seconds(
    record: ContactRecord, wrap_up_s: float, talk_ended_at: datetime | None = None
) -> float | None:
    """Ring + talk + wrap-up of an answered contact: what an agent spent on it (until
    ``talk_ended_at`` when the caller stayed on without the agent, in the survey)."""
    if record.outcome is not Outcome.ANSWERED or record.answered_at is None:
        return None
    if record.ended_at is None or not record.offers:
        return None
    rang_from = record.offers[-1].offered_at
    return ((talk_ended_at or record.ended_at) - rang_from).total_seconds() + wrap_up_s
