"""Fixtures of the real-PBX tier: one Asterisk and one engine per session, fresh sipp phones per
test, and the logs of all three in a failing test's report."""

from __future__ import annotations

import os
from collections.abc import Callable, Generator, Iterator
from pathlib import Path

import pytest

from tests.realpbx.harness import (
    AGENTS,
    REPO,
    REQUIRE_ENV,
    SHARED_ENV,
    Asterisk,
    AsteriskCannotRunHere,
    Engine,
    Pbx,
    Phones,
    shared_dir,
    tail,
    wait_for,
)

NOT_RUN = "REAL-PBX TIER NOT RUN"
LOGS = pytest.StashKey[Callable[[], list[tuple[str, str]]]]()


@pytest.fixture(scope="session")
def shared_asterisk() -> Path:
    """The folder holding run-asterisk, etc/ and sipp/; without it, the tier's one loud skip
    (an error when REQUIRE_REAL_PBX=1)."""
    shared = shared_dir()
    if not (shared / "run-asterisk").exists():
        message = (
            f"{NOT_RUN}: no real Asterisk at {shared} "
            f"(set {SHARED_ENV} to the folder holding run-asterisk, etc/ and sipp/)"
        )
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(message + f"; {REQUIRE_ENV}=1 makes this an error", pytrace=False)
        pytest.skip(message)  # _SKIP_LINE: where the summary line points
    return shared


@pytest.fixture(scope="session")
def pbx(shared_asterisk: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pbx]:
    shared = shared_asterisk
    # pytest keeps the last runs' temporary folders: the logs outlive a failed session.
    root = tmp_path_factory.mktemp("realpbx")
    try:
        asterisk = Asterisk.start(shared, root)
    except AsteriskCannotRunHere as exc:
        # Present but unable to execute on this hardware: not an absence REQUIRE_REAL_PBX can
        # turn into an error worth failing on (no change of ours could pass it), so the same
        # one loud skip line, naming the CPU.
        pytest.skip(f"{NOT_RUN}: {exc}")
    try:
        pbx = Pbx(asterisk, Engine.start(root, asterisk))
        try:
            yield pbx
        finally:
            pbx.engine.stop()  # the engine of the moment: a restart test replaces it
    finally:
        asterisk.stop()


@pytest.fixture
def phones(pbx: Pbx, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Phones]:
    """This test's phones.  Afterwards: every phone killed, every agent logged out and out of
    wrap-up, every channel gone, so the next test starts from an idle PBX and an idle engine."""
    engine_from = pbx.engine.log.stat().st_size
    asterisk_from = pbx.asterisk.log.stat().st_size if pbx.asterisk.log.exists() else 0
    phones = Phones(pbx.asterisk, tmp_path)

    def logs() -> list[tuple[str, str]]:
        return [
            # The engine logs at DEBUG for its ARI requests; SQL statements would drown them.
            ("engine log", tail(pbx.engine.log, engine_from, drop="aiosqlite")),
            ("asterisk messages.log", tail(pbx.asterisk.log, asterisk_from)),
            *phones.logs(),
        ]

    request.node.stash[LOGS] = logs
    try:
        yield phones
    finally:
        phones.stop()
        for agent in AGENTS:
            pbx.engine.api("POST", f"/api/agents/{agent}/logout")
        pbx.engine.cancel_pending_callbacks()  # or a later test's agent would place them
        pbx.asterisk.hang_up_everything()
        wait_for(lambda: not pbx.asterisk.channels(), 10, "no channel left on the PBX")
        wait_for(lambda: pbx.engine.waiting() == 0, 10, "no contact left waiting")
        # An agent still in wrap-up (engine.wrap_up_s) would sit out the next test's first call.
        wait_for(
            lambda: all(a["activity"] != "wrap_up" for a in pbx.engine.agents().values()),
            10,
            "no agent left in wrap-up",
        )


_SKIP_LINE = next(
    n
    for n, line in enumerate(Path(__file__).read_text().splitlines(), 1)
    if "# _SKIP_LINE:" in line
)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.skipped and isinstance(report.longrepr, tuple) and NOT_RUN in report.longrepr[2]:
        # One place for every test's skip, so the summary folds them into one loud line.
        report.longrepr = (str(Path(__file__).relative_to(REPO)), _SKIP_LINE, report.longrepr[2])
    logs = item.stash.get(LOGS, None)
    if report.failed and logs is not None:
        for title, text in logs():
            report.sections.append((f"realpbx: {title}", text))
    return report
