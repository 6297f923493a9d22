"""The repository's copies of the recorded traces against the reference folder they came from.

Checked only where that folder exists (``<repo>/../shared/asterisk``, or the folder
``ASTERISK_REFERENCE_DIR`` names; outside the ``ACD_`` namespace, which belongs to the engine's
settings): a recording added or changed there must be copied into ``tests/data/ari-traces``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.traces import TRACE_DIR, trace_names

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[1]


def reference_dir() -> Path:
    configured = os.environ.get("ASTERISK_REFERENCE_DIR")
    return Path(configured) if configured else REPO.parent / "shared" / "asterisk"


def test_every_trace_is_here() -> None:
    # The trace tests fail without their data; this says so once, plainly.
    assert len(trace_names()) >= 21, f"recorded ARI traces missing from {TRACE_DIR}"
    assert (TRACE_DIR / "README.md").is_file()


def test_the_copies_match_the_reference() -> None:
    reference = reference_dir()
    if not (reference / "ari-traces").is_dir():
        if "ASTERISK_REFERENCE_DIR" in os.environ:
            pytest.fail(f"ASTERISK_REFERENCE_DIR={reference} has no ari-traces folder")
        # A plain clone has no reference beside it: the copies are all there is.
        pytest.skip(f"no reference recordings at {reference}")
    originals = {p.name: p for p in (reference / "ari-traces").glob("*.jsonl")}
    originals["README.md"] = reference / "README.md"
    missing = sorted(set(originals) - {p.name for p in TRACE_DIR.iterdir()})
    assert not missing, f"copy these from {reference} into {TRACE_DIR}: {missing}"
    differ = sorted(
        name for name, p in originals.items() if p.read_bytes() != (TRACE_DIR / name).read_bytes()
    )
    assert not differ, f"these differ from {reference}; copy them again: {differ}"
