"""What the KPI dashboard shows (issue 6), as one frozen snapshot per refresh.

`dashboard_snapshot()` gathers everything one refresh of the dashboard needs —
today's tiles with their change, the daily reported/closed series and the open
backlog, town and department rankings with grades, the top classes, the
overdue-multiple distribution, per-step on-time rates, grid-worker patrol duty
and the case ids behind each tile and bar — into one `DashboardSnapshot`.

Every number that `griddesk kpi --json` also publishes comes from the same
place: the tiles and step rates *are* `compute()` of the scope and period; the
daily series and the rankings are the same counters grouped by day, town or
department in one query over the rollups (or over the cases, exactly as
`compute()` falls back), fed through the same `indicators()` formula. The
rest reads only cases of the period, the open cases and a few days of
patrols, all through indexed ranges — so the cost of a refresh follows the
period and the daily rate, not the length of the history.

Decision (README "KPI dashboard"): tiles count the cohort of the period as DOMAIN
§5 defines it (结案数 = cases filed in the period and closed by now); their change
compares the previous period of the same kind evaluated the same time earlier
(today → yesterday at this time, this week → last week …); open/red now compare
24 h earlier. The other decisions live with their parts: the backlog in
models/kpi/series.py, the overdue multiple in models/kpi/overdue.py, patrol duty in
models/kpi/duty.py; the drill-down in models/kpi/drill.py.

The caller owns the session and should commit after a snapshot: `compute()`
brings the rollups up to date first.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy.orm import Session

from models.auth import Identity
from models.kpi.api import compute
from models.kpi.conditions import case_filters, window
from models.kpi.drill import capped, newest_ids
from models.kpi.duty import grid_worker_duty
from models.kpi.formulas import STEPS
from models.kpi.overdue import Rules, filed_cohort, open_buckets, running_late
from models.kpi.periods import Period, period_of, real_now
from models.kpi.rankings import class_breakdown, rankings
from models.kpi.scope import KpiScope, resolve
from models.kpi.scope_choices import scope_ids, scope_name
from models.kpi.series import daily_series, open_and_red
from models.kpi.snapshot import DashboardSnapshot, Duty, OverdueHistogram, StepRate, Tile, frozen
from models.policy_store import load_policy
from models.schema import Case

_COMPARE = {"today": "yesterday", "week": "last_week", "month": "last_month", "quarter": "last_quarter",
            "year": "last_year", "custom": "previous"}


def dashboard_snapshot(session: Session, identity: Identity, scope: KpiScope, period: Period,
                       now: dt.datetime | None = None, *, trend_days: int = 30) -> DashboardSnapshot:
    """Everything the dashboard shows for `scope` and `period`, as of `now` (default: now, live).

    Raises LookupError (unknown code), OutOfScope (a town officer's other town), ValueError.
    """
    real = real_now()
    live = now is None or now >= real
    now = real if now is None else now.replace(microsecond=0)
    asof = None if live else now
    rs = resolve(session, scope, identity)
    policy = load_policy(session)
    rules = Rules(session, policy)
    drill: dict[str, list[int]] = defaultdict(list)

    kpi = compute(session, identity, scope, period.date_from, period.date_to, asof)
    prev = period.previous()
    prev_asof = period.previous_asof(now)
    previous_kpi = compute(session, identity, scope, prev.date_from, prev.date_to,
                           None if prev_asof >= real_now() else prev_asof)

    today = now.date()
    trend = daily_series(session, rs, today - dt.timedelta(days=trend_days - 1), today, now, live)
    open_now, red_now = open_and_red(session, rs, now, live)
    open_before, red_before = open_and_red(session, rs, now - dt.timedelta(days=1), False)

    closed_buckets, late = filed_cohort(session, rs, period, now, rules, drill)
    open_counts = open_buckets(session, rs, now, live, rules, drill)
    if live:
        running_late(session, rs, now, drill)
    for cid in newest_ids(session, [*window(Case.reported_at, period.start, period.end, now), *case_filters(rs)]):
        drill["tile:reported"].append(cid)

    class_period = period_of("week", today) if period.kind == "today" else period
    classes = class_breakdown(session, rs, class_period, now, drill)
    duty = grid_worker_duty(session, identity, rs, now, policy)
    compare = _COMPARE[period.kind]
    tiles = (
        Tile("reported", kpi["reported"], previous_kpi["reported"], "count", 0, compare),
        Tile("filed", kpi["filed"], previous_kpi["filed"], "count", 0, compare),
        Tile("closed", kpi["closed"], previous_kpi["closed"], "count", +1, compare),
        Tile("open_now", open_now, open_before, "count", -1, "24h"),
        Tile("red_now", red_now, red_before, "count", -1, "24h"),
        Tile("closure_rate", kpi["closure_rate"], previous_kpi["closure_rate"], "rate", +1, compare),
        Tile("on_time_closure_rate", kpi["on_time_closure_rate"], previous_kpi["on_time_closure_rate"], "rate", +1,
             compare),
        Tile("grassroots_resolution_rate", kpi["grassroots_resolution_rate"],
             previous_kpi["grassroots_resolution_rate"], "rate", +1, compare),
        Tile("duty_today", Duty.share(duty.met_today, duty.workers), Duty.share(duty.met_yesterday, duty.workers),
             "rate", +1, "yesterday", (duty.met_today, duty.workers)),
        Tile("duty_week", Duty.share(duty.met_week, duty.workers), Duty.share(duty.met_last_week, duty.workers),
             "rate", +1, "yesterday", (duty.met_week, duty.workers)),
    )
    steps = tuple(StepRate(s, kpi[f"{s}_on_time_rate"], late[s]) for s in STEPS)
    kept, truncated = capped(drill)
    return DashboardSnapshot(
        scope=scope, scope_name=scope_name(session, scope), scope_ids=scope_ids(session, rs), period=period,
        previous_period=prev, now=now, live=live, kpi=frozen(kpi), previous_kpi=frozen(previous_kpi),
        tiles=tiles, trend=trend,
        towns=tuple(rankings(session, identity, period, now, live, "town")),
        departments=tuple(rankings(session, identity, period, now, live, "department")),
        class_period=class_period, classes=tuple(classes),
        overdue=OverdueHistogram(tuple(open_counts), tuple(closed_buckets)), steps=steps, duty=duty,
        drill=kept, truncated=truncated)


__all__ = ["dashboard_snapshot"]
