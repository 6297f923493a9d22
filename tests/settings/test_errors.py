"""Each kind of mistake is refused with ``file: key: reason``, every one of them at once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from acd.settings import load_settings
from foundation.errors import ConfigError, ConfigErrors
from tests.settings.conftest import LINE_CODES, WriteConfig

CPUS = os.cpu_count() or 1


def messages(config_dir: Path, env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigErrors) as refused:
        load_settings(config_dir, env=env or {})
    return [str(error) for error in refused.value.errors]


def agents(*entries: str) -> str:
    return "agents:\n" + "".join(f"  - {entry}\n" for entry in entries)


def lines(*entries: str) -> str:
    return "lines:\n" + "".join(f"  - {entry}\n" for entry in entries)


AN = '{id: "1001", name: "An", endpoint: "PJSIP/1001", line_codes: ["1700 Andere Vragen"]}'
L1700 = '{id: "1700", name: "1700", numbers: ["1700"], line_codes: ["1700 Andere Vragen"]}'

CASES = [
    # --- acd.yaml: auth ------------------------------------------------------------------------
    (
        "acd.yaml",
        "auth: {session_idle_s: 90000}",
        "config/acd.yaml: auth.session_idle_s: must not exceed session_absolute_s (43200)",
    ),
    (
        "acd.yaml",
        "auth: {allowed_origins: [evil.example]}",
        "config/acd.yaml: auth.allowed_origins: 'evil.example' is not an origin: "
        "scheme://host[:port], such as https://supervisor.example.org, without a path",
    ),
    (
        "acd.yaml",
        "auth: {metrics: public}",
        "config/acd.yaml: auth.metrics: must be 'token' or 'open', not 'public'",
    ),
    (
        "acd.yaml",
        "auth: {max_failures_per_user: 0}",
        "config/acd.yaml: auth.max_failures_per_user: must be at least 1, not 0",
    ),
    # --- acd.yaml: values, unknown keys, shapes -------------------------------------------------
    (
        "acd.yaml",
        "engine: {ring_timeout_s: abc}",
        "config/acd.yaml: engine.ring_timeout_s: 'abc' is not a number",
    ),
    (
        "acd.yaml",
        "engine: {ring_timeout_s: -1}",
        "config/acd.yaml: engine.ring_timeout_s: must be greater than 0, not -1",
    ),
    (
        "acd.yaml",
        "engine: {ring_timeout_s: inf}",
        "config/acd.yaml: engine.ring_timeout_s: 'inf' is not a finite number",
    ),
    (
        "acd.yaml",
        "engine: {wrap_up_s: [1]}",
        "config/acd.yaml: engine.wrap_up_s: expected a number, got a list",
    ),
    (
        "acd.yaml",
        "engine: {missed_reason: lost}",
        "config/acd.yaml: engine.missed_reason: 'lost' is not one of presence_reasons",
    ),
    (
        "acd.yaml",
        "engine: {presence_reasons: [lunch, lunch, missed]}",
        "config/acd.yaml: engine.presence_reasons: 'lunch' is listed twice",
    ),
    (
        "acd.yaml",
        "engine: {unknown_line_prompt: ss-noservice}",
        "config/acd.yaml: engine.unknown_line_prompt: 'ss-noservice' is not a media URI"
        " (such as sound:hello-world)",
    ),
    ("acd.yaml", "engine: {caller_id: }", "config/acd.yaml: engine.caller_id: has no value"),
    (
        "acd.yaml",
        "engine: {escalation_dial: 'PJSIP/trunk/{e164}'}",
        "config/acd.yaml: engine.escalation_dial: 'PJSIP/trunk/{e164}': Asterisk takes what"
        " follows PJSIP/trunk/ as a SIP URI or an AOR and cannot dial this (500 Allocation"
        " failed); write 'PJSIP/{e164}@trunk' or 'PJSIP/trunk/sip:{e164}@<host>'",
    ),
    (
        "acd.yaml",
        "engine: {callback_dial: 'PJSIP/{number}@trunk'}",
        "config/acd.yaml: engine.callback_dial: 'PJSIP/{number}@trunk' has the unknown"
        " placeholder {number} ({e164}, {digits}, {national})",
    ),
    (
        "acd.yaml",
        "engine: {escalation_dial: 'PJSIP/backoffice'}",
        "config/acd.yaml: engine.escalation_dial: 'PJSIP/backoffice' dials no number: put one"
        " of {e164}, {digits}, {national} in it",
    ),
    (
        "acd.yaml",
        "engine: {escalation_dial: 'trunk {e164}'}",
        "config/acd.yaml: engine.escalation_dial: 'trunk {e164}' is not an ARI endpoint"
        " (such as PJSIP/{e164}@trunk)",
    ),
    ("acd.yaml", "ari: {urll: http://x}", "config/acd.yaml: ari: unknown key 'urll'"),
    ("acd.yaml", "loglevel: INFO", "config/acd.yaml: unknown key 'loglevel'"),
    ("acd.yaml", "ari: http://x", "config/acd.yaml: ari: expected a mapping, got text"),
    ("acd.yaml", "- ari", "config/acd.yaml: expected a mapping, got a list"),
    (
        "acd.yaml",
        "ari: {url: 'ftp://x'}",
        "config/acd.yaml: ari.url: 'ftp://x' is not an http:// or https:// URL",
    ),
    (
        "acd.yaml",
        "ari: {reconnect_min_s: 5, reconnect_max_s: 1}",
        "config/acd.yaml: ari.reconnect_max_s: must be at least reconnect_min_s (5)",
    ),
    (
        "acd.yaml",
        "cpu_affinity: [4096]",
        f"config/acd.yaml: cpu_affinity: this machine has processors 0-{CPUS - 1}, not 4096",
    ),
    (
        "acd.yaml",
        "cpu_affinity: [0, 0]",
        "config/acd.yaml: cpu_affinity: a processor listed twice: (0, 0)",
    ),
    (
        "acd.yaml",
        "storage: {lease_ttl_s: 10, lease_renew_s: 10}",
        "config/acd.yaml: storage.lease_renew_s: must be shorter than lease_ttl_s (10), not 10",
    ),
    (
        "acd.yaml",
        "ari: {app: 'acd,x'}",
        "config/acd.yaml: ari.app: 'acd,x' is not a valid id (letters, digits, '.', '_', '-')",
    ),
    (
        "acd.yaml",
        "http: {listen: localhost}",
        "config/acd.yaml: http.listen: 'localhost' is not host:port (such as 127.0.0.1:8080)",
    ),
    (
        "acd.yaml",
        "http: {listen: '::1:8080'}",
        "config/acd.yaml: http.listen: '::1:8080' is not host:port (such as 127.0.0.1:8080)",
    ),
    (
        "acd.yaml",
        "http: {trusted_proxies: [10.0.0.0/8, proxy.example.org]}",
        "config/acd.yaml: http.trusted_proxies: 'proxy.example.org' is not an IP address or"
        " network (such as 10.0.0.0/24)",
    ),
    (
        "acd.yaml",
        "http: {listen: '0.0.0.0:80800'}",
        "config/acd.yaml: http.listen: port 80800 is out of range 0-65535",
    ),
    (
        "acd.yaml",
        "storage: {url: var/acd.sqlite3}",
        "config/acd.yaml: storage.url: 'var/acd.sqlite3' is not a database URL"
        " (such as sqlite+aiosqlite:///var/acd.sqlite3)",
    ),
    (
        "acd.yaml",
        "log_level: LOUD",
        "config/acd.yaml: log_level: 'LOUD' is not a log level"
        " (DEBUG, INFO, WARNING, ERROR, CRITICAL)",
    ),
    # --- line_codes.yaml ----------------------------------------------------------------------
    ("line_codes.yaml", "line_codes: []", "config/line_codes.yaml: line_codes: must not be empty"),
    (
        "line_codes.yaml",
        "line_codes: [{description: x}]",
        "config/line_codes.yaml: line_codes[0]: missing required key 'name'",
    ),
    (
        "line_codes.yaml",
        "line_codes: [{name: ' '}]",
        "config/line_codes.yaml: line_codes[0].name: must not be empty",
    ),
    (
        "line_codes.yaml",
        LINE_CODES + '  - {name: "1700 Andere Vragen"}',
        "config/line_codes.yaml: line_codes[2].name: '1700 Andere Vragen'"
        " is already defined at line_codes[0]",
    ),
    # A renamed key is both unknown and missing.
    (
        "line_codes.yaml",
        "line_code: []",
        [
            "config/line_codes.yaml: missing required key 'line_codes'",
            "config/line_codes.yaml: unknown key 'line_code'",
        ],
    ),
    ("line_codes.yaml", "", "config/line_codes.yaml: missing required key 'line_codes'"),
    # --- lines.yaml ---------------------------------------------------------------------------
    (
        "lines.yaml",
        lines(L1700.replace('["1700"]', '["1700", "17OO"]')),
        "config/lines.yaml: lines[0].numbers[1]: '17OO' is not a dialable number",
    ),
    (
        "lines.yaml",
        lines(L1700.replace('["1700"]', '["17 00"]')),
        "config/lines.yaml: lines[0].numbers[0]: '17 00' is not a dialable number",
    ),
    (
        "lines.yaml",
        lines(L1700.replace('["1700"]', '"1700"')),
        "config/lines.yaml: lines[0].numbers: expected a list, got text",
    ),
    (
        "lines.yaml",
        lines(L1700.replace("numbers", "nmbers")),
        "config/lines.yaml: lines[0]: unknown key 'nmbers'",
    ),
    (
        "lines.yaml",
        lines(L1700.replace('id: "1700", ', "")),
        "config/lines.yaml: lines[0]: missing required key 'id'",
    ),
    (
        "lines.yaml",
        lines(L1700.replace('id: "1700"', 'id: "17 00"')),
        "config/lines.yaml: lines[0].id: '17 00' is not a valid id"
        " (letters, digits, '.', '_', '-')",
    ),
    (
        "lines.yaml",
        lines(L1700.replace('["1700 Andere Vragen"]', '["1700 Wonen"]')),
        "config/lines.yaml: lines[0].line_codes[0]: '1700 Wonen' is not defined in line_codes.yaml",
    ),
    (
        "lines.yaml",
        lines(L1700.replace('["1700 Andere Vragen"]', "[]")),
        "config/lines.yaml: lines[0].line_codes: must not be empty",
    ),
    (
        "lines.yaml",
        lines(
            L1700.replace('"1700 Andere Vragen"', '"1700 Belastingen"' * 2).replace('""', '", "')
        ),
        "config/lines.yaml: lines[0].line_codes: '1700 Belastingen' is listed twice",
    ),
    (
        "lines.yaml",
        lines(L1700.replace("}", ', default_line_code: "1700 Belastingen"}')),
        "config/lines.yaml: lines[0].default_line_code: '1700 Belastingen'"
        " is not one of the line's line_codes",
    ),
    (
        "lines.yaml",
        lines(L1700.replace("}", ", welcome_prompt: hello}")),
        "config/lines.yaml: lines[0].welcome_prompt[0]: 'hello' is not a media URI"
        " (such as sound:hello-world)",
    ),
    (
        "lines.yaml",
        lines(L1700.replace("}", ", language: Dutch}")),
        "config/lines.yaml: lines[0].language: 'Dutch' is not a language (such as nl)",
    ),
    (
        "lines.yaml",
        lines(L1700.replace("}", ", language: de}")),
        "config/lines.yaml: lines[0].language: no rules to say numbers in 'de'"
        " (we have en, en_GB, fr, nl)",
    ),
    (
        "lines.yaml",
        lines(L1700.replace("}", ", welcome_prompt: [sound:welcome, number:42]}")),
        "config/lines.yaml: lines[0].welcome_prompt[1]: 'number:42' is said by Asterisk and"
        " cannot be stopped; use sound files (such as sound:digits/4)",
    ),
    (
        "lines.yaml",
        lines(L1700.replace("}", ", closing_prompt: 'digits:1700'}")),
        "config/lines.yaml: lines[0].closing_prompt[0]: 'digits:1700' is said by Asterisk and"
        " cannot be stopped; use sound files (such as sound:digits/4)",
    ),
    (
        "lines.yaml",
        lines(L1700.replace("}", ", welcome_prompt: 'characters:abc'}")),
        "config/lines.yaml: lines[0].welcome_prompt[0]: 'characters:abc' is said by Asterisk"
        " and cannot be stopped; use sound files (such as sound:digits/4)",
    ),
    (
        "lines.yaml",
        lines(L1700, L1700.replace('id: "1700"', 'id: "1701"')),
        "config/lines.yaml: lines[1].numbers[0]: '1700' is already a number at lines[0].numbers[0]",
    ),
    (
        "lines.yaml",
        lines(L1700, L1700.replace('["1700"]', '["1701"]')),
        "config/lines.yaml: lines[1].id: '1700' is already the id of lines[0]",
    ),
    (
        "lines.yaml",
        "lines: {id: '1700'}",
        "config/lines.yaml: lines: expected a list, got a mapping",
    ),
    ("lines.yaml", "lines: []", "config/lines.yaml: lines: must not be empty"),
    # --- agents.yaml --------------------------------------------------------------------------
    (
        "agents.yaml",
        agents(AN.replace("PJSIP/1001", "1001")),
        "config/agents.yaml: agents[0].endpoint: '1001' is not an endpoint of the form"
        " TECH/resource (such as PJSIP/1001)",
    ),
    (
        "agents.yaml",
        agents(AN, AN.replace("PJSIP/1001", "PJSIP/1002")),
        "config/agents.yaml: agents[1].id: '1001' is already the id of agents[0]",
    ),
    (
        "agents.yaml",
        agents(AN, AN.replace('"1001"', '"1002"')),
        "config/agents.yaml: agents[1].endpoint: 'PJSIP/1001' is already the endpoint of agents[0]",
    ),
    (
        "agents.yaml",
        agents(AN.replace('["1700 Andere Vragen"]', '["1700 Wonen"]')),
        "config/agents.yaml: agents[0].line_codes['1700 Wonen']: '1700 Wonen'"
        " is not defined in line_codes.yaml",
    ),
    (
        "agents.yaml",
        agents(AN.replace('["1700 Andere Vragen"]', '{"1700 Andere Vragen": 9}')),
        "config/agents.yaml: agents[0].line_codes['1700 Andere Vragen']: must be at most 5, not 9",
    ),
    (
        "agents.yaml",
        agents(AN.replace('["1700 Andere Vragen"]', '{"1700 Andere Vragen": 0}')),
        "config/agents.yaml: agents[0].line_codes['1700 Andere Vragen']: must be at least 1, not 0",
    ),
    (
        "agents.yaml",
        agents(AN.replace('["1700 Andere Vragen"]', '{"1700 Andere Vragen": top}')),
        "config/agents.yaml: agents[0].line_codes['1700 Andere Vragen']:"
        " 'top' is not a whole number",
    ),
    (
        "agents.yaml",
        agents(AN.replace('"1700 Andere Vragen"]', '"1700 Andere Vragen", "1700 Andere Vragen"]')),
        "config/agents.yaml: agents[0].line_codes[1]: '1700 Andere Vragen' is listed twice",
    ),
    (
        "agents.yaml",
        agents(AN.replace('["1700 Andere Vragen"]', "[{a: 1}]")),
        "config/agents.yaml: agents[0].line_codes[0]: expected a line code name, got a mapping",
    ),
    (
        "agents.yaml",
        agents(AN.replace('["1700 Andere Vragen"]', '"1700 Andere Vragen"')),
        "config/agents.yaml: agents[0].line_codes: expected a list of line codes or a mapping"
        " line code: level, got text",
    ),
    (
        "agents.yaml",
        agents(AN.replace('["1700 Andere Vragen"]', "[]")),
        "config/agents.yaml: agents[0].line_codes: must not be empty",
    ),
    (
        "agents.yaml",
        agents(AN.replace("line_codes", "skills")),
        [
            "config/agents.yaml: agents[0]: missing required key 'line_codes'",
            "config/agents.yaml: agents[0]: unknown key 'skills'",
        ],
    ),
]


@pytest.mark.parametrize(("file", "text", "expected"), CASES)
def test_mistake_is_refused_with_file_key_and_reason(
    write_config: WriteConfig, file: str, text: str, expected: str | list[str]
) -> None:
    assert messages(write_config({file: text})) == (
        [expected] if isinstance(expected, str) else expected
    )


@pytest.mark.parametrize(
    ("file", "text", "expected"),
    [
        (
            "lines.yaml",
            'lines:\n  - id: "1700\n',
            "config/lines.yaml: line 3, column 1: found unexpected end of stream"
            " (while scanning a quoted scalar)",
        ),
        (
            "lines.yaml",
            "lines:\n  - id: a: b\n",
            "config/lines.yaml: line 2, column 10: mapping values are not allowed here",
        ),
        (
            "agents.yaml",
            "agents:\n- id: '1'\n\tname: x\n",
            "config/agents.yaml: line 3, column 1: found character '\\t'"
            " that cannot start any token (while scanning for the next token)",
        ),
        (
            "lines.yaml",
            "lines: []\nlines: []\n",
            "config/lines.yaml: line 2, column 1: duplicate key 'lines'",
        ),
    ],
)
def test_yaml_mistake_names_file_and_line(
    write_config: WriteConfig, file: str, text: str, expected: str
) -> None:
    assert messages(write_config({file: text})) == [expected]


@pytest.mark.parametrize("file", ["line_codes.yaml", "lines.yaml", "agents.yaml"])
def test_missing_required_file_is_named(write_config: WriteConfig, file: str) -> None:
    # With line_codes.yaml gone, references are not checked: they would all look wrong.
    assert messages(write_config({file: None})) == [f"config/{file}: required file is missing"]


def test_missing_config_dir(tmp_path: Path) -> None:
    assert messages(tmp_path / "nowhere") == [f"{tmp_path / 'nowhere'}: is not a directory"]


def test_file_that_is_not_utf8(write_config: WriteConfig) -> None:
    config_dir = write_config()
    (config_dir / "agents.yaml").write_bytes(b"agents: [\xff]\n")
    assert messages(config_dir) == ["config/agents.yaml: is not UTF-8 text"]


def test_all_mistakes_of_all_files_are_reported_together(write_config: WriteConfig) -> None:
    config_dir = write_config(
        {
            "acd.yaml": "engine: {ring_timeout_s: abc, wrap_up_s: -1}\n",
            "lines.yaml": lines(
                L1700.replace('["1700 Andere Vragen"]', '["1700 Wonen"]'),
                L1700.replace('id: "1700"', 'id: "1701"').replace('["1700"]', '["17OO"]'),
                L1700.replace('id: "1700"', 'id: "1702"'),
            ),
            "agents.yaml": agents(
                AN,
                AN.replace("PJSIP/1001", "PJSIP/1002"),
                AN.replace('"1001"', '"1003"').replace("PJSIP/1001", "1003"),
            ),
        }
    )
    with pytest.raises(ConfigErrors) as refused:
        load_settings(config_dir, env={"ACD_HTTP__LISTEN": "nowhere"})
    expected = [
        "environment: ACD_HTTP__LISTEN: 'nowhere' is not host:port (such as 127.0.0.1:8080)",
        "config/acd.yaml: engine.ring_timeout_s: 'abc' is not a number",
        "config/acd.yaml: engine.wrap_up_s: must be at least 0, not -1",
        "config/lines.yaml: lines[0].line_codes[0]: '1700 Wonen' is not defined in line_codes.yaml",
        "config/lines.yaml: lines[1].numbers[0]: '17OO' is not a dialable number",
        "config/lines.yaml: lines[2].numbers[0]: '1700' is already a number at lines[0].numbers[0]",
        "config/agents.yaml: agents[1].id: '1001' is already the id of agents[0]",
        "config/agents.yaml: agents[2].endpoint: '1003' is not an endpoint of the form"
        " TECH/resource (such as PJSIP/1001)",
    ]
    assert [str(e) for e in refused.value.errors] == expected
    assert all(isinstance(e, ConfigError) for e in refused.value.errors)
    assert str(refused.value) == "\n".join(str(e) for e in refused.value.errors)


def test_errors_carry_file_key_and_reason_apart(write_config: WriteConfig) -> None:
    config_dir = write_config({"lines.yaml": lines(L1700.replace('["1700"]', '["17OO"]'))})
    with pytest.raises(ConfigErrors) as refused:
        load_settings(config_dir, env={})
    [error] = refused.value.errors
    assert (error.file, error.key, error.reason) == (
        "config/lines.yaml",
        "lines[0].numbers[0]",
        "'17OO' is not a dialable number",
    )


def test_file_names_follow_how_the_directory_was_given(
    write_config: WriteConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config({"agents.yaml": None})
    monkeypatch.chdir(tmp_path.parent)
    relative = Path(tmp_path.name) / "config"
    assert messages(relative) == [f"{relative}/agents.yaml: required file is missing"]
