"""The example shipped in config/ loads and has what the docs and the Asterisk dialplan promise."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from acd.settings import DEFAULT_PROFICIENCY, Settings, check_config, load_settings

EXAMPLE = Path(__file__).resolve().parents[2] / "config"


@pytest.fixture(scope="module")
def example() -> Settings:
    return load_settings(EXAMPLE, env={})


def test_lines_match_the_dialplan(example: Settings) -> None:
    # shared/asterisk: 1700 -> Stasis(acd,inbound,1700); 1701 -> Stasis(acd,inbound,1701,...)
    assert [line.id for line in example.lines] == ["1700", "1701", "1702"]
    assert [line.numbers for line in example.lines] == [("1700",), ("1701",), ("1702",)]
    assert example.line_by_id("1701") is example.line_by_number("1701")
    assert example.line_by_number("1702").name == "Sectorlijn Mobiliteit"  # type: ignore[union-attr]
    assert example.line_by_id("1799") is None
    assert example.line_by_number("1799") is None
    assert example.ari.app == "acd"


def test_1700_has_three_line_codes_and_each_sector_line_its_own(example: Settings) -> None:
    main = example.line_by_id("1700")
    assert main is not None
    assert main.line_codes == ("1700 Andere Vragen", "1700 Wonen en energie", "1700 Belastingen")
    assert main.default_line_code == "1700 Andere Vragen"
    sector_codes = [example.line_by_id(i).line_codes for i in ("1701", "1702")]  # type: ignore[union-attr]
    assert len(sector_codes[0]) == len(sector_codes[1]) == 1
    assert not set(sector_codes[0]) & set(main.line_codes)
    assert not set(sector_codes[1]) & set(main.line_codes)
    assert len(example.line_codes) == 5


def test_twelve_agents_with_mixed_skills(example: Settings) -> None:
    assert len(example.agents) == 12
    assert [a.endpoint for a in example.agents] == [f"PJSIP/{n}" for n in range(1001, 1013)]
    assert any(len(agent.line_codes) > 1 for agent in example.agents)
    assert any(len(agent.line_codes) == 1 for agent in example.agents)
    levels = Counter(level for a in example.agents for level in a.line_codes.values())
    assert len(levels) > 1
    assert DEFAULT_PROFICIENCY in levels
    agent = example.agent_by_id("1002")
    assert agent is not None
    assert agent.name == "Tom Janssens"
    assert dict(agent.line_codes) == {"1700 Andere Vragen": 4, "1700 Belastingen": 5}


def test_every_line_code_is_on_a_line_and_served_by_two_agents(example: Settings) -> None:
    on_lines = {name for line in example.lines for name in line.line_codes}
    for code in example.line_codes:
        assert code.name in on_lines
        assert len(example.agents_for_line_code(code.name)) >= 2, code.name


def test_acd_yaml_spells_out_the_defaults(example: Settings) -> None:
    # The example documents every setting; it must not drift from the model defaults.
    defaults = Settings(
        line_codes=example.line_codes,
        lines=example.lines,
        agents=example.agents,
        calendars=example.calendars,
    )
    for section in ("ari", "storage", "http", "engine", "log_level"):
        assert getattr(example, section) == getattr(defaults, section), section
    assert example.http.host == "127.0.0.1"
    assert example.http.port == 8080
    assert example.storage.url == "sqlite+aiosqlite:///var/acd.sqlite3"
    assert example.ari.password.get_secret_value() == "asterisk"


def test_check_config_summarises(example: Settings) -> None:
    summary = check_config(EXAMPLE, env={})
    first, *rest = summary.splitlines()
    assert first == f"{EXAMPLE}: OK: 3 lines, 5 line codes, 12 agents, 5 escalation points"
    assert "  line 1700 (1700 Vlaamse overheid): numbers 1700" in rest
    assert "    Onderwijs Studietoelagen (default): 3 agents, 1 escalation point" in rest
    assert not [line for line in rest if "warning" in line]


def test_1700_has_its_calendar_a_menu_and_announcements(example: Settings) -> None:
    main = example.line_by_id("1700")
    assert main is not None
    calendar = example.line_calendar(main)
    assert calendar.name == "1700"
    assert calendar.timezone.key == "Europe/Brussels"
    assert [[str(slot) for slot in day] for day in calendar.weekly] == [["09:00-19:00"]] * 5 + [
        []
    ] * 2
    assert calendar.public_holidays is not None
    assert calendar.public_holidays.country == "BE"
    notes = [closure.note for closure in calendar.closures]
    assert "Feest van de Vlaamse Gemeenschap" in notes
    assert any("Brugdag" in note for note in notes)
    assert main.menu is not None
    assert dict(main.menu.options) == {"1": "1700 Wonen en energie", "2": "1700 Belastingen"}
    assert main.default_line_code == "1700 Andere Vragen"
    assert main.announcements.enabled


def test_sector_lines_have_their_own_hours(example: Settings) -> None:
    onderwijs = example.line_calendar(example.line_by_id("1701"))  # type: ignore[arg-type]
    mobiliteit = example.line_calendar(example.line_by_id("1702"))  # type: ignore[arg-type]
    assert [str(slot) for slot in onderwijs.weekly[0]] == ["09:00-17:00"]
    assert [[str(s) for s in day] for day in mobiliteit.weekly] == [
        ["08:30-12:30", "13:00-16:30"]
    ] * 4 + [[]] * 3


def test_wonen_en_energie_widens_from_specialists_to_everyone(example: Settings) -> None:
    code = example.line_code("1700 Wonen en energie")
    assert code is not None
    assert [(step.after_s, step.min_level, dict(step.fallback)) for step in code.steps] == [
        (0, 4, {}),
        (30, 1, {}),
        (90, 1, {"1700 Andere Vragen": 1}),
    ]
    # The steps matter: some agents have it at level 4 or more, some below.
    levels = [a.line_codes[code.name] for a in example.agents_for_line_code(code.name)]
    assert any(level >= 4 for level in levels)
    assert any(level < 4 for level in levels)
