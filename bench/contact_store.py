"""What the contact recorder's SQL costs per call (docs/performance.md, "Engine end to end").

Each call is saved as the engine's recorder saves it at a low rate, one transaction per
snapshot: arrived, queued, offered (one offer), answered, ended.  Then the same calls saved in
batches of 36 snapshots, as at high rates.  A SQLite file in a temporary folder; CPU
(``time.process_time``, the aiosqlite thread included) and wall time per call.

    .venv/bin/python bench/contact_store.py [--calls 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from acd.records import ContactStore, migrate
from foundation.contact import ContactRecord, Offer, OfferResult, Outcome

T0 = datetime(2027, 3, 29, 9, 0, tzinfo=UTC)


def snapshots(i: int) -> list[ContactRecord]:
    """The five snapshots of one answered call, as the recorder sees them."""
    at = T0 + timedelta(seconds=i)
    rung, picked_up = at + timedelta(seconds=1), at + timedelta(seconds=2)
    arrived = ContactRecord(
        id=f"ct-{i:06d}", channel_id=f"c{i}", line="1700", caller_number="+32", arrived_at=at
    )
    queued = replace(arrived, line_code="1700 Andere Vragen", queued_at=at)
    offered = replace(queued, offered_at=rung, offers=[Offer("a1", rung)])
    answered = replace(
        offered,
        answered_at=picked_up,
        agent_id="a1",
        offers=[Offer("a1", rung, OfferResult.ANSWERED, picked_up)],
    )
    ended = replace(answered, ended_at=at + timedelta(seconds=60), outcome=Outcome.ANSWERED)
    return [arrived, queued, offered, answered, ended]


async def measure(calls: int, batch: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.sqlite3'}"
        await migrate(url)
        async with ContactStore.open(url) as store:
            await store.save(snapshots(-1)[0])  # connect before the clock starts
            work = [s for i in range(calls) for s in snapshots(i)]
            cpu0, wall0 = time.process_time(), time.perf_counter()
            if batch == 1:
                for snapshot in work:
                    await store.save(snapshot)
            else:
                # One snapshot per contact per batch, as the recorder coalesces them.
                for step in range(5):
                    stage = work[step::5]
                    for start in range(0, len(stage), batch):
                        await store.save_many(stage[start : start + batch])
            cpu = time.process_time() - cpu0
            wall = time.perf_counter() - wall0
    return {
        "calls": calls,
        "snapshots_per_transaction": batch,
        "cpu_ms_per_call": round(1000 * cpu / calls, 3),
        "wall_ms_per_call": round(1000 * wall / calls, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=1000)
    args = parser.parse_args()
    for batch in (1, 36):
        print(json.dumps(asyncio.run(measure(args.calls, batch))))


if __name__ == "__main__":
    main()
