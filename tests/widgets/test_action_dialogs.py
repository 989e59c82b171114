"""Action dialogs validate, return the right Params, and survive a version conflict.

Each dialog is built on a real snapshot (SQLite and PostgreSQL), filled in like
a user would, and its Params are applied through `CaseService`; the conflict
test lets a second Session act first.
"""

from __future__ import annotations

import datetime as dt

import pytest

pytest.importorskip("PySide6.QtWidgets")
import sqlalchemy as sa
from PySide6.QtWidgets import QTableWidget
from sqlalchemy.orm import Session

from models.enums import Card, CaseStatus, CloseType, Level, UserRole
from models.lifecycle import Action, Params, VersionConflict
from models.lifecycle.service import CaseService
from models.schema import Case, Department
from tests.factories import dept_id, make_db
from tests.widgets.test_case_detail import MON, Clock, act, drive, new_case, snap, who
from widgets import labels as L
from widgets.action_dialogs import (ActionDialog, ConflictDialog, card_choices, diff_details, dispatch_level,
                                    validate_params)

R = UserRole


@pytest.fixture
def engine(db_url):
    e = make_db(db_url)
    yield e
    e.dispose()


def departments(engine) -> list[tuple[int, str, str]]:
    with Session(engine) as s:
        return [tuple(r) for r in s.execute(sa.select(Department.id, Department.code, Department.name)
                                             .order_by(Department.code))]


def rule_of(engine, code: str = "1102") -> tuple[int | None, Level]:
    with Session(engine) as s:
        mc = CaseService(s, who(s, R.DISPATCHER)).minor_class(code)
        return mc.department_id, mc.level


def apply(engine, clock, case_id, role, action, params, version):
    with Session(engine) as s:
        case = CaseService(s, who(s, role, f"{role.value}01"), clock=clock).act(case_id, version, action, params)
        s.commit()
        return case.version


def case_row(engine, case_id):
    with Session(engine) as s:
        c = s.get(Case, case_id)
        s.expunge(c)
        return c


@pytest.fixture
def dialog(qtbot):
    def make(*args, **kw) -> ActionDialog:
        d = ActionDialog(*args, **kw)
        qtbot.addWidget(d)
        return d
    return make


# --- pure decisions ----------------------------------------------------------------------


def test_card_choices_only_escalate():
    assert card_choices(Card.NONE) == [Card.NORMAL, Card.YELLOW, Card.RED]
    assert card_choices(Card.NORMAL) == [Card.YELLOW, Card.RED]
    assert card_choices(Card.YELLOW) == [Card.RED]
    assert card_choices(Card.RED) == []


def test_dispatch_level_never_lowers_the_case():
    assert dispatch_level(Level.GRID, Level.VILLAGE) is Level.VILLAGE
    assert dispatch_level(Level.TOWN, Level.VILLAGE) is Level.TOWN  # after an escalation
    assert dispatch_level(Level.VILLAGE, None) is Level.VILLAGE


# --- each dialog validates and returns the right Params, applied for real ------------------------------


def test_void_needs_a_reason(engine, dialog):
    clock = Clock(MON)
    cid = new_case(engine, clock)
    d = snap(engine, R.DUTY_OFFICER, cid, clock())
    dlg = dialog(Action.VOID, d)
    assert not dlg.ok_button.isEnabled()
    assert "请填写原因" in dlg.message.text() and not dlg.message.isHidden()
    dlg.reason_edit.setPlainText("   ")
    assert not dlg.ok_button.isEnabled()
    dlg.reason_edit.setPlainText("测试数据, 非真实事件")
    assert dlg.ok_button.isEnabled() and dlg.message.text() == ""
    dlg.ok_button.click()
    assert dlg.result() == dlg.DialogCode.Accepted
    assert dlg.params() == Params(reason="测试数据, 非真实事件")
    apply(engine, clock, cid, R.DUTY_OFFICER, Action.VOID, dlg.params(), d.version)
    assert case_row(engine, cid).status is CaseStatus.VOIDED


def test_file_needs_no_input(engine, dialog):
    clock = Clock(MON)
    cid = new_case(engine, clock)
    d = snap(engine, R.DUTY_OFFICER, cid, clock())
    dlg = dialog(Action.FILE, d)
    assert dlg.ok_button.isEnabled() and dlg.ok_button.text() == "立案"
    apply(engine, clock, cid, R.DUTY_OFFICER, Action.FILE, dlg.params(), d.version)
    assert case_row(engine, cid).status is CaseStatus.FILED


def test_dispatch_department_is_required_searchable_and_defaults_to_the_rule(engine, dialog):
    clock = Clock(MON)
    cid = new_case(engine, clock)
    drive(engine, clock, cid, CaseStatus.FILED)
    d = snap(engine, R.DISPATCHER, cid, clock())
    deps = departments(engine)
    rule_dept, rule_level = rule_of(engine)
    # without a default nothing is chosen: OK disabled with a visible message
    bare = dialog(Action.DISPATCH, d, departments=deps)
    assert not bare.ok_button.isEnabled() and "请选择责任部门" in bare.message.text()
    dlg = dialog(Action.DISPATCH, d, departments=deps, default_department_id=rule_dept, rule_level=rule_level)
    assert dlg.ok_button.isEnabled()
    assert dlg.params().department_id == rule_dept == dept_id_of(engine, "D01")
    assert dlg.params().level is Level.VILLAGE
    # search by a substring of the Chinese name, then by code
    dlg.dept_filter.setText("住房")
    visible = [dlg.dept_list.item(i).text() for i in range(dlg.dept_list.count())
               if not dlg.dept_list.item(i).isHidden()]
    assert visible == ["D02  区住房和城乡建设局"]
    assert dlg.params().department_id == dept_id_of(engine, "D02")
    dlg.dept_filter.setText("d13")
    assert dlg.params().department_id == dept_id_of(engine, "D13")
    dlg.dept_filter.setText("不存在的部门")
    assert dlg.params().department_id is None and not dlg.ok_button.isEnabled()
    dlg.dept_filter.setText("住房")
    dlg.level_combo.setCurrentIndex(dlg.level_combo.findData("town"))
    p = dlg.params()
    assert p == Params(department_id=dept_id_of(engine, "D02"), level=Level.TOWN)
    apply(engine, clock, cid, R.DISPATCHER, Action.DISPATCH, p, d.version)
    c = case_row(engine, cid)
    assert c.status is CaseStatus.DISPATCHED and c.department_id == dept_id_of(engine, "D02")
    assert c.level is Level.TOWN


def dept_id_of(engine, code):
    with Session(engine) as s:
        return dept_id(s, code)


def test_card_offers_only_cards_above_the_current(engine, dialog):
    clock = Clock(MON)
    cid = new_case(engine, clock)
    drive(engine, clock, cid, CaseStatus.DISPATCHED)
    d = snap(engine, R.SHIFT_LEADER, cid, clock())
    dlg = dialog(Action.CARD, d)
    assert [dlg.card_combo.itemText(i) for i in range(dlg.card_combo.count())] == ["普通督办", "黄牌", "红牌"]
    assert not dlg.ok_button.isEnabled()  # the reason is missing
    dlg.reason_edit.setPlainText("超时未处置")
    dlg.card_combo.setCurrentIndex(dlg.card_combo.findData("yellow"))
    assert dlg.params() == Params(reason="超时未处置", card=Card.YELLOW)
    apply(engine, clock, cid, R.SHIFT_LEADER, Action.CARD, dlg.params(), d.version)
    d2 = snap(engine, R.SHIFT_LEADER, cid, clock())
    assert d2.card is Card.YELLOW
    dlg2 = dialog(Action.CARD, d2)
    assert [dlg2.card_combo.itemData(i) for i in range(dlg2.card_combo.count())] == ["red"]
    # a kept yellow card is no longer valid on a yellow case
    assert validate_params(Action.CARD, Params(reason="x", card=Card.YELLOW), d2) == ["请选择高于当前的督办等级"]


def test_extension_must_be_positive_in_the_rules_unit(engine, dialog):
    clock = Clock(MON)
    cid = new_case(engine, clock)
    drive(engine, clock, cid, CaseStatus.DISPATCHED)
    d = snap(engine, R.SHIFT_LEADER, cid, clock())
    dlg = dialog(Action.EXTEND, d)
    assert dlg.extension_spin.suffix() == " 工作时"
    dlg.reason_edit.setPlainText("需协调产权单位")
    assert not dlg.ok_button.isEnabled() and "延期时长须大于 0" in dlg.message.text()
    dlg.extension_spin.setValue(2)
    assert dlg.ok_button.isEnabled()
    assert dlg.params() == Params(reason="需协调产权单位", extension=2.0)
    before = d.fields["handle_deadline"]
    apply(engine, clock, cid, R.SHIFT_LEADER, Action.EXTEND, dlg.params(), d.version)
    c = case_row(engine, cid)
    assert c.extension_count == 1 and c.handle_deadline == before + dt.timedelta(hours=2)


def test_escalate_shows_the_next_level(engine, dialog):
    clock = Clock(MON)
    cid = new_case(engine, clock)
    drive(engine, clock, cid, CaseStatus.DISPATCHED)
    d = snap(engine, R.SHIFT_LEADER, cid, clock())
    dlg = dialog(Action.ESCALATE, d)
    assert dlg.escalate_label.text() == "村社 → 镇街"
    dlg.reason_edit.setPlainText("涉及多个村")
    apply(engine, clock, cid, R.SHIFT_LEADER, Action.ESCALATE, dlg.params(), d.version)
    c = case_row(engine, cid)
    assert c.level is Level.TOWN and c.status is CaseStatus.FILED


def test_close_type_and_appeal_decision(engine, dialog):
    clock = Clock(MON)
    cid = new_case(engine, clock)
    drive(engine, clock, cid, CaseStatus.CHECKED)
    d = snap(engine, R.SHIFT_LEADER, cid, clock())
    dlg = dialog(Action.CLOSE, d)
    assert [dlg.close_combo.itemText(i) for i in range(dlg.close_combo.count())] == ["正常结案", "差错结案",
                                                                                   "特殊结案"]
    assert dlg.ok_button.isEnabled()
    dlg.close_combo.setCurrentIndex(dlg.close_combo.findData("special"))
    assert dlg.params() == Params(close_type=CloseType.SPECIAL)
    apply(engine, clock, cid, R.SHIFT_LEADER, Action.CLOSE, dlg.params(), d.version)
    assert case_row(engine, cid).close_type is CloseType.SPECIAL
    # the department appeals the closing, the shift leader decides
    act(engine, clock, cid, R.DEPARTMENT, Action.APPEAL, Params(reason="已按要求处置"))
    d = snap(engine, R.SHIFT_LEADER, cid, clock())
    assert d.actions == (Action.DECIDE_APPEAL,)
    dlg = dialog(Action.DECIDE_APPEAL, d)
    dlg.reason_edit.setPlainText("理由不成立")
    assert not dlg.ok_button.isEnabled() and "请选择裁定结果" in dlg.message.text()
    dlg.reject_radio.setChecked(True)
    assert dlg.ok_button.isEnabled() and dlg.params() == Params(reason="理由不成立", accept=False)
    apply(engine, clock, cid, R.SHIFT_LEADER, Action.DECIDE_APPEAL, dlg.params(), d.version)
    assert not case_row(engine, cid).appeal_pending


def test_mark_duplicate_resolves_the_code(engine, dialog):
    clock = Clock(MON)
    original = new_case(engine, clock)
    cid = new_case(engine, clock)
    d = snap(engine, R.DUTY_OFFICER, cid, clock())
    orig_code = case_row(engine, original).code

    def resolve(code):
        with Session(engine) as s:
            return s.scalar(sa.select(Case.id).where(Case.code == code))

    dlg = dialog(Action.MARK_DUPLICATE, d, resolve_case_code=resolve)
    dlg.reason_edit.setPlainText("同一处暴露垃圾")
    assert "请填写重复的原案件编号" in dlg.message.text()
    dlg.dup_combo.setEditText("AJ000")
    assert "找不到案件 AJ000" in dlg.message.text() and not dlg.ok_button.isEnabled()
    dlg.dup_combo.setEditText(d.code)
    assert "不能标记为自身的重复件" in dlg.message.text()
    dlg.dup_combo.setEditText(orig_code)
    assert dlg.ok_button.isEnabled()
    assert dlg.params() == Params(reason="同一处暴露垃圾", duplicate_of_id=original)
    apply(engine, clock, cid, R.DUTY_OFFICER, Action.MARK_DUPLICATE, dlg.params(), d.version)
    c = case_row(engine, cid)
    assert c.status is CaseStatus.VOIDED and c.duplicate_of_id == original
    # candidates offered in the list need no lookup
    other = new_case(engine, clock)
    d3 = snap(engine, R.DUTY_OFFICER, other, clock())
    dlg = dialog(Action.MARK_DUPLICATE, d3, duplicate_candidates=[(original, orig_code, "暴露垃圾")])
    dlg.dup_combo.setCurrentIndex(0)
    assert dlg.params().duplicate_of_id == original


def test_every_rule_action_builds_a_dialog(engine, dialog):
    clock = Clock(MON)
    cid = new_case(engine, clock)
    d = snap(engine, R.DUTY_OFFICER, cid, clock())
    from models.lifecycle import RULES

    for action, rule in RULES.items():
        dlg = dialog(action, d)
        assert dlg.windowTitle().startswith(L.action(action))
        if rule.needs_reason:
            assert not dlg.ok_button.isEnabled(), action


# --- version conflict -----------------------------------------------------------------------


def test_conflict_shows_the_change_and_the_kept_input_resubmits(engine, dialog, qtbot):
    clock = Clock(MON)
    cid = new_case(engine, clock)
    drive(engine, clock, cid, CaseStatus.DISPATCHED)
    old = snap(engine, R.SHIFT_LEADER, cid, clock())
    # user A opens the extension dialog and types ...
    dlg = dialog(Action.EXTEND, old)
    dlg.extension_spin.setValue(3)
    dlg.reason_edit.setPlainText("等待材料")
    mine = dlg.params()
    # ... while user B, in another session, issues a yellow card
    clock.advance(minutes=1)
    with Session(engine) as b:
        svc = CaseService(b, who(b, R.SHIFT_LEADER, "leader_b"), clock=clock)
        svc.act(cid, old.version, Action.CARD, Params(reason="群众再次来电", card=Card.YELLOW))
        b.commit()
    with Session(engine) as a:
        with pytest.raises(VersionConflict) as err:
            CaseService(a, who(a, R.SHIFT_LEADER, "leader_a"), clock=clock).act(cid, old.version, Action.EXTEND,
                                                                                 mine)
        a.rollback()
    fresh = snap(engine, R.SHIFT_LEADER, cid, clock())
    cd = ConflictDialog(err.value, old, fresh, Action.EXTEND, mine)
    qtbot.addWidget(cd)
    assert cd.change_rows[-1][1:] == ("督办", "leader_b", "已派遣", "群众再次来电")
    changes = cd.findChild(QTableWidget, "changes")
    assert changes.rowCount() == len(err.value.changes) >= 1
    last = changes.rowCount() - 1
    assert [changes.item(last, c).text() for c in range(1, 5)] == ["督办", "leader_b", "已派遣", "群众再次来电"]
    diff = {k: (a, b) for k, a, b in cd.diff}
    assert diff["card"] == ("none", "yellow") and diff["card_points"] == (0.0, 5.0)
    assert ("督办", "无", "黄牌") in cd.diff_rows
    assert cd.reapply_button.isEnabled() and cd.message.isHidden()
    cd.reapply_button.click()
    assert cd.choice() == "reapply" and cd.params() == mine == Params(reason="等待材料", extension=3.0)
    assert cd.expected_version() == fresh.version
    apply(engine, clock, cid, R.SHIFT_LEADER, Action.EXTEND, cd.params(), cd.expected_version())
    c = case_row(engine, cid)
    assert c.extension_count == 1 and c.card is Card.YELLOW


def test_conflict_when_the_action_is_gone_offers_no_reapply(engine, qtbot):
    clock = Clock(MON)
    cid = new_case(engine, clock)
    drive(engine, clock, cid, CaseStatus.DISPATCHED)
    old = snap(engine, R.SHIFT_LEADER, cid, clock())
    mine = Params(reason="等待材料", extension=1)
    act(engine, clock, cid, R.DEPARTMENT, Action.FEEDBACK, None, "dept_user")  # handled meanwhile
    with Session(engine) as a, pytest.raises(VersionConflict) as err:
        CaseService(a, who(a, R.SHIFT_LEADER), clock=clock).act(cid, old.version, Action.EXTEND, mine)
    fresh = snap(engine, R.SHIFT_LEADER, cid, clock())
    cd = ConflictDialog(err.value, old, fresh, Action.EXTEND, mine)
    qtbot.addWidget(cd)
    assert not cd.reapply_button.isEnabled() and not cd.edit_button.isEnabled()
    assert "当前状态下已不能执行“延期”" in cd.message.text()
    assert ("status", "dispatched", "handled") in cd.diff
    cd.discard_button.click()
    assert cd.choice() == "discard"


def test_edit_again_reopens_with_the_kept_input(engine, dialog):
    clock = Clock(MON)
    cid = new_case(engine, clock)
    drive(engine, clock, cid, CaseStatus.FILED)
    d = snap(engine, R.DISPATCHER, cid, clock())
    kept = Params(reason="请尽快", department_id=dept_id_of(engine, "D03"), level=Level.TOWN)
    dlg = dialog(Action.DISPATCH, d, departments=departments(engine), default_department_id=rule_of(engine)[0],
                 initial=kept)
    assert dlg.params() == kept
    dlg = dialog(Action.CARD, d, initial=Params(reason="x", card=Card.RED))
    assert dlg.params().card is Card.RED and dlg.reason_edit.toPlainText() == "x"


def test_diff_details_without_a_widget(engine):
    clock = Clock(MON)
    cid = new_case(engine, clock)
    drive(engine, clock, cid, CaseStatus.FILED)
    a = snap(engine, R.SHIFT_LEADER, cid, clock())
    assert diff_details(a, a) == []
    drive_dispatch = Params(department_id=dept_id_of(engine, "D02"), level=Level.TOWN)
    act(engine, clock, cid, R.DISPATCHER, Action.DISPATCH, drive_dispatch)
    b = snap(engine, R.SHIFT_LEADER, cid, clock())
    diff = {k: (x, y) for k, x, y in diff_details(a, b)}
    assert diff["status"] == ("filed", "dispatched")
    assert diff["level"] == ("grid", "town")
    assert diff["department"] == (None, "区住房和城乡建设局")
    assert "department_id" not in diff and "version" not in diff and "updated_at" not in diff
    assert diff["dispatched_at"] == (None, clock())
    assert set(diff) >= {"step", "step_deadline", "handle_deadline"}
