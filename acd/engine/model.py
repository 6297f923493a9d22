"""The engine core's view of its configuration.

Plain frozen data, built once from the validated settings (:func:`EngineConfig.from_settings`).
The live state lives with the part of the core that owns it: agents in ``acd.engine.agents``,
contacts in ``acd.engine.contacts``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from foundation.calendars import Calendar, Reason
from foundation.contact import OfferResult
from ivr.announcements import AnnouncementConfig
from ivr.callback_offer import NUMBER, CallbackOfferConfig
from ivr.menu import MenuConfig
from ivr.prompts import SoundNames, sounds_for
from ivr.survey import SurveyConfig, SurveyQuestion
from skills import RoutingConfig

if TYPE_CHECKING:
    from acd.settings import Line, Settings


@dataclass(frozen=True, slots=True)
class LineConfig:
    id: str
    name: str
    numbers: tuple[str, ...]
    line_codes: tuple[str, ...]
    default_line_code: str
    welcome: tuple[str, ...] = ()
    language: str | None = None
    moh_class: str = "default"
    calendar: Calendar | None = None  # None: always open
    closed_prompts: Mapping[Reason, tuple[str, ...]] = field(default_factory=dict)
    close_queue_at_closing: bool = False  # else keep serving who is queued at closing time
    closing_prompt: tuple[str, ...] = ()
    menu: MenuConfig | None = None
    announcements: AnnouncementConfig | None = None
    no_agents: NoAgentsRule = field(default_factory=lambda: NoAgentsRule())
    rejoin_window_s: float = 120.0
    callbacks: CallbackRule | None = None  # None: no callback offer on this line
    survey: SurveyRule | None = None  # None: no survey after the call on this line
    recording: RecordingRule = field(default_factory=lambda: RecordingRule())

    @property
    def sounds(self) -> SoundNames:
        return sounds_for(self.language or "nl")


@dataclass(frozen=True, slots=True)
class CallbackRule:
    """When a waiting caller hears the callback offer, and how soon the callback is due."""

    offer: CallbackOfferConfig
    offer_after_s: float = 150.0
    repeat_offer_s: float = 0.0  # 0: offer once
    working_days: int = 2
    # Virtual hold: placed as soon as the stored callback is, keeping the caller's queue time,
    # so it is called back when its turn comes instead of at a calm moment.
    virtual_hold: bool = False


@dataclass(frozen=True, slots=True)
class SurveyRule:
    """The survey after the call: its questions, and who is sent to it."""

    survey: SurveyConfig
    share: float = 1.0  # of callers whose agent hung up (the agent's "To survey" always sends)
    after_agent_hangup: bool = True


@dataclass(frozen=True, slots=True)
class RecordingRule:
    """Which share of answered calls is recorded (per line code, else the line's), and how."""

    share: float = 0.0
    by_line_code: Mapping[str, float] = field(default_factory=dict)
    announce: tuple[str, ...] = ()  # "this call may be recorded", before the welcome
    format: str = "wav"

    def share_for(self, line_code: str) -> float:
        return self.by_line_code.get(line_code, self.share)


class NoAgentsAction(StrEnum):
    WAIT = "wait"
    FALLBACK = "fallback"
    MESSAGE = "message"


@dataclass(frozen=True, slots=True)
class NoAgentsRule:
    """What a line does with a caller when nobody could ever answer their line code now."""

    action: NoAgentsAction = NoAgentsAction.WAIT
    fallback_line_code: str | None = None
    prompt: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AgentConfig:
    id: str
    name: str
    endpoint: str
    line_codes: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class EngineConfig:
    lines: tuple[LineConfig, ...]
    agents: tuple[AgentConfig, ...]
    ring_timeout_s: int = 15
    wrap_up_s: float = 10.0
    missed_reason: str = "missed"
    presence_reasons: frozenset[str] = frozenset({"training", "lunch", "break", "missed"})
    caller_id: str = "ACD"
    monitor_caller_id: str = "Meeluisteren <1700>"  # on a supervisor's phone called to monitor
    unknown_line_prompt: tuple[str, ...] = ("sound:ss-noservice",)
    # Guards for events that a real Asterisk may never deliver (lost during a WebSocket outage):
    # how long a prompt may take before we move on, and how long past the ring timeout we wait
    # for the agent leg's ChannelDestroyed before hanging it up ourselves.
    prompt_guard_s: float = 120.0
    ring_guard_slack_s: float = 5.0
    handle_time_window: int = 100  # recent handling times per line code behind wait estimates
    routing: RoutingConfig = field(default_factory=RoutingConfig)
    callback_dial: str = "PJSIP/{e164}@trunk"
    callback_whisper: tuple[str, ...] = ("sound:acd-callback-whisper",)
    callback_ring_timeout_s: int = 30
    escalation_dial: str = "PJSIP/{e164}@trunk"
    transfer_prompt: tuple[str, ...] = ("sound:pls-hold-while-try",)
    escalation_ring_timeout_s: int = 30
    missed_in_a_row: int = 1  # missed offers in a row before the agent goes not available
    # A pause before an agent is offered again after such an offer result (0: at once).
    offer_delay_s: Mapping[OfferResult, float] = field(default_factory=dict)
    # Per line code: the most wrap-up after its calls (else wrap_up_s), and the contact reasons
    # an agent registers its contacts with.
    line_code_wrap_up_s: Mapping[str, float] = field(default_factory=dict)
    contact_reasons: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def wrap_up_for(self, line_code: str | None) -> float:
        """The most wrap-up an agent gets after a call of ``line_code``."""
        return self.line_code_wrap_up_s.get(line_code or "", self.wrap_up_s)

    def line_for(self, named: str | None, exten: str) -> LineConfig | None:
        """The line a call is for: the line the dialplan names (id or number), else the
        dialled extension."""
        for key in (named, exten):
            if key is None:
                continue
            for line in self.lines:
                if key == line.id or key in line.numbers:
                    return line
        return None

    @classmethod
    def from_settings(cls, settings: Settings) -> EngineConfig:
        eng = settings.engine
        return cls(
            lines=tuple(_line_config(settings, ln) for ln in settings.lines),
            agents=tuple(
                AgentConfig(
                    id=a.id, name=a.name, endpoint=a.endpoint, line_codes=dict(a.line_codes)
                )
                for a in settings.agents
            ),
            ring_timeout_s=max(1, round(eng.ring_timeout_s)),
            wrap_up_s=eng.wrap_up_s,
            missed_reason=eng.missed_reason,
            presence_reasons=frozenset(eng.presence_reasons),
            caller_id=eng.caller_id,
            monitor_caller_id=eng.monitor_caller_id,
            unknown_line_prompt=(eng.unknown_line_prompt,),
            handle_time_window=eng.announcement_handling_window,
            routing=RoutingConfig(
                routing={code.name: code.routing for code in settings.line_codes}
            ),
            missed_in_a_row=eng.missed_in_a_row_before_not_available,
            callback_dial=eng.callback_dial,
            callback_whisper=tuple(eng.callback_whisper),
            callback_ring_timeout_s=max(1, round(eng.callback_ring_timeout_s)),
            escalation_dial=eng.escalation_dial,
            transfer_prompt=tuple(eng.transfer_prompt),
            escalation_ring_timeout_s=max(1, round(eng.escalation_ring_timeout_s)),
            offer_delay_s={
                OfferResult.NO_ANSWER: eng.offer_delay_s.no_answer,
                OfferResult.UNREACHABLE: eng.offer_delay_s.no_answer,
                OfferResult.BUSY: eng.offer_delay_s.busy,
                OfferResult.REJECTED: eng.offer_delay_s.rejected,
            },
            line_code_wrap_up_s={
                code.name: code.wrap_up_s
                for code in settings.line_codes
                if code.wrap_up_s is not None
            },
            contact_reasons={code.name: code.contact_reasons for code in settings.line_codes},
        )


def _line_config(settings: Settings, ln: Line) -> LineConfig:
    from acd.settings.line_options import AtClosing

    menu = ln.menu
    ann = ln.announcements
    return LineConfig(
        id=ln.id,
        name=ln.name,
        numbers=tuple(ln.numbers),
        line_codes=tuple(ln.line_codes),
        default_line_code=ln.default_line_code,
        welcome=tuple(ln.welcome_prompt),
        language=ln.language,
        moh_class=ln.moh_class,
        calendar=settings.line_calendar(ln),
        closed_prompts={r: ln.closed_prompts.for_reason(r) for r in Reason if r is not Reason.OPEN},
        close_queue_at_closing=ln.at_closing is AtClosing.CLOSE_QUEUE,
        closing_prompt=tuple(ln.closing_prompt),
        menu=(
            MenuConfig(
                prompt=tuple(menu.prompt),
                options=dict(menu.options),
                default_line_code=ln.default_line_code,
                timeout_s=menu.timeout_s,
                max_tries=menu.max_tries,
                invalid_prompt=tuple(menu.invalid_prompt),
                timeout_prompt=tuple(menu.timeout_prompt),
                interruptible=menu.interruptible,
            )
            if menu is not None
            else None
        ),
        announcements=(
            AnnouncementConfig(
                first_after_s=ann.first_after_s,
                interval_s=ann.interval_s,
                min_gap_s=ann.min_gap_s,
                position=ann.position,
                estimated_wait=ann.estimated_wait,
                not_when_next=ann.not_when_next,
                sounds=sounds_for(ln.language),
            )
            if ann.enabled
            else None
        ),
        no_agents=NoAgentsRule(
            NoAgentsAction(ln.no_agents.action.value),
            ln.no_agents.fallback_line_code,
            tuple(ln.no_agents.prompt),
        ),
        rejoin_window_s=ln.rejoin_window_s,
        callbacks=_callback_rule(ln),
        survey=_survey_rule(ln),
        recording=RecordingRule(
            ln.recording.share,
            dict(ln.recording.line_codes),
            tuple(ln.recording.prompt) if ln.recording.announce else (),
            ln.recording.format,
        ),
    )


def _survey_rule(ln: Line) -> SurveyRule | None:
    options = ln.survey
    if not options.enabled:
        return None
    survey = SurveyConfig(
        questions=tuple(SurveyQuestion(q.id, tuple(q.prompt)) for q in options.questions),
        intro=tuple(options.intro),
        invalid_prompt=tuple(options.invalid_prompt),
        thanks=tuple(options.thanks),
        answer_timeout_s=options.answer_timeout_s,
        digit_timeout_s=options.digit_timeout_s,
        max_tries=options.max_tries,
    )
    return SurveyRule(survey, options.share, options.after_agent_hangup)


def _callback_rule(ln: Line) -> CallbackRule | None:
    options = ln.callbacks
    if not options.enabled:
        return None
    prompts = options.prompts
    offer = CallbackOfferConfig(
        offer_prompt=tuple(prompts.offer),
        confirm_prompt=(*prompts.confirm_number, NUMBER),
        enter_prompt=tuple(prompts.enter_number),
        invalid_prompt=tuple(prompts.invalid_number),
        accepted_prompt=(*prompts.accepted, NUMBER),
        merged_prompt=tuple(prompts.merged),
        sorry_prompt=tuple(prompts.unavailable),
        digit_timeout_s=options.number_timeout_s,
        default_region=options.default_region,
        allow_foreign=options.allow_foreign,
        accept_digit=options.digits.accept,
        keep_digit=options.digits.keep_number,
        other_digit=options.digits.other_number,
        end_digit=options.digits.end_number,
    )
    return CallbackRule(
        offer=offer,
        offer_after_s=options.offer_after_s,
        repeat_offer_s=options.repeat_offer_s,
        working_days=options.working_days,
        virtual_hold=options.mode.value == "virtual_hold",
    )
