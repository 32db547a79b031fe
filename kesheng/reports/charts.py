"""Charts for the PDF report as SVG text (pure Python, no Django, no browser): horizontal bars
with their interval as an error bar, a line with its interval band, and the importance-
performance quadrant scatter. WeasyPrint draws SVG as vector graphics, so the charts stay sharp
when printed, and the text in them uses the report's font."""

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

FONT = "font-family=\"'Kesheng CJK', sans-serif\""
AXIS_COLOUR = "#8a8f98"
BAR_COLOUR = "#2f6fb0"
SMALL_COLOUR = "#a9c3de"  # a bar whose n is under 30
BAND_COLOUR = "#cfe0f1"
QUADRANT_COLOURS = {
    "concentrate_here": "#c0392b",
    "keep_up_the_good_work": "#2e8b57",
    "low_priority": "#8a8f98",
    "possible_overkill": "#d68910",
}


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None
    low: float | None = None
    high: float | None = None
    is_small_sample: bool = False


@dataclass(frozen=True)
class Point:
    label: str
    x: float
    y: float
    colour: str = BAR_COLOUR


def _scale(value: float, low: float, high: float, start: float, end: float) -> float:
    if high == low:
        return start
    return start + (value - low) / (high - low) * (end - start)


def _text(x: float, y: float, content: str, *, size: int = 10, anchor: str = "start", **extra):
    attributes = " ".join(f'{key.replace("_", "-")}="{value}"' for key, value in extra.items())
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" {FONT} '
        f"{attributes}>{escape(content)}</text>"
    )


def _svg(width: int, height: int, parts: list[str], title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img"><title>{escape(title)}</title>'
        + "".join(parts)
        + "</svg>"
    )


def bar_chart(bars: Sequence[Bar], *, low: float, high: float, title: str, width: int = 520) -> str:
    """One horizontal bar per group from ``low`` (e.g. −100 for NPS) to its value, with a
    line for its interval; a zero line when the range crosses 0."""
    label_width, row_height, top = 150, 22, 8
    height = top * 2 + row_height * max(len(bars), 1) + 16
    left, right = label_width, width - 50
    origin = _scale(max(low, min(0.0, high)), low, high, left, right)
    parts = [
        f'<line x1="{origin:.1f}" y1="{top}" x2="{origin:.1f}" y2="{height - 18}" '
        f'stroke="{AXIS_COLOUR}" stroke-width="1"/>'
    ]
    for index, bar in enumerate(bars):
        y = top + index * row_height
        parts.append(_text(left - 6, y + 14, bar.label[:18], anchor="end"))
        if bar.value is None:
            parts.append(_text(origin + 4, y + 14, "—"))
            continue
        end = _scale(bar.value, low, high, left, right)
        colour = SMALL_COLOUR if bar.is_small_sample else BAR_COLOUR
        x, bar_width = min(origin, end), abs(end - origin)
        parts.append(
            f'<rect x="{x:.1f}" y="{y + 4}" width="{bar_width:.1f}" height="{row_height - 8}" '
            f'fill="{colour}"/>'
        )
        if bar.low is not None and bar.high is not None:
            start = _scale(bar.low, low, high, left, right)
            stop = _scale(bar.high, low, high, left, right)
            middle = y + row_height / 2
            parts.append(
                f'<line x1="{start:.1f}" y1="{middle:.1f}" x2="{stop:.1f}" y2="{middle:.1f}" '
                f'stroke="#1d2733" stroke-width="1.2"/>'
            )
        parts.append(_text(right + 4, y + 14, f"{bar.value:.1f}"))
    for tick in (low, (low + high) / 2, high):
        x = _scale(tick, low, high, left, right)
        parts.append(_text(x, height - 4, f"{tick:g}", size=8, anchor="middle", fill=AXIS_COLOUR))
    return _svg(width, height, parts, title)


def line_chart(
    points: Sequence[Bar], *, low: float, high: float, title: str, width: int = 520
) -> str:
    """The values in order (periods) joined by a line, with the band of their intervals."""
    height, left, right, top, bottom = 200, 40, width - 24, 10, 170
    if not points:
        return _svg(width, height, [_text(width / 2, height / 2, "—", anchor="middle")], title)
    step = (right - left) / max(len(points) - 1, 1)
    xs = [left + index * step for index in range(len(points))]

    def y_of(value: float) -> float:
        return _scale(value, low, high, bottom, top)

    parts = []
    with_interval = [
        (x, point) for x, point in zip(xs, points, strict=True) if point.low is not None
    ]
    if len(with_interval) > 1:
        upper = " ".join(f"{x:.1f},{y_of(point.high):.1f}" for x, point in with_interval)  # type: ignore[arg-type]
        lower = " ".join(
            f"{x:.1f},{y_of(point.low):.1f}"  # type: ignore[arg-type]
            for x, point in reversed(with_interval)
        )
        parts.append(f'<polygon points="{upper} {lower}" fill="{BAND_COLOUR}"/>')
    for tick in (low, (low + high) / 2, high):
        y = y_of(tick)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" stroke="#e3e6ea"/>')
        parts.append(_text(left - 4, y + 3, f"{tick:g}", size=8, anchor="end", fill=AXIS_COLOUR))
    valued = [(x, point) for x, point in zip(xs, points, strict=True) if point.value is not None]
    if len(valued) > 1:
        line = " ".join(f"{x:.1f},{y_of(point.value):.1f}" for x, point in valued)  # type: ignore[arg-type]
        parts.append(
            f'<polyline points="{line}" fill="none" stroke="{BAR_COLOUR}" stroke-width="2"/>'
        )
    for x, point in valued:
        colour = SMALL_COLOUR if point.is_small_sample else BAR_COLOUR
        parts.append(f'<circle cx="{x:.1f}" cy="{y_of(point.value):.1f}" r="3" fill="{colour}"/>')  # type: ignore[arg-type]
    for index, (x, point) in enumerate(zip(xs, points, strict=True)):
        if len(points) <= 12 or index % 2 == 0:
            parts.append(_text(x, height - 14, point.label, size=8, anchor="middle"))
    return _svg(width, height, parts, title)


def quadrant_chart(
    points: Sequence[Point],
    *,
    x_cut: float,
    y_cut: float,
    x_range: tuple[float, float],
    y_range: tuple[float, float],
    x_title: str,
    y_title: str,
    title: str,
    width: int = 520,
) -> str:
    """Items placed by importance (x) and performance (y) with the crosshair; each point is
    numbered and coloured by its quadrant (the numbers key into the table under the chart)."""
    height, left, right, top, bottom = 360, 40, width - 10, 10, 320
    parts = [
        f'<rect x="{left}" y="{top}" width="{right - left}" height="{bottom - top}" '
        f'fill="none" stroke="{AXIS_COLOUR}"/>'
    ]
    cut_x = _scale(x_cut, *x_range, left, right)
    cut_y = _scale(y_cut, *y_range, bottom, top)
    parts.append(
        f'<line x1="{cut_x:.1f}" y1="{top}" x2="{cut_x:.1f}" y2="{bottom}" '
        f'stroke="{AXIS_COLOUR}" stroke-dasharray="4 3"/>'
    )
    parts.append(
        f'<line x1="{left}" y1="{cut_y:.1f}" x2="{right}" y2="{cut_y:.1f}" '
        f'stroke="{AXIS_COLOUR}" stroke-dasharray="4 3"/>'
    )
    for number, point in enumerate(points, start=1):
        x = _scale(point.x, *x_range, left, right)
        y = _scale(point.y, *y_range, bottom, top)
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{point.colour}"/>')
        parts.append(_text(x + 5, y - 4, str(number), size=8))
    parts.append(_text((left + right) / 2, height - 8, x_title, anchor="middle"))
    parts.append(
        _text(
            12,
            (top + bottom) / 2,
            y_title,
            anchor="middle",
            transform=f"rotate(-90 12 {(top + bottom) / 2:.1f})",
        )
    )
    for value in x_range:
        x = _scale(value, *x_range, left, right)
        parts.append(_text(x, bottom + 12, f"{value:g}", size=8, anchor="middle"))
    for value in y_range:
        y = _scale(value, *y_range, bottom, top)
        parts.append(_text(left - 4, y + 3, f"{value:g}", size=8, anchor="end"))
    return _svg(width, height, parts, title)
