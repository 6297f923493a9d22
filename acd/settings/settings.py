"""The one settings object the rest of the engine receives."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, Self

from pydantic import Field, PrivateAttr, model_validator

from acd.settings.auth_options import AuthSettings
from acd.settings.base import ConfigModel
from acd.settings.calendars import STANDARD, STANDARD_CALENDAR, CalendarConfig
from acd.settings.checks import (
    agent_problems,
    calendar_problems,
    escalation_point_problems,
    line_code_problems,
    line_problems,
)
from acd.settings.escalations import EscalationPointConfig
from acd.settings.fields import LogLevel
from acd.settings.mail_options import MailSettings
from acd.settings.models import (
    Agent,
    AriSettings,
    EngineSettings,
    HttpSettings,
    Line,
    LineCode,
    StorageSettings,
)
from acd.settings.quality_options import QualitySettings
from acd.settings.redis_options import RedisSettings
from acd.settings.report_options import ReportsSettings
from escalations import EscalationPoint
from foundation.calendars import Calendar


class Settings(ConfigModel):
    """Everything the engine is configured with, validated and frozen.

    Built by :func:`acd.settings.load_settings`; tests may also build one directly from models
    (``Settings(line_codes=..., lines=..., agents=...)``), which runs the same cross checks.
    """

    config_dir: Path = Path()
    ari: AriSettings = Field(default_factory=AriSettings)
    storage: StorageSettings = Field(default_factory=StorageSettings)
    http: HttpSettings = Field(default_factory=HttpSettings)
    engine: EngineSettings = Field(default_factory=EngineSettings)
    mail: MailSettings | None = None  # e-mail escalation; None: refused
    auth: AuthSettings = Field(default_factory=AuthSettings)
    reports: ReportsSettings | None = None  # scheduled reports; None: none
    redis: RedisSettings | None = None  # shared state of several nodes; None: one node
    quality: QualitySettings = Field(default_factory=QualitySettings)  # listening sessions
    log_level: LogLevel = "INFO"
    event_loop: Literal["uvloop", "asyncio"] = "uvloop"  # acd run's loop (acd.event_loop)
    cpu_affinity: tuple[int, ...] = ()  # the processors acd run keeps to; empty: any
    line_codes: tuple[LineCode, ...]
    lines: tuple[Line, ...]
    agents: tuple[Agent, ...]
    calendars: tuple[CalendarConfig, ...] = ()  # as configured; see calendar() for the models
    # As configured; see points() for the models.  Left empty (settings built in code), the
    # rule that every line code has a point is not checked: the file, when loaded, is required.
    escalation_points: tuple[EscalationPointConfig, ...] = ()

    # Indexes for the lookups the engine does on every call; filled once after validation.
    _lines_by_id: dict[str, Line] = PrivateAttr(default_factory=dict)
    _lines_by_number: dict[str, Line] = PrivateAttr(default_factory=dict)
    _agents_by_id: dict[str, Agent] = PrivateAttr(default_factory=dict)
    _line_codes_by_name: dict[str, LineCode] = PrivateAttr(default_factory=dict)
    _calendars_by_name: dict[str, Calendar] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        defined = {code.name for code in self.line_codes}
        named = {STANDARD_CALENDAR, *(calendar.name for calendar in self.calendars)}
        problems = [
            *line_code_problems(self.line_codes),
            *calendar_problems(self.calendars),
            *line_problems(self.lines, defined, named),
            *agent_problems(self.agents, defined),
            *escalation_point_problems(
                self.escalation_points, defined, self.lines if self.escalation_points else None
            ),
        ]
        if problems:
            raise ValueError("; ".join(f"{p.key}: {p.reason}" for p in problems))
        return self

    def model_post_init(self, context: Any, /) -> None:
        self._lines_by_id.update((line.id, line) for line in self.lines)
        self._lines_by_number.update((n, line) for line in self.lines for n in line.numbers)
        self._agents_by_id.update((agent.id, agent) for agent in self.agents)
        self._line_codes_by_name.update((code.name, code) for code in self.line_codes)
        # Built once: the engine asks for a line's calendar on every call.  The file may
        # redefine the standard calendar.
        self._calendars_by_name[STANDARD_CALENDAR] = STANDARD
        self._calendars_by_name.update((c.name, c.to_calendar()) for c in self.calendars)

    def escalation_point_models(self) -> tuple[EscalationPoint, ...]:
        """The configured escalation points as models (the store's seed at start)."""
        return tuple(point.to_point() for point in self.escalation_points)

    def line_by_id(self, line_id: str) -> Line | None:
        """The line named by the Stasis argument after ``inbound``, or None if there is none."""
        return self._lines_by_id.get(line_id)

    def line_by_number(self, number: str) -> Line | None:
        """The line a dialled number belongs to (exact match), or None."""
        return self._lines_by_number.get(number)

    def agent_by_id(self, agent_id: str) -> Agent | None:
        return self._agents_by_id.get(agent_id)

    def line_code(self, name: str) -> LineCode | None:
        return self._line_codes_by_name.get(name)

    def agents_for_line_code(self, name: str) -> tuple[Agent, ...]:
        """The agents skilled in a line code, in config order."""
        return tuple(agent for agent in self.agents if name in agent.line_codes)

    def calendar(self, name: str) -> Calendar | None:
        """The calendar of that name in calendars.yaml, or the built-in ``standard``."""
        return self._calendars_by_name.get(name)

    def line_calendar(self, line: Line) -> Calendar:
        """The calendar a line's hours follow (always defined: references are checked)."""
        return self._calendars_by_name[line.calendar]
