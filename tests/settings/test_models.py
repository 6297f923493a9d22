"""The models on their own: shapes, defaults, proficiency, the Settings object and its lookups."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from acd.settings import (
    DEFAULT_PROFICIENCY,
    Agent,
    EngineSettings,
    HttpSettings,
    Line,
    LineCode,
    Settings,
    check_config,
    format_key,
    load_settings,
    split_listen,
)
from acd.settings.sources import read_yaml
from tests.settings.conftest import WriteConfig


def agent(**changes: object) -> Agent:
    fields: dict[str, object] = {
        "id": "1001",
        "name": "An Peeters",
        "endpoint": "PJSIP/1001",
        "line_codes": ["1700 Andere Vragen"],
    }
    return Agent.model_validate({**fields, **changes})


@pytest.mark.parametrize(
    ("loc", "key"),
    [
        ((), ""),
        (("log_level",), "log_level"),
        (("lines", 2, "numbers", 0), "lines[2].numbers[0]"),
        (
            ("agents", 0, "line_codes", "1700 Belastingen"),
            "agents[0].line_codes['1700 Belastingen']",
        ),
        ((0, "id"), "[0].id"),
    ],
)
def test_format_key(loc: tuple[str | int, ...], key: str) -> None:
    assert format_key(loc) == key


def test_line_codes_as_names_get_the_default_proficiency() -> None:
    names = ["1700 Andere Vragen", "1700 Belastingen"]
    assert dict(agent(line_codes=names).line_codes) == dict.fromkeys(names, DEFAULT_PROFICIENCY)


def test_line_codes_as_mapping_keep_levels_and_default_empty_ones() -> None:
    levels = {"1700 Andere Vragen": "5", "1700 Belastingen": None}
    assert dict(agent(line_codes=levels).line_codes) == {
        "1700 Andere Vragen": 5,
        "1700 Belastingen": DEFAULT_PROFICIENCY,
    }


def test_agent_is_frozen_down_to_its_line_codes() -> None:
    frozen = agent()
    with pytest.raises(ValidationError):
        frozen.name = "Tom"  # type: ignore[misc]
    with pytest.raises(TypeError):
        frozen.line_codes["1700 Belastingen"] = 5  # type: ignore[index]
    assert frozen.model_dump()["line_codes"] == {"1700 Andere Vragen": 3}


@pytest.mark.parametrize("endpoint", ["PJSIP/1001", "SIP/x", "Local/1001@agents", "PJSIP/a/sip:b"])
def test_endpoint_shapes_accepted(endpoint: str) -> None:
    assert agent(endpoint=endpoint).endpoint == endpoint


@pytest.mark.parametrize(
    "dial",
    [
        "PJSIP/{e164}@trunk",  # the number as the Request-URI's user, through endpoint trunk
        "PJSIP/trunk/sip:{e164}@sip.example.net:5060",  # chan_pjsip: a URI after the endpoint
        "PJSIP/cb{digits}",  # an endpoint per citizen (the real-PBX tier's callbacks)
        "Local/{national}@outbound",
    ],
)
def test_dial_templates_accepted(dial: str) -> None:
    engine = EngineSettings.model_validate({"escalation_dial": dial, "callback_dial": dial})
    assert (engine.escalation_dial, engine.callback_dial) == (dial, dial)


@pytest.mark.parametrize("number", ["1700", "+3221234567", "*17#", "0800123"])
def test_dialable_numbers_accepted(number: str) -> None:
    line = Line(id="x", name="x", numbers=(number,), line_codes=("a",))
    assert line.numbers == (number,)


def test_line_defaults() -> None:
    line = Line(id="1700", name="1700", line_codes=("a", "b"))
    assert line.default_line_code == "a"
    assert (line.language, line.moh_class, line.welcome_prompt, line.numbers) == (
        "nl",
        "default",
        (),
        (),
    )
    single = Line.model_validate({**line.model_dump(), "welcome_prompt": "sound:hello-world"})
    assert single.welcome_prompt == ("sound:hello-world",)


@pytest.mark.parametrize(
    ("listen", "host", "port"),
    [
        ("127.0.0.1:8080", "127.0.0.1", 8080),
        ("[::1]:0", "::1", 0),
        ("acd.local:80", "acd.local", 80),
    ],
)
def test_listen_address(listen: str, host: str, port: int) -> None:
    assert split_listen(listen) == (host, port)
    # Plain HTTP on a name that may be reachable from elsewhere: allowed on purpose only.
    http = HttpSettings(listen=listen, allow_plain_http=True)
    assert (http.host, http.port) == (host, port)


def test_yaml_keeps_numbers_and_words_as_written(tmp_path: Path) -> None:
    # YAML 1.1 would read 0123 as 83, 1_700 as 1700 and "no" as False.
    path = tmp_path / "x.yaml"
    path.write_text("a: [0123, 1_700, 1700, no, 1e3, 2024-01-01, ~, '']\n", encoding="utf-8")
    assert read_yaml(path, "x.yaml") == {
        "a": ["0123", "1_700", "1700", "no", "1e3", "2024-01-01", None, ""]
    }


def test_yaml_merge_keys_are_not_duplicates(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("base: &b {x: '1', y: '2'}\nitem: {<<: *b, y: '3'}\n", encoding="utf-8")
    assert read_yaml(path, "x.yaml") == {"base": {"x": "1", "y": "2"}, "item": {"x": "1", "y": "3"}}


def test_unquoted_numbers_and_ids_are_text(write_config: WriteConfig) -> None:
    config_dir = write_config(
        {
            "lines.yaml": "lines:\n  - {id: 1700, name: x, numbers: [1700, 01700],"
            " line_codes: [1700 Andere Vragen]}\n"
        }
    )
    settings = load_settings(config_dir, env={})
    assert settings.line_by_number("01700") is settings.line_by_id("1700") is not None


def test_settings_lookups(write_config: WriteConfig) -> None:
    settings = load_settings(write_config(), env={})
    assert settings.config_dir == write_config()
    assert settings.line_by_id("1701").name == "Sectorlijn Onderwijs"  # type: ignore[union-attr]
    assert settings.line_by_number("1700") is settings.lines[0]
    assert settings.agent_by_id("1002").endpoint == "PJSIP/1002"  # type: ignore[union-attr]
    assert settings.agent_by_id("9999") is None
    assert settings.line_code("1700 Belastingen") == LineCode(name="1700 Belastingen")
    assert settings.line_code("nope") is None
    assert [a.id for a in settings.agents_for_line_code("1700 Belastingen")] == ["1002"]


def test_settings_built_by_hand_are_checked_too() -> None:
    codes = (LineCode(name="a"),)
    line = Line(id="1700", name="1700", numbers=("1700",), line_codes=("a",))
    ok = Settings(line_codes=codes, lines=(line,), agents=(agent(line_codes=["a"]),))
    assert ok.line_by_number("1700") is line
    with pytest.raises(ValidationError, match=r"lines\[1\]\.numbers\[0\]: '1700' is already"):
        Settings(line_codes=codes, lines=(line, line.model_copy(update={"id": "x"})), agents=())
    with pytest.raises(ValidationError, match=r"'b' is not defined in line_codes\.yaml"):
        Settings(line_codes=codes, lines=(line,), agents=(agent(line_codes=["b"]),))


def test_password_is_not_printed(write_config: WriteConfig) -> None:
    settings = load_settings(write_config(), env={"ACD_ARI__PASSWORD": "s3cret"})
    assert "s3cret" not in repr(settings)
    assert settings.ari.password.get_secret_value() == "s3cret"


def test_summary_warns_about_line_codes_without_agents_or_lines(
    write_config: WriteConfig,
) -> None:
    config_dir = write_config(
        {
            "line_codes.yaml": "line_codes: [{name: 1700 Andere Vragen}, {name: 1700 Belastingen},"
            " {name: Ongebruikt}]\n"
        }
    )
    summary = check_config(config_dir, env={})
    assert "  warning: no agent has line code 'Ongebruikt'" in summary.splitlines()
    assert "  warning: line code 'Ongebruikt' is on no line" in summary.splitlines()
