"""Where the tests read the recorded Asterisk 22 ARI traces: the repository's own copies.

``tests/data/ari-traces/`` holds the recordings of ``shared/asterisk/ari-traces/`` (and that
folder's README), so a plain clone runs every test that replays them.  Missing data is an error,
never a skip: a test that cannot find its recording fails (``test_reference_copies.py`` also
notices a copy that has drifted from the reference folder).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

TRACE_DIR = Path(__file__).resolve().parent / "data" / "ari-traces"


def trace_path(name: str) -> Path:
    """The copy of ``<name>`` or ``<name>.jsonl``; FileNotFoundError (a failure) if absent."""
    path = TRACE_DIR / (name if name.endswith(".jsonl") else f"{name}.jsonl")
    if not path.is_file():
        raise FileNotFoundError(f"recorded ARI trace {path.name} missing from {TRACE_DIR}")
    return path


def trace_names() -> list[str]:
    """Every recording's file name (``bridge.jsonl`` ...), sorted.

    Raises when there are none: a parametrised test over an empty list would be skipped.
    """
    names = sorted(p.name for p in TRACE_DIR.glob("*.jsonl"))
    if not names:
        raise FileNotFoundError(f"no recorded ARI traces in {TRACE_DIR}")
    return names


def read_trace(name: str) -> list[dict[str, Any]]:
    """The recording's entries, one JSON object per non-empty line."""
    with trace_path(name).open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]
