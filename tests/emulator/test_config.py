"""Building the PBX configuration from plain (YAML-friendly) data."""

from __future__ import annotations

from typing import Any

import pytest

from emulator import (
    CallerScript,
    EndpointBehaviour,
    Mode,
    RandomBehaviour,
    StasisTarget,
    config_from_dict,
    reference_config,
)
from foundation.errors import ConfigError

pytestmark = pytest.mark.unit  # pure (the folder's default is component)


def test_a_full_config_from_plain_data() -> None:
    config = config_from_dict(
        {
            "dialplan": {
                "1700": "acd,inbound,1700",
                "1800": {"app": "acd", "args": ["inbound", 1800, "sector"]},
            },
            "endpoints": {
                "agent1": {"mode": "answer", "ring_s": 2, "hangup_after_s": 30},
                "PJSIP/agent4": {"mode": "busy"},
                "agent5": {"mode": "random", "weights": {"answer": 1, "ring": 1}, "talk_s": [5, 9]},
                "caller": {"online": False, "context": "from-caller"},
            },
            "sounds": {"acd-welcome": 4.5},
            "missing_sounds": "fail",
            "seed": 42,
        },
        source="emulator.yaml",
    )
    assert config.dialplan["1700"] == StasisTarget("acd", ("inbound", "1700"))
    assert config.dialplan["1800"].app_data == "acd,inbound,1800,sector"
    by_name = {e.resource: e for e in config.endpoints}
    assert by_name["agent1"].behaviour == EndpointBehaviour.answer(2.0, hangup_after_s=30.0)
    assert by_name["agent4"].behaviour == EndpointBehaviour.busy(0.3)
    random_behaviour = by_name["agent5"].behaviour
    assert isinstance(random_behaviour, RandomBehaviour)
    assert random_behaviour.weights == {Mode.ANSWER: 1.0, Mode.RING: 1.0}
    assert not by_name["caller"].online
    assert config.sounds.sound_s("acd-welcome") == 4.5
    assert config.sounds.missing_fail  # a sound not listed does not exist
    assert config.sounds.knows("acd-welcome")
    assert config.sounds.sound_s("hello-world") == 1.4
    assert config.seed == 42


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"dialplen": {}}, "dialplen"),
        ({"dialplan": {"1700": 5}}, "dialplan.1700"),
        ({"dialplan": {"1700": ",x"}}, "dialplan.1700"),
        ({"endpoints": {"agent1": {"mode": "sing"}}}, "endpoints.agent1"),
        ({"endpoints": {"agent1": {"ring_s": -1}}}, "endpoints.agent1"),
        ({"endpoints": {"agent1": {"ringing": 1}}}, "endpoints.agent1.ringing"),
        ({"endpoints": {"agent1": {"mode": "random", "ring_s": [3, 1]}}}, "endpoints.agent1"),
        ({"seed": "many"}, "seed"),
        ({"sounds": {"x": "long"}}, "sounds"),
    ],
)
def test_mistakes_name_the_file_and_key(data: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError) as refused:
        config_from_dict(data, source="emulator.yaml")
    assert (refused.value.file, refused.value.key) == ("emulator.yaml", key)


def test_the_reference_setup_matches_the_recordings() -> None:
    config = reference_config()
    assert set(config.dialplan) == {"1700", "1701", "1702"}
    modes = {e.resource: e.behaviour.mode for e in config.endpoints}  # type: ignore[union-attr]
    assert modes["agent3"] is Mode.RING
    assert modes["unreach"] is Mode.UNREACHABLE


def test_caller_scripts_from_plain_data() -> None:
    script = CallerScript.from_dict(
        {"dtmf": [[1.0, "12"], {"at_s": 5, "digit": "#", "duration_ms": 160}], "talk_s": 30}
    )
    assert [(p.at_s, p.digit, p.duration_ms) for p in script.dtmf] == [
        (1.0, "1", 280),
        (1.6, "2", 280),
        (5.0, "#", 160),
    ]
    assert script.talk_s == 30
    with pytest.raises(ValueError, match="dtmf"):
        CallerScript.from_dict({"dtmf": ["oops"]})


def test_missing_sounds_play_or_fail_nothing_else() -> None:
    assert not config_from_dict({}).sounds.missing_fail  # the demo's prompts need not exist
    with pytest.raises(ConfigError, match="missing_sounds: must be 'play' or 'fail', not 'skip'"):
        config_from_dict({"missing_sounds": "skip"}, source="emulator.yaml")
