"""Demo life (issue 4 item 7): the live simulator reports and moves demo cases
through the real service, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import itertools
import random

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from models.db import make_engine
from models.demo.live import CASES_PER_DAY, DEMO_PREFIX, LiveSimulator, hourly_rate
from models.demo.seed import seed_demo
from models.enums import CaseStatus
from models.schema import AuditLog, Case, ChangeFeed, FlowLog
from models.setup import init_database

SEEDED_AT = dt.datetime(2026, 11, 23, 9, 0)  # a Monday morning


@pytest.fixture
def demo_engine(db_url):
    engine = make_engine(db_url)
    init_database(engine)
    seed_demo(engine, seed=11, cases=4000, now=SEEDED_AT, patrol_days=1)
    yield engine
    engine.dispose()


def snapshot(engine) -> dict[int, tuple[str, int]]:
    with Session(engine) as s:
        return {r.id: (r.status.value, r.version) for r in s.execute(sa.select(Case.id, Case.status, Case.version))}


def run_hour(engine, seed: int, start: dt.datetime, step_s: int = 60, speed: float = 1.0) -> list[dict]:
    sim = LiveSimulator(engine, random.Random(seed), speed=speed)
    return [sim.tick(start + dt.timedelta(seconds=step_s * i)) for i in range(3600 // step_s + 1)]


def test_rate_is_luqiaos_and_follows_the_day():
    monday = dt.datetime(2026, 11, 23)
    per_day = sum(hourly_rate(CASES_PER_DAY / 24, monday.replace(hour=h)) for h in range(24))
    assert 125 <= per_day <= 135
    assert hourly_rate(CASES_PER_DAY / 24, monday.replace(hour=10)) > 5 * hourly_rate(CASES_PER_DAY / 24,
                                                                                   monday.replace(hour=3))
    saturday = dt.datetime(2026, 11, 28, 10)
    assert hourly_rate(5, saturday) < hourly_rate(5, monday.replace(hour=10))


def test_an_hour_of_demo_life(demo_engine):
    start = SEEDED_AT + dt.timedelta(minutes=5)
    before = snapshot(demo_engine)
    with Session(demo_engine) as s:
        feed_before = s.scalar(sa.select(sa.func.max(ChangeFeed.id))) or 0
        open_before = {cid for cid, (st, _) in before.items()
                       if st not in ("closed", "voided")}
    ticks = run_hour(demo_engine, seed=5, start=start)
    after = snapshot(demo_engine)
    new = set(after) - set(before)
    # ~11 reports an hour on a weekday morning at Luqiao's rate
    assert 3 <= len(new) <= 30, len(new)
    assert sum(t["reported"] for t in ticks) == len(new)
    # existing open cases moved on (status and version changed), and some new ones too
    moved_old = [cid for cid in open_before if after[cid] != before[cid]]
    print(f"\n{len(new)} new reports, {len(moved_old)} of {len(open_before)} open seeded cases moved on")
    assert len(moved_old) >= 3, (len(open_before), moved_old)
    moved_new = [cid for cid in new if after[cid][0] not in ("reported",)]
    assert moved_new
    assert sum(t.get("file", 0) + t.get("dispatch", 0) + t.get("feedback", 0) + t.get("check", 0)
               + t.get("close", 0) for t in ticks) >= 5
    with Session(demo_engine) as s:
        for cid in new:
            case = s.get(Case, cid)
            assert case.is_demo and case.description.startswith(DEMO_PREFIX)
            assert start <= case.reported_at <= start + dt.timedelta(hours=1)
        # the flow log agrees with every status, for old and new demo cases alike
        touched = new | set(moved_old)
        for cid in touched:
            case = s.get(Case, cid)
            last = s.scalars(sa.select(FlowLog).where(FlowLog.case_id == cid)
                             .order_by(FlowLog.id.desc()).limit(1)).one()
            assert last.to_status == case.status.value, (case.code, last.action)
            flow = s.scalars(sa.select(FlowLog).where(FlowLog.case_id == cid).order_by(FlowLog.id)).all()
            assert all(a.to_status == b.from_status for a, b in itertools.pairwise(flow) if b.action != "card")
        # real audit rows by the demo seats, and change-feed rows the other seats poll
        actors = set(s.scalars(sa.select(AuditLog.actor).where(AuditLog.entity == "case_",
                                                               AuditLog.at >= start)))
        flow_actors = set(s.scalars(sa.select(FlowLog.actor).where(FlowLog.at >= start)))
        assert "demo-duty" in actors and len(actors) >= 2, actors
        assert actors <= flow_actors | {"demo-live"} and len(flow_actors) >= 3, (actors, flow_actors)
        fed = set(s.scalars(sa.select(ChangeFeed.entity_id).where(ChangeFeed.id > feed_before)))
        assert new <= fed and set(moved_old) <= fed
        # only demo cases are moved by the simulator
        nondemo_changed = s.scalar(sa.select(sa.func.count()).select_from(FlowLog).join(Case)
                                   .where(Case.is_demo.is_(False), FlowLog.at >= start))
        assert nondemo_changed == 0
    # the changed ids each tick reports are exactly the cases it wrote
    reported_ids = set().union(*(set(t["case_ids"]) for t in ticks))
    assert new <= reported_ids


def test_deterministic_for_a_seed(tmp_path):
    def run(name: str) -> list[tuple]:
        engine = make_engine(f"sqlite:///{tmp_path / name}")
        init_database(engine)
        seed_demo(engine, seed=3, cases=400, now=SEEDED_AT, patrol_days=1)
        ticks = run_hour(engine, seed=9, start=SEEDED_AT + dt.timedelta(minutes=1), step_s=120, speed=4)
        with Session(engine) as s:
            flow = s.execute(sa.select(FlowLog.case_id, FlowLog.at, FlowLog.action, FlowLog.actor, FlowLog.to_status)
                             .where(FlowLog.at > SEEDED_AT).order_by(FlowLog.id)).all()
        engine.dispose()
        return [tuple(sorted((k, str(v)) for k, v in t.items())) for t in ticks] + [tuple(r) for r in flow]

    a, b = run("a.sqlite"), run("b.sqlite")
    assert a == b
    assert len(a) > 40  # ticks plus a real amount of flow


def test_speed_multiplies_the_pace(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'fast.sqlite'}")
    init_database(engine)
    seed_demo(engine, seed=3, cases=200, now=SEEDED_AT, patrol_days=1)
    sim = LiveSimulator(engine, random.Random(1), speed=30)
    start = SEEDED_AT + dt.timedelta(minutes=1)
    ticks = [sim.tick(start + dt.timedelta(seconds=10 * i)) for i in range(61)]  # 10 real minutes
    reported = sum(t["reported"] for t in ticks)
    assert reported >= 20  # ~5 hours of a weekday morning's reports
    closed = sum(t.get("close", 0) + t["self_handled"] for t in ticks)
    assert closed >= 3
    with Session(engine) as s:
        statuses = set(s.scalars(sa.select(Case.status).where(Case.reported_at >= start)))
    assert CaseStatus.CLOSED in statuses and len(statuses) >= 3
    engine.dispose()


def test_a_case_changed_by_another_seat_is_replanned_not_overwritten(tmp_path):
    from models.auth import Identity
    from models.enums import UserRole
    from models.lifecycle import Action, Params
    from models.lifecycle.service import CaseService

    engine = make_engine(f"sqlite:///{tmp_path / 'seat.sqlite'}")
    init_database(engine)
    seed_demo(engine, seed=3, cases=200, now=SEEDED_AT, patrol_days=1)
    sim = LiveSimulator(engine, random.Random(2), speed=50)
    t = SEEDED_AT + dt.timedelta(minutes=1)
    sim.tick(t)
    for i in range(1, 20):  # until a report is waiting for intake
        sim.tick(t + dt.timedelta(seconds=5 * i))
        with Session(engine) as s:
            waiting = s.scalars(sa.select(Case).where(Case.is_demo.is_(True), Case.status == CaseStatus.REPORTED,
                                                      Case.reported_at >= t)).first()
        if waiting is not None:
            break
    assert waiting is not None
    leader = Identity(None, "leader", "值班长", UserRole.SHIFT_LEADER)
    with Session(engine) as s:  # a human seat voids it first
        CaseService(s, leader, clock=lambda: t + dt.timedelta(minutes=2)).act(
            waiting.id, waiting.version, Action.VOID, Params(reason="重复上报"))
        s.commit()
    for i in range(40):
        sim.tick(t + dt.timedelta(minutes=3, seconds=10 * i))
    with Session(engine) as s:
        case = s.get(Case, waiting.id)
        assert case.status is CaseStatus.VOIDED
        flow = s.scalars(sa.select(FlowLog.action).where(FlowLog.case_id == case.id).order_by(FlowLog.id)).all()
        assert flow[-1] == "void"
    engine.dispose()
