"""Properties of the case engine (hypothesis).

1. No sequence of actions — by any role, with any inputs, at any pace across
   weekends, holidays and make-up days — leaves a case inconsistent: the loop's
   timestamps stay in order, the flow log agrees with the status, closed and
   open cases carry what they must, and a refused action changes nothing.
2. No lost update: two sessions that read the same version both act; exactly one
   wins, the other gets VersionConflict, and the flow log holds only the
   winner's row (SQLite and PostgreSQL; on PostgreSQL also from two threads).
"""

from __future__ import annotations

import copy
import datetime as dt
import threading

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from models.auth import Identity
from models.defaults.cn_holidays import default_calendar_rows
from models.enums import Card, CaseSource, CaseStatus as S, CloseType, Level, Step, TimeUnit
from models.enums import UserRole as R
from models.lifecycle import (RULES, Action, CaseError, Ctx, Params, VersionConflict, apply, available_actions,
                              open_case)
from models.lifecycle.actions import OPEN_WORK
from models.lifecycle.limits import ClassRule
from models.lifecycle.record import new_record
from models.lifecycle.service import CaseService
from models.policy import Policy
from models.schema import AuditLog, Case, FlowLog
from models.workcalendar import WorkCalendar
from tests.factories import dept_id, grid_centre, identity, make_db, town_id

CAL = WorkCalendar.from_rows([r for y in (2025, 2026, 2027) for r in default_calendar_rows(y)])
POLICY = Policy()
T1, T2, D1, D2 = 1, 2, 11, 12
CLASS_RULES = [
    ClassRule(1, "1102", 4, TimeUnit.WORK_HOURS, D1, Level.VILLAGE),
    ClassRule(2, "0101", 2, TimeUnit.URGENT_HOURS, D2, Level.TOWN),
    ClassRule(3, "1101", 20, TimeUnit.WORK_DAYS, D1, Level.TOWN),
    ClassRule(4, "2301", 1.5, TimeUnit.CALENDAR_DAYS, D2, Level.GRID),
]
IDENTITIES = [Identity(None, r.value, r.value, r) for r in R if r not in (R.TOWN_OFFICER, R.DEPARTMENT)] + [
    Identity(None, "town1", "镇1", R.TOWN_OFFICER, T1), Identity(None, "town2", "镇2", R.TOWN_OFFICER, T2),
    Identity(None, "dept1", "部门1", R.DEPARTMENT, None, D1), Identity(None, "dept2", "部门2", R.DEPARTMENT, None, D2)]
ORDER = ("reported_at", "filed_at", "first_dispatched_at", "dispatched_at", "handled_at", "checked_at", "closed_at")
STEP_OF = {S.REPORTED: Step.ACCEPT, S.VERIFIED: Step.ACCEPT, S.FILED: Step.DISPATCH, S.DISPATCHED: Step.HANDLE,
           S.HANDLED: Step.CHECK, S.CHECKED: Step.CLOSE}
POINTS = {Card.NORMAL: 0.0, Card.YELLOW: 5.0, Card.RED: 10.0}

params_st = st.builds(
    Params,
    reason=st.sampled_from(["", "  ", "现场核实", "非本单位职责"]),
    department_id=st.sampled_from([None, D1, D1, D2]),
    level=st.sampled_from([None, None, *Level]),
    card=st.sampled_from([None, *Card]),
    extension=st.sampled_from([None, 0, 0.5, 2.0]),
    close_type=st.sampled_from([None, None, CloseType.ERROR, CloseType.SPECIAL]),
    duplicate_of_id=st.sampled_from([None, 7, 100]),
    accept=st.sampled_from([None, True, False]),
    auto=st.booleans(),
)
pace_st = st.one_of(st.integers(0, 90), st.integers(0, 600), st.integers(0, 60 * 24 * 12))  # minutes


def _effective(rec) -> S:
    return rec.status_before_suspend if rec.status is S.SUSPENDED else rec.status


def check_invariants(rec, flow) -> None:
    # the loop's timestamps in order (a rework starts a new round: later steps are cleared, not left behind)
    times = [getattr(rec, k) for k in ORDER]
    present = [t for t in times if t is not None]
    assert present == sorted(present), dict(zip(ORDER, times))
    if rec.verified_at is not None:
        assert rec.reported_at <= rec.verified_at <= (rec.filed_at or rec.voided_at or rec.verified_at)
    if rec.voided_at is not None:
        assert rec.reported_at <= rec.voided_at and rec.filed_at is None
    assert all(t <= rec.updated_at for t in present)
    # the flow log agrees with the status
    assert flow[0].action == "report" and flow[0].from_status is None
    assert rec.status.value == flow[-1].to_status
    for a, b in zip(flow, flow[1:]):
        assert b.from_status == a.to_status and b.at >= a.at
    assert rec.rework_count == sum(f.action == "rework" for f in flow)
    assert rec.return_count == sum(f.action == "return" for f in flow)
    assert rec.extension_count == sum(f.action == "extend" for f in flow)
    eff = _effective(rec)
    # what a status implies
    if rec.status is S.CLOSED:
        assert rec.closed_at and rec.closed_level and rec.close_type and rec.step is None
        assert rec.filed_at and rec.handled_at and rec.checked_at
        if rec.close_type is CloseType.OVERDUE:
            assert rec.closed_at > rec.close_deadline
        if rec.close_type is CloseType.NORMAL:
            assert rec.closed_at <= rec.close_deadline
    else:
        assert rec.closed_at is None and rec.closed_level is None and rec.close_type is None
    if rec.status is S.VOIDED:
        assert rec.voided_at and rec.step is None and rec.step_deadline is None
    if rec.status is S.SUSPENDED:
        assert rec.suspended_at is not None and rec.status_before_suspend in OPEN_WORK
    else:
        assert rec.suspended_at is None and rec.status_before_suspend is None
    if rec.status.is_open and rec.status is not S.SUSPENDED:
        assert rec.step is STEP_OF[rec.status]
        assert rec.step_yellow_at <= rec.step_deadline
        if rec.step is not Step.CLOSE:  # the closing step runs against the case's deadline, maybe already past
            assert rec.step_started_at <= rec.step_yellow_at
        own = rec.close_deadline if rec.step is Step.CLOSE else getattr(rec, f"{rec.step.value}_deadline")
        assert rec.step_deadline == own
    if eff in OPEN_WORK or eff is S.CLOSED:
        assert rec.filed_at is not None and rec.close_deadline is not None and rec.close_deadline >= rec.filed_at
    else:
        assert rec.filed_at is None
    # the record shows the current round
    assert (rec.handled_at is not None) == (eff in (S.HANDLED, S.CHECKED, S.CLOSED))
    assert (rec.checked_at is not None) == (eff in (S.CHECKED, S.CLOSED))
    if eff in (S.DISPATCHED, S.HANDLED, S.CHECKED):
        assert rec.department_id is not None and rec.dispatched_at is not None
    if eff is S.FILED:
        assert rec.department_id is None
    # on-time flags say what the timestamps and deadlines say
    if rec.verified_at is not None:
        assert rec.verify_on_time == (rec.verified_at <= rec.verify_deadline)
    if rec.filed_at is not None and not rec.self_handled:
        assert rec.accept_on_time == (rec.filed_at <= rec.accept_deadline)
    if eff in (S.DISPATCHED, S.HANDLED, S.CHECKED, S.CLOSED) and not rec.self_handled:
        assert rec.dispatch_on_time == (rec.dispatched_at <= rec.dispatch_deadline)
    if rec.handled_at is not None and not rec.self_handled:
        assert rec.handle_on_time == (rec.handled_at <= rec.handle_deadline)
    if rec.checked_at is not None and not rec.self_handled:
        assert rec.check_on_time == (rec.checked_at <= rec.check_deadline)
    # cards: escalate only, points are the sum of the cards since the last revocation
    points, card = 0.0, Card.NONE
    for f in flow:
        if f.action == "card":
            new = Card(f.detail.split('"card": "')[1].split('"')[0])
            assert new.rank > card.rank
            card, points = new, points + POINTS[new]
        if f.action == "decide_appeal" and '"revoked_card"' in (f.detail or ""):
            card, points = Card.NONE, 0.0
    assert (rec.card, rec.card_points) == (card, points)
    # the level climbs one step per escalation
    for f, prev in zip(flow[1:], flow):
        if f.action == "escalate":
            assert Level(f.level).rank == Level(prev.level).rank + 1


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_no_sequence_of_actions_leaves_a_case_inconsistent(data):
    rule = data.draw(st.sampled_from(CLASS_RULES), label="rule")
    start = data.draw(st.datetimes(dt.datetime(2025, 1, 1), dt.datetime(2026, 12, 20)), label="reported_at")
    start = start.replace(second=0, microsecond=0)
    self_handled = data.draw(st.sampled_from([False, False, False, True]), label="self_handled")
    reporter = data.draw(st.sampled_from([i for i in IDENTITIES if i.role in (R.GRID_WORKER, R.TOWN_OFFICER)]
                                         if self_handled else IDENTITIES[:3]), label="reporter")
    rec = new_record(id=100, code="P1", minor_class_id=rule.minor_class_id, source=CaseSource.HOTLINE, lon=121.3,
                     lat=28.5, grid_id=1, village_id=1, town_id=T1, status=S.REPORTED, reported_at=start,
                     updated_at=start)
    try:
        flow = open_case(rec, Ctx(reporter, start, CAL, POLICY, rule), self_handled=self_handled)
    except CaseError:
        return
    check_invariants(rec, flow)
    t = start
    for _ in range(data.draw(st.integers(1, 30), label="steps")):
        t += dt.timedelta(minutes=data.draw(pace_st))
        options = [(a, who) for who in IDENTITIES for a in available_actions(rec, who)]
        if options and data.draw(st.integers(0, 9)) < 8:
            action, actor = data.draw(st.sampled_from(options))
        else:
            action = data.draw(st.sampled_from(list(RULES)))
            actor = data.draw(st.sampled_from(IDENTITIES))
        params = data.draw(params_st)
        before = copy.deepcopy(vars(rec))
        try:
            entry = apply(rec, action, Ctx(actor, t, CAL, POLICY, rule), params)
        except CaseError:
            assert vars(rec) == before, f"refused {action} changed the record"
            continue
        flow.append(entry)
        check_invariants(rec, flow)


@settings(max_examples=200, deadline=None)
@given(st.datetimes(dt.datetime(2025, 1, 1), dt.datetime(2027, 11, 30)), st.sampled_from(CLASS_RULES),
       st.integers(1, 60 * 24 * 30), st.integers(1, 60 * 24 * 30))
def test_resume_moves_a_pending_deadline_by_the_paused_time_exactly(start, rule, before_min, pause_min):
    """After suspend/resume the handle timer has used, excluding the pause, exactly what it had used before."""
    start = start.replace(second=0, microsecond=0)
    rec = new_record(id=1, code="P", town_id=T1, status=S.REPORTED, reported_at=start, updated_at=start)
    leader = IDENTITIES[1]
    assert leader.role is R.SHIFT_LEADER
    open_case(rec, Ctx(leader, start, CAL, POLICY, rule))
    apply(rec, Action.FILE, Ctx(leader, start, CAL, POLICY, rule))
    apply(rec, Action.DISPATCH, Ctx(leader, start, CAL, POLICY, rule), Params(department_id=D1))
    deadline = rec.handle_deadline
    a = start + dt.timedelta(minutes=before_min)
    b = a + dt.timedelta(minutes=pause_min)
    apply(rec, Action.SUSPEND, Ctx(leader, a, CAL, POLICY, rule), Params(reason="挂账"))
    apply(rec, Action.RESUME, Ctx(leader, b, CAL, POLICY, rule), Params(reason="恢复"))
    if deadline <= a:
        assert rec.handle_deadline == deadline
    else:
        assert rec.handle_deadline == CAL.shift_for_pause(deadline, a, b, rule.time_unit)
        unit = rule.time_unit
        used = CAL.elapsed_excluding(start, rec.handle_deadline, unit, [(a, b)])
        assert abs(used - CAL.quantize(rule.time_limit, unit)) < 1e-6


# --- lost updates on a real database ----------------------------------------------

MON = dt.datetime(2026, 11, 23, 9, 0)
PG_ONLY = {"postgresql"}


@pytest.fixture
def engine(db_url):
    e = make_db(db_url)
    yield e
    e.dispose()


class _Clock:
    def __init__(self, t):
        self.t = t

    def __call__(self):
        self.t += dt.timedelta(minutes=1)
        return self.t


def _ids(s):
    return dict(t1=town_id(s, 1), d1=dept_id(s, "D01"), d2=dept_id(s, "D02"))


def _actors(ids):
    return [identity(R.DUTY_OFFICER), identity(R.SHIFT_LEADER), identity(R.DISPATCHER), identity(R.GRID_WORKER),
            identity(R.TOWN_OFFICER, ids["t1"]), identity(R.DEPARTMENT, dept=ids["d1"])]


def _params(action, ids, other_case):
    return Params(reason="并发测试", department_id=ids["d1"], card=Card.YELLOW, extension=1.0,
                  duplicate_of_id=other_case, accept=True)


def _case_in_state(engine, state, clock):
    """A committed case in `state` (dispatched to D01); returns (id, version)."""
    with Session(engine) as s:
        ids = _ids(s)
        lon, lat = grid_centre(0)
        case = CaseService(s, identity(R.DUTY_OFFICER), clock=clock).report(minor_code="1102", lon=lon, lat=lat)
        path = {S.REPORTED: [], S.FILED: [(R.DUTY_OFFICER, Action.FILE)]}
        path[S.DISPATCHED] = path[S.FILED] + [(R.DISPATCHER, Action.DISPATCH)]
        path[S.HANDLED] = path[S.DISPATCHED] + [(R.DEPARTMENT, Action.FEEDBACK)]
        path[S.CHECKED] = path[S.HANDLED] + [(R.GRID_WORKER, Action.CHECK)]
        for role, action in path[state]:
            svc = CaseService(s, identity(role, dept=ids["d1"]), clock=clock)
            svc.act(case.id, case.version, action, Params(department_id=ids["d1"]))
        s.commit()
        assert case.status is state
        return case.id, case.version


def _legal_pairs(engine, cid, ids):
    with Session(engine) as s:
        case = s.get(Case, cid)
        return [(a, who) for who in _actors(ids) for a in available_actions(case, who)]


def _flow_rows(engine, cid):
    with Session(engine) as s:
        return s.execute(sa.select(FlowLog.action, FlowLog.actor).where(FlowLog.case_id == cid)
                         .order_by(FlowLog.id)).all()


def _case_audits(engine, cid):
    with Session(engine) as s:
        return s.scalar(sa.select(sa.func.count()).select_from(AuditLog).where(
            AuditLog.entity == "case_", AuditLog.entity_id == str(cid)))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_two_sessions_on_one_version_exactly_one_wins(engine, data):
    clock = _Clock(MON)
    state = data.draw(st.sampled_from([S.REPORTED, S.FILED, S.DISPATCHED, S.HANDLED, S.CHECKED]), label="state")
    cid, version = _case_in_state(engine, state, clock)
    with Session(engine) as s:
        ids = _ids(s)
    other, _ = _case_in_state(engine, S.REPORTED, clock)
    pairs = _legal_pairs(engine, cid, ids)
    (a_action, a_who) = data.draw(st.sampled_from(pairs), label="winner")
    (b_action, b_who) = data.draw(st.sampled_from(pairs), label="loser")
    late_read = data.draw(st.booleans(), label="loser reads after the winner commits")
    flow_before, audits_before = _flow_rows(engine, cid), _case_audits(engine, cid)
    with Session(engine) as a, Session(engine) as b:
        sa_, sb = CaseService(a, a_who, clock=clock), CaseService(b, b_who, clock=clock)
        assert sa_.get(cid).version == version
        if not late_read:
            assert sb.get(cid).version == version  # both hold the same version in memory
        sa_.act(cid, version, a_action, _params(a_action, ids, other))
        a.commit()
        with pytest.raises(VersionConflict) as err:
            sb.act(cid, version, b_action, _params(b_action, ids, other))
        b.rollback()
        assert err.value.expected == version and err.value.actual > version
        assert err.value.changes and err.value.changes[-1]["action"] == a_action.value
    flow_after = _flow_rows(engine, cid)
    assert flow_after[:len(flow_before)] == flow_before
    assert [f.action for f in flow_after[len(flow_before):]] == [a_action.value]
    assert flow_after[-1].actor == a_who.username
    assert _case_audits(engine, cid) == audits_before + 1
    with Session(engine) as s:
        case = s.get(Case, cid)
        assert case.version == version + 1 and case.status.value == s.scalar(
            sa.select(FlowLog.to_status).where(FlowLog.case_id == cid).order_by(FlowLog.id.desc()).limit(1))


@pytest.mark.parametrize("round_", range(8))
def test_two_threads_on_one_version_exactly_one_wins(engine, round_):
    if engine.dialect.name not in PG_ONLY:
        pytest.skip("real concurrent writers: PostgreSQL (SQLite serialises writers in one file)")
    clock = _Clock(MON + dt.timedelta(hours=round_))
    lock = threading.Lock()
    state = [S.REPORTED, S.FILED, S.DISPATCHED, S.HANDLED][round_ % 4]
    cid, version = _case_in_state(engine, state, clock)
    with Session(engine) as s:
        ids = _ids(s)
    other, _ = _case_in_state(engine, S.REPORTED, clock)
    pairs = _legal_pairs(engine, cid, ids)
    chosen = [pairs[(round_ * 3) % len(pairs)], pairs[(round_ * 5 + 1) % len(pairs)]]
    barrier = threading.Barrier(2, timeout=30)
    results: list = [None, None]
    flow_before = _flow_rows(engine, cid)

    def tick():
        with lock:
            return clock()

    def worker(i):
        action, who = chosen[i]
        with Session(engine) as s:
            svc = CaseService(s, who, clock=tick)
            svc.get(cid)
            barrier.wait()
            try:
                svc.act(cid, version, action, _params(action, ids, other))
                s.commit()
                results[i] = ("won", action.value, who.username)
            except VersionConflict as exc:
                s.rollback()
                results[i] = ("conflict", exc)
            except Exception as exc:  # noqa: BLE001 - reported below
                s.rollback()
                results[i] = ("error", repr(exc))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert not any(th.is_alive() for th in threads)
    kinds = sorted(r[0] for r in results)
    assert kinds == ["conflict", "won"], results
    winner = next(r for r in results if r[0] == "won")
    flow_after = _flow_rows(engine, cid)
    assert flow_after[:len(flow_before)] == flow_before
    assert [(f.action, f.actor) for f in flow_after[len(flow_before):]] == [winner[1:]]
