"""Dashboard data (models/kpi/trends.py) on the small district: series, rankings and tiles equal
`compute`, hand-counted values, patrol duty from hand-made patrols, drill-down filters."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from models.auth import SYSTEM
from models.enums import CaseSource, CaseStatus, Level, Light, StaffRole, UserRole
from models.kpi.api import compute
from models.kpi.dashboard import dashboard_snapshot
from models.kpi.drill import NO_CASES, case_ids_for
from models.kpi.duty import grid_worker_duty
from models.kpi.overdue import bucket_of
from models.kpi.periods import Period, iso_week, period_of
from models.kpi.rankings import rankings
from models.kpi.scope import KpiScope, resolve
from models.kpi.scope_choices import scope_options
from models.kpi.series import daily_series, open_and_red
from models.kpi.snapshot import Duty
from models.lifecycle import Action, Params
from models.lifecycle.service import CaseService
from models.queue import OPEN, QueueFilter, QueueQuery
from models.schema import Case, Grid, Patrol, Staff
from tests.factories import dept_id, grid_centre, identity, make_db, town_id

MON = dt.datetime(2026, 11, 16, 9, 0)  # a Monday of a week without holidays
WEEK = Period("custom", MON.date(), MON.date() + dt.timedelta(days=7))
DAYS = [MON.date() + dt.timedelta(days=i) for i in range(5)]


def _svc(s: Session, role: UserRole, at: dt.datetime, dept: int | None = None) -> CaseService:
    return CaseService(s, identity(role, dept=dept), clock=lambda: at)


def _report(s, at, grid_ix, minor="1102", source=CaseSource.HOTLINE, self_handled=False):
    lon, lat = grid_centre(grid_ix)
    role = UserRole.GRID_WORKER if self_handled else UserRole.DUTY_OFFICER
    case = _svc(s, role, at).report(minor_code=minor, lon=lon, lat=lat, description="测试", source=source,
                                    self_handled=self_handled)
    s.flush()
    return case


def _act(s, case, at, action, role, **params):
    dept = case.department_id if role is UserRole.DEPARTMENT else None
    return _svc(s, role, at, dept).act(case.id, case.version, action, Params(**params))


def _loop(s, case, t, dept, level, feedback_after=dt.timedelta(minutes=20)):
    """File, dispatch and close a case starting at `t`."""
    _act(s, case, t, Action.FILE, UserRole.DUTY_OFFICER)
    _act(s, case, t + dt.timedelta(minutes=10), Action.DISPATCH, UserRole.DISPATCHER, department_id=dept, level=level)
    t = t + dt.timedelta(minutes=10) + feedback_after
    _act(s, case, t, Action.FEEDBACK, UserRole.DEPARTMENT)
    _act(s, case, t + dt.timedelta(minutes=10), Action.CHECK, UserRole.GRID_WORKER)
    _act(s, case, t + dt.timedelta(minutes=20), Action.CLOSE, UserRole.SHIFT_LEADER)


def build_scenario(engine) -> dict[str, int]:
    """Eight cases in the week of MON (grids 0–1 in town 1, 2–3 in town 2):

    A Mon town 1 closed on time (village)    B Mon town 2 dispatched, open, red
    C Tue town 1 voided                      D Tue town 2 closed Thu, late (town level, D02)
    E Wed town 1 self-handled (grid)         F Wed town 1 reported only: open, red at intake
    G Thu town 2 reworked, closed on time    H Thu town 1 dispatched to D01 then suspended
    """
    with Session(engine, info={"actor": "test"}) as s:
        d1, d2 = dept_id(s, "D01"), dept_id(s, "D02")
        ids = {}
        a = ids["A"] = _report(s, MON, 0, source=CaseSource.PUBLIC).id
        _loop(s, s.get(Case, a), MON + dt.timedelta(minutes=10), d1, Level.VILLAGE)
        b = _report(s, MON + dt.timedelta(hours=1), 2)
        ids["B"] = b.id
        _act(s, b, MON + dt.timedelta(hours=1, minutes=10), Action.FILE, UserRole.DUTY_OFFICER)
        _act(s, b, MON + dt.timedelta(hours=1, minutes=20), Action.DISPATCH, UserRole.DISPATCHER, department_id=d1,
             level=Level.TOWN)
        tue = MON + dt.timedelta(days=1)
        c = _report(s, tue, 1)
        ids["C"] = c.id
        _act(s, c, tue + dt.timedelta(minutes=30), Action.VOID, UserRole.DUTY_OFFICER, reason="不属实")
        d = _report(s, tue, 3, source=CaseSource.GRID_WORKER)
        ids["D"] = d.id
        _act(s, d, tue + dt.timedelta(minutes=10), Action.FILE, UserRole.DUTY_OFFICER)
        _act(s, d, tue + dt.timedelta(minutes=20), Action.DISPATCH, UserRole.DISPATCHER, department_id=d2,
             level=Level.TOWN)
        thu = MON + dt.timedelta(days=3)
        _act(s, d, thu + dt.timedelta(hours=1), Action.FEEDBACK, UserRole.DEPARTMENT)
        _act(s, d, thu + dt.timedelta(hours=1, minutes=30), Action.CHECK, UserRole.GRID_WORKER)
        _act(s, d, thu + dt.timedelta(hours=2), Action.CLOSE, UserRole.SHIFT_LEADER)
        wed = MON + dt.timedelta(days=2)
        ids["E"] = _report(s, wed, 0, source=CaseSource.GRID_WORKER, self_handled=True).id
        ids["F"] = _report(s, wed + dt.timedelta(hours=1), 1, minor="1103", source=CaseSource.WECHAT).id
        g = _report(s, thu, 2, minor="1103", source=CaseSource.GRID_WORKER)
        ids["G"] = g.id
        _act(s, g, thu + dt.timedelta(minutes=5), Action.FILE, UserRole.DUTY_OFFICER)
        _act(s, g, thu + dt.timedelta(minutes=10), Action.DISPATCH, UserRole.DISPATCHER, department_id=d2,
             level=Level.VILLAGE)
        _act(s, g, thu + dt.timedelta(minutes=30), Action.FEEDBACK, UserRole.DEPARTMENT)
        _act(s, g, thu + dt.timedelta(minutes=40), Action.REWORK, UserRole.SHIFT_LEADER, reason="未清理干净")
        _act(s, g, thu + dt.timedelta(minutes=50), Action.DISPATCH, UserRole.DISPATCHER, department_id=d2,
             level=Level.VILLAGE)
        _act(s, g, thu + dt.timedelta(minutes=60), Action.FEEDBACK, UserRole.DEPARTMENT)
        _act(s, g, thu + dt.timedelta(minutes=70), Action.CHECK, UserRole.GRID_WORKER)
        _act(s, g, thu + dt.timedelta(minutes=80), Action.CLOSE, UserRole.SHIFT_LEADER)
        h = _report(s, thu + dt.timedelta(hours=5), 1, minor="1201")
        ids["H"] = h.id
        _act(s, h, thu + dt.timedelta(hours=5, minutes=5), Action.FILE, UserRole.DUTY_OFFICER)
        if h.status is CaseStatus.FILED:
            _act(s, h, thu + dt.timedelta(hours=5, minutes=10), Action.DISPATCH, UserRole.DISPATCHER,
                 department_id=d1, level=Level.GRID)
        _act(s, h, thu + dt.timedelta(hours=5, minutes=15), Action.SUSPEND, UserRole.SHIFT_LEADER, reason="等待审批")
        s.commit()
    return ids


@pytest.fixture
def engine(db_url):
    e = make_db(db_url)
    yield e
    e.dispose()


@pytest.fixture
def scenario(engine):
    return build_scenario(engine)


SCOPES = [KpiScope(), KpiScope("town", "331004001"), KpiScope("town", "331004002"),
          KpiScope("village", "331004002001"), KpiScope("grid", "331004001001002"), KpiScope("department", "D02")]


def test_daily_series_equal_compute_and_hand_counts(engine, scenario):
    with Session(engine) as s:
        for scope in SCOPES:
            rs = resolve(s, scope, SYSTEM)
            now = dt.datetime.now().replace(microsecond=0)
            series = daily_series(s, rs, DAYS[0], DAYS[-1], now, live=True)
            past = daily_series(s, rs, DAYS[0], DAYS[-1], now, live=False)  # the straight-SQL path
            assert series == past, scope
            for i, d in enumerate(DAYS):
                k = compute(s, SYSTEM, scope, d, d + dt.timedelta(days=1))
                assert (series.reported[i], series.filed[i], series.closed[i]) == \
                       (k["reported"], k["filed"], k["closed"]), (scope, d)
        s.commit()
        district = daily_series(s, resolve(s, KpiScope(), SYSTEM), DAYS[0], DAYS[-1],
                                dt.datetime.now().replace(microsecond=0), live=True)
    assert district.days == tuple(DAYS)
    assert district.reported == (2, 2, 2, 2, 0)
    assert district.filed == (2, 1, 1, 2, 0)
    assert district.closed == (1, 1, 1, 1, 0)
    # open at the end of each day: Mon B; Tue B D; Wed B D F; Thu B F H (D and G closed); Fri the same
    assert district.backlog == (1, 2, 3, 3, 3)


def test_backlog_ends_with_open_now_and_open_red_rebuilt(engine, scenario):
    with Session(engine) as s:
        rs = resolve(s, KpiScope(), SYSTEM)
        now = dt.datetime.now().replace(microsecond=0)
        series = daily_series(s, rs, now.date() - dt.timedelta(days=29), now.date(), now, live=True)
        assert len(series.days) == 30 and series.backlog[-1] == 3
        assert open_and_red(s, rs, now, True) == (3, 2)  # B, F, H open; H suspended is not red
        assert open_and_red(s, rs, now, False) == (3, 2)  # rebuilt from the step times
        # Tuesday 12:00: B (handling since Mon 10:20, 4 working hours: red) and D (dispatched Tue 09:20) open
        assert open_and_red(s, rs, MON + dt.timedelta(days=1, hours=3), False) == (2, 1)
        # Thursday 09:15: B, D (handle deadline Tue: red), F (accept deadline Thu 10:00: not yet), G
        assert open_and_red(s, rs, MON + dt.timedelta(days=3, minutes=15), False) == (4, 2)


def test_rankings_equal_compute_live_and_as_of(engine, scenario):
    with Session(engine) as s:
        now = dt.datetime.now().replace(microsecond=0)
        for kind in ("town", "department"):
            rows = rankings(s, SYSTEM, WEEK, now, True, kind)
            for r in rows:
                assert dict(r.kpi) == compute(s, SYSTEM, KpiScope(kind, r.code), WEEK.date_from, WEEK.date_to), r
            scores = [r.score for r in rows if r.score is not None]
            assert scores == sorted(scores, reverse=True)
            assert [r.rank for r in rows if r.score is not None] == list(range(1, len(scores) + 1))
            key = "region_score" if kind == "town" else "department_score"
            assert all(r.score == r.kpi[key] for r in rows)
        towns = rankings(s, SYSTEM, WEEK, now, True, "town")
        assert [r.code for r in towns] == sorted([r.code for r in towns], key=lambda c: -next(
            t.score for t in towns if t.code == c))
        assert {r.code for r in towns} == {"331004001", "331004002"}
        depts = rankings(s, SYSTEM, WEEK, now, True, "department")
        assert {r.code for r in depts} == {"D01", "D02"}  # departments without cases are not ranked
        d2 = next(r for r in depts if r.code == "D02")
        assert (d2.kpi["filed"], d2.kpi["closed"], d2.kpi["rework_rate"]) == (2, 2, 0.5)
        # as of Friday noon (a past moment): compute for each, the SQL path
        friday = MON + dt.timedelta(days=4, hours=3)
        for kind in ("town", "department"):
            for r in rankings(s, SYSTEM, WEEK, friday, False, kind):
                assert dict(r.kpi) == compute(s, SYSTEM, KpiScope(kind, r.code), WEEK.date_from, WEEK.date_to,
                                              friday)


def test_town_officer_sees_only_their_town(engine, scenario):
    with Session(engine) as s:
        officer = identity(UserRole.TOWN_OFFICER, town_id(s, 1))
        now = dt.datetime.now().replace(microsecond=0)
        towns = rankings(s, officer, WEEK, now, True, "town")
        assert [r.code for r in towns] == ["331004001"]
        snap = dashboard_snapshot(s, officer, KpiScope(), WEEK)
        assert dict(snap.kpi) == compute(s, officer, KpiScope(), WEEK.date_from, WEEK.date_to)
        assert snap.kpi["reported"] == 5  # A C E F H
        assert snap.tile("open_now").value == 2  # F H
        depts = {r.code: r for r in snap.departments}
        assert set(depts) == {"D01"}  # D02 handled only town 2's cases
        for r in depts.values():
            assert dict(r.kpi) == compute(s, officer, KpiScope("department", r.code), WEEK.date_from, WEEK.date_to)
        assert [o.code for o in scope_options(s, officer) if o.kind == "town"] == ["331004001"]


def test_snapshot_tiles_steps_and_histograms(engine, scenario):
    with Session(engine) as s:
        snap = dashboard_snapshot(s, SYSTEM, KpiScope(), WEEK)
        s.commit()
        k = compute(s, SYSTEM, KpiScope(), WEEK.date_from, WEEK.date_to)
        assert dict(snap.kpi) == k
        prev = WEEK.previous()
        assert prev == Period("custom", MON.date() - dt.timedelta(days=7), MON.date())
        assert dict(snap.previous_kpi) == compute(s, SYSTEM, KpiScope(), prev.date_from, prev.date_to,
                                                  snap.now - dt.timedelta(days=7))
    for key in ("reported", "filed", "closed", "closure_rate", "on_time_closure_rate", "grassroots_resolution_rate"):
        assert snap.tile(key).value == k[key], key
    assert (k["reported"], k["filed"], k["closed"], k["closed_on_time"]) == (8, 6, 4, 3)
    assert snap.tile("open_now").value == 3 and snap.tile("red_now").value == 2
    assert snap.tile("open_now").previous == 3 and snap.tile("red_now").previous == 2  # nothing changed since
    assert [st.rate for st in snap.steps] == [k[f"{st.step}_on_time_rate"] for st in snap.steps]
    assert [st.step for st in snap.steps] == ["verify", "accept", "dispatch", "handle", "check"]
    assert next(st for st in snap.steps if st.step == "handle").late == 1  # D
    # closed cohort: A, E, G on time; D closed ~2.6× its closing limit (filed Tue 09:10, limit until Tue 17:10,
    # closed Thu 11:00: 16 h 50 of working time against 6 h 30 min)
    assert snap.overdue.closed == (3, 0, 0, 1, 0)
    assert sum(snap.overdue.closed) == k["closed"] and snap.overdue.closed[0] == k["closed_on_time"]
    # open now: H suspended within its limit; B and F far past theirs
    assert snap.overdue.open == (1, 0, 0, 0, 2)
    assert [(c.code, c.count) for c in snap.classes] == [("1102", 5), ("1103", 2), ("1201", 1)]
    assert sum(c.count for c in snap.classes) == k["reported"]
    assert snap.scope_name == "测试区"
    assert snap.towns and snap.departments


def _queue_ids(s, flt: QueueFilter, now: dt.datetime) -> set[int]:
    q = QueueQuery(SYSTEM, flt)
    return {r.id for r in q.page(s, now, 0, 1000)}


def test_drill_down_filters(engine, scenario):
    ids = scenario
    with Session(engine) as s:
        snap = dashboard_snapshot(s, SYSTEM, KpiScope(), WEEK)
        now = snap.now
        f = case_ids_for(("tile", "red_now"), snap)
        assert f.lights == (Light.RED,) and f.statuses == tuple(OPEN)
        assert _queue_ids(s, f, now) == {ids["B"], ids["F"]}
        f = case_ids_for(("tile", "open_now"), snap)
        assert _queue_ids(s, f, now) == {ids["B"], ids["F"], ids["H"]}
        assert _queue_ids(s, case_ids_for(("tile", "reported"), snap), now) == set(ids.values())
        assert _queue_ids(s, case_ids_for(("tile", "closed"), snap), now) == {ids[x] for x in "ADEG"}
        assert _queue_ids(s, case_ids_for(("tile", "on_time_closure_rate"), snap), now) == {ids["D"], ids["B"]}
        assert _queue_ids(s, case_ids_for(("tile", "closure_rate"), snap), now) == {ids["B"]}
        assert _queue_ids(s, case_ids_for(("tile", "grassroots_resolution_rate"), snap), now) == {ids["D"]}
        assert case_ids_for(("tile", "duty_today"), snap) is None
        town2 = next(r for r in snap.towns if r.code == "331004002")
        f = case_ids_for(("town", "331004002"), snap)
        assert f == QueueFilter(town_ids=(town2.id,))
        assert _queue_ids(s, f, now) == {ids["B"]}
        f = case_ids_for(("department", "D01"), snap)
        assert f == QueueFilter(department_ids=(dept_id(s, "D01"),))
        f = case_ids_for(("class", "1103"), snap)
        assert f.class_codes == ("1103",) and f.statuses == ()
        assert _queue_ids(s, f, now) == {ids["F"], ids["G"]}
        # a step: the cases done late there, and the open ones overdue at it now
        assert _queue_ids(s, case_ids_for(("step", "handle"), snap), now) == {ids["D"], ids["B"]}
        assert _queue_ids(s, case_ids_for(("step", "accept"), snap), now) == {ids["F"]}
        assert _queue_ids(s, case_ids_for(("overdue_closed", "3"), snap), now) == {ids["D"]}
        assert _queue_ids(s, case_ids_for(("overdue_open", "4"), snap), now) == {ids["B"], ids["F"]}
        empty = case_ids_for(("overdue_closed", "1"), snap)
        assert empty.case_ids == NO_CASES and _queue_ids(s, empty, now) == set()
        # a scope narrows the structural filters too
        town1 = dashboard_snapshot(s, SYSTEM, KpiScope("town", "331004001"), WEEK)
        f = case_ids_for(("tile", "open_now"), town1)
        assert f.town_ids == (town_id(s, 1),) and _queue_ids(s, f, now) == {ids["F"], ids["H"]}
        village = dashboard_snapshot(s, SYSTEM, KpiScope("village", "331004002001"), WEEK)
        grids = set(s.scalars(sa.select(Grid.id).where(Grid.town_id == town_id(s, 2))))
        assert set(village.scope_ids.grid_ids) == grids
        assert _queue_ids(s, case_ids_for(("tile", "red_now"), village), now) == {ids["B"]}


def _worker(s, n: int, town: int, grid_code: str, hired: dt.date, left: dt.date | None = None) -> int:
    st = Staff(staff_no=f"W{n:03d}", name=f"网格员{n}", role=StaffRole.FULL_TIME, grid_code=grid_code, town_id=town,
               hire_date=hired, probation_end=hired + dt.timedelta(days=90), left_date=left)
    s.add(st)
    s.flush()
    return st.id


def _patrols(s, staff: int, day: dt.date, hours: list[float], grid_code: str) -> None:
    for i, h in enumerate(hours):
        start = dt.datetime.combine(day, dt.time(8 + 5 * i))
        s.add(Patrol(staff_id=staff, grid_code=grid_code, started_at=start, ended_at=start + dt.timedelta(hours=h)))


def test_grid_worker_duty_from_patrols(engine):
    now = dt.datetime(2026, 11, 20, 20, 0)  # Friday evening
    today = now.date()
    with Session(engine, info={"actor": "test"}) as s:
        t1, t2 = town_id(s, 1), town_id(s, 2)
        g1, g3 = "331004001001001", "331004002001001"
        good = _worker(s, 1, t1, g1, dt.date(2025, 1, 1))  # 2 × 2 h on each of the last 7 days
        for i in range(7):
            _patrols(s, good, today - dt.timedelta(days=i), [2.0, 2.5], g1)
        four = _worker(s, 2, t1, g1, dt.date(2025, 1, 1))  # qualifies today and 3 more days: 4 < 5
        for i in (0, 1, 2, 3):
            _patrols(s, four, today - dt.timedelta(days=i), [2, 2], g1)
        _patrols(s, four, today - dt.timedelta(days=4), [2, 1.5], g1)  # one patrol too short
        short = _worker(s, 3, t2, g3, dt.date(2025, 1, 1))  # one patrol a day only
        for i in range(7):
            _patrols(s, short, today - dt.timedelta(days=i), [3], g3)
        yest = _worker(s, 4, t2, g3, dt.date(2025, 1, 1))  # 5 qualifying days ending yesterday: both weeks
        for i in range(1, 6):
            _patrols(s, yest, today - dt.timedelta(days=i), [2, 2, 1], g3)
        _worker(s, 5, t2, g3, dt.date(2025, 1, 1), left=dt.date(2026, 6, 1))  # left: not counted
        _worker(s, 6, t2, g3, today + dt.timedelta(days=3))  # not hired yet
        s.add(Staff(staff_no="P01", name="兼职", role=StaffRole.PART_TIME, grid_code=g3, town_id=t2,
                    hire_date=dt.date(2025, 1, 1), probation_end=dt.date(2025, 4, 1)))
        # a patrol still running at `now` does not count yet
        late = _worker(s, 7, t1, g1, dt.date(2025, 1, 1))
        _patrols(s, late, today, [2, 2], g1)
        s.add(Patrol(staff_id=late, grid_code=g1, started_at=now - dt.timedelta(hours=1),
                     ended_at=now + dt.timedelta(hours=1)))
        s.flush()
        duty = grid_worker_duty(s, SYSTEM, resolve(s, KpiScope(), SYSTEM), now)
        assert (duty.workers, duty.met_today, duty.met_yesterday, duty.met_week, duty.met_last_week) == (5, 3, 3, 2, 2)
        town1 = grid_worker_duty(s, SYSTEM, resolve(s, KpiScope("town", "331004001"), SYSTEM), now)
        assert (town1.workers, town1.met_today, town1.met_week) == (3, 3, 1)
        grid = grid_worker_duty(s, SYSTEM, resolve(s, KpiScope("grid", g3), SYSTEM), now)
        assert (grid.workers, grid.met_today, grid.met_last_week) == (2, 0, 1)
        officer = identity(UserRole.TOWN_OFFICER, t2)
        assert grid_worker_duty(s, officer, resolve(s, KpiScope(), officer), now).workers == 2
        assert Duty.share(3, 5) == 0.6 and Duty.share(0, 0) is None


def test_periods():
    wed = dt.date(2026, 11, 25)
    assert period_of("today", wed) == Period("today", wed, wed + dt.timedelta(days=1))
    assert period_of("week", wed) == Period("week", dt.date(2026, 11, 23), dt.date(2026, 11, 30))
    assert period_of("month", wed) == Period("month", dt.date(2026, 11, 1), dt.date(2026, 12, 1))
    assert period_of("quarter", wed) == Period("quarter", dt.date(2026, 10, 1), dt.date(2027, 1, 1))
    assert period_of("year", wed) == Period("year", dt.date(2026, 1, 1), dt.date(2027, 1, 1))
    assert period_of("month", wed).previous() == Period("month", dt.date(2026, 10, 1), dt.date(2026, 11, 1))
    assert period_of("quarter", wed).previous().date_from == dt.date(2026, 7, 1)
    assert period_of("year", wed).previous().date_from == dt.date(2025, 1, 1)
    today = period_of("today", wed)
    assert today.previous() == Period("today", wed - dt.timedelta(days=1), wed)
    assert today.previous_asof(dt.datetime(2026, 11, 25, 9, 30)) == dt.datetime(2026, 11, 24, 9, 30)
    assert iso_week("2026-W47") == Period("week", dt.date(2026, 11, 16), dt.date(2026, 11, 23))
    assert iso_week("2026-W47").label() == "2026-W47" and period_of("quarter", wed).label() == "2026Q4"
    assert Period("custom", wed, wed + dt.timedelta(days=3)).previous() == \
        Period("custom", wed - dt.timedelta(days=3), wed)
    with pytest.raises(ValueError):
        iso_week("2026-47")
    with pytest.raises(ValueError):
        Period("custom", wed, wed)
    assert bucket_of(5.0, True) == 0
    assert [bucket_of(m, False) for m in (0.9, 1.2, 1.5, 1.7, 2.5, 3.0, 3.1)] == [1, 1, 1, 2, 3, 3, 4]
