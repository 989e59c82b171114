"""Conference providers in the database and consults in the flow log (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from models.case_view import load_detail
from models.conference import Participant
from models.conference_store import (AdminOnly, InvalidProvider, ProposedParticipant, UnknownProvider,
                                     consult_for_case, consult_for_grid, consult_for_town, default_provider,
                                     get_provider, has_enabled_provider, list_providers, participants_for_case,
                                     record_conference, record_consult, remove_provider, save_provider,
                                     set_default_provider)
from models.enums import CaseStatus, StaffRole, UserRole
from models.lifecycle import Action, NotPermitted, OutOfScope, Params
from models.lifecycle.service import CaseService
from models.schema import AuditLog, Case, ChangeFeed, ConferenceProviderRow, FlowLog, Grid, Staff
from tests.factories import add_user, dept_id, grid_centre, identity, make_db, town_id

ADMIN = identity(UserRole.ADMIN, name="admin1")
DUTY = identity(UserRole.DUTY_OFFICER, name="duty1")
AT = dt.datetime(2026, 11, 23, 9, 0)
URL = {"template": "http://127.0.0.1:9/meet/{room}?u={user}", "open_in": "embedded"}
GRID_A = "331004001001001"  # town 1
GRID_B = "331004001001002"  # town 1, the neighbour


@pytest.fixture
def engine(db_url):
    e = make_db(db_url)
    yield e
    e.dispose()


def audit_rows(s, entity):
    return s.scalars(sa.select(AuditLog).where(AuditLog.entity == entity).order_by(AuditLog.id)).all()


# ------------------------------------------------------------------ providers

def test_save_validates_and_keeps_one_default(engine):
    with Session(engine) as s:
        assert not has_enabled_provider(s) and default_provider(s) is None
        first = save_provider(s, ADMIN, "jitsi", "url", URL)
        s.commit()
        assert first.is_default and first.config == URL  # the first enabled provider is the default
        second = save_provider(s, ADMIN, "client", "command", {"program": "python3", "args": ["{room}"]})
        s.commit()
        assert not second.is_default and default_provider(s).name == "jitsi"
        save_provider(s, ADMIN, "client", "command", {"program": "python3", "args": ["--room", "{room}"]},
                      make_default=True)
        s.commit()
        assert [(p.name, p.is_default) for p in list_providers(s)] == [("client", True), ("jitsi", False)]
        assert get_provider(s, "client").config["args"] == ["--room", "{room}"]  # replaced, not added
        assert s.scalar(sa.select(sa.func.count()).select_from(ConferenceProviderRow)) == 2
        set_default_provider(s, ADMIN, "jitsi")
        s.commit()
        assert default_provider(s).name == "jitsi"
        assert sum(p.is_default for p in list_providers(s)) == 1
        # every change is in the audit log, by the administrator
        audits = audit_rows(s, "conference_provider")
        assert [a.action.value for a in audits][:2] == ["insert", "update"]  # insert, then made default
        assert {a.actor for a in audits} == {"admin1"}


def test_a_bad_configuration_is_refused_with_its_problems(engine):
    with Session(engine) as s:
        with pytest.raises(InvalidProvider) as bad:
            save_provider(s, ADMIN, "broken", "url", {"template": "http://127.0.0.1:9/{nope}/{room", "colour": 1})
        codes = [p.code for p in bad.value.problems]
        assert "unknown_key" in codes and "unbalanced_braces" in codes
        assert "broken" in str(bad.value)
        with pytest.raises(InvalidProvider) as unknown:
            save_provider(s, ADMIN, "x", "teleport", {})
        assert [p.code for p in unknown.value.problems] == ["unknown_provider"]
        with pytest.raises(InvalidProvider) as shell:
            save_provider(s, ADMIN, "sh", "command", {"program": "/bin/sh", "args": ["-c", "x {room}"]})
        assert [p.code for p in shell.value.problems] == ["program_is_shell"]
        with pytest.raises(InvalidProvider) as noname:
            save_provider(s, ADMIN, "  ", "url", URL)
        assert noname.value.problems == ["name: empty"]
        s.commit()
        assert s.scalar(sa.select(sa.func.count()).select_from(ConferenceProviderRow)) == 0
        assert audit_rows(s, "conference_provider") == []


def test_only_an_administrator_changes_providers(engine):
    with Session(engine) as s:
        save_provider(s, ADMIN, "jitsi", "url", URL)
        s.commit()
        for who in (DUTY, identity(UserRole.SHIFT_LEADER), identity(UserRole.TOWN_OFFICER, town=1)):
            with pytest.raises(AdminOnly):
                save_provider(s, who, "mine", "url", URL)
            with pytest.raises(AdminOnly):
                remove_provider(s, who, "jitsi")
            with pytest.raises(AdminOnly):
                set_default_provider(s, who, "jitsi")
        s.commit()
        assert [p.name for p in list_providers(s)] == ["jitsi"]


def test_remove_and_disabled_providers(engine):
    with Session(engine) as s:
        save_provider(s, ADMIN, "a", "url", URL)
        save_provider(s, ADMIN, "b", "url", {**URL, "open_in": "browser"})
        save_provider(s, ADMIN, "c", "url", URL, enabled=False)
        s.commit()
        assert [p.name for p in list_providers(s, enabled_only=True)] == ["a", "b"]
        with pytest.raises(Exception, match="disabled"):
            set_default_provider(s, ADMIN, "c")
        remove_provider(s, ADMIN, "a")
        s.commit()
        assert default_provider(s).name == "b"  # no row marked default: the first enabled one
        with pytest.raises(UnknownProvider):
            remove_provider(s, ADMIN, "a")
        remove_provider(s, ADMIN, "b")
        s.commit()
        assert not has_enabled_provider(s) and default_provider(s) is None
        assert [a.action.value for a in audit_rows(s, "conference_provider")].count("delete") == 2


# ------------------------------------------------------------------ participants

def add_staff(s, name, role, grid_code, town, phone, left=None, no=[0]):
    no[0] += 1
    s.add(Staff(staff_no=f"T{no[0]:04d}", name=name, role=role, grid_code=grid_code, town_id=town,
                hire_date=dt.date(2020, 1, 1), probation_end=dt.date(2020, 4, 1), phone=phone, left_date=left))


@pytest.fixture
def district(engine):
    return populate(engine)


def populate(engine) -> dict:
    """A grid team in GRID_A, town officers, and a case in GRID_A dispatched to D01."""
    with Session(engine, info={"actor": "test"}) as s:
        t1, t2 = town_id(s, 1), town_id(s, 2)
        add_staff(s, "赵指导", StaffRole.GUIDE, GRID_A, t1, "13900000003")
        add_staff(s, "钱专职", StaffRole.FULL_TIME, GRID_A, t1, "13900000002")
        add_staff(s, "孙网格长", StaffRole.LEADER, GRID_A, t1, "13900000001")
        add_staff(s, "李兼职", StaffRole.PART_TIME, GRID_A, t1, "13900000004")  # not proposed
        add_staff(s, "周离职", StaffRole.FULL_TIME, GRID_A, t1, "13900000005", left=dt.date(2021, 1, 1))
        add_staff(s, "吴邻格", StaffRole.LEADER, GRID_B, t1, "13900000006")  # another grid
        add_staff(s, "郑镇干部", StaffRole.GUIDE, GRID_B, t1, "13900000007")
        s.flush()
        officer = add_user(s, "town1", UserRole.TOWN_OFFICER, town=t1)
        officer.display_name = "镇街王"
        officer.staff_id = s.scalar(sa.select(Staff.id).where(Staff.name == "郑镇干部"))
        add_user(s, "town2", UserRole.TOWN_OFFICER, town=t2)
        gone = add_user(s, "town1old", UserRole.TOWN_OFFICER, town=t1)
        gone.active = False
        lon, lat = grid_centre(0)
        clock = lambda: AT  # noqa: E731
        case = CaseService(s, DUTY, clock=clock).report(minor_code="1102", lon=lon, lat=lat, description="暴露垃圾")
        case = CaseService(s, DUTY, clock=clock).act(case.id, case.version, Action.FILE, Params())
        case = CaseService(s, identity(UserRole.DISPATCHER), clock=clock).act(
            case.id, case.version, Action.DISPATCH, Params(department_id=dept_id(s)))
        s.commit()
        return dict(case_id=case.id, case_code=case.code, t1=t1, t2=t2,
                    grid_a=s.scalar(sa.select(Grid.id).where(Grid.code == GRID_A)))


def test_participants_of_a_case_grid_team_town_and_department(engine, district):
    with Session(engine) as s:
        target = consult_for_case(s, DUTY, district["case_id"])
        assert [(p.name, p.role, p.phone, p.group) for p in target.proposals] == [
            ("孙网格长", "leader", "13900000001", "grid"),
            ("钱专职", "full_time", "13900000002", "grid"),
            ("赵指导", "guide", "13900000003", "grid"),
            ("镇街王", "town_officer", "13900000007", "town"),
            ("区综合行政执法局", "department", "", "department"),
        ]
        assert all(p.checked for p in target.proposals)
        assert participants_for_case(s, DUTY, district["case_id"]) == list(target.proposals)
        assert (target.scope, target.case_code, target.grid_code, target.town_code, target.status) == (
            "case", district["case_code"], GRID_A, "331004001", "dispatched")
        request = target.request("值班员", [p.participant() for p in target.proposals[:2]])
        assert request.room == "gd-" + district["case_code"].lower()
        assert request.case_code == district["case_code"] and request.grid_code == GRID_A
        assert request.participants == (Participant("孙网格长", "leader", "13900000001"),
                                        Participant("钱专职", "full_time", "13900000002"))


def test_participants_of_a_grid_and_a_town(engine, district):
    with Session(engine) as s:
        grid = consult_for_grid(s, DUTY, district["grid_a"])
        assert [p.name for p in grid.proposals] == ["孙网格长", "钱专职", "赵指导", "镇街王"]
        assert grid.request("u").room == "gd-grid-" + GRID_A
        town = consult_for_town(s, DUTY, district["t1"])
        assert [(p.name, p.checked) for p in town.proposals] == [
            ("镇街王", True), ("孙网格长", False), ("吴邻格", False)]  # 网格长 offered, not checked
        assert town.request("u").room == "gd-town-331004001"
        assert [p.name for p in consult_for_town(s, DUTY, district["t2"]).proposals] == ["town2"]


def test_a_case_without_department_or_team(engine):
    with Session(engine, info={"actor": "test"}) as s:
        lon, lat = grid_centre(3)
        case = CaseService(s, DUTY, clock=lambda: AT).report(minor_code="1102", lon=lon, lat=lat)
        s.commit()
        assert consult_for_case(s, DUTY, case.id).proposals == ()


# ------------------------------------------------------------------ flow log and audit

def test_record_conference_writes_flow_audit_and_feed(engine, district):
    cid = district["case_id"]
    payload = {"provider": "command", "provider_name": "client", "launch": "process", "room": "gd-x",
               "participants": [{"name": "孙网格长", "role": "leader", "phone": "13900000001"}],
               "argv": ["/usr/bin/client", "--room", "gd-x"], "started_at": "2026-11-23T01:00:00+00:00"}
    with Session(engine) as s:
        version = s.get(Case, cid).version
        feed_before = s.scalar(sa.select(sa.func.max(ChangeFeed.id)))
        start = record_conference(s, DUTY, cid, payload, "start", at=AT)
        end = record_conference(s, DUTY, cid, {**payload, "ended_at": "2026-11-23T01:10:00+00:00",
                                                "status": "normal", "exit_code": 3}, "end",
                                at=AT + dt.timedelta(minutes=10))
        s.commit()
        ids = [str(start.id), str(end.id)]
    with Session(engine) as s:
        rows = s.scalars(sa.select(FlowLog).where(FlowLog.case_id == cid).order_by(FlowLog.id)).all()
        assert [r.action for r in rows[-2:]] == ["conference_start", "conference_end"]
        for r in rows[-2:]:
            assert (r.to_status, r.from_status, r.reason, r.actor, r.role) == (
                "dispatched", "dispatched", "视频会商", "duty1", "duty_officer")
            assert r.department_id == dept_id(s)
        detail = json.loads(rows[-1].detail)["conference"]
        assert detail["phase"] == "end" and detail["exit_code"] == 3 and detail["status"] == "normal"
        assert detail["participants"][0]["name"] == "孙网格长" and detail["provider"] == "command"
        assert json.loads(rows[-2].detail)["conference"]["phase"] == "start"
        assert rows[-1].at == AT + dt.timedelta(minutes=10)
        audits = s.scalars(sa.select(AuditLog).where(AuditLog.entity == "flow_log",
                                                     AuditLog.entity_id.in_(ids))).all()
        assert len(audits) == 2 and {a.actor for a in audits} == {"duty1"}
        changes = json.loads(max(audits, key=lambda a: a.id).changes)
        assert changes["action"] == "conference_end" and changes["case_id"] == cid
        assert changes["detail"]["conference"]["exit_code"] == 3
        # the case itself is unchanged; other seats learn of the new rows from the change feed
        case = s.get(Case, cid)
        assert case.version == version and case.status is CaseStatus.DISPATCHED
        feed = s.scalars(sa.select(ChangeFeed).where(ChangeFeed.id > (feed_before or 0))).all()
        assert [f.entity_id for f in feed] == [cid, cid]
        # the case detail reads the rows like any other
        flow = load_detail(s, DUTY, cid, AT).flow
        assert [f.action for f in flow][-2:] == ["conference_start", "conference_end"]


def test_grid_and_town_consults_go_to_the_audit_log(engine, district):
    with Session(engine) as s:
        record_consult(s, DUTY, "grid", district["grid_a"], {"room": "gd-grid-x"}, "start", at=AT)
        record_consult(s, DUTY, "town", district["t1"], {"room": "gd-town-x"}, "end", at=AT)
        s.commit()
        grid_audit, town_audit = audit_rows(s, "conference")
        assert (grid_audit.entity_id, grid_audit.actor) == (f"grid:{district['grid_a']}", "duty1")
        assert json.loads(grid_audit.changes)["conference"] == {"room": "gd-grid-x", "phase": "start"}
        assert town_audit.entity_id == f"town:{district['t1']}"
        assert json.loads(town_audit.changes)["action"] == "conference_end"
        with pytest.raises(ValueError):
            record_consult(s, DUTY, "village", 1, {}, "start")
        with pytest.raises(ValueError):
            record_conference(s, DUTY, district["case_id"], {}, "middle")


def test_scope_town_officers_only_in_their_town(engine, district):
    cid = district["case_id"]
    own = identity(UserRole.TOWN_OFFICER, town=district["t1"], name="town1")
    other = identity(UserRole.TOWN_OFFICER, town=district["t2"], name="town2")
    with Session(engine) as s:
        count = s.scalar(sa.select(sa.func.count()).select_from(FlowLog))
        audits = s.scalar(sa.select(sa.func.count()).select_from(AuditLog))
        for call in (lambda: consult_for_case(s, other, cid),
                     lambda: record_conference(s, other, cid, {"room": "r"}, "start"),
                     lambda: consult_for_grid(s, other, district["grid_a"]),
                     lambda: consult_for_town(s, other, district["t1"]),
                     lambda: record_consult(s, other, "grid", district["grid_a"], {}, "start"),
                     lambda: record_consult(s, other, "town", district["t1"], {}, "start")):
            with pytest.raises(OutOfScope):
                call()
        finance = identity(UserRole.FINANCE)
        with pytest.raises(NotPermitted):
            consult_for_case(s, finance, cid)
        with pytest.raises(NotPermitted):
            record_conference(s, finance, cid, {}, "start")
        s.commit()
        assert s.scalar(sa.select(sa.func.count()).select_from(FlowLog)) == count
        assert s.scalar(sa.select(sa.func.count()).select_from(AuditLog)) == audits
        # the own town's officer may
        assert consult_for_case(s, own, cid).case_code == district["case_code"]
        record_conference(s, own, cid, {"room": "r"}, "start", at=AT)
        s.commit()
        assert s.scalar(sa.select(sa.func.count()).select_from(FlowLog)) == count + 1


def test_proposed_participant_is_plain_data():
    p = ProposedParticipant("张三", "leader", "1", "grid")
    assert p.participant() == Participant("张三", "leader", "1") and p.checked
