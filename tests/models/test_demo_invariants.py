"""Issue 2: the demo district's invariants, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import shapely
import sqlalchemy as sa
from shapely.geometry import shape
from sqlalchemy.orm import Session

from models.db import make_engine
from models.demo.seed import DemoSeedError, seed_demo
from models.enums import CaseStatus, Level, StaffRole
from models.geo.codes import parse_grid_code
from models.geo.validate import validate_grids
from models.schema import Case, District, FlowLog, Grid, Patrol, Staff, TrackPoint, User, WorkerMetrics
from models.setup import init_database

NOW = dt.datetime(2026, 11, 20, 16, 0)
ORDER = ["reported_at", "verified_at", "filed_at", "first_dispatched_at", "dispatched_at", "handled_at",
         "checked_at", "closed_at"]


@pytest.fixture(scope="module")
def seeded(request, tmp_path_factory):
    cache = {}

    def get(url):
        if url not in cache:
            engine = make_engine(url)
            init_database(engine)
            report = seed_demo(engine, seed=7, cases=4000, now=NOW, patrol_days=21)
            cache[url] = (engine, report)
        return cache[url]

    return get


@pytest.fixture
def demo(seeded, db_url):
    engine, report = seeded(db_url)
    return engine, report


def test_grids_codes_and_geometry(demo):
    engine, report = demo
    with Session(engine) as s:
        grids = s.scalars(sa.select(Grid)).all()
        assert 600 <= len(grids) <= 640
        codes = [g.code for g in grids]
        assert len(set(codes)) == len(codes)
        for g in grids:
            parsed = parse_grid_code(g.code)
            assert parsed.code == g.code and parsed.district_code == "331004"
        fc = {"type": "FeatureCollection", "features": [
            {"type": "Feature", "geometry": json.loads(g.geometry),
             "properties": {"code": g.code, "name": g.name, "town": g.town.name, "village": g.village.name,
                            "households": g.households}} for g in grids]}
        result = validate_grids(fc)
        assert result.ok and not result.problems, result.problems[:5]
        assert len(result.records) == len(grids)
        district = s.scalar(sa.select(District))
        assert "演示" in district.name and district.is_demo


def test_every_case_inside_its_grid_and_loop_order(demo):
    engine, report = demo
    with Session(engine) as s:
        polys = {g.id: shape(json.loads(g.geometry)) for g in s.scalars(sa.select(Grid))}
        cases = s.scalars(sa.select(Case)).all()
        assert len(cases) == report.cases > 3500
        for c in cases:
            assert polys[c.grid_id].covers(shapely.Point(c.lon, c.lat)), c.code
            times = [getattr(c, k) for k in ORDER]
            present = [t for t in times if t is not None]
            assert present == sorted(present), (c.code, times)
            assert all(t <= NOW for t in present)
            assert c.is_demo and "演示" in c.description


def test_flow_log_agrees_with_status(demo):
    engine, _ = demo
    with Session(engine) as s:
        flows: dict[int, list[FlowLog]] = {}
        for f in s.scalars(sa.select(FlowLog).order_by(FlowLog.id)):
            flows.setdefault(f.case_id, []).append(f)
        for c in s.scalars(sa.select(Case)):
            chain = flows[c.id]
            assert chain[0].action == "report" and chain[0].from_status is None
            assert chain[-1].to_status == c.status.value, c.code
            for a, b in zip(chain, chain[1:]):
                assert b.from_status == a.to_status and b.at >= a.at, c.code
            if c.status is CaseStatus.CLOSED:
                assert c.closed_level is not None and c.close_type is not None
            if c.status.is_open and c.status is not CaseStatus.SUSPENDED:
                assert c.step_deadline is not None


def test_shares_follow_the_domain(demo):
    engine, _ = demo
    with Session(engine) as s:
        closed = s.scalars(sa.select(Case).where(Case.status == CaseStatus.CLOSED)).all()
        grassroots = sum(c.closed_level in (Level.GRID, Level.VILLAGE) for c in closed) / len(closed)
        overdue = sum(c.closed_at > c.close_deadline for c in closed) / len(closed)
        reworked = sum(c.rework_count > 0 for c in closed) / len(closed)
        self_handled = sum(c.self_handled for c in closed) / len(closed)
        assert grassroots > 0.95
        assert 0.03 <= overdue <= 0.12
        assert 0.01 <= reworked <= 0.06
        assert 0.15 <= self_handled <= 0.35
        assert s.scalar(sa.select(sa.func.count()).where(Case.status.in_([CaseStatus.DISPATCHED, CaseStatus.FILED,
                                                                          CaseStatus.HANDLED]))) > 0


def test_people_patrols_metrics_users(demo):
    engine, report = demo
    with Session(engine) as s:
        grids = s.scalar(sa.select(sa.func.count()).select_from(Grid))
        by_role = dict(s.execute(sa.select(Staff.role, sa.func.count()).group_by(Staff.role)).all())
        assert by_role[StaffRole.GUIDE] == by_role[StaffRole.LEADER] == by_role[StaffRole.FULL_TIME] == grids
        assert 8 * grids <= by_role[StaffRole.PART_TIME] <= 12 * grids
        assert s.scalar(sa.select(sa.func.count()).select_from(Patrol)) == report.patrols > 0
        assert s.scalar(sa.select(sa.func.count()).select_from(TrackPoint)) == report.track_points > 0
        assert s.scalar(sa.select(sa.func.count()).select_from(WorkerMetrics)) >= grids
        assert {u.role.value for u in s.scalars(sa.select(User))} >= {
            "duty_officer", "shift_leader", "dispatcher", "town_officer", "finance", "admin"}


def test_seed_is_deterministic_and_refuses_a_second_district(demo, tmp_path):
    engine, _ = demo
    with pytest.raises(DemoSeedError):
        seed_demo(engine, seed=7, cases=10, now=NOW, patrol_days=1)
    other = make_engine(f"sqlite:///{tmp_path / 'b.sqlite'}")
    init_database(other)
    seed_demo(other, seed=7, cases=4000, now=NOW, patrol_days=21)
    q = sa.select(Case.code, Case.status, Case.lon, Case.closed_at).order_by(Case.code).limit(300)
    with engine.connect() as a, other.connect() as b:
        assert [tuple(r) for r in a.execute(q)] == [tuple(r) for r in b.execute(q)]
