"""The shipped example (``config/``) works end to end against the emulator as ``acd emulator``
builds it (issue 12, item 8): a callback's citizen leg is dialled as ``PJSIP/{e164}@trunk``,
through the trunk the emulator now has, and the citizen answers."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from acd.settings import load_settings
from acd.simulation import pbx_config_from_settings
from callbacks import CallbackStatus
from foundation.contact import Activity
from tests.system.harness import system

SHIPPED = Path(__file__).resolve().parents[2] / "config"
BRUSSELS = ZoneInfo("Europe/Brussels")
TUESDAY_10H = datetime(2027, 3, 30, 10, 0, tzinfo=BRUSSELS)
CITIZEN = "+32470123456"


def test_the_emulator_of_the_shipped_example_has_the_engines_trunk():
    settings = load_settings(SHIPPED, env={})
    assert settings.engine.callback_dial == "PJSIP/{e164}@trunk"
    keys = {endpoint.key for endpoint in pbx_config_from_settings(settings).endpoints}
    assert "PJSIP/trunk" in keys


def test_a_callback_trunk_of_its_own_is_emulated_too():
    overrides = {"engine.callback_dial": "PJSIP/{e164}@citizens"}
    settings = load_settings(SHIPPED, env={}, overrides=overrides)
    keys = {endpoint.key for endpoint in pbx_config_from_settings(settings).endpoints}
    assert {"PJSIP/trunk", "PJSIP/citizens"} <= keys


async def test_a_callback_of_the_shipped_example_reaches_the_citizen_over_the_trunk(tmp_path):
    async with system(tmp_path, config=SHIPPED, start=TUESDAY_10H) as s:
        store = s.engine.callbacks
        now = s.engine.clock.now()
        callback, _ = await store.request(
            CITIZEN, "1700", "1700 Andere Vragen", None, now, now + timedelta(days=1), "shipped"
        )
        s.login("1003")  # skilled in 1700 Andere Vragen only: the one the dialer can pick
        pbx = s.emu.pbx

        def citizen_legs() -> list[dict[str, object]]:
            # Agent first, then the citizen over the trunk: PJSIP/trunk-<id>, dialled with
            # the number (was "500 Allocation failed": the emulator had no trunk).
            described = (pbx.describe_channel(c) for c in list(pbx.channels))
            return [c for c in described if str(c["name"]).startswith("PJSIP/trunk-")]

        await s.until(lambda: any(c["state"] == "Up" for c in citizen_legs()), timeout_s=300)
        await s.until(lambda: s.agent("1003").activity is Activity.ON_CALL, timeout_s=60)
        for _ in range(300):
            done = await store.get(callback.id)
            if done is None or done.status is CallbackStatus.COMPLETED:
                break
            await s.wait(1)
        assert done is not None
        assert done.status is CallbackStatus.COMPLETED
        assert len(done.attempts) == 1
        assert done.attempts[0].agent_id == "1003"
