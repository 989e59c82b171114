"""The dashboard's daily series and open backlog, and the open and red cases at a moment (issue 6).

`daily_series()` gives per day the reported (上报数), filed and closed of the day's filed cohort exactly
as `compute()` gives them for that day — live at district, town or department scope from the same
rollups, grouped by day in one query; otherwise straight from the cases — and the open backlog.

Decisions (README "KPI dashboard"):
- the backlog is the number of open cases (reported, not closed or voided) at the end of each day,
  counted back from the open cases now;
- open/red now (`open_and_red`) count as the queue does when live; at a past moment they are rebuilt
  from the step times of the cases open then (`open_at`, `running_step`) — the dashboard compares them
  with 24 h earlier.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from models.enums import CaseStatus, Step
from models.kpi import rollup
from models.kpi.conditions import case_filters, day_of, unindexed_time, window
from models.kpi.scope import ResolvedScope
from models.kpi.snapshot import DailySeries
from models.queue import OPEN, RUNNING
from models.schema import Case, KpiRollup

VOID_MARGIN_DAYS = 30  # voids are looked for among cases reported this long before a window (no index on voided_at)


def daily_series(session: Session, rs: ResolvedScope, first: dt.date, last: dt.date, now: dt.datetime,
                 live: bool) -> DailySeries:
    """Days first..last (inclusive): reported, filed, closed as `compute` gives them for each day, and the
    open backlog at the end of each day."""
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    start, end = dt.datetime.combine(first, dt.time()), dt.datetime.combine(last + dt.timedelta(days=1), dt.time())
    reported: dict[dt.date, int] = defaultdict(int)
    filed: dict[dt.date, int] = defaultdict(int)
    closed: dict[dt.date, int] = defaultdict(int)
    if live and rs.scope.kind in ("district", "town", "department"):
        rollup.refresh(session)  # nothing to do when `compute` just did it
        conds = [KpiRollup.day >= first, KpiRollup.day <= last]
        if rs.town_id is not None:
            conds.append(KpiRollup.town_id == rs.town_id)
        if rs.department_id is not None:
            conds.append(KpiRollup.department_id == rs.department_id)
        for d, r, f, c in session.execute(
                sa.select(KpiRollup.day, sa.func.sum(KpiRollup.reported), sa.func.sum(KpiRollup.filed),
                          sa.func.sum(KpiRollup.closed)).where(*conds).group_by(KpiRollup.day)):
            reported[day_of(d)], filed[day_of(d)], closed[day_of(d)] = int(r or 0), int(f or 0), int(c or 0)
    else:
        filters = case_filters(rs)
        day = sa.func.date(Case.reported_at)
        for d, n in session.execute(sa.select(day, sa.func.count()).where(
                *window(Case.reported_at, start, end, now), *filters).group_by(day)):
            reported[day_of(d)] = int(n)
        day = sa.func.date(Case.filed_at)
        done = sa.func.coalesce(sa.func.sum(sa.case((Case.closed_at <= now, 1), else_=0)), 0)
        for d, f, c in session.execute(sa.select(day, sa.func.count(), done).where(
                *window(Case.filed_at, start, end, now), *filters).group_by(day)):
            filed[day_of(d)], closed[day_of(d)] = int(f), int(c)
    backlog = _backlog(session, rs, days, now, live)
    return DailySeries(tuple(days), tuple(reported[d] for d in days), tuple(filed[d] for d in days),
                       tuple(closed[d] for d in days), tuple(backlog))


def _per_day(session: Session, day_col: Any, conds: Iterable[Any]) -> dict[dt.date, int]:
    day = sa.func.date(day_col)
    return {day_of(d): int(n) for d, n in session.execute(sa.select(day, sa.func.count()).where(*conds).group_by(day))}


def _backlog(session: Session, rs: ResolvedScope, days: list[dt.date], now: dt.datetime, live: bool) -> list[int]:
    """Open cases at the end of each day: the open cases now, minus what was reported after that
    moment, plus what was closed or voided after it."""
    filters = case_filters(rs)
    ws = dt.datetime.combine(days[0], dt.time())
    open_now = open_and_red(session, rs, now, live)[0]
    rep = _per_day(session, Case.reported_at, [Case.reported_at >= ws, Case.reported_at <= now, *filters])
    clo = _per_day(session, Case.closed_at, [Case.closed_at >= ws, Case.closed_at <= now, *filters])
    voi = _per_day(session, Case.voided_at, [Case.reported_at >= ws - dt.timedelta(days=VOID_MARGIN_DAYS),
                                             Case.reported_at <= now, Case.voided_at >= ws,
                                             Case.voided_at <= now, *filters])
    out = []
    after = 0  # net growth of the backlog after the end of day d
    for d in reversed(days):
        out.append(open_now - after)
        after += rep.get(d, 0) - clo.get(d, 0) - voi.get(d, 0)
    return list(reversed(out))


# --- open and red at a moment -----------------------------------------------------------------------------

_STATE_COLS = (Case.id, Case.status, Case.minor_class_id, Case.reported_at, Case.verified_at, Case.filed_at,
               Case.dispatched_at, Case.handled_at, Case.checked_at, Case.closed_at, Case.voided_at,
               Case.suspended_at, Case.accept_deadline, Case.dispatch_deadline, Case.handle_deadline,
               Case.check_deadline, Case.close_deadline)


def open_and_red(session: Session, rs: ResolvedScope, at: dt.datetime, live: bool) -> tuple[int, int]:
    """Open cases, and running cases past the deadline of their step (the queue's red light), at `at`.

    Live: from the status and the running step, as the queue counts them. At a past moment: rebuilt
    from the step times of the cases open then.
    """
    if live:
        f = case_filters(rs)
        n_open = session.scalar(sa.select(sa.func.count()).select_from(Case).where(Case.status.in_(OPEN), *f))
        n_red = session.scalar(sa.select(sa.func.count()).select_from(Case).where(
            Case.status.in_(RUNNING), Case.step_deadline < at, *f))
        return n_open or 0, n_red or 0
    rows = open_at(session, rs, at)
    running = (running_step(r, at) for r in rows)
    return len(rows), sum(1 for run in running if run is not None and at > run[2])


def open_at(session: Session, rs: ResolvedScope, t: dt.datetime) -> list[Any]:
    """Cases open at `t`, from their step times: open now, closed after t, voided after t."""
    f = case_filters(rs)
    reported = unindexed_time(Case.reported_at) <= t
    rows = list(session.execute(sa.select(*_STATE_COLS).where(Case.status.in_(OPEN), reported, *f)))
    rows += session.execute(sa.select(*_STATE_COLS).where(Case.closed_at > t, reported, *f)).all()
    rows += session.execute(sa.select(*_STATE_COLS).where(
        Case.reported_at >= t - dt.timedelta(days=VOID_MARGIN_DAYS), Case.reported_at <= t,
        Case.voided_at > t, *f)).all()
    return rows


def running_step(r: Any, t: dt.datetime) -> tuple[Step, dt.datetime, dt.datetime] | None:
    """(step, started, deadline) running at `t`, rebuilt from the step times (the current round's
    deadlines; a suspension that began before `t` and still runs stops the clock)."""
    if r.status is CaseStatus.SUSPENDED and r.suspended_at is not None and r.suspended_at <= t:
        return None

    def done(x: dt.datetime | None, after: dt.datetime) -> bool:
        # a step time older than the step before it belongs to an earlier round (rework, return)
        return x is not None and after <= x <= t

    if not done(r.filed_at, r.reported_at):
        step, start, deadline = Step.ACCEPT, r.reported_at, r.accept_deadline
    elif not done(r.dispatched_at, r.filed_at):
        step, start, deadline = Step.DISPATCH, r.filed_at, r.dispatch_deadline
    elif not done(r.handled_at, r.dispatched_at):
        step, start, deadline = Step.HANDLE, r.dispatched_at, r.handle_deadline
    elif not done(r.checked_at, r.handled_at):
        step, start, deadline = Step.CHECK, r.handled_at, r.check_deadline
    else:
        step, start, deadline = Step.CLOSE, r.checked_at, r.close_deadline
    return None if deadline is None else (step, start, deadline)


__all__ = ["VOID_MARGIN_DAYS", "daily_series", "open_and_red", "open_at", "running_step"]
