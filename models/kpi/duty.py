"""Grid-worker patrol duty (巡查达标) on the dashboard and in the bulletin (issue 6).

Decision (README "KPI dashboard"): a qualifying day has ≥ `min_patrols_per_day` patrols of ≥
`min_patrol_hours`; "this week" is the 7 days ending today and is met with ≥ `min_field_days_per_week`
qualifying days (the policy's star rules). Counted over the full-time grid workers of the scope, from a
few days of patrols read through the (staff_id, started_at) index.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import sqlalchemy as sa
from sqlalchemy.orm import Session

from models.auth import Identity
from models.enums import StaffRole
from models.kpi.conditions import day_of
from models.kpi.scope import ResolvedScope
from models.kpi.snapshot import Duty
from models.kpi.sql import seconds_between
from models.policy import Policy
from models.policy_store import load_policy
from models.schema import Grid, Patrol, Staff
from models.scope import scope_staff


def grid_worker_duty(session: Session, identity: Identity, rs: ResolvedScope, now: dt.datetime,
                     policy: Policy | None = None) -> Duty:
    """Full-time workers of the scope meeting the patrol rule today, yesterday, this week and last week."""
    sp = (policy or load_policy(session)).stars
    today = now.date()
    q = sa.select(Staff.id).where(Staff.role == StaffRole.FULL_TIME, Staff.hire_date <= today,
                                  sa.or_(Staff.left_date.is_(None), Staff.left_date > today))
    q = scope_staff(q, identity)
    if rs.town_id is not None:
        q = q.where(Staff.town_id == rs.town_id)
    if rs.village_id is not None:
        q = q.where(Staff.grid_code.in_(sa.select(Grid.code).where(Grid.village_id == rs.village_id)))
    if rs.grid_ids:
        q = q.where(Staff.grid_code.in_(sa.select(Grid.code).where(Grid.id.in_(rs.grid_ids))))
    workers = list(session.scalars(q))
    if not workers:
        return Duty(0, 0, 0, 0, 0)
    first = today - dt.timedelta(days=7)
    seconds = seconds_between(session.get_bind().dialect.name, Patrol.started_at, Patrol.ended_at)
    day = sa.func.date(Patrol.started_at)
    patrols: dict[tuple[int, dt.date], int] = {}
    for i in range(0, len(workers), 900):  # staff_id IN (...) lets the (staff_id, started_at) index serve
        for sid, d, n in session.execute(sa.select(Patrol.staff_id, day, sa.func.count()).where(
                Patrol.staff_id.in_(workers[i:i + 900]), Patrol.started_at >= dt.datetime.combine(first, dt.time()),
                Patrol.started_at <= now, Patrol.ended_at <= now,
                seconds >= sp.min_patrol_hours * 3600 - 0.01).group_by(Patrol.staff_id, day)):  # 0.01: float noise
            patrols[(sid, day_of(d))] = int(n)
    good: dict[int, set[dt.date]] = defaultdict(set)  # worker → days with enough long patrols
    for (sid, day), n in patrols.items():
        if n >= sp.min_patrols_per_day:
            good[sid].add(day)
    yesterday = today - dt.timedelta(days=1)
    this_week = {today - dt.timedelta(days=i) for i in range(7)}
    last_week = {yesterday - dt.timedelta(days=i) for i in range(7)}
    need = sp.min_field_days_per_week
    return Duty(
        workers=len(workers),
        met_today=sum(today in good[w] for w in workers),
        met_yesterday=sum(yesterday in good[w] for w in workers),
        met_week=sum(len(good[w] & this_week) >= need for w in workers),
        met_last_week=sum(len(good[w] & last_week) >= need for w in workers),
    )


__all__ = ["grid_worker_duty"]
