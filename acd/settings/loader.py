"""``load_settings``: defaults < config files < environment < command line, validated once.

Every mistake found is collected, in all files, and raised together as one
:class:`~foundation.errors.ConfigErrors`, so an operator sees the whole list at the first start.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from acd.settings.calendars import STANDARD_CALENDAR, CalendarConfig, CalendarsFile
from acd.settings.checks import (
    agent_problems,
    calendar_problems,
    email_template_problems,
    escalation_point_problems,
    line_code_problems,
    line_problems,
)
from acd.settings.escalations import EscalationPointConfig, EscalationPointsFile
from acd.settings.models import (
    AcdFile,
    Agent,
    AgentsFile,
    Line,
    LineCode,
    LineCodesFile,
    LinesFile,
)
from acd.settings.problems import Loc, Problem, problems_of
from acd.settings.settings import Settings
from acd.settings.sources import Origin, apply_layers, file_label, layer_values, read_yaml
from foundation.errors import ConfigError, ConfigErrors

ACD_FILE = "acd.yaml"
LINE_CODES_FILE = "line_codes.yaml"
CALENDARS_FILE = "calendars.yaml"
LINES_FILE = "lines.yaml"
AGENTS_FILE = "agents.yaml"
ESCALATION_POINTS_FILE = "escalation_points.yaml"

_Item = TypeVar("_Item", bound=BaseModel)


def load_settings(
    config_dir: Path,
    *,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, str] | None = None,
) -> Settings:
    """Read the config directory, layer ``ACD_<SECTION>__<KEY>`` variables from ``env`` and
    dotted ``overrides`` (``{"ari.url": ...}``) over ``acd.yaml``, and validate it all.

    ``env`` defaults to ``os.environ``; this is the only place in the project that reads it.
    Raises :class:`ConfigErrors` listing every mistake, each as ``file: key: reason``.
    """
    config_dir = Path(config_dir)
    if env is None:
        env = os.environ
    if not config_dir.is_dir():
        raise ConfigErrors([ConfigError(str(config_dir), "", "is not a directory")])
    errors: list[ConfigError] = []
    acd = _load_acd(config_dir, env, overrides or {}, errors)

    # Cross checks run even when some items are wrong, over the items that are right, so one
    # round of fixes is enough; references only once the line codes themselves are sound.
    codes_ok, codes, problems = _load(config_dir, LINE_CODES_FILE, LineCodesFile, LineCode, errors)
    _report(config_dir, LINE_CODES_FILE, problems + line_code_problems(codes), errors)
    defined = {code.name for code in codes if code is not None} if codes_ok else None
    calendars_ok, calendars, problems = _load(
        config_dir, CALENDARS_FILE, CalendarsFile, CalendarConfig, errors, required=False
    )
    _report(config_dir, CALENDARS_FILE, problems + calendar_problems(calendars), errors)
    named = {STANDARD_CALENDAR, *(c.name for c in calendars if c)} if calendars_ok else None
    lines_ok, lines, problems = _load(config_dir, LINES_FILE, LinesFile, Line, errors)
    _report(config_dir, LINES_FILE, problems + line_problems(lines, defined, named), errors)
    agents_ok, agents, problems = _load(config_dir, AGENTS_FILE, AgentsFile, Agent, errors)
    _report(config_dir, AGENTS_FILE, problems + agent_problems(agents, defined), errors)
    points_ok, points, problems = _load(
        config_dir, ESCALATION_POINTS_FILE, EscalationPointsFile, EscalationPointConfig, errors
    )
    covered = lines if lines_ok and points_ok else None  # not over a missing file
    problems += escalation_point_problems(points, defined, covered)
    if acd is not None and acd.mail is not None:  # without it, e-mail escalation is refused
        problems += email_template_problems(points, acd.mail.templates)
    _report(config_dir, ESCALATION_POINTS_FILE, problems, errors)

    files_ok = codes_ok and calendars_ok and lines_ok and agents_ok and points_ok
    if errors or acd is None or not files_ok:
        raise ConfigErrors(errors)
    return Settings(
        config_dir=config_dir,
        ari=acd.ari,
        storage=acd.storage,
        http=acd.http,
        engine=acd.engine,
        mail=acd.mail,
        auth=acd.auth,
        reports=acd.reports,
        redis=acd.redis,
        quality=acd.quality,
        log_level=acd.log_level,
        event_loop=acd.event_loop,
        cpu_affinity=acd.cpu_affinity,
        line_codes=_all(codes),
        calendars=_all(calendars),
        lines=_all(lines),
        agents=_all(agents),
        escalation_points=_all(points),
    )


def _all(items: list[_Item | None]) -> tuple[_Item, ...]:
    return tuple(item for item in items if item is not None)


def _report(
    config_dir: Path, name: str, problems: list[Problem], errors: list[ConfigError]
) -> None:
    """Add a file's problems to ``errors`` in the order of the items they are about."""
    label = file_label(config_dir, name)
    problems = sorted(problems, key=lambda problem: _item_order(problem.loc))
    errors.extend(ConfigError(label, problem.key, problem.reason) for problem in problems)


def _item_order(loc: Loc) -> tuple[int, ...]:
    # ("lines", 3, ...) -> (3,); stable sorting keeps each item's problems in the order found.
    return tuple(part for part in loc[1:2] if isinstance(part, int))


def _load(
    config_dir: Path,
    name: str,
    file_model: type[BaseModel],
    item_model: type[_Item],
    errors: list[ConfigError],
    *,
    required: bool = True,
) -> tuple[bool, list[_Item | None], list[Problem]]:
    """Whether the file is entirely right, its items (one list under one key), each None where
    that item is wrong, and what is wrong.  A file that cannot be read goes to ``errors``; an
    optional file that is absent has no items."""
    label = file_label(config_dir, name)
    path = config_dir / name
    if not path.exists() and not required:
        return True, [], []
    if not path.is_file():
        errors.append(ConfigError(label, "", "required file is missing"))
        return False, [], []
    try:
        raw = read_yaml(path, label)
    except ConfigError as exc:
        errors.append(exc)
        return False, [], []
    (key,) = file_model.model_fields
    try:
        return True, list(getattr(file_model.model_validate(raw), key)), []
    except ValidationError as exc:
        return False, _salvage(raw, key, item_model), problems_of(exc)


def _salvage(raw: object, key: str, item_model: type[_Item]) -> list[_Item | None]:
    """The items of a file that failed validation, those that are right on their own kept."""
    items = raw.get(key) if isinstance(raw, dict) else None
    if not isinstance(items, list):
        return []
    salvaged: list[_Item | None] = []
    for item in items:
        try:
            salvaged.append(item_model.model_validate(item))
        except ValidationError:
            salvaged.append(None)  # already reported by the file's validation
    return salvaged


def _load_acd(
    config_dir: Path,
    env: Mapping[str, str],
    overrides: Mapping[str, str],
    errors: list[ConfigError],
) -> AcdFile | None:
    label = file_label(config_dir, ACD_FILE)
    path = config_dir / ACD_FILE
    values = layer_values(env, overrides, errors)
    try:
        # acd.yaml is optional: without it, defaults < environment < command line still hold.
        raw = read_yaml(path, label) if path.exists() else {}
    except ConfigError as exc:
        errors.append(exc)
        return None
    data, origins = apply_layers(raw, values)
    try:
        return AcdFile.model_validate(data)
    except ValidationError as exc:
        for problem in problems_of(exc):
            origin = _origin(problem.loc, origins)
            if origin is None:
                errors.append(ConfigError(label, problem.key, problem.reason))
            else:
                errors.append(ConfigError(origin.source, origin.key, problem.reason))
        return None


def _origin(loc: Loc, origins: dict[Loc, Origin]) -> Origin | None:
    """The environment variable or override behind the value at ``loc``, if one set it."""
    for length in range(len(loc), 0, -1):
        if loc[:length] in origins:
            return origins[loc[:length]]
    return None
