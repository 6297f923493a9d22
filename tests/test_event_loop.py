"""`acd run`'s processors (acd.yaml ``cpu_affinity``): every thread kept to them."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from acd import event_loop

pytestmark = pytest.mark.unit

# Run in a process of its own: pinning the test worker would slow the rest of the suite.
PINNED = textwrap.dedent(
    """
    import os, threading
    from acd import event_loop
    started = threading.Event()
    before = threading.Thread(target=started.wait)  # a thread that was there already
    before.start()
    event_loop.keep_to([{cpu}])
    seen = {{}}
    after = threading.Thread(target=lambda: seen.update(after=os.sched_getaffinity(0)))
    after.start(); after.join()
    print(sorted(os.sched_getaffinity(0)), sorted(os.sched_getaffinity(before.native_id)),
          sorted(seen["after"]))
    started.set()
    """
)


def test_every_thread_old_and_new_is_kept_to_the_processors_asked_for():
    cpu = max(os.sched_getaffinity(0))
    result = subprocess.run(
        [sys.executable, "-c", PINNED.format(cpu=cpu)], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == [f"[{cpu}]"] * 3


def test_no_processors_leaves_the_process_where_it_is():
    before = os.sched_getaffinity(0)
    event_loop.keep_to([])
    assert os.sched_getaffinity(0) == before
