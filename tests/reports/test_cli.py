"""`acd report` as a user runs it: a SQLite database with a morning's records, the formats on
standard output or in files, errors as one line and status 2, and `acd report schedule list`."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook

from acd.cli import main
from tests import postgres
from tests.reports.conftest import migrate_all
from tests.reports.test_sql import store_records

pytestmark = pytest.mark.component

CONFIG = Path(__file__).resolve().parents[1] / "system" / "config"


@pytest.fixture
def url(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'acd.db'}"
    postgres.run_outside_test_loop(migrate_all(url))
    postgres.run_outside_test_loop(store_records(url, 0, "t"))
    return url


def run(url: str, *args: str) -> int:
    return main(["report", "--config", str(CONFIG), "--storage-url", url, *args])


def test_csv_on_standard_output(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(url, "--from", "2027-03-30", "--to", "2027-03-30", "--format", "csv") == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    # Every configured line code has its row, beside the records' own A and B.
    assert {r["line_code"] for r in rows} >= {"A", "B", "1700 Andere Vragen"}
    a = next(r for r in rows if r["line_code"] == "A")
    assert (a["offered"], a["answered"], a["abandoned"]) == ("7", "4", "2")


def test_xlsx_and_html_files(url: str, tmp_path: Path) -> None:
    out = tmp_path / "march.xlsx"
    assert (
        run(
            url, "--from", "2027-03-30", "--to", "2027-03-30", "--format", "xlsx", "--out", str(out)
        )
        == 0
    )
    assert load_workbook(out).sheetnames[1:] == [
        "operational",
        "totals",
        "points",
        "themes",
        "reasons",
        "survey",
        "quality",
        "occupancy",
    ]
    page = tmp_path / "march.html"
    assert (
        run(
            url,
            "--from",
            "2027-03-30",
            "--to",
            "2027-03-30",
            "--interval",
            "1h",
            "--out",
            str(page),
        )
        == 0
    )
    assert page.read_text().count("<svg") == 2


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--from", "2027-03-31", "--to", "2027-03-30"), "--to 2027-03-30 is not after --from"),
        (("--from", "2027-03-30", "--to", "9999-12-31"), "reports cover 2000 to 2199"),
        (("--to", "2027-03-30"), "--from and --to are required"),
        (("--from", "2027-03-30", "--to", "2027-03-30", "--format", "xlsx"), "give --out FILE"),
    ],
)
def test_bad_options_say_what_in_one_line(
    url: str, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], says: str
) -> None:
    assert run(url, *args) == 2
    err = capsys.readouterr().err
    assert says in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_schedule_list_shows_each_schedule_and_its_next_run(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config"
    shutil.copytree(CONFIG, config)
    with (config / "acd.yaml").open("a") as f:
        f.write(
            "reports:\n  schedules:\n"
            "    - {name: weekly, every: 1w, starting: 2100-01-04, run_at: '07:00',"
            f" format: xlsx, folder: {tmp_path / 'out'}}}\n"
        )
    argv = ["report", "schedule", "list", "--config", str(config), "--storage-url", url, "--json"]
    assert main(argv) == 0
    (listed,) = json.loads(capsys.readouterr().out)
    assert listed["name"] == "weekly"
    assert listed["every"] == "1w"
    assert listed["last_period_end"] == "never run"
    # Starting in 2100, so the test does not depend on today: the first week's run.
    assert listed["next_run"] == "2100-01-11T07:00+01:00"
    assert listed["next_period"] == "2100-01-04T00:00+01:00 to 2100-01-11T00:00+01:00"


def test_a_database_out_of_reach_is_one_line_without_the_password(
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = "postgresql+asyncpg://acd:s3cret@127.0.0.1:1/acd"  # nothing listens on port 1
    assert run(url, "--from", "2027-03-30", "--to", "2027-03-30") == 1
    err = capsys.readouterr().err
    assert err.startswith("acd report: cannot read the database postgresql+asyncpg://acd:***@")
    assert "s3cret" not in err
    assert len(err.strip().splitlines()) == 1
