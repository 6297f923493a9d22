"""CSV: one file per table (``<stem>-<table>.csv``), or one table's text.  A table without
rows still has its header, and its note as a ``# note`` first line so an empty file is never
mistaken for a failed export."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from acd.reports.tables import Report, Table


def table_csv(table: Table) -> str:
    out = io.StringIO()
    if table.note:
        out.write(f"# {table.note}\n")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(table.header)
    writer.writerows(["" if cell is None else cell for cell in row] for row in table.rows)
    return out.getvalue()


def write_csv(report: Report, out: Path, table: str | None = None) -> list[Path]:
    """``out`` is the file for one ``table``; for all tables, the stem of one file each
    (``report.csv`` -> ``report-operational.csv``, ...)."""
    if table is not None:
        out.write_text(table_csv(report.table(table)), encoding="utf-8")
        return [out]
    written = []
    for each in report.tables:
        path = out.with_name(f"{out.stem}-{each.name}.csv")
        path.write_text(table_csv(each), encoding="utf-8")
        written.append(path)
    return written
