"""Checks that need more than one model: unique ids, names, numbers and endpoints, and
references from lines, agents and routing steps to the line codes of ``line_codes.yaml``, and
from lines to the calendars of ``calendars.yaml``.

Each function returns every problem it finds (not only the first), located inside its own file,
so an operator fixes a whole file in one round.  Items that are wrong on their own are passed as
None (keeping the positions of the others right) and skipped.  ``defined`` (line code names) and
``calendars`` (calendar names) are None when their file is broken: references to it are then
not checked, as many would look wrong.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from acd.settings.calendars import CalendarConfig
from acd.settings.escalations import EscalationPointConfig, line_code_users
from acd.settings.models import Agent, Line, LineCode
from acd.settings.problems import Loc, Problem, format_key
from escalations import uncovered_line_codes


def line_code_problems(line_codes: Sequence[LineCode | None]) -> list[Problem]:
    problems: list[Problem] = []
    first: dict[str, int] = {}
    for index, code in enumerate(line_codes):
        if code is None:
            continue
        if code.name in first:
            where = format_key(("line_codes", first[code.name]))
            problems.append(
                Problem(
                    ("line_codes", index, "name"), f"{code.name!r} is already defined at {where}"
                )
            )
        first.setdefault(code.name, index)
    # A broken line code is None here, and a step falling back to it would look undefined.
    if all(code is not None for code in line_codes):
        problems += _fallback_problems(line_codes, set(first))
    return problems


def _fallback_problems(line_codes: Sequence[LineCode | None], defined: set[str]) -> list[Problem]:
    return [
        Problem(("line_codes", index, "steps", position, "fallback", name), _undefined(name))
        for index, code in enumerate(line_codes)
        if code is not None
        for position, step in enumerate(code.steps)
        for name in step.fallback
        if name not in defined
    ]


def calendar_problems(calendars: Sequence[CalendarConfig | None]) -> list[Problem]:
    problems: list[Problem] = []
    first: dict[str, int] = {}
    for index, calendar in enumerate(calendars):
        if calendar is None:
            continue
        if calendar.name in first:
            where = format_key(("calendars", first[calendar.name]))
            problems.append(
                Problem(
                    ("calendars", index, "name"),
                    f"{calendar.name!r} is already defined at {where}",
                )
            )
        first.setdefault(calendar.name, index)
    return problems


def line_problems(
    lines: Sequence[Line | None],
    defined: Collection[str] | None,
    calendars: Collection[str] | None = None,
) -> list[Problem]:
    problems: list[Problem] = []
    first_id: dict[str, int] = {}
    first_number: dict[str, Loc] = {}
    for index, line in enumerate(lines):
        if line is None:
            continue
        if line.id in first_id:
            where = format_key(("lines", first_id[line.id]))
            problems.append(
                Problem(("lines", index, "id"), f"{line.id!r} is already the id of {where}")
            )
        first_id.setdefault(line.id, index)
        # A dialled number must lead to exactly one line, so numbers are unique across all lines.
        for position, number in enumerate(line.numbers):
            loc: Loc = ("lines", index, "numbers", position)
            if number in first_number:
                where = format_key(first_number[number])
                problems.append(Problem(loc, f"{number!r} is already a number at {where}"))
            first_number.setdefault(number, loc)
        if defined is not None:
            problems += [
                Problem(("lines", index, "line_codes", position), _undefined(name))
                for position, name in enumerate(line.line_codes)
                if name not in defined
            ]
            fallback = line.no_agents.fallback_line_code
            if fallback is not None and fallback not in defined:
                problems.append(
                    Problem(
                        ("lines", index, "no_agents", "fallback_line_code"), _undefined(fallback)
                    )
                )
        if calendars is not None and line.calendar not in calendars:
            problems.append(
                Problem(
                    ("lines", index, "calendar"),
                    f"{line.calendar!r} is not defined in calendars.yaml",
                )
            )
    return problems


def agent_problems(
    agents: Sequence[Agent | None], defined: Collection[str] | None
) -> list[Problem]:
    problems: list[Problem] = []
    first_id: dict[str, int] = {}
    first_endpoint: dict[str, int] = {}
    for index, agent in enumerate(agents):
        if agent is None:
            continue
        if agent.id in first_id:
            where = format_key(("agents", first_id[agent.id]))
            problems.append(
                Problem(("agents", index, "id"), f"{agent.id!r} is already the id of {where}")
            )
        first_id.setdefault(agent.id, index)
        # Two agents on one endpoint would both "answer" the same ringing phone.
        if agent.endpoint in first_endpoint:
            where = format_key(("agents", first_endpoint[agent.endpoint]))
            problems.append(
                Problem(
                    ("agents", index, "endpoint"),
                    f"{agent.endpoint!r} is already the endpoint of {where}",
                )
            )
        first_endpoint.setdefault(agent.endpoint, index)
        if defined is not None:
            problems += [
                Problem(("agents", index, "line_codes", name), _undefined(name))
                for name in agent.line_codes
                if name not in defined
            ]
    return problems


def escalation_point_problems(
    points: Sequence[EscalationPointConfig | None],
    defined: Collection[str] | None,
    lines: Sequence[Line | None] | None,
) -> list[Problem]:
    """Unique ids, line codes defined in line_codes.yaml, and every line code a line uses
    linked to at least one point (as configured and after every scheduled change).  ``lines``
    is None when lines.yaml is broken; coverage is then not checked, nor when a point or
    line_codes.yaml is."""
    problems: list[Problem] = []
    first: dict[str, int] = {}
    for index, point in enumerate(points):
        if point is None:
            continue
        if point.id in first:
            where = format_key(("escalation_points", first[point.id]))
            problems.append(
                Problem(
                    ("escalation_points", index, "id"), f"{point.id!r} is already the id of {where}"
                )
            )
        first.setdefault(point.id, index)
        if defined is not None:
            problems += [
                Problem(("escalation_points", index, "line_codes", position), _undefined(name))
                for position, name in enumerate(point.line_codes)
                if name not in defined
            ]
            for number, change in enumerate(point.scheduled_changes):
                codes = change.set.get("line_codes", ())
                problems += [
                    Problem(
                        ("escalation_points", index, "scheduled_changes", number, "set"),
                        f"line_codes: {_undefined(name)}",
                    )
                    for name in codes
                    if name not in defined
                ]
    if lines is None or defined is None or any(point is None for point in points):
        return problems
    # A line code that is not defined is reported against lines.yaml already.
    users = {code: line for code, line in line_code_users(lines).items() if code in defined}
    models = [point.to_point() for point in points if point is not None]
    for code, since in uncovered_line_codes(models, list(users)).items():
        when = "" if since is None else f" from {since} on (a scheduled change unlinks it)"
        problems.append(
            Problem(
                ("escalation_points",),
                f"line code {code!r} (line {users[code]!r}) has no escalation point{when}:"
                " link at least one",
            )
        )
    return problems


def _undefined(name: str) -> str:
    return f"{name!r} is not defined in line_codes.yaml"


def email_template_problems(
    points: Sequence[EscalationPointConfig | None], templates: Collection[str]
) -> list[Problem]:
    """Each point's e-mail template (as configured and as a scheduled change sets it) among
    the templates of acd.yaml's ``mail`` section; ``templates`` are their names."""
    known = ", ".join(repr(name) for name in sorted(templates))
    problems = []
    for index, point in enumerate(points):
        if point is None:
            continue
        named: list[tuple[Loc, str]] = [
            (("escalation_points", index, "email_template"), point.email_template)
        ]
        named += [
            (("escalation_points", index, "scheduled_changes", n, "set", "email_template"), name)
            for n, change in enumerate(point.scheduled_changes)
            if isinstance(name := change.set.get("email_template"), str)
        ]
        problems += [
            Problem(
                loc,
                f"point {point.id!r}: template {name!r} is not in acd.yaml mail.templates"
                f" (there: {known})",
            )
            for loc, name in named
            if name not in templates
        ]
    return problems
