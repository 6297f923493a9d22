"""``acd callbacks`` as a supervisor runs it, against a SQLite store named on the command line."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from acd.cli import main
from acd.cli_parsers import CALLBACK_STATUSES
from callbacks import CallbackStatus
from callbacks.store import CallbackStore
from foundation.clock import hold_clock
from tests import postgres
from tests.callbacks.factories import DUE, MORNING

CONFIG = Path(__file__).resolve().parents[2] / "config"


@pytest.fixture(autouse=True)
def _at_the_morning(monkeypatch: pytest.MonkeyPatch) -> None:
    # The command reads the wall clock; its callbacks are requested on MORNING and a
    # reschedule is refused into the past, so the test's "now" is that morning, not today.
    monkeypatch.setattr("acd.callbacks_cli.wall_clock", lambda: MORNING)


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'var' / 'acd.db'}"


def seed(url: str) -> list[str]:
    """Two callbacks on 1700, one of them asked for twice, and one on 1701."""
    ids: list[str] = []

    async def work() -> None:
        from callbacks import migrate

        await migrate(url, hold=hold_clock)
        async with CallbackStore.open(url, hold=hold_clock) as store:
            requests = [
                ("+3212345678", "1700", "1700 Andere Vragen", MORNING, "k1"),
                ("+3212345678", "1700", "1700 Andere Vragen", MORNING, "k2"),
                ("+32470000001", "1700", "1700 Belastingen", MORNING + timedelta(minutes=1), "k3"),
                (
                    "+32470000002",
                    "1701",
                    "Onderwijs Studietoelagen",
                    MORNING + timedelta(seconds=30),
                    "k4",
                ),
            ]
            for number, line, code, at, key in requests:
                callback, merged = await store.request(number, line, code, None, at, DUE, key)
                if not merged:
                    ids.append(callback.id)

    postgres.run_outside_test_loop(work())
    return ids


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["callbacks", *args, "--config", str(CONFIG)])
    out, err = capsys.readouterr()
    return code, out, err


def test_list_prints_a_table_in_brussels_time(url: str, capsys: pytest.CaptureFixture[str]):
    first, second, _ = seed(url)
    code, out, _ = run(capsys, "list", "--line", "1700", "--storage-url", url)
    assert code == 0
    header, *rows = out.strip().splitlines()
    assert header.split()[:3] == ["id", "status", "line"]
    assert [row.split()[0] for row in rows] == [first, second]
    assert "2027-03-30 10:00" in rows[0]  # 08:00 UTC, summer time in Brussels
    assert "2027-04-01 19:00" in rows[0]
    assert "asked 2 times" in rows[0]


def test_list_filters_and_json(url: str, capsys: pytest.CaptureFixture[str]):
    first, second, third = seed(url)
    code, out, _ = run(capsys, "list", "--json", "--status", "pending", "--storage-url", url)
    assert code == 0
    assert [c["id"] for c in json.loads(out)["callbacks"]] == [first, third, second]
    _, out, _ = run(
        capsys, "list", "--json", "--line-code", "1700 Belastingen", "--storage-url", url
    )
    assert [c["id"] for c in json.loads(out)["callbacks"]] == [second]
    _, out, _ = run(
        capsys, "list", "--json", "--due-before", "2027-04-01T19:00", "--storage-url", url
    )
    assert json.loads(out)["callbacks"] == []
    _, out, _ = run(capsys, "list", "--status", "expired", "--storage-url", url)
    assert out.strip() == "no callbacks"


def test_cancel_and_reschedule(url: str, capsys: pytest.CaptureFixture[str]):
    first, second, _ = seed(url)
    code, out, _ = run(capsys, "cancel", first, "--reason", "called in again", "--storage-url", url)
    assert code == 0
    assert "cancelled" in out
    assert "called in again" in out
    code, out, _ = run(
        capsys, "reschedule", second, "--at", "2027-03-31T10:00", "--storage-url", url
    )
    assert code == 0
    assert "next try 2027-03-31 10:00" in out
    code, _, err = run(capsys, "cancel", first, "--reason", "again", "--storage-url", url)
    assert code == 1
    assert "is cancelled: it cannot be cancelled" in err
    code, _, err = run(capsys, "cancel", "nope", "--reason", "x", "--storage-url", url)
    assert (code, err.strip()) == (1, "acd: no callback 'nope'")


def test_bad_input_exits_2(url: str, capsys: pytest.CaptureFixture[str]):
    seed(url)
    code, _, err = run(capsys, "list", "--due-before", "tomorrow", "--storage-url", url)
    assert code == 2
    assert "is not a date and time" in err
    code, _, err = run(capsys, "list", "--limit", "0", "--storage-url", url)
    assert code == 2


@pytest.mark.parametrize("action", [["list"], ["cancel", "x", "--reason", "r"]])
def test_a_missing_database_is_said_and_not_created(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], action: list[str]
):
    missing = tmp_path / "nonexistent" / "dir" / "x.db"
    code, out, err = run(capsys, *action, "--storage-url", f"sqlite+aiosqlite:///{missing}")
    assert (code, out) == (1, "")
    assert err.strip().startswith(f"acd: no database at {missing}: nothing has been stored")
    assert not (tmp_path / "nonexistent").exists()


def test_times_beyond_the_calendar_are_refused_in_one_line(
    url: str, capsys: pytest.CaptureFixture[str]
):
    first, *_ = seed(url)
    code, out, err = run(capsys, "list", "--due-before", "0001-01-01T00:00", "--storage-url", url)
    assert (code, out) == (2, "")
    assert (
        err == "acd: '0001-01-01T00:00' is out of range: it is before year 1 or after 9999 in UTC\n"
    )
    code, _, err = run(
        capsys, "reschedule", first, "--at", "9999-12-31T23:59-14:00", "--storage-url", url
    )
    assert code == 2
    assert "out of range" in err


def test_a_reschedule_into_the_past_is_refused(url: str, capsys: pytest.CaptureFixture[str]):
    first, *_ = seed(url)
    for at in ("1970-01-01T00:00", "0001-01-02T00:00"):
        code, _, err = run(capsys, "reschedule", first, "--at", at, "--storage-url", url)
        assert code == 1
        assert "that is in the past" in err
    code, out, _ = run(capsys, "list", "--json", "--storage-url", url)
    assert json.loads(out)["callbacks"][0]["next_attempt_at"] is None  # unchanged


@pytest.mark.unit
def test_the_parser_knows_every_status():
    assert tuple(status.value for status in CallbackStatus) == CALLBACK_STATUSES


@pytest.mark.unit
def test_help(capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit) as exit_info:
        main(["callbacks", "list", "--help"])
    assert exit_info.value.code == 0
    assert "--due-before" in capsys.readouterr().out


def test_a_reschedule_follows_the_lines_hours(url: str, capsys: pytest.CaptureFixture[str]):
    first, *_ = seed(url)
    # Wednesday 22:00: closed, tried at Thursday's opening, before the deadline (Thursday 19:00).
    code, out, _ = run(
        capsys, "reschedule", first, "--at", "2027-03-31T22:00", "--storage-url", url
    )
    assert code == 0
    assert "next try 2027-03-31 22:00" in out
    # Thursday 19:30: the line opens next on Friday, after the deadline.
    code, _, err = run(
        capsys, "reschedule", first, "--at", "2027-04-01T19:30", "--storage-url", url
    )
    assert code == 1
    assert err.strip().endswith(
        "the line is closed then and opens next at 2027-04-02 09:00, after the callback's "
        "deadline 2027-04-01 19:00 (Europe/Brussels)"
    )
