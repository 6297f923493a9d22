"""HTML: one self-contained page (inline CSS and SVG, no script, nothing fetched), charts
first since a manager would rather look than read: per line, the answer rate per interval
against the 95% norm, and the calls offered per interval split into answered, abandoned and
otherwise ended (a callback accepted, an escalation, ...); then every table."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape

from acd.reports.operational import OperationalRow
from acd.reports.period import BRUSSELS, Interval
from acd.reports.svg import Series, answer_rate_chart, stacked_chart
from acd.reports.tables import Cell, Report, Table, local
from sla.service_level import ANSWER_RATE_NORM, Tally, answer_rate

_STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5em;color:#212121}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}
th,td{border:1px solid #ccc;padding:2px 6px;text-align:right}
th{background:#f5f5f5}td.t{text-align:left}.note{color:#616161;font-style:italic}
svg.chart{display:block;margin:.8em 0;max-width:100%;height:auto}
"""


def _label(start: datetime, interval: Interval) -> str:
    at = start.astimezone(BRUSSELS)
    if interval in (Interval.HALF_HOUR, Interval.HOUR):
        return at.strftime("%d/%m %H:%M")
    if interval is Interval.WEEK:
        year, week, _ = at.isocalendar()
        return f"{year}-W{week:02d}"
    if interval is Interval.MONTH:
        return at.strftime("%Y-%m")
    return at.strftime("%d/%m")


def _per_line(rows: Sequence[OperationalRow]) -> dict[str, list[tuple[datetime, Tally]]]:
    """The interval rows summed over each line's line codes, in interval order."""
    lines: dict[str, dict[datetime, Tally]] = {}
    for row in rows:
        by_start = lines.setdefault(row.line, {})
        by_start[row.start] = by_start.get(row.start, Tally()) + row.tally
    return {line: sorted(by_start.items()) for line, by_start in sorted(lines.items())}


def charts(report: Report) -> str:
    parts = []
    for line, points in _per_line(report.operational).items():
        labels = [_label(start, report.period.interval) for start, _t in points]
        tallies = [tally for _s, tally in points]
        name = f"line {line}" if line else "no line"
        parts.append(f"<h2>{escape(name)}</h2>")
        parts.append(
            answer_rate_chart(
                f"Answer rate per interval, {name} (norm {ANSWER_RATE_NORM:.0%})",
                labels,
                [answer_rate(t) for t in tallies],
                ANSWER_RATE_NORM,
            )
        )
        other = [max(0.0, t.offered - t.answered - t.abandoned) for t in tallies]
        parts.append(
            stacked_chart(
                f"Calls offered per interval, {name}",
                labels,
                [
                    Series("answered", "#2e7d32", [t.answered for t in tallies]),
                    Series("abandoned", "#c62828", [t.abandoned for t in tallies]),
                    Series("other (callback accepted, ...)", "#f9a825", other),
                ],
            )
        )
    return "\n".join(parts) or '<p class="note">no contacts in the period: no charts</p>'


def _cell(value: Cell, name: str) -> str:
    if value is None:
        return "<td>&#8211;</td>"
    if isinstance(value, float) and (
        "rate" in name or name.startswith("service_level") or name == "share"
    ):
        return f"<td>{value:.1%}</td>"
    cls = ' class="t"' if isinstance(value, str) else ""
    return f"<td{cls}>{escape(str(value))}</td>"


def _table(table: Table) -> str:
    parts = [f'<h2 id="{escape(table.name)}">{escape(table.title)}</h2>']
    if table.note:
        parts.append(f'<p class="note">{escape(table.note)}</p>')
    if table.rows:
        parts.append("<table><thead><tr>")
        parts.extend(f"<th>{escape(h)}</th>" for h in table.header)
        parts.append("</tr></thead><tbody>")
        for row in table.rows:
            cells = "".join(_cell(v, h) for v, h in zip(row, table.header, strict=True))
            parts.append(f"<tr>{cells}</tr>")
        parts.append("</tbody></table>")
    return "".join(parts)


def html_text(report: Report) -> str:
    period = report.period
    head = f"ACD report {local(period.start)} to {local(period.end)}, per {period.interval.value}"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"/>'
        f"<title>{escape(head)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{escape(head)}</h1>"
        f'<p class="note">Intervals on Europe/Brussels time; the period ends before '
        f"{escape(local(period.end))}. Made {escape(local(report.made_at))}. Figures as "
        "defined in docs/sla.md.</p>"
        f"{charts(report)}" + "".join(_table(t) for t in report.tables) + "</body></html>\n"
    )
