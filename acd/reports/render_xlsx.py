"""XLSX, one sheet per table, with openpyxl (typed by typeshed's types-openpyxl).  Numbers stay
numbers; ratios get a percent format so a spreadsheet shows 95.0% but computes with 0.95."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Font

from acd.reports.tables import Report, local

_PERCENT = ("answer_rate", "answer_rate_norm", "service_level", "abandon_rate", "share")


def xlsx_bytes(report: Report) -> bytes:
    book = Workbook()
    first = book.active
    if first is not None:
        book.remove(first)
    about = book.create_sheet("about")
    about.append(["ACD report"])
    about["A1"].font = Font(bold=True)
    about.append(["from", local(report.period.start)])
    about.append(["to", local(report.period.end)])
    about.append(["interval", report.period.interval.value])
    about.append(["time zone", "Europe/Brussels (interval boundaries)"])
    about.append(["made at", local(report.made_at)])
    for table in report.tables:
        sheet = book.create_sheet(table.name)
        sheet.append(list(table.header))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append(list(row))
        if table.note:
            # Below the rows, so the first row is always the header a reader parses by.
            sheet.append([])
            sheet.append([table.note])
        for index, name in enumerate(table.header, start=1):
            if name.startswith(_PERCENT):
                for column in sheet.iter_cols(
                    min_col=index, max_col=index, min_row=2, max_row=1 + len(table.rows)
                ):
                    for cell in column:
                        cell.number_format = "0.0%"
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
