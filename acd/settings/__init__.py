"""Configuration: one typed, frozen :class:`Settings` object, loaded once at start.

A config directory holds ``acd.yaml`` (optional: ARI, storage, HTTP, engine, log level),
``line_codes.yaml`` (with routing), ``calendars.yaml`` (optional: opening hours), ``lines.yaml``,
``agents.yaml`` and ``escalation_points.yaml``.  Precedence, lowest first: model
defaults < ``acd.yaml`` < environment (``ACD_<SECTION>__<KEY>``, e.g. ``ACD_ARI__URL``,
``ACD_LOG_LEVEL``) < command-line overrides (``{"ari.url": ...}``).  Only
:func:`load_settings` reads the environment; everything else receives :class:`Settings`.

Mistakes are refused with :class:`~foundation.errors.ConfigErrors`, one ``file: key: reason`` each,
e.g. ``config/lines.yaml: lines[2].numbers[0]: '17OO' is not a dialable number``.
"""

from acd.settings.calendars import (
    STANDARD_CALENDAR,
    CalendarConfig,
    ClosureConfig,
    HolidaysConfig,
    MessageConfig,
    OpeningConfig,
    WeeklyConfig,
)
from acd.settings.callback_options import (
    CallbackDigits,
    CallbackMode,
    CallbackPrompts,
    CallbackSettings,
)
from acd.settings.escalations import (
    DeviationConfig,
    EscalationPointConfig,
    EscalationPointsFile,
    ScheduledChangeConfig,
)
from acd.settings.fields import (
    DEFAULT_PROFICIENCY,
    LOG_LEVELS,
    MAX_PROFICIENCY,
    MIN_PROFICIENCY,
    split_listen,
)
from acd.settings.line_options import (
    Announcements,
    AtClosing,
    ClosedPrompts,
    Menu,
    NoAgents,
    NoAgentsAction,
)
from acd.settings.loader import (
    ACD_FILE,
    AGENTS_FILE,
    CALENDARS_FILE,
    ESCALATION_POINTS_FILE,
    LINE_CODES_FILE,
    LINES_FILE,
    load_settings,
)
from acd.settings.models import (
    Agent,
    AriSettings,
    EngineSettings,
    HttpSettings,
    Line,
    LineCode,
    OfferDelays,
    StorageSettings,
)
from acd.settings.problems import format_key
from acd.settings.settings import Settings
from acd.settings.summary import check_config, summarize

__all__ = [
    "ACD_FILE",
    "AGENTS_FILE",
    "CALENDARS_FILE",
    "DEFAULT_PROFICIENCY",
    "ESCALATION_POINTS_FILE",
    "LINES_FILE",
    "LINE_CODES_FILE",
    "LOG_LEVELS",
    "MAX_PROFICIENCY",
    "MIN_PROFICIENCY",
    "STANDARD_CALENDAR",
    "Agent",
    "Announcements",
    "AriSettings",
    "AtClosing",
    "CalendarConfig",
    "CallbackDigits",
    "CallbackMode",
    "CallbackPrompts",
    "CallbackSettings",
    "ClosedPrompts",
    "ClosureConfig",
    "DeviationConfig",
    "EngineSettings",
    "EscalationPointConfig",
    "EscalationPointsFile",
    "HolidaysConfig",
    "HttpSettings",
    "Line",
    "LineCode",
    "Menu",
    "MessageConfig",
    "NoAgents",
    "NoAgentsAction",
    "OfferDelays",
    "OpeningConfig",
    "ScheduledChangeConfig",
    "Settings",
    "StorageSettings",
    "WeeklyConfig",
    "check_config",
    "format_key",
    "load_settings",
    "split_listen",
    "summarize",
]
