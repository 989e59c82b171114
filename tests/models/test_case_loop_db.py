"""The closed loop on a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from models.enums import Card, CaseStatus, CloseType, Level, UserRole
from models.lifecycle import Action, IllegalTransition, MissingInput, NotPermitted, OutOfScope, Params
from models.lifecycle import VersionConflict
from models.lifecycle.service import CaseService
from models.schema import AuditLog, ChangeFeed, DispatchRule, FlowLog
from tests.factories import dept_id, grid_centre, identity, make_db, town_id

MON = dt.datetime(2026, 11, 23, 9, 0)  # a Monday, no holiday


class Clock:
    def __init__(self, t: dt.datetime) -> None:
        self.t = t

    def __call__(self) -> dt.datetime:
        return self.t

    def advance(self, **kw) -> dt.datetime:
        self.t += dt.timedelta(**kw)
        return self.t


@pytest.fixture
def engine(db_url):
    e = make_db(db_url)
    yield e
    e.dispose()


def svc(session, role, clock, town=None, dept=None):
    return CaseService(session, identity(role, town, dept), clock=clock)


def test_full_loop_writes_flow_audit_and_feed(engine):
    clock = Clock(MON)
    with Session(engine) as s:
        lon, lat = grid_centre(0)
        case = svc(s, UserRole.DUTY_OFFICER, clock).report(minor_code="1102", lon=lon, lat=lat,
                                                           description="暴露垃圾")
        s.commit()
        assert case.status is CaseStatus.REPORTED and case.grid.code == "331004001001001"
        assert case.accept_deadline == dt.datetime(2026, 11, 24, 9, 0)  # 1 working day
        cid = case.id
        steps = [
            (UserRole.DUTY_OFFICER, Action.FILE, Params()),
            (UserRole.DISPATCHER, Action.DISPATCH, Params(department_id=dept_id(s), level=Level.VILLAGE)),
            (UserRole.DEPARTMENT, Action.FEEDBACK, Params()),
            (UserRole.GRID_WORKER, Action.CHECK, Params()),
            (UserRole.SHIFT_LEADER, Action.CLOSE, Params()),
        ]
        for role, action, params in steps:
            clock.advance(minutes=10)
            case = svc(s, role, clock, dept=dept_id(s)).act(cid, case.version, action, params)
            s.commit()
        assert case.status is CaseStatus.CLOSED
        assert case.closed_level is Level.VILLAGE and case.close_type is CloseType.NORMAL
        # 暴露垃圾 = 4 working hours from dispatch at 09:20: 2 h 40 before noon, 1 h 20 after 13:30
        assert case.handle_deadline == dt.datetime(2026, 11, 23, 14, 50)
        assert case.reported_at < case.filed_at < case.dispatched_at < case.handled_at < case.checked_at \
            < case.closed_at
        flow = s.scalars(sa.select(FlowLog).where(FlowLog.case_id == cid).order_by(FlowLog.id)).all()
        assert [f.action for f in flow] == ["report", "file", "dispatch", "feedback", "check", "close"]
        assert flow[-1].to_status == "closed" and flow[2].department_id == dept_id(s)
        audits = s.scalars(sa.select(AuditLog).where(AuditLog.entity == "case_",
                                                     AuditLog.entity_id == str(cid))).all()
        assert len(audits) == 6
        assert json.loads(audits[-1].changes)["status"] == ["checked", "closed"]
        assert s.scalar(sa.select(sa.func.count()).select_from(ChangeFeed).where(ChangeFeed.entity_id == cid)) == 6


def test_stale_version_is_a_conflict_and_writes_nothing(engine):
    clock = Clock(MON)
    with Session(engine) as s:
        case = svc(s, UserRole.DUTY_OFFICER, clock).report(minor_code="1102", lon=grid_centre(0)[0],
                                                           lat=grid_centre(0)[1])
        s.commit()
        cid, v = case.id, case.version
    with Session(engine) as a, Session(engine) as b:
        svc(a, UserRole.DUTY_OFFICER, clock).act(cid, v, Action.FILE)
        a.commit()
        with pytest.raises(VersionConflict) as err:
            svc(b, UserRole.DUTY_OFFICER, clock).act(cid, v, Action.VOID, Params(reason="重复"))
        assert err.value.changes[-1]["action"] == "file"
        b.rollback()
    with Session(engine) as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(FlowLog).where(FlowLog.case_id == cid)) == 2


def test_guards_state_role_scope_and_inputs(engine):
    clock = Clock(MON)
    with Session(engine) as s:
        t1, t2 = town_id(s, 1), town_id(s, 2)
        case = svc(s, UserRole.DUTY_OFFICER, clock).report(minor_code="1102", lon=grid_centre(0)[0],
                                                           lat=grid_centre(0)[1])
        s.flush()
        with pytest.raises(IllegalTransition, match="reported"):
            svc(s, UserRole.SHIFT_LEADER, clock).act(case.id, case.version, Action.CLOSE)
        with pytest.raises(NotPermitted):
            svc(s, UserRole.FINANCE, clock).act(case.id, case.version, Action.FILE)
        with pytest.raises(MissingInput, match="reason"):
            svc(s, UserRole.DUTY_OFFICER, clock).act(case.id, case.version, Action.VOID, Params(reason="  "))
        with pytest.raises(OutOfScope):
            svc(s, UserRole.TOWN_OFFICER, clock, town=t2).get(case.id)
        svc(s, UserRole.TOWN_OFFICER, clock, town=t1).act(case.id, case.version, Action.VERIFY)
        svc(s, UserRole.DUTY_OFFICER, clock).act(case.id, case.version, Action.FILE)
        with pytest.raises(MissingInput, match="department"):
            svc(s, UserRole.DISPATCHER, clock).act(case.id, case.version, Action.DISPATCH)


def test_auto_dispatch_and_supervision_cards(engine):
    clock = Clock(MON)
    with Session(engine) as s:
        s.add(DispatchRule(minor_class_code="1102", town_id=None, department_id=dept_id(s, "D02"),
                           level=Level.TOWN))
        s.add(DispatchRule(minor_class_code="1102", town_id=town_id(s, 1), department_id=dept_id(s, "D01"),
                           level=Level.VILLAGE))
        s.flush()
        case = svc(s, UserRole.DUTY_OFFICER, clock).report(minor_code="1102", lon=grid_centre(0)[0],
                                                           lat=grid_centre(0)[1])
        svc(s, UserRole.DUTY_OFFICER, clock).act(case.id, case.version, Action.FILE)
        assert case.status is CaseStatus.DISPATCHED and case.auto_dispatched
        assert case.department_id == dept_id(s, "D01") and case.level is Level.VILLAGE  # town rule wins
        # 4 working hours: deadline 13:30+... ; just after it the rule gives a yellow card
        clock.t = case.handle_deadline + dt.timedelta(minutes=1)
        assert svc(s, UserRole.SHIFT_LEADER, clock).supervise() == 1
        assert case.card is Card.YELLOW and case.card_points == 5
        assert svc(s, UserRole.SHIFT_LEADER, clock).supervise() == 0  # nothing new
        clock.t = dt.datetime(2026, 11, 25, 9, 0)  # far past 2× the limit
        assert svc(s, UserRole.SHIFT_LEADER, clock).supervise() == 1
        assert case.card is Card.RED and case.card_points == 15
        with pytest.raises(IllegalTransition, match="escalate|red"):
            svc(s, UserRole.SHIFT_LEADER, clock).act(case.id, case.version, Action.CARD,
                                                     Params(card=Card.YELLOW, reason="x"))


def test_self_handled_report_is_closed_at_grid_level(engine):
    clock = Clock(MON)
    with Session(engine) as s:
        case = svc(s, UserRole.GRID_WORKER, clock).report(minor_code="1201", lon=grid_centre(3)[0],
                                                          lat=grid_centre(3)[1], self_handled=True)
        assert case.status is CaseStatus.CLOSED and case.closed_level is Level.GRID
        assert case.close_type is CloseType.SELF_HANDLED and case.self_handled
        assert case.town_id == town_id(s, 2)
        with pytest.raises(NotPermitted):
            svc(s, UserRole.DUTY_OFFICER, clock).report(minor_code="1201", lon=grid_centre(3)[0],
                                                        lat=grid_centre(3)[1], self_handled=True)


def test_scoped_lookup_does_not_reveal_whether_a_case_exists(engine):
    clock = Clock(MON)
    with Session(engine) as s:
        other = svc(s, UserRole.DUTY_OFFICER, clock).report(minor_code="1102", lon=grid_centre(3)[0],
                                                            lat=grid_centre(3)[1])
        s.flush()
        town_svc = svc(s, UserRole.TOWN_OFFICER, clock, town=town_id(s, 1))
        with pytest.raises(OutOfScope) as elsewhere:
            town_svc.get(code=other.code)
        with pytest.raises(OutOfScope) as nowhere:
            town_svc.get(code="AJ2099010100001")
        assert str(elsewhere.value).replace(other.code, "X") == str(nowhere.value).replace("AJ2099010100001", "X")


def test_town_officer_cannot_export_another_towns_ledger(engine):
    from models.assessment.store import AssessmentError, ledger_rows

    with Session(engine) as s:
        me = identity(UserRole.TOWN_OFFICER, town_id(s, 1))
        with pytest.raises(AssessmentError):
            ledger_rows(s, me, dt.date(2026, 1, 1), dt.date(2027, 1, 1), "331004002")
        total, rows = ledger_rows(s, me, dt.date(2026, 1, 1), dt.date(2027, 1, 1), "331004001")
        assert total == len(list(rows))
