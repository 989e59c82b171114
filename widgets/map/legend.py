"""Choropleth scales and legend texts for the grid layer. Pure, no Qt.

A scale is a list of ascending thresholds and one colour more than thresholds:
a value v gets class `sum(t <= v for t in thresholds)`. The map page classifies
with the same rule (`GD.classOf` in griddesk_map.js), so a recolour only ships
values and the page never needs the whole scale again.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# ColorBrewer-like sequential ramps (light -> strong); readable on dark and light themes.
REDS = ("#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15")
ORANGES = ("#feedde", "#fdbe85", "#fd8d3c", "#e6550d", "#a63603")
PURPLES = ("#f2f0f7", "#cbc9e2", "#9e9ac8", "#756bb1", "#54278f")
# Closure rate: higher is better, so low rates are red and high rates green.
RED_TO_GREEN = ("#d7191c", "#fdae61", "#ffffbf", "#a6d96a", "#1a9641")
NO_DATA = "#9e9e9e"

# measure name -> (palette, value kind, default legend titles per language)
MEASURES: dict[str, tuple[tuple[str, ...], str, dict[str, str]]] = {
    "open_cases": (REDS, "count", {"zh": "在办案件数", "en": "Open cases"}),
    "red_cases": (ORANGES, "count", {"zh": "红灯案件数", "en": "Red-light cases"}),
    "closure_rate": (RED_TO_GREEN, "ratio", {"zh": "结案率", "en": "Closure rate"}),
    "cases_per_km2": (PURPLES, "density", {"zh": "案件密度 (件/km²)", "en": "Cases per km²"}),
}


@dataclass(frozen=True)
class Scale:
    thresholds: tuple[float, ...]
    colors: tuple[str, ...]
    labels: tuple[str, ...]
    title: str
    kind: str = "count"  # "count" | "ratio" | "density"
    no_data: str = NO_DATA

    def color_of(self, value: float | None) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return self.no_data
        return self.colors[class_of(value, self.thresholds)]

    def to_json(self) -> dict:
        return {
            "thresholds": list(self.thresholds),
            "colors": list(self.colors),
            "labels": list(self.labels),
            "title": self.title,
            "kind": self.kind,
            "noData": self.no_data,
        }


def class_of(value: float, thresholds: Iterable[float]) -> int:
    return sum(1 for t in thresholds if t <= value)


def _nice(x: float) -> float:
    """Round up to 1, 2, 2.5, 5 x 10^k."""
    if x <= 0:
        return 0.0
    exp = math.floor(math.log10(x))
    for m in (1.0, 2.0, 2.5, 5.0, 10.0):
        if x <= m * 10**exp + 1e-12:
            return m * 10**exp
    return 10.0 ** (exp + 1)


def _count_thresholds(vmax: float, n: int) -> tuple[float, ...]:
    """Integer thresholds for counts: 1 (anything at all) then evenly up to vmax."""
    if vmax <= 1:
        return (1.0,)
    step = max(1.0, math.ceil(_nice(vmax / (n - 1))))
    out = [1.0]
    t = step if step > 1 else 2.0
    while len(out) < n - 1 and t <= vmax:
        out.append(float(t))
        t += step
    return tuple(out)


def _quantile_thresholds(values: list[float], n: int) -> tuple[float, ...]:
    vals = sorted(v for v in values if v > 0)
    if not vals:
        return (1.0,)
    out: list[float] = []
    for k in range(1, n):
        q = vals[min(len(vals) - 1, int(len(vals) * k / n))]
        q = float(f"{q:.2g}")
        if q > 0 and (not out or q > out[-1]):
            out.append(q)
    return tuple(out) or (vals[0],)


def _fmt(v: float, kind: str) -> str:
    if kind == "ratio":
        return f"{v * 100:.0f}%"
    if kind == "count":
        return f"{v:.0f}"
    return f"{v:g}"


def make_labels(thresholds: tuple[float, ...], kind: str) -> tuple[str, ...]:
    if kind == "count":
        labels = []
        lo = 0.0
        for t in thresholds:
            hi = t - 1
            labels.append(_fmt(lo, kind) if hi <= lo else f"{_fmt(lo, kind)}–{_fmt(hi, kind)}")
            lo = t
        labels.append(f"≥ {_fmt(lo, kind)}")
        return tuple(labels)
    labels = [f"< {_fmt(thresholds[0], kind)}"]
    for a, b in zip(thresholds, thresholds[1:]):
        labels.append(f"{_fmt(a, kind)}–{_fmt(b, kind)}")
    labels.append(f"≥ {_fmt(thresholds[-1], kind)}")
    return tuple(labels)


def make_scale(
    measure: str,
    values: Mapping[int, float | None] | Iterable[float | None],
    *,
    title: str | None = None,
    language: str = "zh",
) -> Scale:
    """A scale suited to `measure` and the current values.

    Counts get integer classes starting at "0", ratios fixed classes (60 %, 80 %,
    90 %, 95 %), densities and unknown measures quantile classes.
    """
    palette, kind, titles = MEASURES.get(measure, (REDS, "density", {}))
    vals = [float(v) for v in (values.values() if isinstance(values, Mapping) else values) if v is not None]
    vals = [v for v in vals if not math.isnan(v)]
    n = len(palette)
    if kind == "count":
        thresholds = _count_thresholds(max(vals, default=0.0), n)
    elif kind == "ratio":
        thresholds = (0.6, 0.8, 0.9, 0.95)
    else:
        thresholds = _quantile_thresholds(vals, n)
    colors = _pick_colors(palette, len(thresholds) + 1, keep_top=kind != "ratio")
    return Scale(
        thresholds=thresholds,
        colors=colors,
        labels=make_labels(thresholds, kind),
        title=title or titles.get(language) or titles.get("en") or measure,
        kind=kind,
    )


def _pick_colors(palette: tuple[str, ...], k: int, *, keep_top: bool) -> tuple[str, ...]:
    """k colours spread over the palette (k <= len(palette))."""
    if k >= len(palette):
        return palette
    if k == 1:
        return (palette[-1] if keep_top else palette[0],)
    idx = [round(i * (len(palette) - 1) / (k - 1)) for i in range(k)]
    return tuple(palette[i] for i in idx)
