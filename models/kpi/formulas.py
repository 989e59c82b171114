"""Pure indicator formulas over summed counters (no database).

`Counters` are additive: the SQL over a cohort and the rollup buckets both
produce them, and `indicators()` turns a sum of them into the published keys.
"""

from __future__ import annotations

import dataclasses as dc
import math
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from models.policy import ScoreWeights

STEPS = ("verify", "accept", "dispatch", "handle", "check")

# the keys of `griddesk kpi --json`, in order
KEYS = (
    "reported", "filed", "voided", "closed", "due_to_close", "closed_on_time",
    "closure_rate", "on_time_closure_rate", "rework_rate", "grassroots_resolution_rate",
    "mean_handle_hours", "p90_handle_hours",
    "verify_on_time_rate", "accept_on_time_rate", "dispatch_on_time_rate", "handle_on_time_rate",
    "check_on_time_rate", "auto_dispatch_rate",
    "region_score", "region_grade", "department_score", "department_grade",
)


@dc.dataclass
class Counters:
    reported: int = 0
    voided: int = 0
    filed: int = 0
    closed: int = 0
    closed_on_time: int = 0
    closed_grassroots: int = 0
    handled: int = 0
    reworked: int = 0
    handle_n: int = 0
    handle_seconds: float = 0.0
    dispatched: int = 0
    auto_dispatched: int = 0
    public_reports: int = 0
    verify_done: int = 0
    verify_on_time: int = 0
    accept_done: int = 0
    accept_on_time: int = 0
    dispatch_done: int = 0
    dispatch_on_time: int = 0
    handle_done: int = 0
    handle_on_time: int = 0
    check_done: int = 0
    check_on_time: int = 0

    def __iadd__(self, other: "Counters") -> "Counters":
        for f in dc.fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))
        return self

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in dc.fields(cls)]


def _exact(x: float | Decimal) -> Decimal:
    return x if isinstance(x, Decimal) else Decimal(x)  # exact for ints and floats


def rate(num: float, den: float) -> float | None:
    """A fraction rounded half-up to 4 decimals; None where the denominator is 0.

    Divided in Decimal, so that a quotient such as 3/20000 = 0.00015 rounds up as
    half-up says (the float quotient lies just below it)."""
    if not den:
        return None
    return float((_exact(num) / _exact(den)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))


def hours(seconds: float | Decimal | None) -> float | None:
    """Seconds as hours rounded half-up to 2 decimals (22.575 h → 22.58, not the float's 22.57)."""
    if seconds is None:
        return None
    return float((_exact(seconds) / 3600).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def nearest_rank(sorted_hist: list[tuple[float, int]], q: float = 0.9) -> float | None:
    """Nearest-rank percentile over (value, count) pairs sorted by value."""
    n = sum(c for _, c in sorted_hist)
    if n == 0:
        return None
    rank = math.ceil(q * n)
    seen = 0
    for value, count in sorted_hist:
        seen += count
        if seen >= rank:
            return value
    return sorted_hist[-1][0]


def band_score(filed_per_grid_month: float, weights: ScoreWeights) -> float:
    for upper, score in weights.filed_bands:
        if filed_per_grid_month < upper:
            return float(score)
    return float(weights.filed_bands[-1][1])


def grade(score: float | None, weights: ScoreWeights) -> str | None:
    if score is None:
        return None
    for letter, minimum in weights.grades:
        if score >= minimum:
            return letter
    return weights.grades[-1][0]


def indicators(c: Counters, due_to_close: int, p90_seconds: float | None, grids: int, months: float,
               weights: ScoreWeights) -> dict[str, Any]:
    """The published indicator object (keys `KEYS`)."""
    out: dict[str, Any] = {
        "reported": c.reported, "filed": c.filed, "voided": c.voided, "closed": c.closed,
        "due_to_close": due_to_close, "closed_on_time": c.closed_on_time,
        "closure_rate": rate(c.closed, due_to_close),
        "on_time_closure_rate": rate(c.closed_on_time, due_to_close),
        "rework_rate": rate(c.reworked, c.handled),
        "grassroots_resolution_rate": rate(c.closed_grassroots, c.closed),
        "mean_handle_hours": hours(_exact(c.handle_seconds) / c.handle_n) if c.handle_n else None,
        "p90_handle_hours": hours(p90_seconds),
    }
    for step in STEPS:
        out[f"{step}_on_time_rate"] = rate(getattr(c, f"{step}_on_time"), getattr(c, f"{step}_done"))
    out["auto_dispatch_rate"] = rate(c.auto_dispatched, c.dispatched)
    out["region_score"] = region_score(c, out, grids, months, weights)
    out["region_grade"] = grade(out["region_score"], weights)
    out["department_score"] = department_score(out, weights)
    out["department_grade"] = grade(out["department_score"], weights)
    return {k: out[k] for k in KEYS}


def _r2(x: float) -> float:
    return float(Decimal(x).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def region_score(c: Counters, out: dict[str, Any], grids: int, months: float, w: ScoreWeights) -> float | None:
    """综合指标值: 10 % (1 − public-report share) + 20 % filed band + 30 % 结案率 + 40 % 按期结案率.

    监督举报率 is the share of filed cases first reported by the public (hotline,
    public, WeChat) rather than found by grid workers or cameras: the lower, the
    better the patrol, so the component scores (1 − share) × 100.
    """
    if out["closure_rate"] is None or not c.filed or not grids or months <= 0:
        return None
    public_share = c.public_reports / c.filed
    band = band_score(c.filed / grids / months, w)
    score = (w.report_rate * (1 - public_share) * 100 + w.filed_band * band
             + w.closure_rate * out["closure_rate"] * 100 + w.on_time_closure_rate * out["on_time_closure_rate"] * 100)
    return _r2(score)


def department_score(out: dict[str, Any], w: ScoreWeights) -> float | None:
    """Department score: 40 % 结案率 + 40 % 按时处置率 + 20 % (1 − 返工率)."""
    parts = (out["closure_rate"], out["handle_on_time_rate"], out["rework_rate"])
    if any(p is None for p in parts):
        return None
    closure, on_time, rework = parts
    return _r2(100 * (w.dept_closure_rate * closure + w.dept_on_time_handle_rate * on_time
                      + w.dept_no_rework * (1 - rework)))
