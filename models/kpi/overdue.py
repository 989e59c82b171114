"""The overdue multiple (超时倍数) on the dashboard and in the bulletin, and the period's filed cohort (issue 6).

Decisions (README "KPI dashboard"):
- overdue multiple: open cases by their running step (used / limit, as the lights), closed cases of the
  cohort by the whole case (filed → closed against filed → 结案期限, in the class rule's unit); the "≤1"
  bucket is exactly the cases on time (`bucket_of`, buckets `BUCKETS` with upper edges `BUCKET_EDGES`);
- the cohort of a period is as DOMAIN §5 defines it (cases filed in the period; 结案数 = those closed by
  now): `filed_cohort()` gives its closed cases by bucket, the cases late per step, and the case ids
  behind the period tiles; `open_buckets()` the open cases by bucket; `running_late()` adds the open
  cases overdue at their running step to that step's drill-down.
`Rules` holds the class rule units and the work calendar, loaded once per snapshot.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from models.enums import CaseStatus, Level, Step, TimeUnit
from models.kpi.conditions import NEWEST, case_filters, unindexed_time, window
from models.kpi.drill import newest_ids
from models.kpi.formulas import STEPS
from models.kpi.periods import Period
from models.kpi.scope import ResolvedScope
from models.kpi.series import open_at, running_step
from models.kpi.snapshot import BUCKETS
from models.policy import Policy
from models.queue import OPEN, RUNNING
from models.schema import Case, MinorClass

BUCKET_EDGES = (1.5, 2.0, 3.0)  # upper bounds of buckets 1..3; bucket 0 is "on time"
_GRASSROOTS = (Level.GRID, Level.VILLAGE)


def bucket_of(multiple: float, on_time: bool) -> int:
    """Bucket index in `BUCKETS`: 0 when on time, else by the multiple (at least bucket 1)."""
    if on_time:
        return 0
    for i, edge in enumerate(BUCKET_EDGES, start=1):
        if multiple <= edge:
            return i
    return len(BUCKETS) - 1


class Rules:
    """Class rule units and the work calendar, loaded once per snapshot."""

    def __init__(self, session: Session, policy: Policy) -> None:
        from models.calendar_store import load_calendar

        self.policy = policy
        self.calendar = load_calendar(session, policy)
        self.units = {i: TimeUnit(u) for i, u in session.execute(sa.select(MinorClass.id, MinorClass.time_unit))}

    def step_unit(self, step: Step, minor_class_id: int) -> TimeUnit:
        steps = self.policy.timers.steps
        if step is Step.HANDLE:
            return self.units.get(minor_class_id, TimeUnit.WORK_HOURS)
        value = {Step.VERIFY: steps.verify, Step.ACCEPT: steps.accept, Step.DISPATCH: steps.dispatch,
                 Step.CHECK: steps.check, Step.CLOSE: steps.check}[step]
        return TimeUnit(value[1])

    def multiple(self, start: dt.datetime, deadline: dt.datetime, at: dt.datetime, unit: TimeUnit) -> float:
        limit = self.calendar.elapsed(start, deadline, unit)
        if limit <= 0:
            return float("inf")
        return self.calendar.elapsed(start, at, unit) / limit


def open_buckets(session: Session, rs: ResolvedScope, now: dt.datetime, live: bool, rules: Rules,
                 drill: dict[str, list[int]]) -> list[int]:
    """Open cases at `now` by the overdue multiple of their running step; their ids go to the drill-down."""
    counts = [0] * len(BUCKETS)
    if live:
        rows = session.execute(sa.select(Case.id, Case.status, Case.step, Case.step_started_at, Case.step_deadline,
                                         Case.suspended_at, Case.minor_class_id)
                               .where(Case.status.in_(OPEN), *case_filters(rs)).order_by(NEWEST)).all()
        items = []
        for r in rows:
            at = r.suspended_at if r.status is CaseStatus.SUSPENDED and r.suspended_at else now
            step = r.step
            items.append((r.id, step, r.step_started_at, r.step_deadline, at, r.minor_class_id))
    else:
        items = []
        for r in sorted(open_at(session, rs, now), key=lambda r: -r.id):
            at = r.suspended_at if r.status is CaseStatus.SUSPENDED and r.suspended_at and r.suspended_at <= now \
                else now
            run = running_step(r, at)
            items.append((r.id, *(run or (None, None, None)), at, r.minor_class_id))
    for cid, step, started, deadline, at, mc in items:
        if step is None or deadline is None or started is None or at <= deadline:
            b = 0
        else:
            b = bucket_of(rules.multiple(started, deadline, at, rules.step_unit(step, mc)), False)
        counts[b] += 1
        drill[f"overdue_open:{b}"].append(cid)
    return counts


# --- the filed cohort: closed buckets, steps and drill ids ----------------------------------------------------

def filed_cohort(session: Session, rs: ResolvedScope, period: Period, now: dt.datetime, rules: Rules,
                 drill: dict[str, list[int]]) -> tuple[list[int], dict[str, int]]:
    """The period's filed cohort: closed cases by overdue bucket, cases late per step, and the ids behind
    the tiles. Counts are aggregated in SQL; only late cases and capped id lists come back."""
    cohort = [*window(Case.filed_at, period.start, period.end, now), *case_filters(rs)]
    closed_at = unindexed_time(Case.closed_at)  # the cohort is found by filing time, never by closing time
    closed = sa.and_(closed_at.is_not(None), closed_at <= now)
    on_time = sa.and_(closed, closed_at <= Case.close_deadline)  # as `closed_on_time`
    due_open = sa.and_(sa.or_(closed_at.is_(None), closed_at > now),  # as `sql.due_open`
                       Case.status != CaseStatus.SUSPENDED, Case.close_deadline <= now)

    def ids(key: str, *conds: Any) -> None:
        drill[key] += newest_ids(session, [*cohort, *conds])

    ids("tile:filed")
    ids("tile:closed", closed)
    ids("tile:closure_rate", due_open)
    ids("tile:grassroots_resolution_rate", closed, sa.or_(Case.closed_level.is_(None),
                                                          Case.closed_level.not_in(_GRASSROOTS)))
    ids("overdue_closed:0", on_time)
    buckets = [0] * len(BUCKETS)
    buckets[0] = session.scalar(sa.select(sa.func.count()).select_from(Case).where(*cohort, on_time)) or 0
    late_closed = session.execute(sa.select(Case.id, Case.filed_at, Case.closed_at, Case.close_deadline,
                                            Case.minor_class_id).where(*cohort, closed, sa.not_(on_time))
                                  .order_by(NEWEST)).all()
    for r in late_closed:
        unit = rules.units.get(r.minor_class_id, TimeUnit.WORK_DAYS)
        multiple = float("inf") if r.close_deadline is None else \
            rules.multiple(r.filed_at, r.close_deadline, r.closed_at, unit)
        b = bucket_of(multiple, False)
        buckets[b] += 1
        drill[f"overdue_closed:{b}"].append(r.id)
    # 按期结案率 falls short by the cases closed late and the due cases still open
    drill["tile:on_time_closure_rate"] += sorted([r.id for r in late_closed] + drill["tile:closure_rate"],
                                                 reverse=True)
    late = dict.fromkeys(STEPS, 0)
    flags = {step: sa.and_(done.is_not(None), done <= now, getattr(Case, f"{step}_on_time").is_(False))
             for step, done in (("verify", Case.verified_at), ("accept", Case.filed_at),
                                ("dispatch", Case.dispatched_at), ("handle", Case.handled_at),
                                ("check", Case.checked_at))}
    rows = session.execute(sa.select(Case.id, *[sa.case((f, 1), else_=0).label(s) for s, f in flags.items()])
                           .where(*cohort, sa.or_(*flags.values())).order_by(NEWEST))
    for r in rows:
        for step in STEPS:
            if getattr(r, step):
                late[step] += 1
                drill[f"step:{step}"].append(r.id)
    return buckets, late


def running_late(session: Session, rs: ResolvedScope, now: dt.datetime, drill: dict[str, list[int]]) -> None:
    """Open cases now overdue at their running step, added to that step's drill-down."""
    for cid, step in session.execute(sa.select(Case.id, Case.step).where(
            Case.status.in_(RUNNING), Case.step_deadline < now, *case_filters(rs)).order_by(NEWEST)):
        key = f"step:{step.value}" if step is not None else None
        if key and step.value in STEPS and cid not in drill[key]:
            drill[key].append(cid)


__all__ = ["BUCKETS", "BUCKET_EDGES", "Rules", "bucket_of", "filed_cohort", "open_buckets", "running_late"]
