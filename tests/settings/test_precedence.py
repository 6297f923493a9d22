"""defaults < acd.yaml < environment < command line, and mistakes named by their source."""

from __future__ import annotations

import pytest

from acd.settings import load_settings
from foundation.errors import ConfigErrors
from tests.settings.conftest import WriteConfig

ACD_YAML = """\
ari: {url: "http://asterisk.file:8088", password: from-file}
engine: {ring_timeout_s: 20, wrap_up_s: 5}
log_level: warning
"""


def test_defaults_without_acd_yaml(write_config: WriteConfig) -> None:
    settings = load_settings(write_config(), env={})
    assert settings.ari.url == "http://127.0.0.1:8088"
    assert settings.engine.ring_timeout_s == 15
    assert settings.http.listen == "127.0.0.1:8080"
    assert settings.log_level == "INFO"


def test_file_over_defaults(write_config: WriteConfig) -> None:
    settings = load_settings(write_config({"acd.yaml": ACD_YAML}), env={})
    assert settings.ari.url == "http://asterisk.file:8088"
    assert settings.ari.password.get_secret_value() == "from-file"
    assert settings.ari.username == "asterisk"  # not in the file: default
    assert settings.engine.ring_timeout_s == 20
    assert settings.log_level == "WARNING"


def test_environment_over_file_and_command_line_over_environment(
    write_config: WriteConfig,
) -> None:
    env = {
        "ACD_ARI__URL": "http://asterisk.env:8088/",
        "ACD_ARI__PASSWORD": "from-env",
        "ACD_ENGINE__RING_TIMEOUT_S": "25",
        "ACD_STORAGE__URL": "postgresql+asyncpg://acd@db/acd",
        "ACD_HTTP__LISTEN": "[::1]:9090",
        "ACD_LOG_LEVEL": "debug",
        "ACD_ENGINE__PRESENCE_REASONS": "lunch, missed",
    }
    overrides = {"ari.url": "http://asterisk.cli:8088", "engine.wrap_up_s": "0"}
    settings = load_settings(write_config({"acd.yaml": ACD_YAML}), env=env, overrides=overrides)
    assert settings.ari.url == "http://asterisk.cli:8088"  # command line wins
    assert settings.ari.password.get_secret_value() == "from-env"
    assert settings.engine.ring_timeout_s == 25
    assert settings.engine.wrap_up_s == 0
    assert settings.engine.presence_reasons == ("lunch", "missed")
    assert settings.storage.url == "postgresql+asyncpg://acd@db/acd"
    assert (settings.http.host, settings.http.port) == ("::1", 9090)
    assert settings.log_level == "DEBUG"


def test_environment_value_loses_trailing_slash_like_the_file(write_config: WriteConfig) -> None:
    settings = load_settings(write_config(), env={"ACD_ARI__URL": "http://asterisk.env:8088/"})
    assert settings.ari.url == "http://asterisk.env:8088"


def test_os_environ_is_read_only_when_no_env_is_passed(
    write_config: WriteConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACD_ENGINE__RING_TIMEOUT_S", "42")
    config_dir = write_config()
    assert load_settings(config_dir).engine.ring_timeout_s == 42
    assert load_settings(config_dir, env={}).engine.ring_timeout_s == 15


def test_unrelated_variables_are_ignored(write_config: WriteConfig) -> None:
    env = {"PATH": "/bin", "ACD_HOME": "/opt/acd", "ACDC": "x", "ari__url": "nonsense"}
    assert load_settings(write_config(), env=env).ari.url == "http://127.0.0.1:8088"


@pytest.mark.parametrize(
    ("env", "overrides", "expected"),
    [
        (
            {"ACD_ENGINE__RING_TIMEOUT_S": "abc"},
            {},
            "environment: ACD_ENGINE__RING_TIMEOUT_S: 'abc' is not a number",
        ),
        (
            {"ACD_ARI__URLL": "http://x"},
            {},
            "environment: ACD_ARI__URLL: unknown setting (did you mean ACD_ARI__URL?)",
        ),
        (
            {"ACD_ARI_URL": "http://x"},
            {},
            "environment: ACD_ARI_URL: unknown setting (did you mean ACD_ARI__URL?)",
        ),
        ({"ACD_QUEUE__X": "1"}, {}, "environment: ACD_QUEUE__X: unknown setting"),
        (
            {"ACD_LOG_LEVEL": "loud"},
            {},
            "environment: ACD_LOG_LEVEL: 'loud' is not a log level"
            " (DEBUG, INFO, WARNING, ERROR, CRITICAL)",
        ),
        (
            {},
            {"engine.ring_timeout_s": "-3"},
            "command line: engine.ring_timeout_s: must be greater than 0, not -3",
        ),
        (
            {},
            {"ari.user": "x"},
            "command line: ari.user: unknown setting (did you mean ari.username?)",
        ),
        # The command line wins, so a bad environment value it replaces is not an error.
        (
            {"ACD_HTTP__LISTEN": "bad"},
            {"http.listen": "also bad"},
            "command line: http.listen: 'also bad' is not host:port (such as 127.0.0.1:8080)",
        ),
    ],
)
def test_mistake_names_its_variable_or_option(
    write_config: WriteConfig, env: dict[str, str], overrides: dict[str, str], expected: str
) -> None:
    with pytest.raises(ConfigErrors) as refused:
        load_settings(write_config(), env=env, overrides=overrides)
    assert [str(e) for e in refused.value.errors] == [expected]


def test_environment_cannot_patch_a_section_the_file_spoils(write_config: WriteConfig) -> None:
    config_dir = write_config({"acd.yaml": "ari: http://x\n"})
    with pytest.raises(ConfigErrors) as refused:
        load_settings(config_dir, env={"ACD_ARI__URL": "http://y"})
    assert [str(e) for e in refused.value.errors] == [
        "config/acd.yaml: ari: expected a mapping, got text"
    ]
