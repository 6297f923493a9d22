"""End to end through the emulator: the callback offer after 150 s, the durable store, and the
agent-first dialer that places callbacks at calm moments (issue 6)."""

from __future__ import annotations

import asyncio
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from callbacks import Callback, CallbackStatus, CallbackStore
from emulator import CallerScript, DtmfPress, EndpointBehaviour
from foundation.contact import Activity, Outcome
from tests.system.harness import System, system

IVR = Path(__file__).parent / "config_ivr"
BRUSSELS = ZoneInfo("Europe/Brussels")
TUESDAY_10H = datetime(2027, 3, 30, 10, 0, tzinfo=BRUSSELS)
CITIZEN = "cb32470123456"  # the emulator's phone for +32 470 12 34 56 (callback_dial)


def callbacks_system(
    tmp_path: Path, start: datetime = TUESDAY_10H, **kwargs: Any
) -> AbstractAsyncContextManager[System]:
    return system(tmp_path, config=IVR, start=start, **kwargs)


async def test_the_offer_comes_at_150_s_and_an_accepted_callback_is_stored_before_goodbye(
    tmp_path,
):
    async with callbacks_system(tmp_path) as s:
        loop = asyncio.get_running_loop()
        script = CallerScript(dtmf=(DtmfPress(151.0, "1"), DtmfPress(157.0, "1")))
        caller = s.emu.pbx.place_call("1705", caller_number="0470123456", script=script)
        await s.until(lambda: s.engine.core.contacts)
        queued = loop.time()
        await s.wait(149)
        assert "sound:acd-callback-offer" not in s.media_played_to(caller)  # not at 149 s
        await s.until(lambda: "sound:acd-callback-offer" in s.media_played_to(caller))
        assert loop.time() - queued >= 149.8  # (queued is read up to 0.1 s late)
        await s.until(lambda: not s.channel_exists(caller), timeout_s=120)
        (callback,) = await s.engine.callbacks.list()
        assert (callback.number, callback.line, callback.status) == (
            "+32470123456",
            "1705",
            CallbackStatus.PENDING,
        )
        assert "sound:acd-callback-accepted" in s.media_played_to(caller)  # after storing
        (record,) = await s.records()
        assert record.outcome is Outcome.CALLBACK_REQUESTED


async def test_friday_evening_request_is_due_tuesday_and_placed_monday_once_calm(tmp_path):
    friday = datetime(2027, 4, 2, 18, 50, tzinfo=BRUSSELS)
    phones = {CITIZEN: EndpointBehaviour.answer(2.0, hangup_after_s=60.0)}
    behaviours = {"1006": EndpointBehaviour.answer(1.0, hangup_after_s=120.0)}
    async with callbacks_system(tmp_path, start=friday, phones=phones, behaviours=behaviours) as s:
        store = s.engine.callbacks
        now = s.engine.clock.now()
        await store.request(
            "+32470123456",
            "1705",
            "Test Terugbellen",
            None,
            now,
            due_by(s, now),
            "test-friday",
        )
        (callback,) = await store.list()
        assert callback.due_by.astimezone(BRUSSELS) == datetime(2027, 4, 6, 19, 0, tzinfo=BRUSSELS)
        monday_9h = datetime(2027, 4, 5, 9, 0, tzinfo=BRUSSELS)
        await s.wait((monday_9h - now).total_seconds() + 5)  # the weekend passes: not placed
        assert (await stored(store, callback.id)).attempts == ()
        live = s.emu.pbx.place_call("1705", caller_number="0470999999")  # a live caller waits
        s.login("1006")
        await s.until(lambda: s.bridged_agent(live))  # the live caller is served first
        assert (await stored(store, callback.id)).attempts == ()  # not while a caller waits
        await s.until(
            lambda: (
                s.emu.pbx.channels.get(CITIZEN)
                or any(
                    CITIZEN in str(s.emu.pbx.describe_channel(c)["name"])
                    for c in s.emu.pbx.channels
                )
            ),
            timeout_s=600,
        )
        await s.until(lambda: s.agent("1006").activity is Activity.ON_CALL, timeout_s=60)

        async def completed() -> bool:
            return (await stored(store, callback.id)).status is CallbackStatus.COMPLETED

        for _ in range(600):
            if await completed():
                break
            await s.wait(1)
        done = await stored(store, callback.id)
        assert done.status is CallbackStatus.COMPLETED
        assert done.attempts[0].started_at.astimezone(BRUSSELS).date() == monday_9h.date()
        assert done.agent_id == "1006" or done.attempts[0].agent_id == "1006"


async def stored(store: CallbackStore, callback_id: str) -> Callback:
    found = await store.get(callback_id)
    assert found is not None, f"callback {callback_id} is gone"
    return found


def due_by(s, now: datetime) -> datetime:
    from callbacks.schedule import due_by as rule

    line = s.engine.settings.line_by_id("1705")
    return rule(s.engine.settings.line_calendar(line), now, 2)


async def test_a_citizen_who_does_not_answer_is_tried_again_after_the_gap(tmp_path):
    phones = {CITIZEN: EndpointBehaviour.ring_forever()}
    async with callbacks_system(tmp_path, phones=phones) as s:
        store = s.engine.callbacks
        now = s.engine.clock.now()
        await store.request(
            "+32470123456", "1705", "Test Terugbellen", None, now, due_by(s, now), "test-retry"
        )
        s.login("1006")
        (callback,) = await store.list()

        async def attempts() -> int:
            return len((await stored(store, callback.id)).attempts)

        while (
            await attempts() < 1
            or (await stored(store, callback.id)).status is not CallbackStatus.PENDING
        ):
            await s.wait(5)
        first = await stored(store, callback.id)
        result, ended_at = first.attempts[0].result, first.attempts[0].ended_at
        assert result is not None
        assert ended_at is not None
        assert first.next_attempt_at is not None
        assert result.value == "no_answer"
        assert first.next_attempt_at - ended_at >= timedelta(hours=1)
        while await attempts() < 2:
            await s.wait(30)
        second = await stored(store, callback.id)
        assert second.attempts[1].started_at >= first.next_attempt_at


async def test_a_caller_may_key_in_another_number(tmp_path):
    async with callbacks_system(tmp_path) as s:
        keyed = [DtmfPress(160.0 + i * 0.5, d) for i, d in enumerate("025531111#")]
        script = CallerScript(dtmf=(DtmfPress(151.0, "1"), *keyed))
        caller = s.emu.pbx.place_call("1705", caller_number="anonymous", script=script)
        await s.until(lambda: not s.channel_exists(caller), timeout_s=240)
        (callback,) = await s.engine.callbacks.list()
        assert callback.number == "+3225531111"  # the keyed number, in E.164


async def test_three_invalid_numbers_keep_the_callers_place_in_the_queue(tmp_path):
    async with callbacks_system(tmp_path) as s:
        presses = [DtmfPress(151.0, "1")]
        for attempt in range(3):  # "0900..." premium numbers are refused
            start = 158.0 + attempt * 14.0
            presses += [DtmfPress(start + i * 0.4, d) for i, d in enumerate("0900123#")]
        caller = s.emu.pbx.place_call(
            "1705", caller_number="anonymous", script=CallerScript(dtmf=tuple(presses))
        )
        await s.until(lambda: s.engine.core.contacts)
        (contact,) = s.engine.core.contacts.values()
        queued_at = contact.record.queued_at
        await s.until(
            lambda: "sound:acd-callback-unavailable" in s.media_played_to(caller), timeout_s=300
        )
        await s.until(lambda: contact.callback_offer is None, timeout_s=60)
        assert s.channel_exists(caller)  # still waiting
        assert contact.routed  # in the queue, with the same place and wait clock
        assert contact.record.queued_at == queued_at
        assert await s.engine.callbacks.list() == []
        s.login("1006")
        await s.until(lambda: s.bridged_agent(caller))


async def test_a_caller_who_declines_keeps_waiting_and_is_served(tmp_path):
    async with callbacks_system(tmp_path) as s:
        script = CallerScript(dtmf=(DtmfPress(151.0, "5"),))  # anything but 1: no thanks
        caller = s.emu.pbx.place_call("1705", caller_number="0470123456", script=script)
        await s.until(
            lambda: "sound:acd-callback-offer" in s.media_played_to(caller), timeout_s=200
        )
        await s.wait(10)
        assert s.channel_exists(caller)
        assert s.emu.requests("POST", f"/ari/channels/{caller}/moh")  # the music is back
        s.login("1006")
        await s.until(lambda: s.bridged_agent(caller))
        assert await s.engine.callbacks.list() == []


async def test_virtual_hold_calls_back_when_the_callers_turn_comes_keeping_their_place(tmp_path):
    phones = {CITIZEN: EndpointBehaviour.answer(2.0, hangup_after_s=60.0)}
    behaviours = {"1006": EndpointBehaviour.answer(1.0, hangup_after_s=60.0)}
    async with callbacks_system(tmp_path, phones=phones, behaviours=behaviours) as s:
        script = CallerScript(dtmf=(DtmfPress(151.0, "1"), DtmfPress(157.0, "1")))
        held = s.emu.pbx.place_call("1706", caller_number="0470123456", script=script)
        await s.wait(60)
        later = s.emu.pbx.place_call("1706", caller_number="0470999999")  # queued after
        await s.until(lambda: not s.channel_exists(held), timeout_s=240)  # hung up, on hold
        (callback,) = await s.engine.callbacks.list()
        assert callback.status is CallbackStatus.DIALING  # claimed at once: no calm needed
        s.login("1006")  # the first agent goes to whoever waited longest: the held caller
        await s.until(
            lambda: any(
                CITIZEN in str(s.emu.pbx.describe_channel(c)["name"]) for c in s.emu.pbx.channels
            ),
            timeout_s=120,
        )
        assert not s.bridged_agent(later)  # the later live caller still waits
        done = None
        for _ in range(120):
            done = await stored(s.engine.callbacks, callback.id)
            if done.status is CallbackStatus.COMPLETED:
                break
            await s.wait(1)
        assert done is not None
        assert done.status is CallbackStatus.COMPLETED


async def test_a_virtual_hold_callback_left_pending_by_a_restart_takes_its_place_at_once(tmp_path):
    """A restart loses the engine's queue, where a virtual-hold callback held its caller's
    place: the stored callback must go back in at its place, not wait for a calm moment
    (with a live caller waiting, the line is never calm)."""
    phones = {CITIZEN: EndpointBehaviour.answer(2.0, hangup_after_s=60.0)}
    behaviours = {"1006": EndpointBehaviour.answer(1.0, hangup_after_s=60.0)}
    async with callbacks_system(tmp_path, phones=phones, behaviours=behaviours) as s:
        now = s.engine.clock.now()
        left, _ = await s.engine.callbacks.request(
            "+32470123456",
            "1706",
            "Test Virtuele Wacht",
            "contact-before-the-restart",
            now - timedelta(minutes=4),
            now + timedelta(days=2),
            "virtual-hold-restart",
        )
        later = s.emu.pbx.place_call("1706", caller_number="0470999999")  # a live caller
        await s.wait(20)  # a dialer tick or more
        placed = await stored(s.engine.callbacks, left.id)
        assert placed.status is CallbackStatus.DIALING  # in the queue, no calm needed
        s.login("1006")  # the first agent goes to the place asked for earliest
        await s.until(
            lambda: any(
                CITIZEN in str(s.emu.pbx.describe_channel(c)["name"]) for c in s.emu.pbx.channels
            ),
            timeout_s=120,
        )
        assert not s.bridged_agent(later)


async def test_a_second_request_from_the_same_number_is_merged_and_the_caller_told_so(tmp_path):
    async with callbacks_system(tmp_path) as s:
        store = s.engine.callbacks
        now = s.engine.clock.now()
        await store.request(
            "+32470123456", "1705", "Test Terugbellen", None, now, due_by(s, now), "earlier-call"
        )
        script = CallerScript(dtmf=(DtmfPress(151.0, "1"), DtmfPress(157.0, "1")))
        caller = s.emu.pbx.place_call("1705", caller_number="0470123456", script=script)
        await s.until(lambda: not s.channel_exists(caller), timeout_s=240)
        assert "sound:acd-callback-merged" in s.media_played_to(caller)
        (callback,) = await store.list()  # still one callback for that number
        assert callback.merged_count == 1
