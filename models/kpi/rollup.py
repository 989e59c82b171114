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
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from models.kpi.formulas import Counters
from models.kpi.sql import cohort_columns, unindexed, whole_minutes
from models.schema import Case, ChangeFeed, KpiHandleHist, KpiRollup, KpiState

FEED_MARGIN = 2000


def _day(value: Any) -> dt.date:
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    if isinstance(value, dt.datetime):
        return value.date()
    return value


def _slice_rows(session: Session, day_col: Any, lo: dt.date, hi: dt.date, towns: set[int] | None,
                extra: dict[str, Any]) -> list[Any]:
    """Grouped by (day of `day_col`, town, department) over the days [lo, hi)."""
    day = sa.func.date(day_col).label("day")
    dept = sa.func.coalesce(Case.department_id, 0).label("dept")
    q = sa.select(day, Case.town_id, dept, *[c.label(k) for k, c in extra.items()]).where(
        day_col >= dt.datetime.combine(lo, dt.time()), day_col < dt.datetime.combine(hi, dt.time()))
    if towns is not None:
        q = q.where(unindexed(Case.town_id).in_(towns))  # the day range is the selective part
    return session.execute(q.group_by(day, Case.town_id, dept)).all()


def _rewrite(session: Session, lo: dt.date, hi: dt.date, towns: set[int] | None) -> int:
    """Recompute the buckets of days [lo, hi) (of `towns`, or all) and replace the stored ones."""
    dialect = session.get_bind().dialect.name
    names = Counters.names()
    buckets: dict[tuple[dt.date, int, int], Counters] = defaultdict(Counters)
    for row in _slice_rows(session, Case.filed_at, lo, hi, towns, cohort_columns(dialect, None)):
        m = row._mapping
        buckets[(_day(row.day), row.town_id, row.dept)] += Counters(**{
            k: (float(m[k]) if k == "handle_seconds" else int(m[k])) for k in names if k in m})
    reported = {"reported": sa.func.count(),
                "voided": sa.func.coalesce(sa.func.sum(sa.case((Case.voided_at.is_not(None), 1), else_=0)), 0)}
    for row in _slice_rows(session, Case.reported_at, lo, hi, towns, reported):
        buckets[(_day(row.day), row.town_id, row.dept)] += Counters(reported=int(row.reported), voided=int(row.voided))
    minutes = whole_minutes(dialect, Case.dispatched_at, Case.handled_at)
    hist_q = (sa.select(sa.func.date(Case.filed_at).label("day"), Case.town_id,
                        sa.func.coalesce(Case.department_id, 0).label("dept"), minutes.label("m"),
                        sa.func.count().label("n"))
              .where(Case.filed_at >= dt.datetime.combine(lo, dt.time()),
                     Case.filed_at < dt.datetime.combine(hi, dt.time()),
                     Case.handled_at.is_not(None), Case.dispatched_at.is_not(None), Case.self_handled.is_(False)))
    if towns is not None:
        hist_q = hist_q.where(unindexed(Case.town_id).in_(towns))
    hist = [dict(day=_day(r.day), town_id=r.town_id, department_id=r.dept, minutes=int(r.m), n=int(r.n))
            for r in session.execute(hist_q.group_by("day", Case.town_id, "dept", "m"))]
    for table in (KpiRollup, KpiHandleHist):
        q = sa.delete(table).where(table.day >= lo, table.day < hi)
        session.execute(q if towns is None else q.where(table.town_id.in_(towns)))
    rows = [dict(day=k[0], town_id=k[1], department_id=k[2], **vars(c)) for k, c in buckets.items()]
    for i in range(0, len(rows), 5000):
        session.execute(sa.insert(KpiRollup), rows[i:i + 5000])
    for i in range(0, len(hist), 5000):
        session.execute(sa.insert(KpiHandleHist), hist[i:i + 5000])
    return len(rows)


def recompute(session: Session, slices: set[tuple[dt.date, int]] | None) -> int:
    """Rewrite the buckets of `slices` ((day, town) pairs); None rewrites everything.

    Everything is rewritten a month at a time, so memory stays flat however long
    the history (a 5-million-case history has millions of histogram rows)."""
    if slices is None:
        session.execute(sa.delete(KpiRollup))
        session.execute(sa.delete(KpiHandleHist))
        first, last_r, last_f = session.execute(sa.select(
            sa.func.min(Case.reported_at), sa.func.max(Case.reported_at), sa.func.max(Case.filed_at))).one()
        if first is None:
            return 0
        lo, end = _day(first), max(_day(last_r), _day(last_f) if last_f else _day(last_r)) + dt.timedelta(days=1)
        written = 0
        while lo < end:
            hi = min((lo.replace(day=1) + dt.timedelta(days=32)).replace(day=1), end)
            written += _rewrite(session, lo, hi, None)
            lo = hi
        return written
    by_day: dict[dt.date, set[int]] = defaultdict(set)
    for d, t in slices:
        by_day[d].add(t)
    return sum(_rewrite(session, d, d + dt.timedelta(days=1), towns) for d, towns in sorted(by_day.items()))


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
