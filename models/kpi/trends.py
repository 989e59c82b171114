"""What the KPI dashboard and the weekly bulletin show (issue 6), as frozen snapshots.

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

Decisions (README "KPI dashboard"):
- tiles count the cohort of the period as DOMAIN §5 defines it (结案数 = cases
  filed in the period and closed by now); their change compares the previous
  period of the same kind evaluated the same time earlier (today → yesterday
  at this time, this week → last week …); open/red now compare 24 h earlier;
- the backlog is the number of open cases (reported, not closed or voided) at
  the end of each day, counted back from the open cases now;
- overdue multiple: open cases by their running step (used / limit, as the
  lights), closed cases of the cohort by the whole case (filed → closed against
  filed → 结案期限, in the class rule's unit); the "≤1" bucket is exactly the
  cases on time;
- patrol duty: a qualifying day has ≥ `min_patrols_per_day` patrols of ≥
  `min_patrol_hours`; "this week" is the 7 days ending today and is met with ≥
  `min_field_days_per_week` qualifying days.

The caller owns the session and should commit after a snapshot: `compute()`
brings the rollups up to date first.
"""

from __future__ import annotations

import dataclasses as dc
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from models.auth import Identity
from models.enums import CaseStatus, Level, Light, StaffRole, Step, TimeUnit
from models.kpi import rollup
from models.kpi.api import compute
from models.kpi.formulas import STEPS, Counters, indicators, nearest_rank
from models.kpi.scope import KpiScope, ResolvedScope, resolve
from models.kpi.sql import seconds_between, unindexed
from models.policy import Policy
from models.policy_store import load_policy
from models.queue import OPEN, RUNNING, QueueFilter
from models.schema import (
    Case,
    Department,
    District,
    Grid,
    KpiHandleHist,
    KpiRollup,
    MinorClass,
    Patrol,
    Staff,
    Town,
    Village,
)
from models.scope import scope_staff, scope_towns, town_filter

PERIOD_KINDS = ("today", "week", "month", "quarter", "year", "custom")
TREND_DAYS = (30, 90, 365)
SCOPE_KINDS = ("district", "town", "village", "grid", "department")
BUCKETS = ("≤1", "1–1.5", "1.5–2", "2–3", ">3")  # overdue multiple (超时倍数)
BUCKET_EDGES = (1.5, 2.0, 3.0)  # upper bounds of buckets 1..3; bucket 0 is "on time"
TILE_KEYS = ("reported", "filed", "closed", "open_now", "red_now", "closure_rate", "on_time_closure_rate",
             "grassroots_resolution_rate", "duty_today", "duty_week")
TOP_CLASSES = 10
DRILL_CAP = 5000  # case ids kept per drill-down target (newest first)
VOID_MARGIN_DAYS = 30  # voids are looked for among cases reported this long before a window (no index on voided_at)
NO_CASES = (-1,)  # QueueFilter.case_ids matching nothing (an empty tuple means "no restriction")
_GRASSROOTS = (Level.GRID, Level.VILLAGE)


# --- periods -------------------------------------------------------------------------------------

@dc.dataclass(frozen=True)
class Period:
    """Days [date_from, date_to) of a kind the dashboard offers."""

    kind: str
    date_from: dt.date
    date_to: dt.date

    def __post_init__(self) -> None:
        if self.kind not in PERIOD_KINDS:
            raise ValueError(f"unknown period kind {self.kind!r}")
        if self.date_to <= self.date_from:
            raise ValueError("a period must end after it starts")

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.date_from, dt.time())

    @property
    def end(self) -> dt.datetime:
        return dt.datetime.combine(self.date_to, dt.time())

    def previous(self) -> Period:
        """The period of the same kind just before this one."""
        f = self.date_from
        if self.kind == "month":
            return Period("month", _add_months(f, -1), f)
        if self.kind == "quarter":
            return Period("quarter", _add_months(f, -3), f)
        if self.kind == "year":
            return Period("year", f.replace(year=f.year - 1), f)
        return Period(self.kind, f - dt.timedelta(days=self.days), f)

    def previous_asof(self, asof: dt.datetime) -> dt.datetime:
        """`asof` moved back by the distance between the two periods' starts."""
        return asof - (self.date_from - self.previous().date_from)

    def label(self) -> str:
        """ISO week "2026-W47", month "2026-11", quarter "2026Q4", year "2026", else the dates."""
        f = self.date_from
        if self.kind == "week" and f.weekday() == 0:
            y, w, _ = f.isocalendar()
            return f"{y}-W{w:02d}"
        if self.kind == "month":
            return f"{f:%Y-%m}"
        if self.kind == "quarter":
            return f"{f.year}Q{(f.month - 1) // 3 + 1}"
        if self.kind == "year":
            return str(f.year)
        last = self.date_to - dt.timedelta(days=1)
        return f.isoformat() if last == f else f"{f.isoformat()}~{last.isoformat()}"


def _add_months(d: dt.date, n: int) -> dt.date:
    m = d.year * 12 + d.month - 1 + n
    return dt.date(m // 12, m % 12 + 1, 1)


def period_of(kind: str, today: dt.date, date_from: dt.date | None = None,
              date_to: dt.date | None = None) -> Period:
    """The period of `kind` containing `today` (custom: the given dates, `date_to` exclusive)."""
    if kind == "today":
        return Period(kind, today, today + dt.timedelta(days=1))
    if kind == "week":
        monday = today - dt.timedelta(days=today.weekday())
        return Period(kind, monday, monday + dt.timedelta(days=7))
    if kind == "month":
        first = today.replace(day=1)
        return Period(kind, first, _add_months(first, 1))
    if kind == "quarter":
        first = dt.date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
        return Period(kind, first, _add_months(first, 3))
    if kind == "year":
        return Period(kind, dt.date(today.year, 1, 1), dt.date(today.year + 1, 1, 1))
    if kind == "custom":
        if date_from is None or date_to is None:
            raise ValueError("a custom period needs both dates")
        return Period(kind, date_from, date_to)
    raise ValueError(f"unknown period kind {kind!r}")


def iso_week(label: str) -> Period:
    """"2026-W47" → the Monday-to-Monday period of that ISO week."""
    try:
        year, week = label.upper().split("-W")
        monday = dt.date.fromisocalendar(int(year), int(week), 1)
    except ValueError as exc:
        raise ValueError(f"not an ISO week (YYYY-Www): {label!r}") from exc
    return Period("week", monday, monday + dt.timedelta(days=7))


# --- snapshot parts --------------------------------------------------------------------------------

@dc.dataclass(frozen=True)
class Tile:
    """A big-number tile: its value now and the value it is compared with."""

    key: str
    value: float | None
    previous: float | None
    kind: str  # "count" | "rate" (a fraction)
    better: int  # +1: up is good, -1: up is bad, 0: neither
    compare: str  # what `previous` is: "yesterday" | "last_week" | "last_month" | … | "24h"
    count: tuple[int, int] | None = None  # (numerator, denominator) of a share

    @property
    def delta(self) -> float | None:
        if self.value is None or self.previous is None:
            return None
        d = self.value - self.previous
        return round(d, 4) if self.kind == "rate" else d


@dc.dataclass(frozen=True)
class DailySeries:
    """Per day: reported (上报数), filed and closed of the day's filed cohort (as `compute` for that
    day), and the open backlog at the end of the day (today: now)."""

    days: tuple[dt.date, ...]
    reported: tuple[int, ...]
    filed: tuple[int, ...]
    closed: tuple[int, ...]
    backlog: tuple[int, ...]


@dc.dataclass(frozen=True)
class RankRow:
    kind: str  # "town" | "department"
    id: int
    code: str
    name: str
    score: float | None
    grade: str | None
    rank: int | None  # 1 = best; None without a score
    kpi: Mapping[str, Any]  # the indicator object of this town or department (keys `KEYS`)


@dc.dataclass(frozen=True)
class ClassBar:
    code: str
    name: str
    count: int


@dc.dataclass(frozen=True)
class OverdueHistogram:
    """Cases per overdue-multiple bucket (`BUCKETS`): open now, and closed of the period's cohort."""

    open: tuple[int, ...]
    closed: tuple[int, ...]


@dc.dataclass(frozen=True)
class StepRate:
    step: str
    rate: float | None  # = compute()[f"{step}_on_time_rate"]
    late: int  # cohort cases done late at the step


@dc.dataclass(frozen=True)
class Duty:
    """Full-time grid workers meeting the patrol rule."""

    workers: int
    met_today: int
    met_yesterday: int
    met_week: int  # the 7 days ending today
    met_last_week: int  # the 7 days ending yesterday

    @staticmethod
    def share(met: int, workers: int) -> float | None:
        return round(met / workers, 4) if workers else None


@dc.dataclass(frozen=True)
class ScopeIds:
    """The scope as the queue filters it (a village as the ids of its grids)."""

    town_ids: tuple[int, ...] = ()
    grid_ids: tuple[int, ...] = ()
    department_ids: tuple[int, ...] = ()

    def queue_filter(self, **kw: Any) -> QueueFilter:
        return QueueFilter(town_ids=self.town_ids, grid_ids=self.grid_ids, department_ids=self.department_ids, **kw)


@dc.dataclass(frozen=True)
class ScopeOption:
    """One choice of the scope picker."""

    kind: str
    code: str | None
    name: str
    parent: str | None = None  # town code of a village or grid

    @property
    def scope(self) -> KpiScope:
        return KpiScope(self.kind, self.code)


@dc.dataclass(frozen=True)
class DashboardSnapshot:
    """Everything one dashboard refresh shows; frozen, no ORM objects."""

    scope: KpiScope
    scope_name: str
    scope_ids: ScopeIds
    period: Period
    previous_period: Period
    now: dt.datetime
    live: bool
    kpi: Mapping[str, Any]  # compute(scope, period) — what `griddesk kpi --json` prints
    previous_kpi: Mapping[str, Any]  # the previous period as of the same time earlier
    tiles: tuple[Tile, ...]
    trend: DailySeries
    towns: tuple[RankRow, ...]
    departments: tuple[RankRow, ...]
    class_period: Period
    classes: tuple[ClassBar, ...]
    overdue: OverdueHistogram
    steps: tuple[StepRate, ...]
    duty: Duty
    drill: Mapping[str, tuple[int, ...]]  # drill-down target key → case ids (newest first, ≤ DRILL_CAP)
    truncated: frozenset[str] = frozenset()  # targets that had more than DRILL_CAP cases

    def tile(self, key: str) -> Tile:
        return next(t for t in self.tiles if t.key == key)


def _frozen(d: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(d))


# --- small helpers -----------------------------------------------------------------------------------

def _day(value: Any) -> dt.date:
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    if isinstance(value, dt.datetime):
        return value.date()
    return value


def _window(col: Any, start: dt.datetime, end: dt.datetime, asof: dt.datetime) -> list[Any]:
    return [col >= start, col < end, col <= asof]


def _filters(rs: ResolvedScope) -> list[Any]:
    """`rs.case_filter()` with no index on any scope column, villages and grids included: every query
    here is bounded by a time range or the open statuses, and SQLite (without ANALYZE statistics)
    otherwise prefers an equality on town/village/grid and reads that area's whole history."""
    conds: list[Any] = []
    if rs.town_id is not None:
        conds.append(unindexed(Case.town_id) == rs.town_id)
    if rs.village_id is not None:
        conds.append(unindexed(Case.village_id) == rs.village_id)
    if rs.grid_ids:
        conds.append(unindexed(Case.grid_id).in_(rs.grid_ids))
    if rs.department_id is not None:
        conds.append(unindexed(Case.department_id) == rs.department_id)
    return conds


def _unindexed_time(col: Any) -> Any:
    """A timestamp hidden from the planner, so another condition picks the index (`sql.unindexed`'s
    `col + 0` would turn SQLite's text timestamps into numbers)."""
    return sa.func.coalesce(col, col)


# newest first, sorted after the search: `ORDER BY id DESC LIMIT n` alone lets SQLite walk the whole table
# backwards by rowid instead of using the time-range index
_NEWEST = (Case.id + 0).desc()


def _real_now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


def scope_ids(session: Session, rs: ResolvedScope) -> ScopeIds:
    grids = rs.grid_ids
    if rs.village_id is not None and not grids:
        grids = tuple(session.scalars(sa.select(Grid.id).where(Grid.village_id == rs.village_id).order_by(Grid.id)))
    return ScopeIds(() if rs.town_id is None else (rs.town_id,), grids,
                    () if rs.department_id is None else (rs.department_id,))


def scope_name(session: Session, scope: KpiScope) -> str:
    table = {"district": None, "town": Town, "village": Village, "grid": Grid, "department": Department}[scope.kind]
    if table is None:
        return session.scalar(sa.select(District.name).limit(1)) or "全区"
    q = sa.select(table.name).where(table.code == scope.code)
    if table is Grid:
        q = q.order_by(Grid.valid_to.is_(None).desc(), Grid.id.desc())
    return session.scalar(q.limit(1)) or scope.code or ""


def scope_options(session: Session, identity: Identity) -> list[ScopeOption]:
    """The scope picker's choices that `identity` may see (district first)."""
    forced = town_filter(identity)
    out = [ScopeOption("district", None, scope_name(session, KpiScope()))]
    towns = session.execute(scope_towns(sa.select(Town.id, Town.code, Town.name), identity).order_by(Town.code)).all()
    codes = {t.id: t.code for t in towns}
    out += [ScopeOption("town", t.code, t.name) for t in towns]
    vq = sa.select(Village.code, Village.name, Village.town_id).order_by(Village.code)
    if forced is not None:
        vq = vq.where(Village.town_id == forced)
    out += [ScopeOption("village", v.code, v.name, codes.get(v.town_id)) for v in session.execute(vq)]
    gq = sa.select(Grid.code, Grid.name, Grid.town_id).where(Grid.valid_to.is_(None)).order_by(Grid.code)
    if forced is not None:
        gq = gq.where(Grid.town_id == forced)
    out += [ScopeOption("grid", g.code, g.name, codes.get(g.town_id)) for g in session.execute(gq)]
    dq = sa.select(Department.code, Department.name, Department.town_id).order_by(Department.code)
    if forced is not None:
        dq = dq.where(sa.or_(Department.town_id.is_(None), Department.town_id == forced))
    out += [ScopeOption("department", d.code, d.name, codes.get(d.town_id)) for d in session.execute(dq)]
    return out


# --- daily series and backlog --------------------------------------------------------------------------

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
            reported[_day(d)], filed[_day(d)], closed[_day(d)] = int(r or 0), int(f or 0), int(c or 0)
    else:
        filters = _filters(rs)
        day = sa.func.date(Case.reported_at)
        for d, n in session.execute(sa.select(day, sa.func.count()).where(
                *_window(Case.reported_at, start, end, now), *filters).group_by(day)):
            reported[_day(d)] = int(n)
        day = sa.func.date(Case.filed_at)
        done = sa.func.coalesce(sa.func.sum(sa.case((Case.closed_at <= now, 1), else_=0)), 0)
        for d, f, c in session.execute(sa.select(day, sa.func.count(), done).where(
                *_window(Case.filed_at, start, end, now), *filters).group_by(day)):
            filed[_day(d)], closed[_day(d)] = int(f), int(c)
    backlog = _backlog(session, rs, days, now, live)
    return DailySeries(tuple(days), tuple(reported[d] for d in days), tuple(filed[d] for d in days),
                       tuple(closed[d] for d in days), tuple(backlog))


def _per_day(session: Session, day_col: Any, conds: Iterable[Any]) -> dict[dt.date, int]:
    day = sa.func.date(day_col)
    return {_day(d): int(n) for d, n in session.execute(sa.select(day, sa.func.count()).where(*conds).group_by(day))}


def _backlog(session: Session, rs: ResolvedScope, days: list[dt.date], now: dt.datetime, live: bool) -> list[int]:
    """Open cases at the end of each day: the open cases now, minus what was reported after that
    moment, plus what was closed or voided after it."""
    filters = _filters(rs)
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
        f = _filters(rs)
        n_open = session.scalar(sa.select(sa.func.count()).select_from(Case).where(Case.status.in_(OPEN), *f))
        n_red = session.scalar(sa.select(sa.func.count()).select_from(Case).where(
            Case.status.in_(RUNNING), Case.step_deadline < at, *f))
        return n_open or 0, n_red or 0
    rows = _open_at(session, rs, at)
    running = (_running_step(r, at) for r in rows)
    return len(rows), sum(1 for run in running if run is not None and at > run[2])


def _open_at(session: Session, rs: ResolvedScope, t: dt.datetime) -> list[Any]:
    """Cases open at `t`, from their step times: open now, closed after t, voided after t."""
    f = _filters(rs)
    reported = _unindexed_time(Case.reported_at) <= t
    rows = list(session.execute(sa.select(*_STATE_COLS).where(Case.status.in_(OPEN), reported, *f)))
    rows += session.execute(sa.select(*_STATE_COLS).where(Case.closed_at > t, reported, *f)).all()
    rows += session.execute(sa.select(*_STATE_COLS).where(
        Case.reported_at >= t - dt.timedelta(days=VOID_MARGIN_DAYS), Case.reported_at <= t,
        Case.voided_at > t, *f)).all()
    return rows


def _running_step(r: Any, t: dt.datetime) -> tuple[Step, dt.datetime, dt.datetime] | None:
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


# --- overdue multiple ---------------------------------------------------------------------------------------

def bucket_of(multiple: float, on_time: bool) -> int:
    """Bucket index in `BUCKETS`: 0 when on time, else by the multiple (at least bucket 1)."""
    if on_time:
        return 0
    for i, edge in enumerate(BUCKET_EDGES, start=1):
        if multiple <= edge:
            return i
    return len(BUCKETS) - 1


class _Rules:
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


def _open_buckets(session: Session, rs: ResolvedScope, now: dt.datetime, live: bool, rules: _Rules,
                  drill: dict[str, list[int]]) -> list[int]:
    counts = [0] * len(BUCKETS)
    if live:
        rows = session.execute(sa.select(Case.id, Case.status, Case.step, Case.step_started_at, Case.step_deadline,
                                         Case.suspended_at, Case.minor_class_id)
                               .where(Case.status.in_(OPEN), *_filters(rs)).order_by(_NEWEST)).all()
        items = []
        for r in rows:
            at = r.suspended_at if r.status is CaseStatus.SUSPENDED and r.suspended_at else now
            step = r.step
            items.append((r.id, step, r.step_started_at, r.step_deadline, at, r.minor_class_id))
    else:
        items = []
        for r in sorted(_open_at(session, rs, now), key=lambda r: -r.id):
            at = r.suspended_at if r.status is CaseStatus.SUSPENDED and r.suspended_at and r.suspended_at <= now \
                else now
            run = _running_step(r, at)
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

def _cohort(session: Session, rs: ResolvedScope, period: Period, now: dt.datetime, rules: _Rules,
            drill: dict[str, list[int]]) -> tuple[list[int], dict[str, int]]:
    """The period's filed cohort: closed cases by overdue bucket, cases late per step, and the ids behind
    the tiles. Counts are aggregated in SQL; only late cases and capped id lists come back."""
    cohort = [*_window(Case.filed_at, period.start, period.end, now), *_filters(rs)]
    closed_at = _unindexed_time(Case.closed_at)  # the cohort is found by filing time, never by closing time
    closed = sa.and_(closed_at.is_not(None), closed_at <= now)
    on_time = sa.and_(closed, closed_at <= Case.close_deadline)  # as `closed_on_time`
    due_open = sa.and_(sa.or_(closed_at.is_(None), closed_at > now),  # as `sql.due_open`
                       Case.status != CaseStatus.SUSPENDED, Case.close_deadline <= now)

    def ids(key: str, *conds: Any) -> None:
        drill[key] += session.scalars(sa.select(Case.id).where(*cohort, *conds).order_by(_NEWEST)
                                      .limit(DRILL_CAP + 1))

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
                                  .order_by(_NEWEST)).all()
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
                           .where(*cohort, sa.or_(*flags.values())).order_by(_NEWEST))
    for r in rows:
        for step in STEPS:
            if getattr(r, step):
                late[step] += 1
                drill[f"step:{step}"].append(r.id)
    return buckets, late


def _running_late(session: Session, rs: ResolvedScope, now: dt.datetime, drill: dict[str, list[int]]) -> None:
    """Open cases now overdue at their running step, added to that step's drill-down."""
    for cid, step in session.execute(sa.select(Case.id, Case.step).where(
            Case.status.in_(RUNNING), Case.step_deadline < now, *_filters(rs)).order_by(_NEWEST)):
        key = f"step:{step.value}" if step is not None else None
        if key and step.value in STEPS and cid not in drill[key]:
            drill[key].append(cid)


# --- classes ----------------------------------------------------------------------------------------------------

def class_breakdown(session: Session, rs: ResolvedScope, period: Period, now: dt.datetime,
                    drill: dict[str, list[int]] | None = None, top: int = TOP_CLASSES) -> list[ClassBar]:
    """The most reported minor classes in the period (by code, across dictionary versions)."""
    conds = [*_window(Case.reported_at, period.start, period.end, now), *_filters(rs)]
    q = (sa.select(MinorClass.code, sa.func.max(MinorClass.name), sa.func.count()).select_from(Case).join(
        MinorClass, Case.minor_class_id == MinorClass.id).where(*conds).group_by(MinorClass.code)
         .order_by(sa.func.count().desc(), MinorClass.code).limit(top))
    bars = [ClassBar(c, n, int(k)) for c, n, k in session.execute(q)]
    if drill is not None and bars:
        for cid, code in session.execute(sa.select(Case.id, MinorClass.code).select_from(Case).join(
                MinorClass, Case.minor_class_id == MinorClass.id).where(
                *conds, MinorClass.code.in_([b.code for b in bars])).order_by(_NEWEST)):
            drill[f"class:{code}"].append(cid)
    return bars


# --- rankings ---------------------------------------------------------------------------------------------------

def rankings(session: Session, identity: Identity, period: Period, now: dt.datetime, live: bool,
             kind: str) -> list[RankRow]:
    """Towns (by region score) or departments (by department score) with grades, best first.

    Live, from one grouped query over the rollups through the same `indicators()` as `compute`;
    as of a past time, `compute` for each of them.
    """
    if kind not in ("town", "department"):
        raise ValueError(kind)
    if kind == "town":
        entities = session.execute(scope_towns(sa.select(Town.id, Town.code, Town.name), identity)
                                   .order_by(Town.code)).all()
    else:
        entities = session.execute(sa.select(Department.id, Department.code, Department.name)
                                   .order_by(Department.code)).all()
    if live:
        rollup.refresh(session)
        results = _grouped_indicators(session, identity, period, now, kind, [e.id for e in entities])
    else:
        results = {e.id: compute(session, identity, KpiScope(kind, e.code), period.date_from, period.date_to, now)
                   for e in entities}
    score_key, grade_key = ("region_score", "region_grade") if kind == "town" else \
        ("department_score", "department_grade")
    rows = []
    for e in entities:
        k = results[e.id]
        if kind == "department" and not (k["reported"] or k["filed"]):
            continue  # a department with no case in the period has nothing to rank
        rows.append((e, k))
    rows.sort(key=lambda ek: (ek[1][score_key] is None, -(ek[1][score_key] or 0), ek[0].code))
    out, rank = [], 0
    for e, k in rows:
        if k[score_key] is not None:
            rank += 1
        out.append(RankRow(kind, e.id, e.code, e.name, k[score_key], k[grade_key],
                           rank if k[score_key] is not None else None, _frozen(k)))
    return out


def _grouped_indicators(session: Session, identity: Identity, period: Period, now: dt.datetime, kind: str,
                        ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """`compute(kind, each id)` over the rollups in a few grouped queries (same counters, same formula)."""
    forced = town_filter(identity)
    names = Counters.names()
    rcol = KpiRollup.town_id if kind == "town" else KpiRollup.department_id
    hcol = KpiHandleHist.town_id if kind == "town" else KpiHandleHist.department_id
    ccol = Case.town_id if kind == "town" else Case.department_id
    conds = [KpiRollup.day >= period.date_from, KpiRollup.day < period.date_to]
    hconds = [KpiHandleHist.day >= period.date_from, KpiHandleHist.day < period.date_to]
    cconds = []
    if forced is not None:
        conds.append(KpiRollup.town_id == forced)
        hconds.append(KpiHandleHist.town_id == forced)
        cconds.append(Case.town_id == forced)
    counters: dict[int, Counters] = {}
    for row in session.execute(sa.select(rcol.label("k"), *[sa.func.coalesce(sa.func.sum(getattr(KpiRollup, n)), 0)
                                                           .label(n) for n in names]).where(*conds).group_by(rcol)):
        m = row._mapping
        counters[m["k"]] = Counters(**{n: (float(m[n]) if n == "handle_seconds" else int(m[n])) for n in names})
    hist: dict[int, list[tuple[float, int]]] = defaultdict(list)
    for k, minutes, n in session.execute(sa.select(hcol, KpiHandleHist.minutes, sa.func.sum(KpiHandleHist.n))
                                         .where(*hconds).group_by(hcol, KpiHandleHist.minutes)
                                         .order_by(hcol, KpiHandleHist.minutes)):
        hist[k].append((float(minutes), int(n)))
    due = {k: int(n) for k, n in session.execute(sa.select(ccol, sa.func.count()).where(
        *_window(Case.filed_at, period.start, period.end, now), *cconds,
        sa.or_(Case.closed_at.is_(None), Case.closed_at > now), Case.status != CaseStatus.SUSPENDED,
        Case.close_deadline <= now).group_by(ccol))}
    current = Grid.valid_to.is_(None)
    if kind == "town":
        grids = {k: int(n) for k, n in session.execute(
            sa.select(Grid.town_id, sa.func.count()).where(current).group_by(Grid.town_id))}
    else:
        q = sa.select(sa.func.count()).select_from(Grid).where(current)
        if forced is not None:
            q = q.where(Grid.town_id == forced)
        all_grids = session.scalar(q) or 0
        grids = dict.fromkeys(ids, all_grids)
    months = period.days / (365.25 / 12)
    weights = load_policy(session).scores
    out = {}
    for i in ids:
        c = counters.get(i, Counters())
        p90 = nearest_rank(hist.get(i, []))
        out[i] = indicators(c, c.closed + due.get(i, 0), None if p90 is None else p90 * 60, grids.get(i, 0),
                            months, weights)
    return out


# --- grid-worker duty -------------------------------------------------------------------------------------------

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
            patrols[(sid, _day(d))] = int(n)
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


# --- the snapshot -----------------------------------------------------------------------------------------------

_COMPARE = {"today": "yesterday", "week": "last_week", "month": "last_month", "quarter": "last_quarter",
            "year": "last_year", "custom": "previous"}


def dashboard_snapshot(session: Session, identity: Identity, scope: KpiScope, period: Period,
                       now: dt.datetime | None = None, *, trend_days: int = 30) -> DashboardSnapshot:
    """Everything the dashboard shows for `scope` and `period`, as of `now` (default: now, live).

    Raises LookupError (unknown code), OutOfScope (a town officer's other town), ValueError.
    """
    real = _real_now()
    live = now is None or now >= real
    now = real if now is None else now.replace(microsecond=0)
    asof = None if live else now
    rs = resolve(session, scope, identity)
    policy = load_policy(session)
    rules = _Rules(session, policy)
    drill: dict[str, list[int]] = defaultdict(list)

    kpi = compute(session, identity, scope, period.date_from, period.date_to, asof)
    prev = period.previous()
    prev_asof = period.previous_asof(now)
    previous_kpi = compute(session, identity, scope, prev.date_from, prev.date_to,
                           None if prev_asof >= _real_now() else prev_asof)

    today = now.date()
    trend = daily_series(session, rs, today - dt.timedelta(days=trend_days - 1), today, now, live)
    open_now, red_now = open_and_red(session, rs, now, live)
    open_before, red_before = open_and_red(session, rs, now - dt.timedelta(days=1), False)

    closed_buckets, late = _cohort(session, rs, period, now, rules, drill)
    open_buckets = _open_buckets(session, rs, now, live, rules, drill)
    if live:
        _running_late(session, rs, now, drill)
    for cid in _ids(session, [*_window(Case.reported_at, period.start, period.end, now), *_filters(rs)]):
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
    capped = {k: tuple(v[:DRILL_CAP]) for k, v in drill.items()}
    return DashboardSnapshot(
        scope=scope, scope_name=scope_name(session, scope), scope_ids=scope_ids(session, rs), period=period,
        previous_period=prev, now=now, live=live, kpi=_frozen(kpi), previous_kpi=_frozen(previous_kpi),
        tiles=tiles, trend=trend,
        towns=tuple(rankings(session, identity, period, now, live, "town")),
        departments=tuple(rankings(session, identity, period, now, live, "department")),
        class_period=class_period, classes=tuple(classes),
        overdue=OverdueHistogram(tuple(open_buckets), tuple(closed_buckets)), steps=steps, duty=duty,
        drill=MappingProxyType(capped), truncated=frozenset(k for k, v in drill.items() if len(v) > DRILL_CAP))


def _ids(session: Session, conds: list[Any]) -> list[int]:
    return list(session.scalars(sa.select(Case.id).where(*conds).order_by(_NEWEST).limit(DRILL_CAP + 1)))


# --- drill-down -------------------------------------------------------------------------------------------------

def case_ids_for(target: tuple[str, str], snap: DashboardSnapshot) -> QueueFilter | None:
    """The queue filter behind a clicked tile or bar: `(kind, key)` as the charts emit it —
    ("tile", tile key), ("town", town code), ("department", code), ("class", class code),
    ("step", step), ("overdue_open" | "overdue_closed", bucket index). None: nothing to show (duty tiles).

    Period counts become the ids of their cases (newest `DRILL_CAP`); "open now" and "red now" become
    status and light filters, a town or department bar its open cases.
    """
    kind, key = target
    base = snap.scope_ids

    def ids(name: str, **kw: Any) -> QueueFilter:
        found = snap.drill.get(name, ())
        return base.queue_filter(case_ids=found or NO_CASES, **kw)

    if kind == "tile":
        if key == "open_now":
            return base.queue_filter()
        if key == "red_now":
            return base.queue_filter(lights=(Light.RED,))
        if key in ("duty_today", "duty_week"):
            return None
        if key in ("closed", "grassroots_resolution_rate"):
            return ids(f"tile:{key}", statuses=(CaseStatus.CLOSED,))
        if key in ("reported", "filed", "closure_rate", "on_time_closure_rate"):
            return ids(f"tile:{key}", statuses=())
        raise KeyError(key)
    if kind == "town":
        row = next(r for r in snap.towns if r.code == key)
        return QueueFilter(town_ids=(row.id,))
    if kind == "department":
        row = next(r for r in snap.departments if r.code == key)
        return QueueFilter(department_ids=(row.id,))
    if kind == "class":
        return ids(f"class:{key}", statuses=(), class_codes=(key,))
    if kind == "step":
        return ids(f"step:{key}", statuses=())
    if kind == "overdue_open":
        return ids(f"overdue_open:{int(key)}")
    if kind == "overdue_closed":
        return ids(f"overdue_closed:{int(key)}", statuses=(CaseStatus.CLOSED,))
    raise KeyError(kind)


# --- weekly bulletin (周通报) ----------------------------------------------------------------------------------------

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
    real = _real_now()
    live = now is None or now >= real
    now = real if now is None else now.replace(microsecond=0)
    asof = None if live else now
    scope = KpiScope()
    rs = resolve(session, scope, identity)
    policy = load_policy(session)
    rules = _Rules(session, policy)
    drill: dict[str, list[int]] = defaultdict(list)
    kpi = compute(session, identity, scope, period.date_from, period.date_to, asof)
    prev = period.previous()
    previous_kpi = compute(session, identity, scope, prev.date_from, prev.date_to, period.previous_asof(now))
    last = min(period.date_to - dt.timedelta(days=1), now.date())
    trend = daily_series(session, rs, period.date_from, last, now, live) if last >= period.date_from else \
        DailySeries((), (), (), (), ())
    closed_buckets, late = _cohort(session, rs, period, now, rules, drill)
    open_buckets = _open_buckets(session, rs, now, live, rules, drill)
    duty_at = min(now, period.end - dt.timedelta(seconds=1))
    return Bulletin(
        week=period.label(), period=period, asof=now, district=scope_name(session, scope), kpi=_frozen(kpi),
        previous_kpi=_frozen(previous_kpi),
        towns=tuple(rankings(session, identity, period, now, live, "town")),
        departments=tuple(rankings(session, identity, period, now, live, "department")),
        trend=trend, classes=tuple(class_breakdown(session, rs, period, now)),
        overdue=OverdueHistogram(tuple(open_buckets), tuple(closed_buckets)),
        steps=tuple(StepRate(s, kpi[f"{s}_on_time_rate"], late[s]) for s in STEPS),
        duty=grid_worker_duty(session, identity, rs, duty_at, policy))


__all__ = ["BUCKETS", "DRILL_CAP", "NO_CASES", "PERIOD_KINDS", "SCOPE_KINDS", "TILE_KEYS", "TREND_DAYS", "Bulletin",
           "ClassBar", "DailySeries", "DashboardSnapshot", "Duty", "OverdueHistogram", "Period", "RankRow",
           "ScopeIds", "ScopeOption", "StepRate", "Tile", "bucket_of", "case_ids_for", "class_breakdown",
           "daily_series", "dashboard_snapshot", "grid_worker_duty", "iso_week", "period_of", "rankings",
           "scope_options", "weekly_bulletin"]
