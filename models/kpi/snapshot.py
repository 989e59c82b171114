"""The frozen parts of a dashboard snapshot (issue 6): what one refresh of the KPI dashboard shows.

`DashboardSnapshot` bundles today's tiles (`Tile`, keys `TILE_KEYS`), the daily series and open
backlog (`DailySeries`), town and department rankings (`RankRow`), the top classes (`ClassBar`), the
overdue-multiple distribution (`OverdueHistogram`, buckets `BUCKETS`), per-step on-time rates
(`StepRate`), grid-worker patrol duty (`Duty`), the scope as the queue filters it (`ScopeIds`) and the
case ids behind each tile and bar. All frozen, no ORM objects: built by models/kpi/dashboard.py,
read by the widgets. `ScopeOption` is one choice of the scope picker.
"""

from __future__ import annotations

import dataclasses as dc
import datetime as dt
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from models.kpi.periods import Period
from models.kpi.scope import KpiScope
from models.queue import QueueFilter

SCOPE_KINDS = ("district", "town", "village", "grid", "department")
BUCKETS = ("≤1", "1–1.5", "1.5–2", "2–3", ">3")  # overdue multiple (超时倍数)
TILE_KEYS = ("reported", "filed", "closed", "open_now", "red_now", "closure_rate", "on_time_closure_rate",
             "grassroots_resolution_rate", "duty_today", "duty_week")


@dc.dataclass(frozen=True)
class Tile:
    """A big-number tile: its value now and the value it is compared with."""

    key: str
    value: float | None
    previous: float | None
    kind: str  # "count" | "rate" (a fraction)
    better: int  # +1: up is good, -1: up is bad, 0: neither
    compare: str  # what `previous` is: "yesterday" | "last_week" | "last_month" | … | "24h"
    count: tuple[int, int] | None = None  # (numerator, denominator) of a share

    @property
    def delta(self) -> float | None:
        if self.value is None or self.previous is None:
            return None
        d = self.value - self.previous
        return round(d, 4) if self.kind == "rate" else d


@dc.dataclass(frozen=True)
class DailySeries:
    """Per day: reported (上报数), filed and closed of the day's filed cohort (as `compute` for that
    day), and the open backlog at the end of the day (today: now)."""

    days: tuple[dt.date, ...]
    reported: tuple[int, ...]
    filed: tuple[int, ...]
    closed: tuple[int, ...]
    backlog: tuple[int, ...]


@dc.dataclass(frozen=True)
class RankRow:
    kind: str  # "town" | "department"
    id: int
    code: str
    name: str
    score: float | None
    grade: str | None
    rank: int | None  # 1 = best; None without a score
    kpi: Mapping[str, Any]  # the indicator object of this town or department (keys `KEYS`)


@dc.dataclass(frozen=True)
class ClassBar:
    code: str
    name: str
    count: int


@dc.dataclass(frozen=True)
class OverdueHistogram:
    """Cases per overdue-multiple bucket (`BUCKETS`): open now, and closed of the period's cohort."""

    open: tuple[int, ...]
    closed: tuple[int, ...]


@dc.dataclass(frozen=True)
class StepRate:
    step: str
    rate: float | None  # = compute()[f"{step}_on_time_rate"]
    late: int  # cohort cases done late at the step


@dc.dataclass(frozen=True)
class Duty:
    """Full-time grid workers meeting the patrol rule."""

    workers: int
    met_today: int
    met_yesterday: int
    met_week: int  # the 7 days ending today
    met_last_week: int  # the 7 days ending yesterday

    @staticmethod
    def share(met: int, workers: int) -> float | None:
        return round(met / workers, 4) if workers else None


@dc.dataclass(frozen=True)
class ScopeIds:
    """The scope as the queue filters it (a village as the ids of its grids)."""

    town_ids: tuple[int, ...] = ()
    grid_ids: tuple[int, ...] = ()
    department_ids: tuple[int, ...] = ()

    def queue_filter(self, **kw: Any) -> QueueFilter:
        return QueueFilter(town_ids=self.town_ids, grid_ids=self.grid_ids, department_ids=self.department_ids, **kw)


@dc.dataclass(frozen=True)
class ScopeOption:
    """One choice of the scope picker."""

    kind: str
    code: str | None
    name: str
    parent: str | None = None  # town code of a village or grid

    @property
    def scope(self) -> KpiScope:
        return KpiScope(self.kind, self.code)


@dc.dataclass(frozen=True)
class DashboardSnapshot:
    """Everything one dashboard refresh shows; frozen, no ORM objects."""

    scope: KpiScope
    scope_name: str
    scope_ids: ScopeIds
    period: Period
    previous_period: Period
    now: dt.datetime
    live: bool
    kpi: Mapping[str, Any]  # compute(scope, period) — what `griddesk kpi --json` prints
    previous_kpi: Mapping[str, Any]  # the previous period as of the same time earlier
    tiles: tuple[Tile, ...]
    trend: DailySeries
    towns: tuple[RankRow, ...]
    departments: tuple[RankRow, ...]
    class_period: Period
    classes: tuple[ClassBar, ...]
    overdue: OverdueHistogram
    steps: tuple[StepRate, ...]
    duty: Duty
    drill: Mapping[str, tuple[int, ...]]  # drill-down target key → case ids (newest first, ≤ drill.DRILL_CAP)
    truncated: frozenset[str] = frozenset()  # targets that had more than drill.DRILL_CAP cases

    def tile(self, key: str) -> Tile:
        return next(t for t in self.tiles if t.key == key)


def frozen(d: Mapping[str, Any]) -> Mapping[str, Any]:
    """A read-only copy of `d` (the indicator objects a snapshot carries)."""
    return MappingProxyType(dict(d))


__all__ = ["BUCKETS", "SCOPE_KINDS", "TILE_KEYS", "ClassBar", "DailySeries", "DashboardSnapshot", "Duty",
           "OverdueHistogram", "RankRow", "ScopeIds", "ScopeOption", "StepRate", "Tile", "frozen"]
