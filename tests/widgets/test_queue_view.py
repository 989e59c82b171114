"""The queue widget: selection and scroll kept across refreshes, keyboard, sort, filters, alerts, wall."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import subprocess
import sys
import wave
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor
from PySide6.QtTest import QTest
from sqlalchemy.orm import Session

from models.enums import Card, CaseSource, CaseStatus, Light, UserRole
from models.lifecycle import Action, Params
from models.queue import QueueFilter, QueueSort
from tests.factories import make_db, town_id
from tests.widgets.test_queue_model import NOW, Clock, Spy, act, db_source, mk, report, seed_cases
from widgets.queue.model import COL, COLUMNS, DARK_THEME
from widgets.queue.source import FAKE_CLASSES, FakeQueueSource
from widgets.queue.view import ALERT_WAV, QueueWidget, filter_from_controls

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def engine(db_url):
    e = make_db(db_url)
    yield e
    e.dispose()


def make_widget(qtbot, source, **kw) -> QueueWidget:
    kw.setdefault("tick_ms", 0)
    w = QueueWidget(source, **kw)
    w.resize(900, 330)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    return w


def top_case(w: QueueWidget) -> int | None:
    return w.model().case_id_at(w.table().rowAt(0))


def test_selection_and_scroll_kept_across_refresh(qtbot, engine):
    clock = Clock(NOW + dt.timedelta(hours=1))
    case_ids = seed_cases(engine, clock, n=40)
    w = make_widget(qtbot, db_source(engine), clock=clock)
    spy = Spy(w.model())
    assert w.model().rowCount() == 40
    assert w.select_case(case_ids[25])
    w.table().verticalScrollBar().setValue(20)
    assert top_case(w) == case_ids[20]

    with Session(engine) as s:  # another seat: three earlier-deadline cases above, one voided above, one filed
        for k in range(3):
            report(s, clock, k, at=NOW - dt.timedelta(minutes=10 + k))
        act(s, clock, case_ids[3], Action.VOID, Params(reason="重复"), UserRole.DUTY_OFFICER)
        act(s, clock, case_ids[30], Action.FILE, Params(), UserRole.DUTY_OFFICER)
        s.commit()
    w.refresh()
    assert spy.resets == 0 and spy.inserted and spy.removed
    assert w.selected_case_id() == case_ids[25]
    assert top_case(w) == case_ids[20]  # the same case stays at the top of the view
    assert w.model().rowCount() == 42

    w.table().verticalScrollBar().setValue(0)  # at the top, new urgent cases show up at the top
    with Session(engine) as s:
        first = report(s, clock, 1, at=NOW - dt.timedelta(days=3))  # overdue since last week
        s.commit()
        first_id = first.id
    w.refresh()
    assert top_case(w) == first_id and w.table().verticalScrollBar().value() == 0
    assert w.selected_case_id() == case_ids[25]
    assert spy.resets == 0


def test_keyboard_navigation_and_enter_opens(qtbot):
    source = FakeQueueSource([mk(i, i) for i in range(1, 61)])
    w = make_widget(qtbot, source, clock=Clock())
    selected: list[int] = []
    opened: list[int] = []
    w.caseSelected.connect(selected.append)
    w.caseActivated.connect(opened.append)
    t = w.table()
    t.setFocus()
    assert w.select_case(1) and selected == [1]
    QTest.keyClick(t, Qt.Key.Key_Down)
    QTest.keyClick(t, Qt.Key.Key_Down)
    assert selected == [1, 2, 3] and w.selected_case_id() == 3
    QTest.keyClick(t, Qt.Key.Key_PageDown)
    after_page = w.selected_case_id()
    assert after_page > 6
    QTest.keyClick(t, Qt.Key.Key_PageUp)
    assert w.selected_case_id() < after_page
    QTest.keyClick(t, Qt.Key.Key_End)
    assert w.selected_case_id() == 60
    QTest.keyClick(t, Qt.Key.Key_Home)
    assert w.selected_case_id() == 1
    QTest.keyClick(t, Qt.Key.Key_Up)
    assert w.selected_case_id() == 1
    QTest.keyClick(t, Qt.Key.Key_Down)
    QTest.keyClick(t, Qt.Key.Key_Return)
    assert opened == [2]
    QTest.keyClick(t, Qt.Key.Key_Enter)
    assert opened == [2, 2]


def test_a_selected_case_that_leaves_does_not_select_its_neighbour(qtbot):
    source = FakeQueueSource([mk(i, i) for i in range(1, 21)])
    w = make_widget(qtbot, source, clock=Clock())
    selected: list[int] = []
    w.caseSelected.connect(selected.append)
    w.select_case(5)
    source.put(dataclasses.replace(source.get(3), card=Card.RED))  # rows change around it
    source.put(mk(30, 2.5))  # one arrives above it
    w.refresh()
    assert w.selected_case_id() == 5 and selected == [5]
    source.put(dataclasses.replace(source.get(5), status=CaseStatus.CLOSED))  # another seat closes it
    w.refresh()
    assert w.model().row_of(5) is None and w.selected_case_id() is None and selected == [5]
    QTest.mouseClick(w.table().viewport(), Qt.MouseButton.LeftButton,
                     pos=w.table().visualRect(w.model().index(0, 1)).center())
    assert selected == [5, 1]


def test_end_key_reaches_later_pages(qtbot):
    source = FakeQueueSource([mk(i, i) for i in range(1, 121)])
    w = make_widget(qtbot, source, clock=Clock(), page_size=50)
    t = w.table()
    t.setFocus()
    w.select_case(1)
    for _ in range(3):
        QTest.keyClick(t, Qt.Key.Key_End)
        qtbot.wait(20)
    assert w.model().rowCount() == 120 and w.selected_case_id() == 120


def test_header_click_sorts_on_the_server_and_keeps_the_selection(qtbot, engine):
    clock = Clock(NOW + dt.timedelta(hours=1))
    case_ids = seed_cases(engine, clock, n=30)
    w = make_widget(qtbot, db_source(engine), clock=clock, page_size=10)
    selected: list[int] = []
    w.caseSelected.connect(selected.append)
    assert w.select_case(case_ids[4]) and selected == [case_ids[4]]
    header = w.table().horizontalHeader()
    x = header.sectionViewportPosition(COL["code"]) + 5
    QTest.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))
    assert w.sort_order() == QueueSort("code", False)
    assert header.sortIndicatorSection() == COL["code"]
    assert w.selected_case_id() == case_ids[4]
    QTest.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))
    assert w.sort_order() == QueueSort("code", True)
    assert header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder
    codes = [r.code for r in w.model().rows()]
    assert codes == sorted(codes, reverse=True)
    assert w.selected_case_id() == case_ids[4]  # loaded from a later page to keep it selected
    assert selected == [case_ids[4]]  # the same case: no new selection signal
    x = header.sectionViewportPosition(COL["department"]) + 5  # no server order: nothing happens
    QTest.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))
    assert w.sort_order() == QueueSort("code", True) and header.sortIndicatorSection() == COL["code"]


def test_filter_bar_controls(qtbot, engine):
    clock = Clock(NOW + dt.timedelta(hours=1))
    case_ids = seed_cases(engine, clock, n=12)
    with Session(engine) as s:
        towns = [(town_id(s, 1), "测试镇1"), (town_id(s, 2), "测试镇2")]
    w = make_widget(qtbot, db_source(engine), clock=clock, towns=towns, classes=FAKE_CLASSES, debounce_ms=80)
    emitted: list[QueueFilter] = []
    w.filterChanged.connect(emitted.append)
    rows = lambda: {r.id for r in w.model().rows()}

    w._town_combo.setCurrentIndex(2)  # 测试镇2
    assert w.filter().town_ids == (towns[1][0],) and emitted[-1] == w.filter()
    assert rows() == {i for n, i in enumerate(case_ids) if n % 4 in (2, 3)}
    w._town_combo.setCurrentIndex(0)

    w._class_combo.setCurrentIndex(w._class_combo.findData("1103"))
    assert w.filter().class_codes == ("1103",) and rows() == set(case_ids[1::4])
    w._class_combo.setCurrentIndex(0)

    w._source_combo.setCurrentIndex(w._source_combo.findData(CaseSource.CAMERA.value))
    assert w.filter().sources == (CaseSource.CAMERA,) and rows() == {i for n, i in enumerate(case_ids) if n % 3 == 2}
    w._source_combo.setCurrentIndex(0)

    w._light_buttons[Light.RED].click()
    assert w.filter().lights == (Light.RED,) and rows() == set()
    w._light_buttons[Light.RED].click()
    assert w.filter().lights == ()

    w._status_actions[CaseStatus.REPORTED].trigger()  # untick "reported": every seeded case is reported
    assert CaseStatus.REPORTED not in w.filter().statuses and rows() == set()
    w._status_actions[CaseStatus.REPORTED].trigger()
    assert rows() == set(case_ids)

    n = len(emitted)
    code = next(r.code for r in w.model().rows() if r.id == case_ids[7])
    QTest.keyClicks(w._search, code[-6:])  # debounced: one filter change for the whole word
    assert len(emitted) == n
    qtbot.waitUntil(lambda: len(emitted) == n + 1, timeout=2000)
    qtbot.wait(150)
    assert len(emitted) == n + 1 and w.filter().text == code[-6:] and rows() == {case_ids[7]}
    assert w.count_label().text() == "共 1 件 · 已加载 1"


def test_set_filter_shows_it_in_the_bar_without_loops(qtbot):
    source = FakeQueueSource([mk(i, i * 20 - 100) for i in range(1, 30)])
    w = make_widget(qtbot, source, clock=Clock(), towns=[(1, "演示街道"), (2, "演示镇")], classes=FAKE_CLASSES)
    emitted: list[QueueFilter] = []
    w.filterChanged.connect(emitted.append)
    flt = QueueFilter(lights=(Light.RED,), town_ids=(2,), text="垃圾", case_ids=(1, 2, 3))
    w.set_filter(flt)
    assert emitted == [flt] and w.filter() == flt
    assert w._light_buttons[Light.RED].isChecked() and not w._light_buttons[Light.GREEN].isChecked()
    assert w._town_combo.currentData() == 2 and w._search.text() == "垃圾"
    w.set_filter(flt)
    assert emitted == [flt]  # unchanged: silent
    w._light_buttons[Light.GREEN].click()  # the bar keeps the drill-down ids it has no control for
    assert w.filter().case_ids == (1, 2, 3) and w.filter().lights == (Light.RED, Light.GREEN)
    assert filter_from_controls(flt, statuses=[], lights=[], town_id=None, class_code=None, source=None,
                                text=" x ").text == "x"


def test_new_red_case_flashes_and_beeps_when_alerts_are_on(qtbot):
    clock = Clock()
    source = FakeQueueSource([mk(1, 0.5), *[mk(i, 60 + i) for i in range(2, 10)]])
    w = make_widget(qtbot, source, clock=clock, alerts=True)
    w.set_alerts(True, sound=True)
    w._sound = lambda: None  # no audio device in CI: count the alert, beep fallback
    reds: list[str] = []
    w.newRedCase.connect(reds.append)
    clock.advance(minutes=1)
    w._on_tick()
    code = source.get(1).code
    assert reds == [code] and w.alerts_sounded == 1
    assert w.banner().isVisible() and code in w.banner().text()
    assert w.model().is_flashing(1)
    qtbot.waitUntil(lambda: not w.banner().isVisible() and not w.model().is_flashing(1), timeout=8000)

    w.set_alerts(False)
    source.put(mk(50, -1, reported_at=clock.t))  # arrives red
    w.refresh()
    assert len(reds) == 2 and w.alerts_sounded == 1 and not w.banner().isVisible()
    assert not w.model().is_flashing(50)


def test_countdown_runs_on_the_tick_timer(qtbot):
    clock = Clock()
    source = FakeQueueSource([mk(1, 1), mk(2, 90)])
    w = make_widget(qtbot, source, clock=clock, tick_ms=30)
    cell = w.model().index(0, COL["deadline"])
    assert w.model().data(cell) == "剩 0:01:00"
    clock.advance(seconds=75)
    qtbot.waitUntil(lambda: w.model().data(cell) == "超时 0:00:15", timeout=2000)
    assert w.model().data(cell, Qt.ItemDataRole.BackgroundRole) == QColor(DARK_THEME["red_bg"])


def test_wall_mode_has_big_rows_and_no_filter_bar(qtbot):
    source = FakeQueueSource([mk(i, i) for i in range(1, 20)])
    office = make_widget(qtbot, source, clock=Clock())
    wall = make_widget(qtbot, source, clock=Clock(), wall=True, wall_font_px=32)
    assert office.filter_bar().isVisible() and not wall.filter_bar().isVisible()
    assert wall.table().font().pixelSize() == 32
    assert wall.table().verticalHeader().defaultSectionSize() >= 1.4 * 32
    assert wall.table().verticalHeader().defaultSectionSize() > office.table().verticalHeader().defaultSectionSize()
    wall.set_wall_mode(False)
    assert not wall.is_wall_mode() and wall.filter_bar().isVisibleTo(wall)


def test_wall_queue_drops_the_least_needed_columns_instead_of_scrolling(qtbot):
    """Nobody scrolls a wall sideways: too narrow, it hides level, light, card, department, status in
    that order, then narrows the place, then hides the code; class, place and the deadline countdown
    always stay. Office mode keeps all."""
    source = FakeQueueSource([mk(i, i) for i in range(1, 20)])
    wall = make_widget(qtbot, source, clock=Clock(), wall=True, wall_font_px=30)
    office = make_widget(qtbot, source, clock=Clock())
    seen = []
    for width in (4000, 1600, 1300, 1000, 800):
        for w in (wall, office):
            w.resize(width, 400)
        qtbot.wait(20)
        hidden = wall.hidden_columns()
        seen.append(hidden)
        shown = [n for n in COLUMNS if n not in hidden]
        assert {"class", "place", "deadline"} <= set(shown)
        assert "code" not in hidden or len(hidden) == 6
        assert hidden == [n for n in COLUMNS if n in hidden]
        assert office.hidden_columns() == []
        table = wall.table()
        used = sum(table.columnWidth(COL[n]) for n in shown)
        assert used <= table.viewport().width() + 1  # no sideways scrolling
        assert not table.horizontalScrollBar().isVisible()
    assert seen[0] == [] and len(seen[-1]) == 6
    assert [len(h) for h in seen] == sorted(len(h) for h in seen)  # narrower never shows more
    wall.resize(4000, 400)
    qtbot.wait(20)
    assert wall.hidden_columns() == []  # back when there is room


def test_town_officer_sees_only_the_own_town(qtbot, engine):
    clock = Clock(NOW + dt.timedelta(hours=1))
    seed_cases(engine, clock, n=12)
    with Session(engine) as s:
        t1 = town_id(s, 1)
    w = make_widget(qtbot, db_source(engine, UserRole.TOWN_OFFICER, t1), clock=clock, towns=[(t1, "测试镇1")])
    assert not w._town_combo.isVisibleTo(w)  # one town: nothing to choose
    assert w.model().total() == 6 and {r.town_id for r in w.model().rows()} == {t1}
    with Session(engine) as s:
        other = report(s, clock, 3)
        s.commit()
        other_id = other.id
    w.refresh()
    assert not w.select_case(other_id) and w.model().total() == 6


def test_alert_sound_file_is_a_short_wav():
    with wave.open(str(ALERT_WAV)) as f:
        assert f.getnchannels() == 1 and f.getsampwidth() == 2
        assert 0.2 < f.getnframes() / f.getframerate() < 1.5


def test_demo_runs_and_quits():
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-m", "widgets.queue.view", "--quit-after", "2000", "--alerts"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]


def test_fetch_more_on_scroll_to_bottom(qtbot):
    source = FakeQueueSource([mk(i, i) for i in range(1, 501)])
    w = make_widget(qtbot, source, clock=Clock(), page_size=100)
    assert w.model().rowCount() == 100
    after_load = len(source.calls)
    w.table().scrollToBottom()
    qtbot.waitUntil(lambda: w.model().rowCount() >= 200, timeout=2000)
    assert w.count_label().text().startswith("共 500 件")
    assert not any(c.startswith("page 0 ") for c in source.calls[after_load:])  # no re-query from the top
