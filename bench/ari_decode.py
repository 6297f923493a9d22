"""ARI event decoding: the stdlib ``json`` against ``orjson`` (docs/performance.md).

Decodes every event of the recorded traces (tests/data/ari-traces/*.jsonl, real Asterisk 22)
from its WebSocket text, as the event reader does: text -> dict (``json.loads`` or
``orjson.loads``) -> typed event (:func:`acd.ari.events.parse_event`).  Reports the JSON step
alone and the whole decoding, events per second, best of ``--repeat`` rounds.

    .venv/bin/python bench/ari_decode.py [--rounds 20] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from acd.ari.events import parse_event

TRACES = Path(__file__).resolve().parents[1] / "tests/data/ari-traces"


def recorded_events() -> list[str]:
    """Every event of every trace, as the compact JSON text Asterisk sends."""
    out = []
    for trace in sorted(TRACES.glob("*.jsonl")):
        for line in trace.read_text().splitlines():
            rec = json.loads(line)
            if rec.get("dir") == "event":
                out.append(json.dumps(rec["event"], separators=(",", ":")))
    return out


def best_rate(work: Callable[[], None], n: int, repeat: int) -> float:
    """Items per second of the fastest of ``repeat`` runs (the least disturbed one)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return n / best


def measure(rounds: int, repeat: int) -> dict[str, Any]:
    texts = recorded_events() * rounds
    loaders: dict[str, Callable[[str], Any]] = {"json": json.loads, "orjson": orjson.loads}
    result: dict[str, Any] = {
        "events": len(texts),
        "mean_bytes": round(sum(map(len, texts)) / len(texts)),
    }
    for name, loads in loaders.items():

        def json_only(loads: Callable[[str], Any] = loads) -> None:
            for text in texts:
                loads(text)

        def typed(loads: Callable[[str], Any] = loads) -> None:
            for text in texts:
                parse_event(loads(text))

        result[f"{name}_loads_per_s"] = round(best_rate(json_only, len(texts), repeat))
        result[f"{name}_typed_per_s"] = round(best_rate(typed, len(texts), repeat))
    result["speedup_loads"] = round(result["orjson_loads_per_s"] / result["json_loads_per_s"], 2)
    result["speedup_typed"] = round(result["orjson_typed_per_s"] / result["json_typed_per_s"], 2)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=20, help="passes over all the traces")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(json.dumps(measure(args.rounds, args.repeat)))


if __name__ == "__main__":
    main()
