"""What the weekly bulletin (周通报) shows (issue 6): the week's indicators and rankings, as one frozen
`Bulletin` for the workbook (reports/bulletin.py) and its one-page PDF.

`weekly_bulletin()` evaluates ISO week "2026-W47" for the whole district with the same parts as the
dashboard — `compute()` of the week and of last week as of one week earlier, the rankings, the daily
series of the week's days, the top classes, the overdue-multiple distribution, per-step on-time rates
and patrol duty as of the end of the week (or now). The decisions behind each part are documented where
it lives (models/kpi/series.py, overdue.py, rankings.py, duty.py). The caller owns the session and
should commit afterwards: `compute()` brings the rollups up to date first.
"""

from __future__ import annotations

import dataclasses as dc
import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from models.auth import Identity
from models.kpi.api import compute
from models.kpi.duty import grid_worker_duty
from models.kpi.formulas import STEPS
from models.kpi.overdue import Rules, filed_cohort, open_buckets
from models.kpi.periods import Period, iso_week, real_now
from models.kpi.rankings import class_breakdown, rankings
from models.kpi.scope import KpiScope, ResolvedScope, resolve
from models.kpi.scope_choices import scope_name
from models.kpi.series import daily_series
from models.kpi.snapshot import ClassBar, DailySeries, Duty, OverdueHistogram, RankRow, StepRate, frozen
from models.policy_store import load_policy
from models.schema import Town


@dc.dataclass(frozen=True)
class Bulletin:
    """The week's indicators and rankings for the 周通报 workbook and its one-page PDF."""

    week: str  # "2026-W47"
    period: Period
    asof: dt.datetime
    district: str
    kpi: Mapping[str, Any]
    previous_kpi: Mapping[str, Any]  # last week, as of one week earlier
    towns: tuple[RankRow, ...]
    departments: tuple[RankRow, ...]
    trend: DailySeries  # the seven days of the week
    classes: tuple[ClassBar, ...]
    overdue: OverdueHistogram
    steps: tuple[StepRate, ...]
    duty: Duty


def weekly_bulletin(session: Session, identity: Identity, week: str, now: dt.datetime | None = None) -> Bulletin:
    """The bulletin of ISO week `week` ("2026-W47"), evaluated as of `now` (default: now)."""
    period = iso_week(week)
    real = real_now()
    live = now is None or now >= real
    now = real if now is None else now.replace(microsecond=0)
    asof = None if live else now
    scope = KpiScope()
    rs = resolve(session, scope, identity)
    policy = load_policy(session)
    rules = Rules(session, policy)
    drill: dict[str, list[int]] = defaultdict(list)
    kpi = compute(session, identity, scope, period.date_from, period.date_to, asof)
    prev = period.previous()
    previous_kpi = compute(session, identity, scope, prev.date_from, prev.date_to, period.previous_asof(now))
    last = min(period.date_to - dt.timedelta(days=1), now.date())
    trend = daily_series(session, rs, period.date_from, last, now, live) if last >= period.date_from else \
        DailySeries((), (), (), (), ())
    closed_buckets, late = filed_cohort(session, rs, period, now, rules, drill)
    open_counts = open_buckets(session, rs, now, live, rules, drill)
    duty_at = min(now, period.end - dt.timedelta(seconds=1))
    return Bulletin(
        week=period.label(), period=period, asof=now, district=_title_name(session, scope, rs), kpi=frozen(kpi),
        previous_kpi=frozen(previous_kpi),
        towns=tuple(rankings(session, identity, period, now, live, "town")),
        departments=tuple(rankings(session, identity, period, now, live, "department")),
        trend=trend, classes=tuple(class_breakdown(session, rs, period, now)),
        overdue=OverdueHistogram(tuple(open_counts), tuple(closed_buckets)),
        steps=tuple(StepRate(s, kpi[f"{s}_on_time_rate"], late[s]) for s in STEPS),
        duty=grid_worker_duty(session, identity, rs, duty_at, policy))


__all__ = ["Bulletin", "weekly_bulletin"]


def _title_name(session: Session, scope: KpiScope, rs: ResolvedScope) -> str:
    """The bulletin's title names the district, and the town for a town officer's (their town only)."""
    name = scope_name(session, scope)
    if rs.town_id is not None:
        name += session.scalar(sa.select(Town.name).where(Town.id == rs.town_id)) or ""
    return name
