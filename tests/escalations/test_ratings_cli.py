"""``acd escalation ratings`` as a supervisor runs it, against a SQLite store named on the
command line: counts and averages per point and per agent, filtered, as tables or JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from acd.cli import main
from escalations import migrate
from escalations.ratings import Channel, Rating, Scores, SqlRatingStore
from foundation.clock import hold_clock
from tests import postgres

pytestmark = pytest.mark.component

CONFIG = Path(__file__).resolve().parents[2] / "config"
AT = datetime(2022, 12, 13, 9, 0, tzinfo=UTC)


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'var' / 'acd.db'}"


def seed(url: str) -> None:
    given = [
        ("c1", "anb-jacht", "a1", (2, 3, 4)),
        ("c2", "anb-jacht", "a2", (5, 5, 4)),
        ("c3", "woonloket", "a1", (4, 4, 4)),
    ]

    async def work() -> None:
        await migrate(url, hold=hold_clock)
        async with SqlRatingStore.open(url, hold=hold_clock) as store:
            for contact, point, agent, scores in given:
                await store.put(
                    Rating(
                        contact,
                        point,
                        "An",
                        Scores(*scores),
                        None,
                        agent,
                        "1700",
                        Channel.PHONE,
                        AT,
                    )
                )

    postgres.run_outside_test_loop(work())


def run(capsys: pytest.CaptureFixture[str], url: str, *args: str) -> str:
    code = main(["escalation", "ratings", *args, "--config", str(CONFIG), "--storage-url", url])
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    return out


def test_tables_per_point_and_per_agent(capsys: pytest.CaptureFixture[str], url: str):
    seed(url)
    out = run(capsys, url)
    by_point, by_agent = out.strip().split("\n\n")
    assert by_point.splitlines() == [
        "by point:",
        "point      ratings  clarity  completeness  correctness",
        "anb-jacht  2        3.50     4.00          4.00",
        "woonloket  1        4.00     4.00          4.00",
    ]
    assert by_agent.splitlines()[2:] == [
        "a1     2        3.00     3.50          4.00",
        "a2     1        5.00     5.00          4.00",
    ]


def test_json_filtered_by_agent(capsys: pytest.CaptureFixture[str], url: str):
    seed(url)
    report = json.loads(run(capsys, url, "--agent", "a1", "--json"))
    assert [(s["key"], s["count"]) for s in report["by_point"]] == [
        ("anb-jacht", 1),
        ("woonloket", 1),
    ]
    assert report["by_agent"] == [
        {
            "key": "a1",
            "count": 2,
            "averages": {"clarity": 3.0, "completeness": 3.5, "correctness": 4.0},
        }
    ]


def test_no_ratings_says_so(capsys: pytest.CaptureFixture[str], url: str):
    assert (
        run(capsys, url, "--point", "anb-jacht") == "by point: no ratings\n\nby agent: no ratings\n"
    )
