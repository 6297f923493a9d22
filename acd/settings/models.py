"""The typed shape of the configuration: one frozen pydantic model per section and per file.

Models are frozen (settings never change after start) and forbid extra keys (a typo such as
``nmbers`` must be refused, not silently ignored).  Each model checks what it can see on its own;
what needs several lines or files (unique ids, numbers, references to line codes and calendars)
is checked in :mod:`acd.settings.checks`.  A line's options live in
:mod:`acd.settings.line_options`, a line code's routing in :mod:`acd.settings.routing`, the
calendars in :mod:`acd.settings.calendars`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Annotated, Literal, Self

from pydantic import (
    Field,
    SecretStr,
    field_validator,
    model_validator,
)

from acd.settings.auth_options import AuthSettings
from acd.settings.base import ConfigModel, listed_twice
from acd.settings.calendars import STANDARD_CALENDAR
from acd.settings.callback_options import CallbackSettings
from acd.settings.fields import (
    DEFAULT_PROFICIENCY,
    Count,
    DatabaseUrl,
    DialableNumber,
    DialTemplate,
    Endpoint,
    HttpUrl,
    Identifier,
    Language,
    ListenAddress,
    LogLevel,
    MediaUri,
    ProficiencyMap,
    Prompts,
    Seconds,
    SecondsOrZero,
    Text,
    split_listen,
)
from acd.settings.line_options import (
    Announcements,
    AtClosing,
    ClosedPrompts,
    Menu,
    NoAgents,
)
from acd.settings.mail_options import MailSettings
from acd.settings.problems import describe, field_error
from acd.settings.quality_options import QualitySettings
from acd.settings.recording_options import RecordingSettings
from acd.settings.redis_options import RedisSettings
from acd.settings.report_options import ReportsSettings
from acd.settings.routing import RoutingFields
from acd.settings.survey_options import SurveySettings
from acd.settings.tls import FilePath, is_loopback, tls_problem
from foundation.networks import trusted_networks
from foundation.redact import has_userinfo, redact_url

# --- acd.yaml -------------------------------------------------------------------------------


class AriSettings(ConfigModel):
    url: HttpUrl = "http://127.0.0.1:8088"
    username: Text = "asterisk"
    password: SecretStr = SecretStr("asterisk")  # SecretStr: never printed in logs or reprs
    app: Identifier = "acd"
    reconnect_min_s: Seconds = 0.5
    reconnect_max_s: Seconds = 30.0
    request_timeout_s: Seconds = 10.0
    # REST connections kept to Asterisk; below its http.conf sessionlimit (default 100), which
    # the events WebSocket and any other ARI client count against too.
    max_connections: Annotated[int, Field(ge=1, le=99)] = 20
    # Ask Asterisk for only the event types the engine reads (acd.ari.event_filter); false
    # clears the application's filter so every event arrives (to measure what it saves).
    event_filter: bool = True
    # How REST requests travel: over HTTP, or as messages on the events WebSocket (Asterisk
    # 22.5+, 20.15+): less CPU per call for the engine and Asterisk, but Asterisk carries out
    # a socket's requests one at a time, and at 90 calls/s on a busy machine fewer callers
    # reached an agent that way (docs/performance.md, "REST over the events WebSocket").
    rest_over: Literal["websocket", "http"] = "http"
    # Over HTTP: the lean keep-alive client (acd.ari.http11) or aiohttp's; the same requests
    # and errors, the lean one at less CPU per request (docs/performance.md, "A lean HTTP
    # client").  aiohttp stays as a fallback.
    http_client: Literal["lean", "aiohttp"] = "lean"

    @field_validator("url")
    @classmethod
    def _no_credentials_in_url(cls, url: str) -> str:
        # The ARI client sends ari.username/password as its own Authorization header; a user
        # in the URL as well is refused by aiohttp on every request, and would be logged.
        if has_userinfo(url):
            raise ValueError(
                f"{redact_url(url)!r} holds a user name or password: put the URL without "
                "them, and set ari.username and ari.password (ACD_ARI__PASSWORD)"
            )
        return url

    @model_validator(mode="after")
    def _backoff_grows(self) -> Self:
        if self.reconnect_max_s < self.reconnect_min_s:
            raise field_error(
                "reconnect_max_s", f"must be at least reconnect_min_s ({self.reconnect_min_s:g})"
            )
        return self


class StorageSettings(ConfigModel):
    # Relative SQLite paths are left as given: SQLAlchemy resolves them against the working
    # directory, which is what an operator running "acd" from a deployment folder expects.
    url: DatabaseUrl = "sqlite+aiosqlite:///var/acd.sqlite3"
    # The engine's lease on its ARI application (acd.lease): how long it outlives a crashed
    # engine on another host, and how often the live engine renews it (well within the TTL).
    lease_ttl_s: Seconds = 15.0
    lease_renew_s: Seconds = 5.0

    @model_validator(mode="after")
    def _renew_within_ttl(self) -> Self:
        if not self.lease_renew_s < self.lease_ttl_s:
            raise field_error(
                "lease_renew_s",
                f"must be shorter than lease_ttl_s ({self.lease_ttl_s:g}), not "
                f"{self.lease_renew_s:g}",
            )
        return self


class HttpSettings(ConfigModel):
    listen: ListenAddress = "127.0.0.1:8080"
    # HTTPS: a PEM certificate (chain) and its private key, both or neither; relative paths are
    # relative to the directory acd is started from, like a relative SQLite path.
    tls_cert: FilePath | None = None
    tls_key: FilePath | None = None
    # Plain HTTP beyond loopback sends session cookies and tokens in the clear: only on purpose.
    allow_plain_http: bool = False
    # Reverse proxies (addresses or networks) whose X-Forwarded-For/-Proto/-Host are believed:
    # the audit log, the lockout per address, cookies and the Origin check then see the client.
    trusted_proxies: tuple[str, ...] = ()

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies(cls, entries: tuple[str, ...]) -> tuple[str, ...]:
        trusted_networks(entries)  # raises naming the bad entry
        return entries

    @model_validator(mode="after")
    def _tls_or_loopback(self) -> Self:
        if (self.tls_cert is None) != (self.tls_key is None):
            missing = "tls_key" if self.tls_key is None else "tls_cert"
            raise field_error(missing, "is needed too: set both tls_cert and tls_key, or neither")
        if self.tls_cert is not None and self.tls_key is not None:
            problem = tls_problem(self.tls_cert, self.tls_key)
            if problem:
                raise field_error("tls_cert", problem)
        elif not self.allow_plain_http and not is_loopback(self.host):
            raise field_error(
                "listen",
                f"{self.host} is reachable beyond this machine: set tls_cert and tls_key to "
                "serve HTTPS, or allow_plain_http: true to serve plain HTTP there on purpose",
            )
        return self

    @property
    def tls(self) -> bool:
        return self.tls_cert is not None

    @property
    def host(self) -> str:
        return split_listen(self.listen)[0]

    @property
    def port(self) -> int:
        return split_listen(self.listen)[1]


class OfferDelays(ConfigModel):
    """A pause per agent before they are offered a contact again, after an offer ended so:
    an agent whose phone was busy is probably on a private call and should not ring at once."""

    no_answer: SecondsOrZero = 0.0
    busy: SecondsOrZero = 0.0
    rejected: SecondsOrZero = 0.0


class EngineSettings(ConfigModel):
    ring_timeout_s: Seconds = 15.0
    wrap_up_s: SecondsOrZero = 10.0
    # The presence reason an agent gets when a call rang out on them unanswered.
    missed_reason: Text = "missed"
    presence_reasons: tuple[Text, ...] = (
        "training",
        "lunch",
        "break",
        "meeting",
        "admin",
        "missed",
    )
    caller_id: Text = "ACD <1700>"  # shown on the agent's phone for calls the ACD offers
    # Shown on a supervisor's own phone when the ACD calls it to listen, whisper or barge.
    monitor_caller_id: Text = "Meeluisteren <1700>"
    unknown_line_prompt: MediaUri = "sound:ss-noservice"
    # An agent who lets this many offers in a row ring out is set not available (missed_reason);
    # 1 is the strict default of a contact centre with a service level to keep.
    missed_in_a_row_before_not_available: Count = 1
    offer_delay_s: OfferDelays = Field(default_factory=lambda: OfferDelays())
    # How many of the most recent handling times the estimated-wait announcement averages.
    announcement_handling_window: Count = 20
    # How a callback reaches the citizen: {e164} (+32...), {digits} (32...) or {national}
    # (0470...) in an ARI endpoint, e.g. "PJSIP/{e164}@trunk" through a SIP trunk or
    # "PJSIP/trunk/sip:{e164}@sip.example.net"; not "PJSIP/trunk/{e164}" (Asterisk refuses it).
    callback_dial: DialTemplate = "PJSIP/{e164}@trunk"
    callback_whisper: Prompts = ("sound:acd-callback-whisper",)  # to the agent, before dialling
    callback_ring_timeout_s: Seconds = 30.0
    callback_dialer_interval_s: Seconds = 15.0  # how often the dialer looks for calm moments
    # How a phone transfer reaches an escalation point's number, with the same placeholders
    # as callback_dial; what the caller hears while it rings; how long it may ring.
    escalation_dial: DialTemplate = "PJSIP/{e164}@trunk"
    transfer_prompt: Prompts = ("sound:pls-hold-while-try",)
    escalation_ring_timeout_s: Seconds = 30.0
    # A caller who hangs up within this many seconds in the queue is a short abandon (counted
    # apart: a service level may leave them out, see docs/sla.md).
    short_abandon_s: SecondsOrZero = 5.0

    @model_validator(mode="after")
    def _reasons_consistent(self) -> Self:
        listed_twice(self.presence_reasons, "presence_reasons")
        if self.missed_reason not in self.presence_reasons:
            raise field_error(
                "missed_reason", f"{self.missed_reason!r} is not one of presence_reasons"
            )
        return self


class AcdFile(ConfigModel):
    """``acd.yaml``: everything but the contact centre's own data; every key has a default."""

    ari: AriSettings = Field(default_factory=AriSettings)
    storage: StorageSettings = Field(default_factory=StorageSettings)
    http: HttpSettings = Field(default_factory=HttpSettings)
    engine: EngineSettings = Field(default_factory=EngineSettings)
    # E-mail escalation; None: not configured, refused with that reason.
    mail: MailSettings | None = None
    auth: AuthSettings = Field(default_factory=AuthSettings)
    # Scheduled reports; None: none (``acd report`` works all the same).
    reports: ReportsSettings | None = None
    # Shared state for several engine nodes; None: one node, state in memory.
    redis: RedisSettings | None = None
    quality: QualitySettings = Field(default_factory=QualitySettings)
    log_level: LogLevel = "INFO"
    # The event loop of `acd run` (acd.event_loop): uvloop costs less CPU per call than
    # asyncio's own loop; "asyncio" opts out.
    event_loop: Literal["uvloop", "asyncio"] = "uvloop"
    # The processors `acd run` keeps to (Linux), every thread of it; empty: wherever the OS
    # puts it.  A core of its own, away from Asterisk and its phones, costs the engine about a
    # quarter less CPU per call at 20 calls/s: its caches stay warm between a call's bursts
    # (docs/performance.md, "One request fewer, a core of its own").
    cpu_affinity: tuple[Annotated[int, Field(ge=0)], ...] = ()

    @model_validator(mode="after")
    def _cpus_exist(self) -> Self:
        cpus = os.cpu_count() or 1
        for cpu in self.cpu_affinity:
            if cpu >= cpus:
                raise field_error(
                    "cpu_affinity", f"this machine has processors 0-{cpus - 1}, not {cpu}"
                )
        if len(set(self.cpu_affinity)) != len(self.cpu_affinity):
            raise field_error("cpu_affinity", f"a processor listed twice: {self.cpu_affinity}")
        if self.cpu_affinity and not hasattr(os, "sched_setaffinity"):
            raise field_error("cpu_affinity", "needs Linux (os.sched_setaffinity)")
        return self

    @model_validator(mode="after")
    def _report_mail_needs_mail(self) -> Self:
        if self.reports is not None and self.mail is None:
            for index, schedule in enumerate(self.reports.schedules):
                if schedule.mail_to:
                    raise field_error(
                        ("reports", "schedules", str(index), "mail_to"),
                        "mailing a report needs the mail section (smtp)",
                    )
        return self


# --- line_codes.yaml, lines.yaml, agents.yaml -------------------------------------------------


class LineCode(RoutingFields):
    """A topic a call is for and an agent is trained in (lijncode), e.g. "1700 Andere Vragen",
    with its routing (``policy``, ``weight``, ``steps``: see :mod:`acd.settings.routing`)."""

    name: Text
    description: str = ""
    # What an agent picks from when registering a contact of this line code (the seed's
    # wrap-up: note the question, pick a reason, link the scripts used, close the contact).
    contact_reasons: tuple[Text, ...] = ()
    # The most after-call work an agent gets after a call of this line code (default: the
    # engine's wrap_up_s); closing the contact ends it sooner.
    wrap_up_s: SecondsOrZero | None = None

    @model_validator(mode="after")
    def _no_fallback_to_itself(self) -> Self:
        listed_twice(self.contact_reasons, "contact_reasons")
        for index, step in enumerate(self.steps):
            if self.name in step.fallback:
                raise field_error(
                    ("steps", index, "fallback", self.name), "is the line code itself"
                )
        return self


class Line(ConfigModel):
    """A line callers dial: 1700 or a sector line with its own numbers."""

    id: Identifier
    name: Text
    numbers: tuple[DialableNumber, ...] = ()
    line_codes: tuple[Text, ...] = Field(min_length=1)
    # Always one of line_codes after validation; "" only as the placeholder the model validator
    # below fills in with the first line code.
    default_line_code: str = ""
    language: Language = "nl"
    welcome_prompt: Prompts = ()
    moh_class: Text = "default"
    calendar: Text = STANDARD_CALENDAR  # a calendar of calendars.yaml
    closed_prompts: ClosedPrompts = Field(default_factory=lambda: ClosedPrompts())
    at_closing: AtClosing = AtClosing.KEEP_SERVING
    closing_prompt: Prompts = ("sound:acd-closing",)  # to queued callers, with close_queue
    menu: Menu | None = None
    announcements: Announcements = Field(default_factory=lambda: Announcements())
    no_agents: NoAgents = Field(default_factory=lambda: NoAgents())
    # A caller who hangs up and calls again within this window gets their place back.
    rejoin_window_s: SecondsOrZero = 120.0
    callbacks: CallbackSettings = Field(default_factory=lambda: CallbackSettings())
    survey: SurveySettings = Field(default_factory=lambda: SurveySettings())
    recording: RecordingSettings = Field(default_factory=lambda: RecordingSettings())

    @model_validator(mode="before")
    @classmethod
    def _default_to_first_line_code(cls, data: object) -> object:
        if isinstance(data, Mapping) and data.get("default_line_code") is None:
            codes = data.get("line_codes")
            if isinstance(codes, list | tuple) and codes:
                return {**data, "default_line_code": codes[0]}
        return data

    @model_validator(mode="after")
    def _default_is_own_line_code(self) -> Self:
        listed_twice(self.line_codes, "line_codes")
        if self.default_line_code not in self.line_codes:
            raise field_error(
                "default_line_code",
                f"{self.default_line_code!r} is not one of the line's line_codes",
            )
        for digit, name in self.menu.options.items() if self.menu else ():
            if name not in self.line_codes:
                raise field_error(
                    ("menu", "options", digit), f"{name!r} is not one of the line's line_codes"
                )
        # A share for a line code the line never serves would never apply: a typo, surely.
        for name in self.recording.line_codes:
            if name not in self.line_codes:
                raise field_error(
                    ("recording", "line_codes", name),
                    f"{name!r} is not one of the line's line_codes",
                )
        return self


class Agent(ConfigModel):
    """An agent (voorlichter) and the line codes they take calls for, with a proficiency each."""

    id: Identifier
    name: Text
    endpoint: Endpoint
    line_codes: ProficiencyMap = Field(min_length=1)

    @field_validator("line_codes", mode="before")
    @classmethod
    def _levels_from_names(cls, value: object) -> object:
        # Two spellings: a list of names (each at DEFAULT_PROFICIENCY) or {name: level}, where an
        # empty level also means the default.  Both end up as one mapping name -> level.
        if isinstance(value, Mapping):
            return {k: DEFAULT_PROFICIENCY if v is None else v for k, v in value.items()}
        if not isinstance(value, list | tuple):
            shapes = "a list of line codes or a mapping line code: level"
            raise ValueError(f"expected {shapes}, got {describe(value)}")
        levels: dict[str, object] = {}
        for index, name in enumerate(value):
            if not isinstance(name, str):
                raise field_error(index, f"expected a line code name, got {describe(name)}")
            if name in levels:
                raise field_error(index, f"{name!r} is listed twice")
            levels[name] = DEFAULT_PROFICIENCY
        return levels


class LineCodesFile(ConfigModel):
    line_codes: tuple[LineCode, ...] = Field(min_length=1)


class LinesFile(ConfigModel):
    lines: tuple[Line, ...] = Field(min_length=1)


class AgentsFile(ConfigModel):
    # May be empty: a new deployment can start before its agents are entered.
    agents: tuple[Agent, ...]
