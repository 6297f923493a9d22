"""The ``redis`` section of acd.yaml: optional (one node without it); the password only from
the environment, never in the URL, never in an error."""

from __future__ import annotations

import pytest

from acd.settings import load_settings
from foundation.errors import ConfigErrors
from tests.settings.conftest import WriteConfig

REDIS = """\
redis:
  url: redis://10.0.0.5:6379/2
  node_id: node-a
  username: acd
"""


def _errors(write_config: WriteConfig, acd_yaml: str) -> str:
    with pytest.raises(ConfigErrors) as refused:
        load_settings(write_config({"acd.yaml": acd_yaml}), env={})
    return str(refused.value)


def test_without_a_redis_section_the_engine_is_one_node(write_config: WriteConfig) -> None:
    assert load_settings(write_config(), env={}).redis is None


def test_the_password_comes_from_the_environment(write_config: WriteConfig) -> None:
    env = {"ACD_REDIS__PASSWORD": "s3cr:t/pw"}
    redis = load_settings(write_config({"acd.yaml": REDIS}), env=env).redis
    assert redis is not None
    assert (redis.node_id, redis.key_prefix, redis.lease_ttl_s) == ("node-a", "{acd}:", 15.0)
    assert redis.client_url() == "redis://acd:s3cr%3At%2Fpw@10.0.0.5:6379/2"
    assert "s3cr" not in repr(redis)


def test_a_password_in_the_url_is_refused_without_showing_it(write_config: WriteConfig) -> None:
    errors = _errors(write_config, "redis: {url: 'redis://acd:hunter2@db:6379', node_id: n1}")
    assert "acd.yaml: redis.url:" in errors
    assert "set redis.username and redis.password (ACD_REDIS__PASSWORD)" in errors
    assert "hunter2" not in errors


def test_mistakes_are_named_by_key(write_config: WriteConfig) -> None:
    errors = _errors(
        write_config,
        "redis: {url: 'http://db:6379', node_id: 'node a', key_prefix: 'acd:',"
        " lease_ttl_s: 5, lease_renew_s: 5}",
    )
    assert "redis.url: 'http://db:6379' is not a redis:// or rediss:// URL" in errors
    assert "redis.node_id:" in errors
    assert "redis.key_prefix: 'acd:' is not a key prefix of the form {name}:" in errors
