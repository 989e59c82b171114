"""Indicator counters computed in SQL over cases (exact, any as-of time)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from models.enums import CaseSource, CaseStatus, Level
from models.kpi.formulas import Counters
from models.schema import Case

_PUBLIC = [CaseSource.HOTLINE.value, CaseSource.PUBLIC.value, CaseSource.WECHAT.value]
_GRASSROOTS = [Level.GRID.value, Level.VILLAGE.value]


def seconds_between(dialect: str, start: Any, end: Any) -> Any:
    """Whole seconds from start to end, alike on every engine (SQLite's julianday
    difference carries float noise: 2 h came out as 7199.9999997 s)."""
    if dialect == "sqlite":
        return sa.func.round((sa.func.julianday(end) - sa.func.julianday(start)) * 86400.0)
    return sa.func.round(sa.extract("epoch", end - start))


def whole_minutes(dialect: str, start: Any, end: Any) -> Any:
    """Floor of the duration in minutes (a small epsilon absorbs float error)."""
    return sa.cast(sa.func.floor(seconds_between(dialect, start, end) / 60.0 + 1e-6), sa.Integer)


def unindexed(col: Any) -> Any:
    """`col + 0`: the same value, but the planner cannot answer it from an index on `col`.

    Every indicator query is bounded by a time range (filed_at / reported_at, indexed),
    which keeps its work proportional to the period, not to the history. SQLite has
    no statistics unless ANALYZE ran, and given `town_id = ?` it prefers
    ix_case_town_status — a scan of the town's whole history (10 years: 500,000 rows
    for a 30-day question). Wrapping the town and department filters leaves it the
    time range.
    """
    return col + 0


def _done(col: Any, asof: dt.datetime | None) -> Any:
    return col.is_not(None) if asof is None else sa.and_(col.is_not(None), col <= asof)


def _count(cond: Any) -> Any:
    return sa.func.coalesce(sa.func.sum(sa.case((cond, 1), else_=0)), 0)


def cohort_columns(dialect: str, asof: dt.datetime | None) -> dict[str, Any]:
    """Aggregate expressions over the filed cohort (state as of `asof`, or now)."""
    closed = _done(Case.closed_at, asof)
    dispatched = _done(Case.first_dispatched_at, asof)
    handled_now = _done(Case.handled_at, asof)
    # a rework restarts the round (handled_at is cleared until the case is handled again), but a
    # reworked case was handled before its rework: it stays among the handled cases
    reworked = sa.and_(Case.rework_count > 0, dispatched)
    handled = sa.or_(handled_now, reworked)
    handle_timed = sa.and_(handled_now, Case.dispatched_at.is_not(None), Case.self_handled.is_(False))
    cols = {
        "filed": sa.func.count(),
        "closed": _count(closed),
        "closed_on_time": _count(sa.and_(closed, Case.closed_at <= Case.close_deadline)),
        "closed_grassroots": _count(sa.and_(closed, Case.closed_level.in_(_GRASSROOTS))),
        "handled": _count(handled),
        "reworked": _count(reworked),
        "handle_n": _count(handle_timed),
        "handle_seconds": sa.func.coalesce(sa.func.sum(sa.case(
            (handle_timed, seconds_between(dialect, Case.dispatched_at, Case.handled_at)), else_=0.0)), 0.0),
        "dispatched": _count(dispatched),
        "auto_dispatched": _count(sa.and_(dispatched, Case.auto_dispatched.is_(True))),
        "public_reports": _count(Case.source.in_(_PUBLIC)),
    }
    for step, done_col in (("verify", Case.verified_at), ("accept", Case.filed_at), ("dispatch", Case.dispatched_at),
                           ("handle", Case.handled_at), ("check", Case.checked_at)):
        flag = getattr(Case, f"{step}_on_time")
        done = sa.and_(_done(done_col, asof), flag.is_not(None))
        cols[f"{step}_done"] = _count(done)
        cols[f"{step}_on_time"] = _count(sa.and_(done, flag.is_(True)))
    return cols


def _window(col: Any, start: dt.datetime, end: dt.datetime, asof: dt.datetime | None) -> list[Any]:
    conds = [col >= start, col < end]
    if asof is not None:
        conds.append(col <= asof)
    return conds


def cohort_counters(session: Session, start: dt.datetime, end: dt.datetime, asof: dt.datetime | None,
                    filters: list[Any]) -> Counters:
    dialect = session.get_bind().dialect.name
    cols = cohort_columns(dialect, asof)
    row = session.execute(sa.select(*[c.label(k) for k, c in cols.items()])
                          .where(*_window(Case.filed_at, start, end, asof), *filters)).one()
    reported = session.execute(sa.select(sa.func.count(), _count(_done(Case.voided_at, asof)))
                               .where(*_window(Case.reported_at, start, end, asof), *filters)).one()
    c = Counters(**{k: (float(v) if k == "handle_seconds" else int(v)) for k, v in row._mapping.items()})
    c.reported, c.voided = int(reported[0]), int(reported[1])
    return c


def due_open(session: Session, start: dt.datetime, end: dt.datetime, asof: dt.datetime,
             filters: list[Any]) -> int:
    """Cohort cases open at `asof`, not suspended now, whose closing deadline is ≤ `asof`."""
    return session.scalar(sa.select(sa.func.count()).where(
        *_window(Case.filed_at, start, end, asof), *filters,
        sa.or_(Case.closed_at.is_(None), Case.closed_at > asof),
        Case.status != CaseStatus.SUSPENDED, Case.close_deadline <= asof)) or 0


def handle_histogram(session: Session, start: dt.datetime, end: dt.datetime, asof: dt.datetime | None,
                     filters: list[Any]) -> list[tuple[int, int]]:
    dialect = session.get_bind().dialect.name
    minutes = whole_minutes(dialect, Case.dispatched_at, Case.handled_at).label("m")
    rows = session.execute(sa.select(minutes, sa.func.count()).where(
        *_window(Case.filed_at, start, end, asof), *filters, _done(Case.handled_at, asof),
        Case.dispatched_at.is_not(None), Case.self_handled.is_(False)).group_by(minutes).order_by(minutes)).all()
    return [(int(m), int(n)) for m, n in rows]
