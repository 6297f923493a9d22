"""The emulator against every recorded flow of a real Asterisk 22 (see ``replay.py``)."""

from __future__ import annotations

import dataclasses
import time

import aiohttp
import pytest

from emulator import EndpointBehaviour, EndpointSpec, PbxConfig, reference_config, run_emulator
from tests.emulator.replay import compare, load_trace, replay
from tests.traces import TRACE_DIR, trace_names

#: Where a recording's far end behaved differently from the reference setup.
ENDPOINT_OVERRIDES: dict[str, dict[str, EndpointBehaviour]] = {
    "subscriptions": {"agent1": EndpointBehaviour.answer(0.5)},
    "transfer": {"agent2": EndpointBehaviour.answer(1.5)},
    "callback_agent_first": {"agent2": EndpointBehaviour.answer(2.0)},
    "supervisor_whisper_barge": {"agent3": EndpointBehaviour.answer(0.5)},
}

#: Endpoints a recording had beside the reference setup: the real-PBX tier's trunk
#: (tests/realpbx/etc/pjsip.conf), whose sipp far side was busy for one number and answered
#: after 1.5 s for the other (tests/realpbx/record_trunk_transfer.py).
EXTRA_ENDPOINTS: dict[str, tuple[EndpointSpec, ...]] = {
    "trunk_transfer": (
        EndpointSpec(
            "trunk",
            EndpointBehaviour.answer(1.5),
            context="from-trunk",
            numbers={"+3225532199": EndpointBehaviour.busy(0.3)},
        ),
    ),
}

#: Flows recorded on a stock Asterisk that has no file for a sound a deployment records
#: (the survey's ``sound:acd-survey-*``): a sound the emulator does not know fails at once.
MISSING_SOUNDS_FAIL = {"playback_missing"}

FLOWS = [name.removesuffix(".jsonl") for name in trace_names()]


def flow_config(flow: str) -> PbxConfig:
    config = reference_config()
    overrides = ENDPOINT_OVERRIDES.get(flow, {})
    endpoints = tuple(
        dataclasses.replace(e, behaviour=overrides.get(e.resource, e.behaviour))
        for e in config.endpoints
    )
    config = dataclasses.replace(config, endpoints=endpoints)
    for extra in EXTRA_ENDPOINTS.get(flow, ()):
        config = config.with_endpoint(extra)
    if flow in MISSING_SOUNDS_FAIL:
        config = dataclasses.replace(
            config, sounds=dataclasses.replace(config.sounds, missing_fail=True)
        )
    return config


@pytest.mark.unit
def test_the_traces_are_there() -> None:
    assert len(FLOWS) >= 18, f"no traces found in {TRACE_DIR}"


@pytest.mark.parametrize("flow", FLOWS)
async def test_emulator_reproduces_the_recorded_flow(flow: str) -> None:
    started = time.perf_counter()
    async with run_emulator(config=flow_config(flow)) as emu, aiohttp.ClientSession() as session:
        result = await replay(emu, session, load_trace(flow))
    problems = compare(result)
    assert not problems, f"{flow}: {len(problems)} differences\n" + "\n".join(problems)
    assert time.perf_counter() - started < 5.0  # virtual time: a 32 s SIP timeout is instant
