"""Server-side SVG charts, pure Python: no Flask, no database, no dependencies.

Drawn on the server so pages need no charting script, print as vectors, and work
with JavaScript off. Every chart is an ``<svg role="img">`` labelled by its own
``<title>`` and ``<desc>`` (screen readers read those), every data point carries
a ``<title>`` tooltip, and every text that came from data is escaped: labels can
be product names or themes that customers' words gave rise to.

Colours are presentation attributes, not ``style=``, so the dashboard's strict
Content-Security-Policy (no inline styles) leaves them alone; out-of-control
points are drawn as diamonds as well as red, so they do not rely on colour.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

INK = "#1f2937"
MUTED = "#6b7280"
GRID = "#e5e7eb"
LINE = "#2563eb"
BAND = "#bfdbfe"
TARGET = "#059669"
LIMIT = "#9ca3af"
ALERT = "#dc2626"
BAR = "#60a5fa"


@dataclass(frozen=True)
class TrendPoint:
    """One period of a trend: the score, its 95% interval, its control limits.

    ``value`` None means no answers in the period: a gap in the line, not a zero,
    marked on the axis as "no answers". ``low_sample`` draws the point hollow
    (too few answers to read much into it); ``note`` is added to its tooltip
    ("week so far").
    """

    label: str
    value: float | None
    low: float | None = None
    high: float | None = None
    limit_low: float | None = None
    limit_high: float | None = None
    out_of_control: bool = False
    n: int | None = None
    low_sample: bool = False
    note: str | None = None


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _f(x: float) -> str:
    """Coordinates to one decimal: smaller markup, no visible difference."""
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _chart_id(kind: str, title: str, payload: object) -> str:
    # Deterministic, so a page renders identically twice (tests, caches), and
    # distinct per chart, so several charts on one page keep their own labels.
    digest = hashlib.sha1(f"{kind}|{title}|{payload!r}".encode(), usedforsecurity=False)
    return f"{kind}-{digest.hexdigest()[:10]}"


def _open(chart_id: str, width: int, height: int, title: str, desc: str, cls: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {cls}" role="img" '
        f'viewBox="0 0 {width} {height}" width="100%" preserveAspectRatio="xMidYMid meet" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" id="{chart_id}">',
        f'<title id="{chart_id}-title">{_e(title)}</title>',
        f'<desc id="{chart_id}-desc">{_e(desc)}</desc>',
    ]


def _pct(value: float) -> str:
    return f"{value:.0f}%"


@dataclass(frozen=True)
class _Frame:
    """Where a trend chart's plot area sits, and how values map into it."""

    width: int
    height: int
    count: int
    y_min: float
    y_max: float
    left: int = 44
    right: int = 12
    top: int = 14
    bottom: int = 40

    @property
    def plot_w(self) -> int:
        return self.width - self.left - self.right

    @property
    def plot_h(self) -> int:
        return self.height - self.top - self.bottom

    def x_at(self, i: int) -> float:
        return self.left + (self.plot_w * (i + 0.5) / self.count if self.count else self.plot_w / 2)

    def y_at(self, v: float) -> float:
        v = min(max(v, self.y_min), self.y_max)
        return self.top + self.plot_h * (1 - (v - self.y_min) / (self.y_max - self.y_min))


def _trend_desc(
    points: Sequence[TrendPoint], target: float | None, y_format: Callable[[float], str]
) -> str:
    """What a screen reader says about a trend: latest value, target, what to look at."""
    flagged = [p for p in points if p.out_of_control and p.value is not None]
    with_values = [p for p in points if p.value is not None]
    desc = f"{len(points)} periods"
    if with_values:
        desc += f"; latest {with_values[-1].label}: {y_format(with_values[-1].value or 0)}"
    if target is not None:
        desc += f"; target {y_format(target)}"
    desc += f"; {len(flagged)} out of control" + (
        ": " + ", ".join(p.label for p in flagged) if flagged else ""
    )
    few = sum(1 for p in with_values if p.low_sample)
    if few:
        desc += f"; {few} with few answers (hollow points, wide bands)"
    empty = len(points) - len(with_values)
    if empty:
        desc += f"; {empty} without answers"
    unjudged = sum(1 for p in with_values if p.limit_low is None and p.limit_high is None)
    if unjudged:
        desc += (
            f"; {unjudged} without control limits (limits need three earlier periods with answers)"
        )
    return desc


def _grid(fr: _Frame, y_format: Callable[[float], str]) -> list[str]:
    """Horizontal grid with its scale: five steps, labelled."""
    out: list[str] = []
    for step in range(5):
        v = fr.y_min + (fr.y_max - fr.y_min) * step / 4
        y = fr.y_at(v)
        out.append(
            f'<line x1="{fr.left}" x2="{fr.width - fr.right}" y1="{_f(y)}" y2="{_f(y)}" '
            f'stroke="{GRID}" stroke-width="1"/>'
        )
        out.append(
            f'<text x="{fr.left - 6}" y="{_f(y + 4)}" text-anchor="end" font-size="11" '
            f'fill="{MUTED}">{_e(y_format(v))}</text>'
        )
    return out


def _runs(points: Sequence[TrendPoint]) -> list[list[int]]:
    """The unbroken runs of periods that have an interval."""
    run: list[int] = []
    runs: list[list[int]] = []
    for i, p in enumerate(points):
        if p.low is not None and p.high is not None and p.value is not None:
            run.append(i)
        elif run:
            runs.append(run)
            run = []
    if run:
        runs.append(run)
    return runs


def _bands(fr: _Frame, points: Sequence[TrendPoint]) -> list[str]:
    """The interval band, one polygon per unbroken run of periods with an interval."""
    out: list[str] = []
    for r in _runs(points):
        if len(r) == 1:
            # A week with answers between two without: its band is a bar, not a
            # polygon of zero width that would draw nothing.
            i = r[0]
            half_w = min(fr.plot_w / fr.count * 0.3, 10.0)
            top_y, bottom_y = fr.y_at(points[i].high or 0), fr.y_at(points[i].low or 0)
            out.append(
                f'<rect class="band band-single" x="{_f(fr.x_at(i) - half_w)}" y="{_f(top_y)}" '
                f'width="{_f(2 * half_w)}" height="{_f(max(bottom_y - top_y, 1.0))}" '
                f'fill="{BAND}" fill-opacity="0.6" stroke="none"/>'
            )
            continue
        upper = [f"{_f(fr.x_at(i))},{_f(fr.y_at(points[i].high or 0))}" for i in r]
        lower = [f"{_f(fr.x_at(i))},{_f(fr.y_at(points[i].low or 0))}" for i in reversed(r)]
        out.append(
            f'<polygon class="band" points="{" ".join(upper + lower)}" fill="{BAND}" '
            f'fill-opacity="0.6" stroke="none"/>'
        )
    return out


def _limits(fr: _Frame, points: Sequence[TrendPoint]) -> list[str]:
    """Control limits, as steps: they move with each period's number of answers."""
    out: list[str] = []
    for attr in ("limit_high", "limit_low"):
        segs = []
        for i, p in enumerate(points):
            v = getattr(p, attr)
            if v is None:
                continue
            half = fr.plot_w / fr.count / 2
            segs.append(
                f'<line x1="{_f(fr.x_at(i) - half)}" x2="{_f(fr.x_at(i) + half)}" '
                f'y1="{_f(fr.y_at(v))}" y2="{_f(fr.y_at(v))}"/>'
            )
        if segs:
            out.append(
                f'<g class="control-limit" stroke="{LIMIT}" stroke-width="1" '
                f'stroke-dasharray="3 3">{"".join(segs)}</g>'
            )
    return out


def _target_line(fr: _Frame, target: float, y_format: Callable[[float], str]) -> list[str]:
    y = fr.y_at(target)
    return [
        f'<line class="target" x1="{fr.left}" x2="{fr.width - fr.right}" y1="{_f(y)}" '
        f'y2="{_f(y)}" stroke="{TARGET}" stroke-width="2" stroke-dasharray="8 4"/>',
        f'<text x="{fr.width - fr.right}" y="{_f(y - 4)}" text-anchor="end" font-size="11" '
        f'fill="{TARGET}">target {_e(y_format(target))}</text>',
    ]


def _line(fr: _Frame, points: Sequence[TrendPoint]) -> list[str]:
    """The line itself, broken where a period has no answers."""
    path: list[str] = []
    pen_down = False
    for i, p in enumerate(points):
        if p.value is None:
            pen_down = False
            continue
        path.append(f"{'L' if pen_down else 'M'}{_f(fr.x_at(i))},{_f(fr.y_at(p.value))}")
        pen_down = True
    if not path:
        return []
    return [
        f'<path class="line" d="{" ".join(path)}" fill="none" stroke="{LINE}" '
        f'stroke-width="2" stroke-linejoin="round"/>'
    ]


def _tip(p: TrendPoint, value: float, y_format: Callable[[float], str]) -> str:
    """A point's tooltip: the period, its value and everything that qualifies it."""
    tip = f"{p.label}"
    if p.note:
        tip += f" ({p.note})"
    tip += f": {y_format(value)}"
    if p.low is not None and p.high is not None:
        tip += f" (95% {y_format(p.low)} to {y_format(p.high)})"
    if p.n is not None:
        tip += f", n={p.n}"
    if p.low_sample:
        tip += ", few answers"
    if p.limit_low is None and p.limit_high is None:
        tip += ", no control limits yet"
    if p.out_of_control:
        tip += ", out of control"
    return tip


def _point(fr: _Frame, i: int, p: TrendPoint, y_format: Callable[[float], str]) -> str:
    """One period's mark: a diamond out of control, hollow with few answers, else a dot;
    a period without answers is said on the axis, not left blank."""
    if p.value is None:
        x = fr.x_at(i)
        return (
            f'<g class="no-answers" data-label="{_e(p.label)}">'
            f"<title>{_e(p.label)}: no answers</title>"
            f'<line x1="{_f(x - 4)}" x2="{_f(x + 4)}" y1="{_f(fr.y_at(fr.y_min) - 4)}" '
            f'y2="{_f(fr.y_at(fr.y_min) - 4)}" stroke="{MUTED}" stroke-width="2"/></g>'
        )
    x, y = fr.x_at(i), fr.y_at(p.value)
    tip = _e(_tip(p, p.value, y_format))
    label = _e(p.label)
    if p.out_of_control:
        return (
            f'<path class="point out-of-control" data-label="{label}" '
            f'd="M{_f(x)},{_f(y - 6)} L{_f(x + 6)},{_f(y)} L{_f(x)},{_f(y + 6)} '
            f'L{_f(x - 6)},{_f(y)} Z" fill="{ALERT}" stroke="#fff" stroke-width="1">'
            f"<title>{tip}</title></path>"
        )
    if p.low_sample:
        return (
            f'<circle class="point low-sample" data-label="{label}" cx="{_f(x)}" '
            f'cy="{_f(y)}" r="4" fill="#fff" stroke="{LINE}" stroke-width="2">'
            f"<title>{tip}</title></circle>"
        )
    return (
        f'<circle class="point" data-label="{label}" cx="{_f(x)}" cy="{_f(y)}" '
        f'r="3" fill="{LINE}"><title>{tip}</title></circle>'
    )


def _x_labels(fr: _Frame, points: Sequence[TrendPoint]) -> list[str]:
    """At most about eight, evenly spaced back from the latest period (the one a
    reader looks for), so they never run into each other."""
    every = max(1, math.ceil(fr.count / 8))
    return [
        f'<text class="x-label" x="{_f(fr.x_at(i))}" y="{fr.height - fr.bottom + 16}" '
        f'text-anchor="middle" font-size="11" fill="{MUTED}">{_e(p.label)}</text>'
        for i, p in enumerate(points)
        if not (fr.count - 1 - i) % every
    ]


def line_chart(
    points: Sequence[TrendPoint],
    *,
    title: str,
    desc: str | None = None,
    target: float | None = None,
    y_min: float = 0.0,
    y_max: float = 100.0,
    y_format: Callable[[float], str] = _pct,
    width: int = 640,
    height: int = 260,
) -> str:
    """A trend line with its shaded 95% interval band, a target line, p-chart
    control limits (dashed) and out-of-control markers."""
    if y_max <= y_min:
        raise ValueError("y_max must be above y_min")
    fr = _Frame(width, height, len(points), y_min, y_max)
    if desc is None:
        desc = _trend_desc(points, target, y_format)
    chart_id = _chart_id("trend", title, (points, target))
    out = _open(chart_id, width, height, title, desc, "chart-trend")
    out += _grid(fr, y_format) + _bands(fr, points) + _limits(fr, points)
    if target is not None:
        out += _target_line(fr, target, y_format)
    out += _line(fr, points)
    out += [_point(fr, i, p, y_format) for i, p in enumerate(points)]
    out += _x_labels(fr, points)
    out.append("</svg>")
    return "".join(out)


def pareto_chart(
    bars: Sequence[tuple[str, int]],
    *,
    title: str,
    desc: str | None = None,
    shown: int = 10,
    width: int = 640,
    bar_height: int = 22,
) -> str:
    """Horizontal bars, largest first, with the cumulative share as a line.

    The few themes that make up most complaints are the ones worth fixing first.
    Every bar is given; the ``shown`` largest are drawn, and their shares are of
    the whole, so the line ends below 100% when smaller ones are left out.
    """
    every = sorted(((str(label), int(count)) for label, count in bars), key=lambda b: -b[1])
    total = sum(c for _, c in every)
    ordered = every[:shown]
    label_w, right, top, gap = 150, 44, 20, 6
    height = top + len(ordered) * (bar_height + gap) + 24
    # Room after the longest bar for its count, before the cumulative column.
    plot_w = width - label_w - right - 40
    biggest = max((c for _, c in ordered), default=0) or 1
    if desc is None:
        head = ", ".join(f"{label} {count}" for label, count in ordered[:3])
        some = f"the {len(ordered)} largest of " if len(ordered) < len(every) else ""
        desc = f"{some}{len(every)} categories, {total} in all" + (
            f"; largest: {head}" if head else ""
        )
    chart_id = _chart_id("pareto", title, ordered)
    out = _open(chart_id, width, height, title, desc, "chart-pareto")
    out.append(f'<text x="{width - right + 4}" y="12" font-size="10" fill="{MUTED}">cum. %</text>')
    cumulative = 0
    line: list[str] = []
    for i, (label, count) in enumerate(ordered):
        y = top + i * (bar_height + gap)
        w = plot_w * count / biggest
        cumulative += count
        share = 100 * cumulative / total if total else 0.0
        short = label if len(label) <= 22 else label[:21] + "\u2026"
        out.append(
            f'<text class="bar-label" x="{label_w - 6}" y="{_f(y + bar_height * 0.7)}" '
            f'text-anchor="end" font-size="12" fill="{INK}">{_e(short)}</text>'
        )
        out.append(
            f'<rect class="bar" data-label="{_e(label)}" x="{label_w}" y="{y}" width="{_f(w)}" '
            f'height="{bar_height}" fill="{BAR}"><title>{_e(label)}: {count} '
            f"({share:.0f}% cumulative)</title></rect>"
        )
        out.append(
            f'<text x="{_f(label_w + w + 4)}" y="{_f(y + bar_height * 0.7)}" font-size="11" '
            f'fill="{INK}">{count}</text>'
        )
        cx = label_w + plot_w * share / 100
        line.append(f"{'L' if line else 'M'}{_f(cx)},{_f(y + bar_height / 2)}")
        out.append(
            f'<text class="cum-label" x="{width - 4}" y="{_f(y + bar_height * 0.7)}" '
            f'text-anchor="end" font-size="11" fill="{MUTED}">{share:.0f}%</text>'
        )
    if line:
        out.append(
            f'<path class="cumulative" d="{" ".join(line)}" fill="none" stroke="{ALERT}" '
            f'stroke-width="1.5"/>'
        )
    out.append("</svg>")
    return "".join(out)


def sparkline(
    values: Sequence[float | None],
    *,
    title: str,
    width: int = 120,
    height: int = 28,
) -> str:
    """A word-sized trend: no axes, the last point marked."""
    known = [v for v in values if v is not None]
    lo, hi = (min(known), max(known)) if known else (0.0, 1.0)
    if hi == lo:
        lo, hi = lo - 1, hi + 1
    pad = 3
    count = len(values)

    def xy(i: int, v: float) -> tuple[float, float]:
        x = pad + (width - 2 * pad) * (i / (count - 1) if count > 1 else 0.5)
        y = pad + (height - 2 * pad) * (1 - (v - lo) / (hi - lo))
        return x, y

    desc = f"{len(known)} values from {known[0]:g} to {known[-1]:g}" if known else "no values yet"
    chart_id = _chart_id("spark", title, tuple(values))
    out = _open(chart_id, width, height, title, desc, "chart-spark")
    path: list[str] = []
    pen_down = False
    last: tuple[float, float] | None = None
    for i, v in enumerate(values):
        if v is None:
            pen_down = False
            continue
        last = xy(i, v)
        path.append(f"{'L' if pen_down else 'M'}{_f(last[0])},{_f(last[1])}")
        pen_down = True
    if path:
        out.append(
            f'<path class="line" d="{" ".join(path)}" fill="none" stroke="{LINE}" '
            f'stroke-width="1.5"/>'
        )
    if last is not None:
        out.append(f'<circle cx="{_f(last[0])}" cy="{_f(last[1])}" r="2.5" fill="{LINE}"/>')
    out.append("</svg>")
    return "".join(out)
