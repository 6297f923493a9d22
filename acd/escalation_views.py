"""What the escalation routes answer about a point: its options for the agent's call and
whether a phone transfer is possible now, with its next window (:mod:`acd.escalation_routes`)."""

from __future__ import annotations

from typing import Any

from escalations.rules import PointOptions, TransferCheck, Window

# A point's phone transfer in wrap-up: the call is over (as the transfer route refuses it).
NOT_ON_CALL: dict[str, Any] = {
    "possible": False,
    "reason": "not_on_call",
    "message": "the call is over: transfer by phone only during the call",
    "deviation_text": None,
    "next_window": None,
    "slots": None,
}


def window_view(window: Window | None) -> dict[str, str | None] | None:
    if window is None:
        return None
    end = window.end.isoformat() if window.end else None
    return {"start": window.start.isoformat(), "end": end}


def check_view(check: TransferCheck) -> dict[str, Any]:
    return {
        "possible": check.possible,
        "reason": check.reason.value if check.reason else None,
        "message": check.message,
        "deviation_text": check.deviation_text,
        "next_window": window_view(check.next_window),
        "slots": check.weekly,
    }


def options_view(option: PointOptions) -> dict[str, Any]:
    point = option.point
    return {
        "id": point.id,
        "title": point.public_title,
        "editorial_title": point.editorial_title,
        "instructions": point.instructions,
        "content": point.content,
        "phone": point.phone,
        "email": point.email,
        "phone_transfer": check_view(option.transfer),
        "may_give_number": option.may_give_number,
        "may_send_email": option.may_send_email,
        "may_give_email": option.may_give_email,
        "mail_channel": point.mail_channel.value,
        "handling_days": point.handling_days,
        "handling_info": point.handling_info,
    }
