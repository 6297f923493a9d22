"""``acd escalation`` as an editor runs it, on the shipped config with a SQLite store named on
the command line."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from acd.cli import main
from escalations import migrate

pytestmark = pytest.mark.component

CONFIG = Path(__file__).resolve().parents[2] / "config"


def run(capsys: pytest.CaptureFixture[str], tmp_path: Path, *args: str) -> tuple[int, str, str]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'var' / 'acd.db'}"
    if not (tmp_path / "var").exists():
        # The database `acd run` made; the commands read it and never create one.
        (tmp_path / "var").mkdir()
        asyncio.run(migrate(url))
    code = main(["escalation", *args, "--config", str(CONFIG), "--storage-url", url])
    out, err = capsys.readouterr()
    return code, out, err


def test_list_shows_the_configured_points(capsys, tmp_path):
    code, out, _ = run(capsys, tmp_path, "list")
    assert code == 0
    header, *rows = out.splitlines()
    assert header.split()[:3] == ["id", "title", "phone"]
    jacht = next(row for row in rows if row.startswith("anb-jacht"))
    assert "02 553 21 00" in jacht
    assert "1700 Andere Vragen" in jacht
    assert len(rows) == 5


def test_list_as_json_filtered_by_line_code(capsys, tmp_path):
    code, out, _ = run(capsys, tmp_path, "list", "--json", "--line-code", "1700 Belastingen")
    assert code == 0
    (point,) = json.loads(out)["escalation_points"]
    assert (point["id"], point["phone"], point["may_give_email"]) == (
        "vlabel-erfbelasting",
        None,
        True,
    )


@pytest.mark.parametrize(
    ("at", "says"),
    [
        ("2027-06-16T10:00", ["phone transfer possible", "until 12:00"]),
        (
            "2027-06-16T12:30",
            ["not possible (outside_reachability)", "next window fri 2027-06-18 09:00-12:00"],
        ),
        (
            "2027-06-17T10:00",
            [
                "not possible (deviating_availability)",
                "for the caller: Telefonisch niet bereikbaar op donderdag 17-06-2027",
            ],
        ),
    ],
)
def test_check_prints_whether_a_transfer_is_possible_then_and_why(capsys, tmp_path, at, says):
    code, out, _ = run(capsys, tmp_path, "check", "anb-jacht", "--at", at)
    assert code == 0
    for words in says:
        assert words in out


def test_check_of_an_unknown_point_or_a_bad_time_is_refused(capsys, tmp_path):
    code, _, err = run(capsys, tmp_path, "check", "nope", "--at", "2027-06-16T10:00")
    assert (code, err.strip()) == (1, "acd: no escalation point 'nope'")
    code, _, err = run(capsys, tmp_path, "check", "anb-jacht", "--at", "tomorrow")
    assert code == 2
    assert "'tomorrow' is not a date and time" in err


@pytest.mark.parametrize("args", [["list"], ["check", "anb-jacht"], ["outbox"]])
def test_a_missing_database_is_said_and_not_created(capsys, tmp_path, args):
    missing = tmp_path / "nonexistent" / "x.db"
    url = f"sqlite+aiosqlite:///{missing}"
    code = main(["escalation", *args, "--config", str(CONFIG), "--storage-url", url])
    out, err = capsys.readouterr()
    assert (code, out) == (1, "")
    assert err.startswith(f"acd: no database at {missing}: nothing has been stored there yet")
    assert not (tmp_path / "nonexistent").exists()
