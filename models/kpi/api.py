"""`compute()`: the indicators of a scope and period, as of a time.

For "now" over whole days at district, town or department scope the counters
come from the rollups (refreshed first); otherwise — a past as-of time, a
village or a grid — straight from the cases. Both give the same numbers.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from models.auth import Identity
from models.kpi import rollup, sql
from models.kpi.formulas import indicators, nearest_rank
from models.kpi.scope import KpiScope, resolve
from models.policy_store import load_policy


def compute(session: Session, identity: Identity, scope: KpiScope, date_from: dt.date, date_to: dt.date,
            asof: dt.datetime | None = None, *, use_rollups: bool = True) -> dict[str, Any]:
    """Indicators of the cohort filed in [date_from, date_to), evaluated as of `asof` (default now)."""
    if date_to <= date_from:
        raise ValueError("--to must be after --from")
    now = dt.datetime.now().replace(microsecond=0)
    live = asof is None or asof >= now
    asof = asof or now
    rs = resolve(session, scope, identity)
    start, end = dt.datetime.combine(date_from, dt.time()), dt.datetime.combine(date_to, dt.time())
    filters = rs.case_filter()
    if live and use_rollups and scope.kind in ("district", "town", "department"):
        rollup.refresh(session)
        counters, hist = rollup.rollup_counters(session, date_from, date_to, rs.town_id, rs.department_id)
    else:
        counters = sql.cohort_counters(session, start, end, asof, filters)
        hist = sql.handle_histogram(session, start, end, asof, filters)
    # due to close = closed by T + still open at T (not suspended) with the closing deadline passed
    due = counters.closed + sql.due_open(session, start, end, asof, filters)
    p90_min = nearest_rank([(float(m), n) for m, n in hist])
    months = (date_to - date_from).days / (365.25 / 12)
    policy = load_policy(session)
    return indicators(counters, due, None if p90_min is None else p90_min * 60, rs.grid_count, months, policy.scores)
