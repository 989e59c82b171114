"""Compatibility import point for the KPI dashboard and weekly-bulletin data (issue 6).

This module only re-exports. What it used to hold now lives in small modules, where each part is
documented together with the decisions behind it:

- models/kpi/periods.py — `Period`, `period_of`, `iso_week`, `PERIOD_KINDS`, `TREND_DAYS`;
- models/kpi/snapshot.py — the frozen snapshot parts (`DashboardSnapshot`, `Tile`, `DailySeries`,
  `RankRow`, `ClassBar`, `OverdueHistogram`, `StepRate`, `Duty`, `ScopeIds`, `ScopeOption`) and
  `SCOPE_KINDS`, `BUCKETS`, `TILE_KEYS`;
- models/kpi/scope_choices.py — `scope_options`, `scope_name`, `scope_ids`;
- models/kpi/conditions.py — the query pieces the modules below share;
- models/kpi/series.py — `daily_series` (with the open backlog), `open_and_red`, `VOID_MARGIN_DAYS`;
- models/kpi/overdue.py — `bucket_of`, `BUCKET_EDGES`, the filed cohort and the open cases by overdue
  multiple;
- models/kpi/rankings.py — `rankings`, `class_breakdown`, `TOP_CLASSES`;
- models/kpi/duty.py — `grid_worker_duty`;
- models/kpi/drill.py — `case_ids_for`, `drill_truncated`, `DRILL_CAP`, `NO_CASES`;
- models/kpi/dashboard.py — `dashboard_snapshot`;
- models/kpi/bulletin_data.py — `Bulletin`, `weekly_bulletin`.

New code imports from those modules. The constants here are copies bound at import: setting one on
this module changes nothing — patch it where it is read (`DRILL_CAP`: models.kpi.drill).
"""

from __future__ import annotations

from models.kpi.bulletin_data import Bulletin, weekly_bulletin
from models.kpi.dashboard import dashboard_snapshot
from models.kpi.drill import DRILL_CAP, NO_CASES, case_ids_for, drill_truncated
from models.kpi.duty import grid_worker_duty
from models.kpi.overdue import BUCKET_EDGES, bucket_of
from models.kpi.periods import PERIOD_KINDS, TREND_DAYS, Period, iso_week, period_of
from models.kpi.rankings import TOP_CLASSES, class_breakdown, rankings
from models.kpi.scope_choices import scope_ids, scope_name, scope_options
from models.kpi.series import VOID_MARGIN_DAYS, daily_series, open_and_red
from models.kpi.snapshot import (
    BUCKETS,
    SCOPE_KINDS,
    TILE_KEYS,
    ClassBar,
    DailySeries,
    DashboardSnapshot,
    Duty,
    OverdueHistogram,
    RankRow,
    ScopeIds,
    ScopeOption,
    StepRate,
    Tile,
)


__all__ = ["BUCKETS", "BUCKET_EDGES", "DRILL_CAP", "NO_CASES", "PERIOD_KINDS", "SCOPE_KINDS", "TILE_KEYS",
           "TOP_CLASSES", "TREND_DAYS", "VOID_MARGIN_DAYS", "Bulletin", "ClassBar", "DailySeries",
           "DashboardSnapshot", "Duty", "OverdueHistogram", "Period", "RankRow", "ScopeIds", "ScopeOption",
           "StepRate", "Tile", "bucket_of", "case_ids_for", "class_breakdown", "daily_series",
           "dashboard_snapshot", "drill_truncated", "grid_worker_duty", "iso_week", "open_and_red", "period_of",
           "rankings", "scope_ids", "scope_name", "scope_options", "weekly_bulletin"]
