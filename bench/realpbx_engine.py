"""`acd run` with counters on its ARI connection, for bench/realpbx_e2e.py.

    python -m bench.realpbx_engine run --config DIR ...    (the arguments of `acd`)

The engine runs unchanged; the REST transport and the event reader are wrapped (as
bench/engine_e2e.py does in process) to count REST requests sent, events received and their
bytes.  On SIGUSR1 the counts are written, as JSON, to the file named by $BENCH_ARI_COUNTS
(outside the ACD_ namespace: the engine reads every ACD_* variable as a setting).  The
wrappers' own cost is inside the engine CPU figure (a few additions per message).

With $BENCH_ENGINE_PROFILE=PATH the engine runs under cProfile and writes its statistics to
PATH.<pid> when it stops (read them with ``python -m pstats``).
"""

from __future__ import annotations

import cProfile
import json
import os
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import Any

from acd import cli
from acd.ari.rest import HttpTransportBase
from acd.ari.stream import EventStream
from acd.ari.ws_rest import WsRestTransport

COUNTS_ENV = "BENCH_ARI_COUNTS"
PROFILE_ENV = "BENCH_ENGINE_PROFILE"


class Counts:
    requests = 0
    events = 0
    event_bytes = 0
    dumps = 0  # how many times written: the reader waits for this to change


def _install() -> None:
    handle_text = EventStream._handle_text

    def counted(send: Any) -> Any:
        async def counted_request(
            transport: Any, method: str, path: str, params: Any = None, **kw: Any
        ) -> Any:
            Counts.requests += 1
            return await send(transport, method, path, params, **kw)

        return counted_request

    def counted_text(stream: EventStream, text: str, raw: Any, generation: int) -> Any:
        Counts.events += 1
        Counts.event_bytes += len(text)  # ARI's JSON is ASCII: characters are bytes
        return handle_text(stream, text, raw, generation)

    HttpTransportBase.request = counted(HttpTransportBase.request)  # type: ignore[method-assign]
    WsRestTransport.request = counted(WsRestTransport.request)  # type: ignore[method-assign]
    EventStream._handle_text = counted_text  # type: ignore[method-assign,assignment]


def _dump(path: Path) -> None:
    Counts.dumps += 1
    counts = {
        "requests": Counts.requests,
        "events": Counts.events,
        "event_bytes": Counts.event_bytes,
        "dumps": Counts.dumps,
    }
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(counts))
    partial.replace(path)  # the reader never sees half a file


def main() -> int:
    path = Path(os.environ[COUNTS_ENV])
    _install()

    def on_usr1(signum: int, frame: FrameType | None) -> None:
        _dump(path)

    signal.signal(signal.SIGUSR1, on_usr1)
    profile_to = os.environ.get(PROFILE_ENV)
    if not profile_to:
        return cli.main(sys.argv[1:])
    profiler = cProfile.Profile()
    try:
        return profiler.runcall(cli.main, sys.argv[1:])
    finally:
        profiler.dump_stats(f"{profile_to}.{os.getpid()}")  # one file per engine


if __name__ == "__main__":
    sys.exit(main())
