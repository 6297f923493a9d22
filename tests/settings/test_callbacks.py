"""A line's callback settings: defaults, the shipped example, and each mistake refused with
``file: key: reason``."""

from __future__ import annotations

from pathlib import Path

import pytest

from acd.engine.model import EngineConfig
from acd.settings import CallbackMode, CallbackSettings, load_settings
from tests.settings.conftest import WriteConfig
from tests.settings.test_errors import messages
from tests.settings.test_errors_hours_and_routing import LINES, line

EXAMPLE = Path(__file__).resolve().parents[2] / "config"


def test_callbacks_are_off_by_default_with_the_issue_s_numbers(write_config: WriteConfig) -> None:
    settings = load_settings(write_config(), env={})
    options = settings.lines[0].callbacks
    assert options == CallbackSettings()
    assert not options.enabled
    assert options.mode is CallbackMode.CALLBACK
    assert (options.offer_after_s, options.repeat_offer_s) == (150.0, 0.0)
    assert (options.working_days, options.max_attempts, options.min_gap_s) == (2, 3, 3600.0)
    assert (options.allow_foreign, options.default_region) == (False, "BE")
    assert (options.calm_max_waiting, options.calm_min_idle_agents) == (0, 1)
    assert options.prompts.offer == ("sound:acd-callback-offer",)
    assert (options.digits.accept, options.digits.end_number) == ("1", "#")


def test_the_example_offers_callbacks_on_1700_only() -> None:
    settings = load_settings(EXAMPLE, env={})
    enabled = {line.id: line.callbacks.enabled for line in settings.lines}
    assert enabled == {"1700": True, "1701": False, "1702": False}
    main = settings.line_by_id("1700")
    assert main is not None
    # Apart from enabled, the example spells out the defaults.
    assert main.callbacks.model_copy(update={"enabled": False}) == CallbackSettings()


def test_values_are_read_as_written(write_config: WriteConfig) -> None:
    text = line(
        ", callbacks: {enabled: true, mode: virtual_hold, offer_after_s: 90, repeat_offer_s: 120,"
        " working_days: 3, max_attempts: 5, min_gap_s: 0, allow_foreign: true,"
        " default_region: NL, calm_max_waiting: 2, calm_min_idle_agents: 2,"
        ' prompts: {offer: ["sound:a", "sound:b"]}, digits: {accept: 5, end_number: "*"}}'
    )
    options = load_settings(write_config({"lines.yaml": text}), env={}).lines[0].callbacks
    assert options.mode is CallbackMode.VIRTUAL_HOLD
    assert (options.offer_after_s, options.repeat_offer_s, options.min_gap_s) == (90, 120, 0)
    assert (options.working_days, options.max_attempts) == (3, 5)
    assert (options.allow_foreign, options.default_region) == (True, "NL")
    assert (options.calm_max_waiting, options.calm_min_idle_agents) == (2, 2)
    assert options.prompts.offer == ("sound:a", "sound:b")
    assert options.prompts.accepted == ("sound:acd-callback-accepted",)
    assert (options.digits.accept, options.digits.end_number) == ("5", "*")


def test_the_lines_keys_reach_the_offer_the_caller_hears(write_config: WriteConfig) -> None:
    text = line(
        ", callbacks: {enabled: true,"
        ' digits: {accept: 5, keep_number: 9, other_number: "*", end_number: "#"}}'
    )
    config = EngineConfig.from_settings(load_settings(write_config({"lines.yaml": text}), env={}))
    rule = config.lines[0].callbacks
    assert rule is not None
    offer = rule.offer
    keys = (offer.accept_digit, offer.keep_digit, offer.other_digit, offer.end_digit)
    assert keys == ("5", "9", "*", "#")


CB = f"{LINES}.callbacks"

CASES = [
    ("{enabled: maybe}", f"{CB}.enabled: 'maybe' is not true or false"),
    ("{offer_after_s: 0}", f"{CB}.offer_after_s: must be greater than 0, not 0"),
    ("{repeat_offer_s: -5}", f"{CB}.repeat_offer_s: must be at least 0, not -5"),
    ("{working_days: 0}", f"{CB}.working_days: must be at least 1, not 0"),
    ("{max_attempts: 0}", f"{CB}.max_attempts: must be at least 1, not 0"),
    ("{min_gap_s: -1}", f"{CB}.min_gap_s: must be at least 0, not -1"),
    ("{calm_max_waiting: -1}", f"{CB}.calm_max_waiting: must be at least 0, not -1"),
    ("{calm_min_idle_agents: 0}", f"{CB}.calm_min_idle_agents: must be at least 1, not 0"),
    (
        "{default_region: be}",
        f"{CB}.default_region: 'be' is not a region code of two capital letters (such as BE)",
    ),
    ("{mode: hold}", f"{CB}.mode: must be 'callback' or 'virtual_hold', not 'hold'"),
    (
        "{prompts: {offer: press-1}}",
        f"{CB}.prompts.offer[0]: 'press-1' is not a media URI (such as sound:hello-world)",
    ),
    ("{prompts: {offfer: 'sound:x'}}", f"{CB}.prompts: unknown key 'offfer'"),
    ("{digits: {accept: 12}}", f"{CB}.digits.accept: '12' is not a DTMF digit (0-9, * or #)"),
    ("{digits: {other_number: 1}}", f"{CB}.digits.other_number: '1' is also keep_number"),
    (
        "{digits: {keep_number: 0}}",
        f"{CB}.digits.keep_number: '0' could be the first digit of a keyed number",
    ),
    ("{digits: {end_number: 0}}", f"{CB}.digits.end_number: '0' would end the number early"),
    ("{enable: true}", f"{CB}: unknown key 'enable'"),
    ("[]", f"{CB}: expected a mapping, got a list"),
]


@pytest.mark.parametrize(("value", "expected"), CASES)
def test_mistake_is_refused_with_file_key_and_reason(
    write_config: WriteConfig, value: str, expected: str
) -> None:
    config_dir = write_config({"lines.yaml": line(f", callbacks: {value}")})
    assert messages(config_dir) == [expected]
