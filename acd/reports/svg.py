"""Small inline SVG charts for the HTML report, drawn here rather than by a charting library:
two kinds of bar chart need no dependency, no script and no CDN, and print as they show.

Every chart has a ``<title>`` and each bar one too (a tooltip with its value), and marks "no
figure" intervals with a grey tick rather than a zero-height bar that reads as 0%.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH = 900
HEIGHT = 260
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 28, 46
MAX_LABELS = 16  # at most this many axis labels; the rest only in the tooltips

GOOD, BAD, NONE, NORM = "#2e7d32", "#c62828", "#9e9e9e", "#1a237e"


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    colour: str
    values: Sequence[float]


def _frame(title: str, labels: Sequence[str], y_max: float, y_fmt: str) -> list[str]:
    plot_h = HEIGHT - TOP - BOTTOM
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{WIDTH}" '
        f'height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img">',
        f"<title>{escape(title)}</title>",
        f'<text x="{LEFT}" y="16" font-size="13" font-weight="bold">{escape(title)}</text>',
    ]
    for step in range(5):
        value = y_max * step / 4
        y = TOP + plot_h - plot_h * step / 4
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            'stroke="#e0e0e0"/>'
            f'<text x="{LEFT - 4}" y="{y + 4:.1f}" font-size="10" text-anchor="end">'
            f"{escape(y_fmt.format(value))}</text>"
        )
    every = max(1, -(-len(labels) // MAX_LABELS))
    width = _bar_width(len(labels))
    for index, label in enumerate(labels):
        if index % every == 0:
            x = LEFT + width * (index + 0.5)
            parts.append(
                f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 14}" font-size="10" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    return parts


def _bar_width(count: int) -> float:
    return (WIDTH - LEFT - RIGHT) / max(1, count)


def answer_rate_chart(
    title: str, labels: Sequence[str], rates: Sequence[float | None], norm: float
) -> str:
    """Answer rate per interval as bars, green at or above the norm, red below, with the norm
    as a dashed line across."""
    parts = _frame(title, labels, 1.0, "{:.0%}")
    plot_h = HEIGHT - TOP - BOTTOM
    width = _bar_width(len(labels))
    for index, (label, rate) in enumerate(zip(labels, rates, strict=True)):
        x = LEFT + width * index + width * 0.1
        if rate is None:
            parts.append(
                f'<rect class="none" x="{x:.1f}" y="{TOP + plot_h - 2}" '
                f'width="{width * 0.8:.1f}" height="2" fill="{NONE}">'
                f"<title>{escape(label)}: no calls</title></rect>"
            )
            continue
        h = max(plot_h * rate, 2.0)  # 0% still shows, in red, unlike "no calls"
        colour = GOOD if rate >= norm else BAD
        parts.append(
            f'<rect class="bar" x="{x:.1f}" y="{TOP + plot_h - h:.1f}" '
            f'width="{width * 0.8:.1f}" height="{h:.1f}" fill="{colour}">'
            f"<title>{escape(label)}: {rate:.1%}</title></rect>"
        )
        if len(labels) <= MAX_LABELS * 2:  # the value on the bar while there is room
            # Inside a tall bar, below where the norm line crosses it; above a short one.
            y = TOP + plot_h - h + (26 if h > 32 else -3)
            fill = "#ffffff" if h > 32 else colour
            parts.append(
                f'<text x="{x + width * 0.4:.1f}" y="{y:.1f}" font-size="10" '
                f'text-anchor="middle" fill="{fill}">{rate:.0%}</text>'
            )
    y = TOP + plot_h * (1 - norm)
    parts.append(
        f'<line class="norm" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
        f'stroke="{NORM}" stroke-dasharray="6 4" stroke-width="2"/>'
        f'<text x="{WIDTH - RIGHT}" y="{y - 4:.1f}" font-size="11" text-anchor="end" '
        f'fill="{NORM}">norm {norm:.0%}</text>'
        f'<text x="{LEFT}" y="{HEIGHT - 8}" font-size="10" fill="#616161">green: at or above '
        "the norm; red: below; grey: no calls answered or abandoned</text>"
    )
    parts.append("</svg>")
    return "".join(parts)


def stacked_chart(title: str, labels: Sequence[str], series: Sequence[Series]) -> str:
    """Counts per interval as stacked bars (answered, abandoned, ...), with a legend."""
    totals = [sum(s.values[i] for s in series) for i in range(len(labels))]
    y_max = _nice(max(totals, default=0.0))
    parts = _frame(title, labels, y_max, "{:.0f}")
    plot_h = HEIGHT - TOP - BOTTOM
    width = _bar_width(len(labels))
    for index, label in enumerate(labels):
        x = LEFT + width * index + width * 0.1
        base = float(TOP + plot_h)
        for each in series:
            value = each.values[index]
            if value <= 0:
                continue
            h = plot_h * value / y_max
            base -= h
            parts.append(
                f'<rect class="bar" x="{x:.1f}" y="{base:.1f}" width="{width * 0.8:.1f}" '
                f'height="{h:.1f}" fill="{each.colour}">'
                f"<title>{escape(label)}: {escape(each.name)} {value:g}</title></rect>"
            )
    legend_x = LEFT + 260.0
    for each in series:
        parts.append(
            f'<rect x="{legend_x}" y="7" width="10" height="10" fill="{each.colour}"/>'
            f'<text x="{legend_x + 14}" y="16" font-size="11">{escape(each.name)}</text>'
        )
        legend_x += 14 + 8 * len(each.name) + 16
    parts.append("</svg>")
    return "".join(parts)


def _nice(top: float) -> float:
    """A round axis maximum at or above ``top`` (at least 4, so the grid has whole steps)."""
    if top <= 4:
        return 4.0
    for nice in (5, 10, 20, 25, 40, 50, 100, 200, 250, 400, 500, 1000, 2000, 5000, 10000):
        if top <= nice:
            return float(nice)
    return float(-(-int(top) // 10000) * 10000)
