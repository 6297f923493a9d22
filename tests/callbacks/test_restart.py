"""Restart safety against real processes: an engine killed with SIGKILL while dialling leaves
its callback dialing; a second node can not place it meanwhile, and recovery resolves it to a
re-dial with the next attempt number.  Two nodes claiming the same callbacks at once each get
a share and no callback twice."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from callbacks import AttemptResult, CallbackStatus
from callbacks.store import CallbackStore
from foundation.clock import hold_clock
from tests.callbacks.factories import DUE, MORNING, key, line, number

ROOT = Path(__file__).resolve().parents[2]

# An engine node that claims one callback, says so, and then hangs as if mid-call.
NODE = """
import asyncio, sys
from datetime import datetime
from callbacks.store import CallbackStore

async def main(url: str, callback_id: str, node: str, now: str) -> None:
    async with CallbackStore.open(url) as store:
        claimed = await store.claim(callback_id, node, datetime.fromisoformat(now))
        print("claimed" if claimed else "lost", flush=True)
        await asyncio.sleep(3600)

asyncio.run(main(*sys.argv[1:]))
"""


def claim_and_get_killed(url: str, callback_id: str, node: str) -> str:
    process = subprocess.Popen(
        [sys.executable, "-c", NODE, url, callback_id, node, MORNING.isoformat()],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        said = process.stdout.readline().strip()
    finally:
        os.kill(process.pid, signal.SIGKILL)  # kill -9: no cleanup of any kind
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    return said


async def test_a_callback_dialled_by_a_killed_node_is_redialled_once(
    store: CallbackStore, db_url: str
):
    callback, _ = await store.request(number(), line(), "x", None, MORNING, DUE, key())
    node = f"crashing-{callback.id}"
    assert await asyncio.to_thread(claim_and_get_killed, db_url, callback.id, node) == ("claimed")
    left = await store.get(callback.id)
    assert left is not None
    assert (left.status, left.claimed_by) == (CallbackStatus.DIALING, node)
    assert left.current_attempt is not None
    # Still dialing as far as anyone knows: no one else may place it meanwhile.
    later = MORNING + timedelta(minutes=2)
    assert await store.claim(callback.id, "other-node", later) is None
    assert callback.id not in {c.id for c in await store.due(later, line=callback.line)}

    resolved = await store.recover(later, node_id=node)
    assert [c.id for c in resolved] == [callback.id]
    assert resolved[0].status is CallbackStatus.PENDING
    assert resolved[0].attempts[0].result is AttemptResult.INTERRUPTED
    assert await store.recover(later, node_id=node) == []  # resolved once only
    redial = await store.claim(callback.id, "other-node", later)
    assert redial is not None
    assert [a.seq for a in redial.attempts] == [1, 2]


async def test_two_nodes_claiming_at_once_never_share_a_callback(db_url: str):
    where = line()
    async with (
        CallbackStore.open(db_url, hold=hold_clock) as node_a,
        CallbackStore.open(db_url, hold=hold_clock) as node_b,
    ):
        made = [
            (await node_a.request(number(), where, "x", None, MORNING, DUE, key()))[0]
            for _ in range(12)
        ]

        async def claim_all(store: CallbackStore, name: str) -> list[str]:
            won = []
            for callback in made:
                if await store.claim(callback.id, name, MORNING) is not None:
                    won.append(callback.id)
            return won

        won_a, won_b = await asyncio.gather(claim_all(node_a, "a"), claim_all(node_b, "b"))
        assert sorted(won_a + won_b) == sorted(c.id for c in made)
        assert not set(won_a) & set(won_b)
        for callback in await node_a.list(line=where):
            assert [a.seq for a in callback.attempts] == [1]
            assert callback.claimed_by == ("a" if callback.id in won_a else "b")
