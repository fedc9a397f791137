"""Bar charts drawn on the server as inline SVG: no script, nothing fetched from elsewhere.

:func:`bar_chart` computes the geometry; the template ``reports/_bar_chart.html`` draws it
(auto-escaped) with ``role="img"``, a title and a description. The same figures are always in a
table next to the chart, for screen readers and for copying.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

WIDTH = 440
HEIGHT = 200
MARGIN_LEFT = 44
MARGIN_BOTTOM = 28
MARGIN_TOP = 12
GAP = 6


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: float
    text: str  # the value as shown


@dataclass(frozen=True)
class BarChart:
    id: str
    title: str
    description: str
    bars: tuple[Bar, ...]
    maximum: float
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def baseline(self) -> float:
        return self.height - MARGIN_BOTTOM

    @property
    def top(self) -> float:
        return MARGIN_TOP

    @property
    def left(self) -> float:
        return MARGIN_LEFT

    @property
    def label_y(self) -> float:
        return self.height - MARGIN_BOTTOM + 16


def _nice_maximum(value: float) -> float:
    """The axis top: 1, 2 or 5 times a power of ten, at least ``value`` (1 for an empty chart)."""
    if value <= 0:
        return 1
    step = 1.0
    while step * 10 <= value:
        step *= 10
    for factor in (1, 2, 5, 10):
        if step * factor >= value:
            return step * factor
    return step * 10  # pragma: no cover (the loop always returns)


def bar_chart(
    chart_id: str,
    title: str,
    description: str,
    labels: Sequence[str],
    values: Sequence[float],
    texts: Sequence[str] | None = None,
) -> BarChart:
    """One bar per value, scaled to a rounded maximum, labelled below."""
    if len(labels) != len(values):
        raise ValueError("one label per value")
    texts = texts if texts is not None else [f"{v:g}" for v in values]
    maximum = _nice_maximum(max(values, default=0))
    plot_width = WIDTH - MARGIN_LEFT
    plot_height = HEIGHT - MARGIN_BOTTOM - MARGIN_TOP
    slot = plot_width / max(len(values), 1)
    bars = []
    for i, (label, value, text) in enumerate(zip(labels, values, texts, strict=True)):
        height = round(plot_height * value / maximum, 1)
        bars.append(
            Bar(
                x=round(MARGIN_LEFT + i * slot + GAP / 2, 1),
                y=round(HEIGHT - MARGIN_BOTTOM - height, 1),
                width=round(slot - GAP, 1),
                height=height,
                label=label,
                value=value,
                text=text,
            )
        )
    return BarChart(chart_id, title, description, tuple(bars), maximum)
