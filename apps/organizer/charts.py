"""Bar geometry for the portal's server-rendered SVG charts (no JavaScript needed)."""

from typing import Any

WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 640, 220, 36, 28, 12


def bar_chart(series: list[dict[str, Any]], value: str) -> dict[str, Any]:
    """One bar per point of `series`, its height `point[value]` against the peak.

    Each bar keeps its point's own keys (dates, counts) beside `x`, `y`, `w`, `h` and
    `label_x`, the centre under which the template writes its label."""
    plot_w, plot_h = WIDTH - LEFT - 8, HEIGHT - BOTTOM - TOP
    peak = max((point[value] for point in series), default=0) or 1
    step = plot_w / max(len(series), 1)
    bars = []
    for index, point in enumerate(series):
        bar_h = plot_h * point[value] / peak
        bars.append(
            {
                **point,
                "x": round(LEFT + index * step + step * 0.15, 1),
                "y": round(TOP + plot_h - bar_h, 1),
                "w": round(step * 0.7, 1),
                "h": round(bar_h, 1),
                "label_x": round(LEFT + index * step + step / 2, 1),
            }
        )
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "base_y": TOP + plot_h,
        "top": TOP,
        "peak": peak,
        "bars": bars,
    }
