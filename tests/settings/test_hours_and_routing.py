"""The new keys when they are right: defaults, calendars.yaml turned into calendars, routing
steps, line options and the engine's offer settings."""

from __future__ import annotations

from datetime import date, datetime
from types import MappingProxyType

import pytest

from acd.settings import (
    AtClosing,
    ClosedPrompts,
    NoAgentsAction,
    Settings,
    load_settings,
)
from foundation.calendars import Closure, Message, Opening, PublicHolidays, Reason, Slot
from foundation.calendars import standard_calendar as built_in_standard
from skills import Policy, Step
from tests.settings.conftest import LINE_CODES, WriteConfig

CALENDARS = """\
calendars:
  - name: "1700"
    timezone: Europe/Brussels
    weekly:
      mon: ["13:00-19:00", "09:00-12:00"]
      sat: ["10:00-24:00"]
    holidays: {country: BE, subdiv: Flemish, language: fr}
    closures:
      - {date: 2027-07-11, note: "Feest van de Vlaamse Gemeenschap"}
      - {from: "2027-12-24T16:00", to: "2027-12-27 09:00", note: "Kerst"}
    openings:
      - {date: 2027-04-04, slots: ["10:00-14:00"], note: "Extra zondag"}
    messages:
      - {date: 2027-03-30, prompt: "sound:acd-changed-hours"}
  - name: around-the-clock
    timezone: UTC
    weekly: {sun: ["00:00-24:00"]}
    holidays: null
"""

LINES_WITH_CALENDARS = """\
lines:
  - {id: "1700", name: "1700", line_codes: ["1700 Andere Vragen"], calendar: "1700"}
  - {id: "1701", name: "Onderwijs", line_codes: ["1700 Belastingen"]}
"""


def test_without_calendars_yaml_every_line_follows_standard(write_config: WriteConfig) -> None:
    settings = load_settings(write_config(), env={})
    line = settings.lines[0]
    assert line.calendar == "standard"
    assert settings.line_calendar(line) == built_in_standard()
    assert settings.calendar("standard") == built_in_standard()
    assert settings.calendar("1700") is None
    assert settings.calendars == ()


def test_calendars_yaml_becomes_calendars(write_config: WriteConfig) -> None:
    settings = load_settings(
        write_config({"calendars.yaml": CALENDARS, "lines.yaml": LINES_WITH_CALENDARS}), env={}
    )
    calendar = settings.line_calendar(settings.lines[0])
    assert calendar.name == "1700"
    assert calendar.timezone.key == "Europe/Brussels"
    assert calendar.weekly[0] == (Slot.parse("09:00-12:00"), Slot.parse("13:00-19:00"))
    assert calendar.weekly[5] == (Slot.parse("10:00-24:00"),)
    assert calendar.weekly[1] == ()
    assert calendar.public_holidays == PublicHolidays("BE", "Flemish", "fr")
    assert calendar.closures == (
        Closure.on(date(2027, 7, 11), "Feest van de Vlaamse Gemeenschap"),
        Closure(datetime(2027, 12, 24, 16), datetime(2027, 12, 27, 9), "Kerst"),
    )
    assert calendar.openings == (
        Opening(date(2027, 4, 4), (Slot.parse("10:00-14:00"),), "Extra zondag"),
    )
    assert calendar.messages == (Message(date(2027, 3, 30), "sound:acd-changed-hours"),)
    clock = settings.calendar("around-the-clock")
    assert clock is not None
    assert clock.public_holidays is None
    assert clock.timezone.key == "UTC"
    # The line without a calendar key still gets the built-in standard.
    assert settings.line_calendar(settings.lines[1]).name == "standard"


def test_calendars_yaml_may_redefine_standard(write_config: WriteConfig) -> None:
    text = 'calendars:\n  - {name: standard, weekly: {mon: ["08:00-12:00"]}}\n'
    settings = load_settings(write_config({"calendars.yaml": text}), env={})
    assert settings.line_calendar(settings.lines[0]).weekly[0] == (Slot.parse("08:00-12:00"),)


def test_an_empty_calendars_yaml_is_fine(write_config: WriteConfig) -> None:
    settings = load_settings(write_config({"calendars.yaml": ""}), env={})
    assert settings.calendars == ()


def test_line_options_default(write_config: WriteConfig) -> None:
    line = load_settings(write_config(), env={}).lines[0]
    assert line.closed_prompts == ClosedPrompts()
    assert line.closed_prompts.holiday == ("sound:acd-closed-holiday",)
    assert line.at_closing is AtClosing.KEEP_SERVING
    assert line.closing_prompt == ("sound:acd-closing",)
    assert line.menu is None
    assert not line.announcements.enabled
    assert (line.announcements.first_after_s, line.announcements.interval_s) == (30, 60)
    assert line.no_agents.action is NoAgentsAction.WAIT
    assert line.no_agents.fallback_line_code is None
    assert line.rejoin_window_s == 120


@pytest.mark.parametrize(
    ("reason", "prompts"),
    [
        (Reason.HOLIDAY, ("sound:acd-closed-holiday",)),
        (Reason.WEEKEND, ("sound:acd-closed-weekend",)),
        (Reason.CLOSURE, ("sound:x", "sound:y")),
        (Reason.OUTSIDE_HOURS, ("sound:acd-closed-outside-hours",)),
        (Reason.OPEN, ()),
    ],
)
def test_closed_prompt_per_reason(reason: Reason, prompts: tuple[str, ...]) -> None:
    closed = ClosedPrompts.model_validate({"closure": ["sound:x", "sound:y"]})
    assert closed.for_reason(reason) == prompts


def test_menu_options_are_read_only(write_config: WriteConfig) -> None:
    text = (
        'lines:\n  - {id: "1700", name: "1700", line_codes: ["1700 Andere Vragen",'
        ' "1700 Belastingen"], menu: {prompt: "sound:m", options: {1: "1700 Belastingen",'
        ' "#": "1700 Andere Vragen"}}}\n'
    )
    menu = load_settings(write_config({"lines.yaml": text}), env={}).lines[0].menu
    assert menu is not None
    assert dict(menu.options) == {"1": "1700 Belastingen", "#": "1700 Andere Vragen"}
    assert isinstance(menu.options, MappingProxyType)
    assert (menu.timeout_s, menu.max_tries, menu.interruptible) == (5, 3, True)
    assert menu.prompt == ("sound:m",)


def test_line_code_routing_defaults(write_config: WriteConfig) -> None:
    code = load_settings(write_config(), env={}).line_codes[0]
    assert code.policy is Policy.LONGEST_IDLE
    assert code.weight == 1.0
    assert code.steps == (Step(after_s=0),)
    step = code.steps[0]
    assert (step.min_level, dict(step.fallback), step.priority, step.skip_if_no_agents) == (
        1,
        {},
        None,
        True,
    )


def test_routing_steps_as_written(write_config: WriteConfig) -> None:
    text = LINE_CODES.replace(
        '  - {name: "1700 Belastingen"}',
        '  - {name: "1700 Belastingen", policy: round_robin, weight: 2.5, steps: ['
        "{after_s: 0, min_level: 4}, {after_s: 30}, "
        '{after_s: 90, fallback: {"1700 Andere Vragen": }, priority: 1,'
        " skip_if_no_agents: false}]}",
    )
    code = load_settings(write_config({"line_codes.yaml": text}), env={}).line_codes[1]
    assert code.policy is Policy.ROUND_ROBIN
    assert code.weight == 2.5
    assert [(s.after_s, s.min_level, dict(s.fallback), s.priority) for s in code.steps] == [
        (0, 4, {}, None),
        (30, 1, {}, None),
        (90, 1, {"1700 Andere Vragen": 1}, 1),  # an empty level: any level
    ]
    assert not code.steps[2].skip_if_no_agents
    assert isinstance(code.steps[2].fallback, MappingProxyType)
    assert code.model_dump()["steps"][2]["fallback"] == {"1700 Andere Vragen": 1}


def test_engine_offer_settings(write_config: WriteConfig) -> None:
    acd = "engine: {missed_in_a_row_before_not_available: 3, offer_delay_s: {busy: 20}}\n"
    engine = load_settings(
        write_config({"acd.yaml": acd}),
        env={"ACD_ENGINE__OFFER_DELAY_S__NO_ANSWER": "5"},
        overrides={"engine.announcement_handling_window": "50"},
    ).engine
    assert engine.missed_in_a_row_before_not_available == 3
    assert (engine.offer_delay_s.no_answer, engine.offer_delay_s.busy) == (5, 20)
    assert engine.offer_delay_s.rejected == 0
    assert engine.announcement_handling_window == 50


def test_settings_built_directly_check_calendar_references(write_config: WriteConfig) -> None:
    settings = load_settings(
        write_config({"calendars.yaml": CALENDARS, "lines.yaml": LINES_WITH_CALENDARS}), env={}
    )
    with pytest.raises(ValueError, match=r"lines\[0\].calendar: '1700' is not defined"):
        Settings(line_codes=settings.line_codes, lines=settings.lines, agents=settings.agents)
    again = Settings(
        line_codes=settings.line_codes,
        lines=settings.lines,
        agents=settings.agents,
        calendars=settings.calendars,
    )
    assert again.line_calendar(again.lines[0]) == settings.line_calendar(settings.lines[0])
