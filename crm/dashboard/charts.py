"""Server-rendered SVG bar charts: no script, nothing from a CDN, and each chart is drawn
beside a table of the same numbers (templates/dashboard/_chart.html)."""

import math
from collections.abc import Callable
from dataclasses import dataclass

WIDTH, HEIGHT, LEFT, RIGHT, BOTTOM, TOP = 640, 240, 80, 8, 28, 12
TICKS = 4  # about this many steps up the value axis


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    css: str  # "bar-now" or "bar-before", plus " bar-partial" for a period still running
    title: str


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    labels: list[tuple[float, str, bool]]  # x of each group's label, text, minor
    ticks: list[Tick]  # the value axis, from the baseline up
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT

    @property
    def baseline(self) -> float:
        return HEIGHT - BOTTOM


def nice_step(peak: float, steps: int = TICKS) -> float:
    """A round step (1, 2 or 5 times a power of ten) that covers `peak` in about
    `steps` steps."""
    if peak <= 0:
        return 1
    raw = peak / steps
    power = 10 ** math.floor(math.log10(raw))
    return max(next(m * power for m in (1, 2, 5, 10) if m * power >= raw), 1)  # whole units


def grouped_bars(
    groups: list[tuple[str, list[tuple[int, str]]]],
    css: list[str],
    axis_label: Callable[[float], str] = str,
    partial: int | None = None,
) -> Chart:
    """groups: (label, [(value, title) per series]); one bar per series in each group, on a
    value axis whose ticks read `axis_label(value)`. `partial`: the index of the group whose
    period is still running; its bars are drawn hatched (the template says why)."""
    peak = max((v for _, values in groups for v, _ in values), default=0)
    step = nice_step(peak)
    top = step * max(1, math.ceil(peak / step))
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - BOTTOM - TOP
    slot = plot_width / max(len(groups), 1)
    series = max((len(values) for _, values in groups), default=1)
    bar_width = slot * 0.8 / series
    bars, labels = [], []
    every = max(1, math.ceil(len(groups) / 13))  # twelve months keep every label
    for i, (label, values) in enumerate(groups):
        left = LEFT + i * slot + slot * 0.1
        for j, (value, title) in enumerate(values):
            h = plot_height * max(value, 0) / top
            y = HEIGHT - BOTTOM - h
            style = css[j] + (" bar-partial" if i == partial else "")
            bars.append(Bar(round(left + j * bar_width, 1), round(y, 1), round(bar_width, 1),
                            round(h, 1), style, title))  # fmt: skip
        if i % every == 0:
            minor = len(groups) > 13 and len(labels) % 2 == 1  # phones show every other
            labels.append((round(LEFT + i * slot + slot / 2, 1), label, minor))
    ticks = [
        Tick(round(HEIGHT - BOTTOM - plot_height * n * step / top, 1), axis_label(n * step))
        for n in range(round(top / step) + 1)
    ]
    return Chart(bars, labels, ticks)


@dataclass(frozen=True)
class Row:
    y: float
    label: str
    value: str
    width: float


@dataclass(frozen=True)
class HorizontalChart:
    rows: list[Row]
    width: int
    height: int
    bar_x: int
    row_height: int


def horizontal_bars(items: list[tuple[str, int]]) -> HorizontalChart:
    """One labelled bar per item, narrow enough to stay legible in a phone-wide tile."""
    width, bar_x, row_height, room = 320, 130, 26, 150
    peak = max((n for _, n in items), default=0) or 1
    rows = [
        Row(i * row_height, label, f"{n:,}", round(room * max(n, 0) / peak, 1))
        for i, (label, n) in enumerate(items)
    ]
    return HorizontalChart(rows, width, max(len(rows), 1) * row_height, bar_x, row_height)
