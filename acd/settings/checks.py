"""Checks that need more than one model: unique ids, numbers and endpoints, and references from
lines and agents to the line codes of ``line_codes.yaml``.

Each function returns every problem it finds (not only the first), located inside its own file,
so an operator fixes a whole file in one round.  Items that are wrong on their own are passed as
None (keeping the positions of the others right) and skipped.  ``defined`` is None when
``line_codes.yaml`` is broken: references are then not checked, as many would look wrong.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from acd.settings.models import Agent, Line, LineCode
from acd.settings.problems import Loc, Problem, format_key


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
    return problems


def line_problems(lines: Sequence[Line | None], defined: Collection[str] | None) -> list[Problem]:
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


def _undefined(name: str) -> str:
    return f"{name!r} is not defined in line_codes.yaml"
