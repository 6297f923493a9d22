"""Each format parses back to the same figures: csv with the csv reader, xlsx with openpyxl,
html as well-formed XML with the charts' SVG in it."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from datetime import datetime

from openpyxl import load_workbook

from acd.reports.load import make_report
from acd.reports.period import BRUSSELS, parse_period
from acd.reports.render_csv import table_csv, write_csv
from acd.reports.render_html import html_text
from acd.reports.render_xlsx import xlsx_bytes
from acd.reports.tables import TABLE_NAMES, Report
from tests.reports.records import records

SVG = "{http://www.w3.org/2000/svg}"
MADE = datetime(2027, 3, 31, 8, 0, tzinfo=BRUSSELS)


def _title(element: ET.Element) -> str:
    found = element.find(f"{SVG}title")
    assert found is not None
    return found.text or ""


def report(start: str = "2027-03-30T09:00", end: str = "2027-03-30T11:00") -> Report:
    return make_report(parse_period(start, end, "1h"), records(), made_at=MADE, short_abandon_s=5.0)


def test_csv_has_one_file_per_table_that_reads_back(tmp_path):
    written = write_csv(report(), tmp_path / "march.csv")
    assert [p.name for p in written] == [f"march-{name}.csv" for name in TABLE_NAMES]
    rows = list(csv.DictReader(written[0].open(encoding="utf-8")))
    busy = next(r for r in rows if r["line_code"] == "A" and r["from"].endswith("09:00+02:00"))
    assert busy["offered"] == "5"
    assert busy["answer_rate"] == "0.5"
    assert busy["meets_norm"] == "no"
    assert busy["aht_s"] == "210.0"
    quiet = next(r for r in rows if r["line_code"] == "A" and r["from"].endswith("10:00+02:00"))
    assert quiet["answer_rate"] == ""  # no figure, not 0


def test_csv_of_a_table_without_rows_says_why():
    text = table_csv(report("2027-04-01", "2027-04-01").table("reasons"))
    assert text.splitlines()[0] == "# no contact reasons registered in the period"
    assert text.splitlines()[1] == "line_code,reason,contacts,share"


def test_csv_has_the_contact_reasons_with_their_share(tmp_path):
    written = write_csv(report(), tmp_path / "march.csv")
    reasons = written[TABLE_NAMES.index("reasons")]
    rows = list(csv.DictReader(reasons.open(encoding="utf-8")))
    assert [(r["line_code"], r["reason"], r["contacts"], r["share"]) for r in rows] == [
        ("A", "Inkomstenbelasting", "2", "0.6667"),
        ("A", "Kinderbijslag", "1", "0.3333"),
        ("B", "Groeipakket", "1", "1.0"),
    ]


def test_xlsx_has_one_sheet_per_table_with_numbers_as_numbers():
    book = load_workbook(io.BytesIO(xlsx_bytes(report())))
    assert book.sheetnames == ["about", *TABLE_NAMES]
    sheet = book["operational"]
    header = [c.value for c in sheet[1]]
    values = [dict(zip(header, (c.value for c in row), strict=True)) for row in sheet[2:5]]
    busy = next(v for v in values if v["line_code"] == "A" and v["from"].endswith("09:00+02:00"))
    assert busy["answer_rate"] == 0.5
    assert busy["asa_s"] == 25.0
    assert sheet.cell(row=2, column=header.index("answer_rate") + 1).number_format == "0.0%"
    points = book["points"]
    assert [c.value for c in points[2]][:6] == [
        "p1",
        "Belastingen",
        "FOD Financiën",
        "Fiscaliteit",
        1,
        0,
    ]
    reasons = book["reasons"]
    assert [c.value for c in reasons[2]] == ["A", "Inkomstenbelasting", 2, 0.6667]
    assert reasons["D2"].number_format == "0.0%"
    empty = load_workbook(io.BytesIO(xlsx_bytes(report("2027-04-01", "2027-04-01"))))
    assert empty["reasons"]["A3"].value == "no contact reasons registered in the period"


def test_html_is_well_formed_and_self_contained_with_the_charts():
    text = html_text(report())
    root = ET.fromstring(text.split("\n", 1)[1])  # past the doctype
    charts = list(root.iter(f"{SVG}svg"))
    assert len(charts) == 2  # one line: the answer rate against the norm, the calls stacked
    titles = [_title(c) for c in charts]
    assert titles == [
        "Answer rate per interval, line 1700 (norm 95%)",
        "Calls offered per interval, line 1700",
    ]
    rate_bars = [r for r in charts[0].iter(f"{SVG}rect") if r.get("class") == "bar"]
    # 09h: 2 answered of the 4 that got an agent or gave up (line codes A and B summed).
    assert [_title(b) for b in rate_bars] == [
        "30/03 09:00: 50.0%",
        "30/03 10:00: 100.0%",
    ]
    assert rate_bars[0].get("fill") == "#c62828"  # below the norm: red
    assert [n.get("class") for n in charts[0].iter(f"{SVG}line") if n.get("class")] == ["norm"]
    stacked = [_title(r) for r in charts[1].iter(f"{SVG}rect") if r.get("class") == "bar"]
    assert stacked == [
        "30/03 09:00: answered 2",
        "30/03 09:00: abandoned 2",
        "30/03 09:00: other (callback accepted, ...) 1",
        "30/03 10:00: answered 1",
    ]
    assert "<td>66.7%</td>" in text  # Inkomstenbelasting's share of line code A
    assert '<td class="t">Kinderbijslag</td><td>1</td><td>33.3%</td>' in text
    # Nothing fetched: no script, no external reference.
    assert "<script" not in text
    assert "http://" not in text.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in text


def test_html_of_an_empty_period_says_so():
    text = html_text(report("2027-04-01", "2027-04-01"))
    ET.fromstring(text.split("\n", 1)[1])
    assert "no contacts in the period: no charts" in text
    assert "no contact reasons registered in the period" in text
