"""Server-rendered SVG bar charts: no script, nothing from a CDN, and each chart is drawn
beside a table of the same numbers (templates/dashboard/_chart.html)."""

from dataclasses import dataclass

WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 640, 220, 8, 24, 8


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    css: str  # "bar-now" or "bar-before"
    title: str


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    labels: list[tuple[float, str, bool]]  # x of each group's label, text, minor
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def baseline(self) -> float:
        return HEIGHT - BOTTOM


def grouped_bars(groups: list[tuple[str, list[tuple[int, str]]]], css: list[str]) -> Chart:
    """groups: (label, [(value, title) per series]); one bar per series in each group."""
    peak = max((v for _, values in groups for v, _ in values), default=0) or 1
    plot_width, plot_height = WIDTH - 2 * LEFT, HEIGHT - BOTTOM - TOP
    slot = plot_width / max(len(groups), 1)
    series = max((len(values) for _, values in groups), default=1)
    bar_width = slot * 0.8 / series
    bars, labels = [], []
    every = max(1, len(groups) // 12)  # at most a dozen labels stay legible
    for i, (label, values) in enumerate(groups):
        left = LEFT + i * slot + slot * 0.1
        for j, (value, title) in enumerate(values):
            h = plot_height * max(value, 0) / peak
            y = HEIGHT - BOTTOM - h
            bars.append(Bar(round(left + j * bar_width, 1), round(y, 1), round(bar_width, 1),
                            round(h, 1), css[j], title))  # fmt: skip
        if i % every == 0:
            labels.append((round(LEFT + i * slot + slot / 2, 1), label, len(labels) % 2 == 1))
    return Chart(bars, labels)


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
