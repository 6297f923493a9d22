"""Every async test runs on a VirtualTimeLoop: timers fire in virtual time, real loopback
sockets still work, and no test waits for a timer in real seconds."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from acd.clock import VirtualTimeLoop


def pytest_asyncio_loop_factories(config: pytest.Config, item: pytest.Item) -> Mapping[str, Any]:
    return {"virtual": VirtualTimeLoop}
