"""Incrementally maintained indicator rollups.

Buckets are (day, town, department). A refresh reads the change feed since
the last refresh, finds the (day, town) slices the changed cases belong to
(their reporting and filing days — these never change), and recomputes just
those slices from the cases. So the work of a refresh follows what changed,
and a dashboard query over a period sums at most days × towns × departments
rows, however long the history is. Recomputing a slice is idempotent, so the
refresh re-reads a margin of the feed to catch rows that committed late.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any, Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from models.kpi.formulas import Counters
from models.kpi.sql import cohort_columns, whole_minutes
from models.schema import Case, ChangeFeed, KpiHandleHist, KpiRollup, KpiState

FEED_MARGIN = 2000


def _day(value: Any) -> dt.date:
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    if isinstance(value, dt.datetime):
        return value.date()
    return value


def _slice_rows(session: Session, day_col: Any, days: Iterable[dt.date], towns: set[int] | None,
                extra: dict[str, Any]) -> list[Any]:
    day = sa.func.date(day_col).label("day")
    dept = sa.func.coalesce(Case.department_id, 0).label("dept")
    days = sorted(set(days))
    q = sa.select(day, Case.town_id, dept, *[c.label(k) for k, c in extra.items()]).where(day_col.is_not(None))
    if towns is not None:
        q = q.where(Case.town_id.in_(towns))
    if days:
        conds = [sa.and_(day_col >= dt.datetime.combine(d, dt.time()),
                         day_col < dt.datetime.combine(d + dt.timedelta(days=1), dt.time())) for d in days]
        q = q.where(sa.or_(*conds)) if len(conds) < 200 else q.where(
            day_col >= dt.datetime.combine(days[0], dt.time()),
            day_col < dt.datetime.combine(days[-1] + dt.timedelta(days=1), dt.time()))
    return session.execute(q.group_by(day, Case.town_id, dept)).all()


def recompute(session: Session, slices: set[tuple[dt.date, int]] | None) -> int:
    """Rewrite the buckets of `slices` ((day, town) pairs); None rewrites everything."""
    dialect = session.get_bind().dialect.name
    if slices is not None and not slices:
        return 0
    by_day: dict[dt.date, set[int]] = defaultdict(set)
    for d, t in slices or ():
        by_day[d].add(t)
    groups = [(None, None)] if slices is None else [([d], towns) for d, towns in by_day.items()]
    written = 0
    for days, towns in groups:
        wanted = None if slices is None else {(days[0], t) for t in towns}
        buckets: dict[tuple[dt.date, int, int], Counters] = defaultdict(Counters)
        for row in _slice_rows(session, Case.filed_at, days or (), towns, cohort_columns(dialect, None)):
            key = (_day(row.day), row.town_id, row.dept)
            if wanted is None or key[:2] in wanted:
                m = row._mapping
                buckets[key] += Counters(**{k: m[k] for k in Counters.names() if k in m})
        reported = {"reported": sa.func.count(),
                    "voided": sa.func.coalesce(sa.func.sum(sa.case((Case.voided_at.is_not(None), 1), else_=0)), 0)}
        for row in _slice_rows(session, Case.reported_at, days or (), towns, reported):
            key = (_day(row.day), row.town_id, row.dept)
            if wanted is None or key[:2] in wanted:
                buckets[key] += Counters(reported=int(row.reported), voided=int(row.voided))
        minutes = whole_minutes(dialect, Case.dispatched_at, Case.handled_at)
        hist_q = (sa.select(sa.func.date(Case.filed_at).label("day"), Case.town_id,
                            sa.func.coalesce(Case.department_id, 0).label("dept"), minutes.label("m"),
                            sa.func.count().label("n"))
                  .where(Case.filed_at.is_not(None), Case.handled_at.is_not(None), Case.dispatched_at.is_not(None),
                         Case.self_handled.is_(False)))
        if days:
            d0 = dt.datetime.combine(days[0], dt.time())
            hist_q = hist_q.where(Case.filed_at >= d0, Case.filed_at < d0 + dt.timedelta(days=1),
                                  Case.town_id.in_(towns))
        hist = [dict(day=_day(r.day), town_id=r.town_id, department_id=r.dept, minutes=int(r.m), n=int(r.n))
                for r in session.execute(hist_q.group_by("day", Case.town_id, "dept", "m"))]
        if wanted is None:
            session.execute(sa.delete(KpiRollup))
            session.execute(sa.delete(KpiHandleHist))
        else:
            for d, t in wanted:
                session.execute(sa.delete(KpiRollup).where(KpiRollup.day == d, KpiRollup.town_id == t))
                session.execute(sa.delete(KpiHandleHist).where(KpiHandleHist.day == d, KpiHandleHist.town_id == t))
        rows = [dict(day=k[0], town_id=k[1], department_id=k[2], **vars(c)) for k, c in buckets.items()]
        for i in range(0, len(rows), 5000):
            session.execute(sa.insert(KpiRollup), rows[i:i + 5000])
        for i in range(0, len(hist), 5000):
            session.execute(sa.insert(KpiHandleHist), hist[i:i + 5000])
        written += len(rows)
    return written


def _state(session: Session) -> KpiState:
    state = session.get(KpiState, 1)
    if state is None:
        state = KpiState(id=1, last_feed_id=0)
        session.add(state)
        session.flush()
    return state


def refresh(session: Session) -> int:
    """Bring the rollups up to date with the change feed; returns slices rewritten."""
    state = _state(session)
    last = state.last_feed_id
    top = session.scalar(sa.select(sa.func.max(ChangeFeed.id))) or 0
    if top <= last and last > 0:
        return 0
    ids = sa.select(ChangeFeed.entity_id).where(ChangeFeed.entity == "case", ChangeFeed.id > last - FEED_MARGIN,
                                                ChangeFeed.id <= top).distinct().scalar_subquery()
    slices: set[tuple[dt.date, int]] = set()
    for reported_at, filed_at, town_id in session.execute(
            sa.select(Case.reported_at, Case.filed_at, Case.town_id).where(Case.id.in_(ids))):
        slices.add((reported_at.date(), town_id))
        if filed_at is not None:
            slices.add((filed_at.date(), town_id))
    recompute(session, slices)
    state.last_feed_id = top
    session.flush()
    return len(slices)


def rebuild_rollups(engine: Engine) -> None:
    """Recompute every bucket (after a bulk load such as the demo seed or a ledger import)."""
    with Session(engine) as session:
        recompute(session, None)
        _state(session).last_feed_id = session.scalar(sa.select(sa.func.max(ChangeFeed.id))) or 0
        session.commit()


def rollup_counters(session: Session, start: dt.date, end: dt.date, town_id: int | None,
                    department_id: int | None) -> tuple[Counters, list[tuple[int, int]]]:
    """Summed counters and the merged handling histogram of days [start, end)."""
    names = Counters.names()
    conds = [KpiRollup.day >= start, KpiRollup.day < end]
    hconds = [KpiHandleHist.day >= start, KpiHandleHist.day < end]
    if town_id is not None:
        conds.append(KpiRollup.town_id == town_id)
        hconds.append(KpiHandleHist.town_id == town_id)
    if department_id is not None:
        conds.append(KpiRollup.department_id == department_id)
        hconds.append(KpiHandleHist.department_id == department_id)
    row = session.execute(sa.select(*[sa.func.coalesce(sa.func.sum(getattr(KpiRollup, n)), 0).label(n)
                                      for n in names]).where(*conds)).one()
    c = Counters(**{n: (float(row._mapping[n]) if n == "handle_seconds" else int(row._mapping[n])) for n in names})
    hist = session.execute(sa.select(KpiHandleHist.minutes, sa.func.sum(KpiHandleHist.n)).where(*hconds)
                           .group_by(KpiHandleHist.minutes).order_by(KpiHandleHist.minutes)).all()
    return c, [(int(m), int(n)) for m, n in hist]
