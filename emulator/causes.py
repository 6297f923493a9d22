"""Hang-up cause codes as Asterisk reports them (``cause``, ``cause_txt``, ``tech_cause``).

``tech_cause`` is the SIP status chan_pjsip maps a cause to; the recorded traces show it on
PJSIP channels only (17 -> 486, 18 -> 408, 19 -> 480) and never for a normal clearing.
"""

from __future__ import annotations

UNKNOWN = 0
UNALLOCATED = 1
NORMAL = 16
BUSY = 17
NO_USER_RESPONSE = 18
NO_ANSWER = 19
ANSWERED_ELSEWHERE = 26
CONGESTION = 34

#: ``cause: 32`` in ``ChannelHangupRequest`` is the soft-hangup flag (AST_SOFTHANGUP_EXPLICIT),
#: not a Q.850 code; it is what an ARI ``DELETE /channels/{id}`` produces.
SOFT_HANGUP_EXPLICIT = 32

CAUSE_TEXT: dict[int, str] = {
    UNKNOWN: "Unknown",
    UNALLOCATED: "Unallocated (unassigned) number",
    NORMAL: "Normal Clearing",
    BUSY: "User busy",
    NO_USER_RESPONSE: "No user responding",
    NO_ANSWER: "User alerting, no answer",
    21: "Call Rejected",
    ANSWERED_ELSEWHERE: "Answered elsewhere",
    CONGESTION: "Circuit/channel congestion",
}

_SIP_STATUS_FOR_CAUSE: dict[int, int] = {
    UNALLOCATED: 404,
    BUSY: 486,
    NO_USER_RESPONSE: 408,
    NO_ANSWER: 480,
    21: 403,
    CONGESTION: 503,
}

#: ``DELETE /channels/{id}?reason=...`` values and the cause each sets.
HANGUP_REASONS: dict[str, int] = {
    "normal": NORMAL,
    "busy": BUSY,
    "congestion": CONGESTION,
    "no_answer": NO_ANSWER,
    "answered_elsewhere": ANSWERED_ELSEWHERE,
}


def cause_text(cause: int) -> str:
    return CAUSE_TEXT.get(cause, "Unknown")


def sip_status(cause: int) -> int | None:
    """The SIP status chan_pjsip reports as ``tech_cause`` for this cause, if any."""
    return _SIP_STATUS_FOR_CAUSE.get(cause)
