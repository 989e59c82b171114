"""The case detail panel over real snapshots (SQLite and PostgreSQL).

Cases are driven through the loop with `CaseService`, read back with
`load_detail` for one user, and shown; the panel must show exactly the actions
of the snapshot, its timers and its flow log. The helpers here (`Clock`,
`engine`, `new_case`, `drive`, `snap`) are shared with the dialog tests.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("PySide6.QtWidgets")
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton
from sqlalchemy.orm import Session

from models.case_view import attachment_bytes, load_detail
from models.enums import Card, CaseStatus, Level, Light, UserRole
from models.lifecycle import Action, Params
from models.lifecycle.service import CaseService
from models.schema import Attachment
from tests.factories import dept_id, grid_centre, identity, make_db
from widgets import labels as L
from widgets.case_detail import (SHOWN_BY_NAME, SHOWN_IN_TIMERS, CaseDetailPanel, PhotoDialog, demo_detail,
                                 field_groups, flow_rows, live_timer, pack_columns, timer_rows)

ROOT = Path(__file__).resolve().parents[2]
MON = dt.datetime(2026, 11, 23, 9, 0)  # a Monday, no holiday
R = UserRole


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


def who(s: Session, role: UserRole, name: str | None = None):
    """An identity of `role`; department users belong to D01 (where the cases are dispatched)."""
    return identity(role, dept=dept_id(s, "D01") if role is R.DEPARTMENT else None, name=name)


# Steps of the normal loop: (state reached, role, action, params factory)
LOOP = [
    (CaseStatus.FILED, R.DUTY_OFFICER, Action.FILE, lambda s: Params()),
    (CaseStatus.DISPATCHED, R.DISPATCHER, Action.DISPATCH,
     lambda s: Params(department_id=dept_id(s, "D01"), level=Level.VILLAGE)),
    (CaseStatus.HANDLED, R.DEPARTMENT, Action.FEEDBACK, lambda s: Params()),
    (CaseStatus.CHECKED, R.GRID_WORKER, Action.CHECK, lambda s: Params()),
    (CaseStatus.CLOSED, R.SHIFT_LEADER, Action.CLOSE, lambda s: Params()),
]


def new_case(engine, clock: Clock, minor_code: str = "1102", at: tuple[float, float] | None = None,
             description: str = "暴露垃圾") -> int:
    lon, lat = at or grid_centre(0)
    with Session(engine) as s:
        case = CaseService(s, who(s, R.DUTY_OFFICER, "hotline01"), clock=clock).report(
            minor_code=minor_code, lon=lon, lat=lat, description=description, reporter_phone="13800000000")
        s.commit()
        return case.id


def drive(engine, clock: Clock, case_id: int, until: CaseStatus) -> None:
    """Take the case along the normal loop until it reaches `until` (10 minutes per step)."""
    if until is CaseStatus.REPORTED:
        return
    for state, role, action, params in LOOP:
        clock.advance(minutes=10)
        with Session(engine) as s:
            svc = CaseService(s, who(s, role, f"{role.value}01"), clock=clock)
            svc.act(case_id, svc.get(case_id).version, action, params(s))
            s.commit()
        if state is until:
            return


def act(engine, clock: Clock, case_id: int, role: UserRole, action: Action, params: Params | None = None,
        name: str | None = None) -> None:
    with Session(engine) as s:
        svc = CaseService(s, who(s, role, name), clock=clock)
        svc.act(case_id, svc.get(case_id).version, action, params)
        s.commit()


def snap(engine, role: UserRole, case_id: int, now: dt.datetime):
    with Session(engine) as s:
        return load_detail(s, who(s, role), case_id, now)


def fetcher(engine, role: UserRole = R.SHIFT_LEADER):
    def fetch(att_id: int) -> bytes:
        with Session(engine) as s:
            return attachment_bytes(s, who(s, role), att_id)
    return fetch


@pytest.fixture
def panel(qtbot):
    def make(**kw) -> CaseDetailPanel:
        p = CaseDetailPanel(**kw)
        qtbot.addWidget(p)
        p.resize(1100, 900)
        return p
    return make


# --- buttons: exactly the snapshot's actions ---------------------------------------------

# (state, role) → the actions the engine gives; the panel must show exactly these buttons.
EXPECTED = [
    (CaseStatus.REPORTED, R.DUTY_OFFICER, {"verify", "file", "void", "mark_duplicate"}),
    (CaseStatus.REPORTED, R.FINANCE, set()),
    (CaseStatus.FILED, R.DISPATCHER, {"dispatch"}),
    (CaseStatus.DISPATCHED, R.SHIFT_LEADER, {"feedback", "return", "extend", "suspend", "escalate", "card"}),
    (CaseStatus.DISPATCHED, R.DEPARTMENT, {"feedback", "return", "escalate"}),
    (CaseStatus.DISPATCHED, R.FINANCE, set()),
    (CaseStatus.CHECKED, R.SHIFT_LEADER, {"close", "rework", "suspend", "card"}),
    (CaseStatus.CHECKED, R.FINANCE, set()),
    (CaseStatus.CLOSED, R.SHIFT_LEADER, set()),
]


def test_buttons_are_exactly_the_actions_of_the_snapshot(engine, panel, qtbot):
    clock = Clock(MON)
    ids = {}
    for state in dict.fromkeys(s for s, _, _ in EXPECTED):
        ids[state] = new_case(engine, clock)
        drive(engine, clock, ids[state], state)
    p = panel()
    wall = panel(wall_mode=True)
    for state, role, expected in EXPECTED:
        d = snap(engine, role, ids[state], clock())
        assert d.status is state
        assert {a.value for a in d.actions} == expected, (state, role)
        p.set_detail(d)
        buttons = p.action_buttons()
        assert set(buttons) == expected, (state, role)
        assert [b.text() for b in buttons.values()] == [L.action(a) for a in d.actions]
        assert p.button_bar.isVisibleTo(p) == bool(expected)
        wall.set_detail(d)
        assert wall.action_buttons() == {}
        assert not wall.button_bar.isVisibleTo(wall)
        assert not [b for b in wall.findChildren(QPushButton) if b.property("action")]
    # the shift leader's labels on a checked case, in Chinese
    p.set_detail(snap(engine, R.SHIFT_LEADER, ids[CaseStatus.CHECKED], clock()))
    assert {b.text() for b in p.action_buttons().values()} == {"结案", "返工", "挂账", "督办"}
    with qtbot.waitSignal(p.actionRequested) as sig:
        p.action_buttons()["close"].click()
    assert sig.args == ["close"]


def test_wall_mode_hides_actions_and_enlarges_fonts(engine, panel):
    clock = Clock(MON)
    cid = new_case(engine, clock)
    d = snap(engine, R.DUTY_OFFICER, cid, clock())
    p = panel()
    p.set_detail(d)
    size = p.font().pointSizeF()
    assert set(p.action_buttons()) == {"verify", "file", "void", "mark_duplicate"}
    p.set_wall_mode(True)
    assert p.action_buttons() == {}
    assert not [b for b in p.findChildren(QPushButton) if b.property("action")]
    assert p.font().pointSizeF() > size * 1.5
    p.set_wall_mode(False)
    assert set(p.action_buttons()) == {"verify", "file", "void", "mark_duplicate"}


def test_locate_and_conference_signals(engine, panel, qtbot):
    clock = Clock(MON)
    cid = new_case(engine, clock)
    d = snap(engine, R.DUTY_OFFICER, cid, clock())
    p = panel()
    p.show()
    p.set_detail(d)
    assert not p.conference_button.isVisible()
    with qtbot.waitSignal(p.locateRequested) as sig:
        p.locate_button.click()
    assert sig.args == [cid]
    p.set_conference_enabled(True)
    assert p.conference_button.isVisible() and p.conference_button.text() == "视频会商"
    with qtbot.waitSignal(p.conferenceRequested) as sig:
        p.conference_button.click()
    assert sig.args == [cid]
    p.set_detail(None)
    assert not p.locate_button.isVisible() and not p.conference_button.isVisible()
    assert p.empty_label.isVisible() and p.action_buttons() == {}


# --- fields, timers, flow ---------------------------------------------------------------------


def test_every_field_is_shown_grouped(engine, panel):
    clock = Clock(MON)
    cid = new_case(engine, clock)
    drive(engine, clock, cid, CaseStatus.DISPATCHED)
    d = snap(engine, R.SHIFT_LEADER, cid, clock())
    groups = field_groups(d)
    assert [g for g, _ in groups] == ["基本信息", "位置", "处置", "时限", "督办"]
    shown = {k for _, rows in groups for k, _, _ in rows}
    missing = set(d.fields) - shown - SHOWN_BY_NAME - SHOWN_IN_TIMERS
    assert not missing
    p = panel()
    p.set_detail(d)
    texts = p.group_texts()
    assert texts["基本信息"]["案件编号"] == d.code
    assert texts["基本信息"]["案件类别"] == "1102 暴露垃圾"
    assert texts["基本信息"]["状态"] == "已派遣"
    assert texts["基本信息"]["来源"] == "12345热线"
    assert texts["位置"]["网格"] == "331004001001001 网格1-1"
    assert texts["位置"]["镇街"] == "测试镇1"
    assert texts["处置"]["责任部门"] == d.department != ""
    assert texts["处置"]["处置层级"] == "村社"
    assert texts["时限"]["处置时限"] == "4 工作时"
    assert texts["督办"]["督办"] == "无"
    # a column added to the schema later is not lost
    extra = dataclasses.replace(d, fields={**d.fields, "new_column": 7})
    assert ("new_column", "new_column", "7") in field_groups(extra)[-1][1]


def test_timers_match_the_snapshot_and_count_down(engine, panel, qtbot):
    clock = Clock(MON)
    cid = new_case(engine, clock)
    drive(engine, clock, cid, CaseStatus.DISPATCHED)  # 1102: 4 working hours from 09:20
    now = clock.advance(minutes=30)
    d = snap(engine, R.SHIFT_LEADER, cid, now)
    running = [t for t in d.timers if t.running]
    assert len(running) == 1 and running[0].step.value == "handle"
    deadline = d.fields["handle_deadline"]
    assert deadline == dt.datetime(2026, 11, 23, 14, 50)

    ticking = Clock(now)
    p = panel(clock=ticking)
    p.set_detail(d)
    t = p.timer_table
    rows = timer_rows(d, now)
    assert t.rowCount() == len(d.timers) == 6
    for r, row in enumerate(rows):
        assert [t.item(r, c).text() for c in range(5)] == [row.step, row.deadline, row.done, row.on_time,
                                                           row.state]
    handle_row = [i for i, tm in enumerate(d.timers) if tm.running][0]
    assert t.item(handle_row, 1).text() == "2026-11-23 14:50"
    assert t.item(handle_row, 0).font().bold()
    dispatch_row = [i for i, tm in enumerate(d.timers) if tm.step.value == "dispatch"][0]
    assert t.item(dispatch_row, 3).text() == "按时" and t.item(dispatch_row, 4).text() == "已完成"

    remaining = deadline - now
    assert p.running_timer_text().startswith(f"处置  ·  剩余 {L.fmt_duration(remaining.total_seconds())}")
    assert p.progress.property("light") == "green"
    # the injected clock ticks: the countdown follows every second (real QTimer)
    ticking.advance(seconds=5)
    qtbot.waitUntil(lambda: f"剩余 {L.fmt_duration(remaining.total_seconds() - 5)}" in p.running_timer_text(),
                    timeout=3000)
    assert f"剩余 {L.fmt_duration(remaining.total_seconds() - 5)}" in t.item(handle_row, 4).text()
    # yellow from the snapshot's yellow moment, red after the deadline — exact, without a reload
    ticking.t = d.fields["step_yellow_at"]
    p.refresh_timers()
    assert p.progress.property("light") == "yellow"
    ticking.t = deadline + dt.timedelta(minutes=5)
    p.refresh_timers()
    assert p.progress.property("light") == "red"
    assert "超时 00:05:00" in p.running_timer_text()
    assert p.progress.value() == p.progress.maximum()
    assert L.light_colour("red") in p.progress.styleSheet()


def test_live_fraction_is_exact_at_both_ends(engine):
    clock = Clock(MON)
    cid = new_case(engine, clock)
    drive(engine, clock, cid, CaseStatus.DISPATCHED)
    now = clock.advance(minutes=60)
    d = snap(engine, R.SHIFT_LEADER, cid, now)
    t = next(t for t in d.timers if t.running)
    assert live_timer(d, t, now).fraction == pytest.approx(t.used_fraction)
    assert live_timer(d, t, now).light is Light.GREEN
    half = now + (t.deadline - now) / 2
    assert t.used_fraction < live_timer(d, t, half).fraction < 1.0
    assert live_timer(d, t, t.deadline).fraction == pytest.approx(1.0)
    # the snapshot taken later agrees with the light the panel computed
    later = snap(engine, R.SHIFT_LEADER, cid, d.fields["step_yellow_at"] + dt.timedelta(minutes=1))
    assert later.light is Light.YELLOW
    assert live_timer(d, t, d.fields["step_yellow_at"] + dt.timedelta(minutes=1)).light is Light.YELLOW


def test_suspended_case_shows_a_paused_timer(engine, panel):
    clock = Clock(MON)
    cid = new_case(engine, clock)
    drive(engine, clock, cid, CaseStatus.DISPATCHED)
    act(engine, clock, cid, R.SHIFT_LEADER, Action.SUSPEND, Params(reason="等待上级批复"))
    d = snap(engine, R.SHIFT_LEADER, cid, clock.advance(hours=2))
    p = panel(clock=clock)
    p.set_detail(d)
    assert "挂账暂停" in p.running_timer_text()
    assert set(p.action_buttons()) == {"resume", "card"}


def test_flow_rows_match_the_snapshot(engine, panel):
    clock = Clock(MON)
    cid = new_case(engine, clock)
    drive(engine, clock, cid, CaseStatus.DISPATCHED)
    act(engine, clock, cid, R.SHIFT_LEADER, Action.EXTEND, Params(reason="材料未齐", extension=2), "leader01")
    act(engine, clock, cid, R.SHIFT_LEADER, Action.CARD, Params(reason="群众反映强烈", card=Card.YELLOW),
        "leader01")
    act(engine, clock, cid, R.SHIFT_LEADER, Action.ESCALATE, Params(reason="需镇级协调"), "leader01")
    d = snap(engine, R.SHIFT_LEADER, cid, clock())
    p = panel()
    p.set_detail(d)
    t = p.flow_table
    rows = flow_rows(d)
    assert t.rowCount() == len(d.flow) == 6
    for r, row in enumerate(rows):
        assert tuple(t.item(r, c).text() for c in range(8)) == row
    assert [t.item(r, 1).text() for r in range(6)] == ["上报", "立案", "派遣", "延期", "督办", "上报上级"]
    assert t.item(0, 2).text() == "hotline01 / 值班员"
    assert t.item(2, 3).text() == "已立案 → 已派遣" and t.item(2, 4).text() == "村社"
    assert t.item(2, 5).text() == d.flow[2].department != ""
    assert t.item(3, 6).text() == "材料未齐"
    assert t.item(3, 7).text().startswith("+2 工作时 → 2026-11-23")
    assert t.item(4, 7).text() == "黄牌 (-5)"
    assert t.item(5, 7).text() == "村社 → 镇街" and t.item(5, 3).text() == "已派遣 → 已立案"
    assert p.group_texts()["督办"]["督办扣分"] == "5"


def test_photos_are_fetched_through_the_callable_and_open_larger(engine, panel, qtbot):
    from widgets.case_detail import demo_photo

    clock = Clock(MON)
    cid = new_case(engine, clock)
    with Session(engine) as s:
        s.add_all([
            Attachment(case_id=cid, filename="现场1.png", mime="image/png", data=demo_photo("现场", "#336699"),
                       added_at=MON, added_by="hotline01"),
            Attachment(case_id=cid, filename="坏图.jpg", mime="image/jpeg", data=b"not an image", added_at=MON,
                       added_by="hotline01"),
            Attachment(case_id=cid, kind="file", filename="记录.txt", mime="text/plain", data=b"x", added_at=MON,
                       added_by="hotline01")])
        s.commit()
    calls = []
    fetch = fetcher(engine)
    p = panel(fetch_attachment=lambda i: calls.append(i) or fetch(i))
    p.show()
    d = snap(engine, R.SHIFT_LEADER, cid, clock())
    p.set_detail(d)
    items = [p.photo_list.item(i) for i in range(p.photo_list.count())]
    assert [i.text().split("\n")[0] for i in items] == ["现场1.png", "坏图.jpg", "记录.txt"]
    assert len(calls) == 2  # only the images are fetched
    assert not items[0].icon().isNull()
    assert "无法加载" in items[1].text()
    p.set_detail(d)  # a refresh of the same case does not fetch again
    assert len(calls) == 2
    rect = p.photo_list.visualItemRect(p.photo_list.item(0))
    qtbot.mouseClick(p.photo_list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    dialogs = [w for w in p.findChildren(PhotoDialog) if w.isVisible()]
    assert len(dialogs) == 1
    assert dialogs[0].image.pixmap().width() == 800 > p.photo_list.iconSize().width()


def test_pack_columns_keeps_order_and_balances():
    assert pack_columns([15, 7, 13, 11, 5], 3) == [[0], [1, 2], [3, 4]]
    assert pack_columns([15, 7, 13, 11, 5], 1) == [[0, 1, 2, 3, 4]]
    assert pack_columns([1, 1], 3) == [[0], [1]]


def test_english_labels(engine, panel):
    clock = Clock(MON)
    cid = new_case(engine, clock)
    d = snap(engine, R.DUTY_OFFICER, cid, clock())
    L.set_language("en")
    try:
        p = panel()
        p.set_detail(d)
        assert {b.text() for b in p.action_buttons().values()} == {"Verify", "File", "Void", "Duplicate"}
        assert "Basic" in p.group_texts()
    finally:
        L.set_language("zh")


def test_demo_detail_is_consistent():
    d = demo_detail(dt.datetime(2099, 1, 1, 12, 0))
    assert d.fields["is_demo"] and sum(t.running for t in d.timers) == 1
    assert {k for _, rows in field_groups(d) for k, _, _ in rows} | SHOWN_BY_NAME | SHOWN_IN_TIMERS >= set(d.fields)


@pytest.mark.parametrize("module", ["widgets.case_detail", "widgets.action_dialogs", "widgets.intake_dialog"])
def test_demo_runs_and_quits(module):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-m", module, "--quit-after", "800"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
