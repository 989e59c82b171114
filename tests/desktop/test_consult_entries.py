"""The window's consult entries (issue 8, item 2) on a real MainWindow (QtWebEngine map, offscreen)
over the small district of tests/models/test_conference_store.py: 与网格视频会商 for the grid
clicked on the map, 与镇街视频会商… with a town picked in the user's scope, 结束会商… for a consult
whose end the program cannot see (the system browser) or a client to be closed; the entries'
enabled state and status tips; which roles get them."""

from __future__ import annotations

import datetime as dt
import itertools
import json

import pytest

pytest.importorskip("PySide6.QtWebEngineWidgets")

import shiboken6  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from PySide6.QtCore import QEvent, QObject, QPoint, QSettings, QUrl, Slot  # noqa: E402
from PySide6.QtGui import QDesktopServices, QHelpEvent  # noqa: E402
from PySide6.QtWidgets import QApplication, QDialog, QToolTip  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

import desktop.conference as conference  # noqa: E402
from desktop.actions import specs_for  # noqa: E402
from desktop.conference import EndConsultDialog, PickDialog  # noqa: E402
from desktop.main_window import MainWindow  # noqa: E402
from desktop.settings import Settings  # noqa: E402
from models.conference_store import consult_for_case  # noqa: E402
from models.enums import UserRole  # noqa: E402
from models.lifecycle.errors import NotPermitted  # noqa: E402
from models.schema import AuditLog, FlowLog, Grid  # noqa: E402
from tests.desktop import test_conference_controller as controller_tests  # noqa: E402
from tests.factories import identity, make_db  # noqa: E402
from tests.models.test_conference import argv_script  # noqa: E402
from tests.models.test_conference_store import GRID_A, populate  # noqa: E402
from widgets.map.testing import js  # noqa: E402

DUTY, add_provider = controller_tests.DUTY, controller_tests.add_provider
dialog_script = controller_tests.dialog_script  # the stand-in for the user at the consult dialog (a fixture)
WAIT = 90_000
CONSULT_IDS = {"consult.grid", "consult.town", "consult.end"}
GRID_TEAM = ["孙网格长", "钱专职", "赵指导", "镇街王"]  # GRID_A's team and town 1's officer, in that order
NO_PROVIDER = "尚未配置视频会商系统, 请联系管理员。"


@pytest.fixture
def db(tmp_path):
    engine = make_db(f"sqlite:///{tmp_path / 'griddesk.sqlite'}")
    facts = populate(engine)
    with Session(engine) as s:
        facts["grid_t2"] = s.scalar(sa.select(Grid.id).where(Grid.town_id == facts["t2"]).order_by(Grid.id))
    yield engine, facts
    engine.dispose()


@pytest.fixture
def boxes(monkeypatch):
    """The controller's message boxes, recorded instead of shown (a modal box would block the test)."""
    shown: list[str] = []
    fake = type("Boxes", (), {"warning": staticmethod(lambda parent, title, text, *a, **k: shown.append(text))})
    monkeypatch.setattr(conference, "QMessageBox", fake)
    return shown


@pytest.fixture
def seats(qtbot, tmp_path, boxes):
    """`open(engine, identity)` → a shown office MainWindow with its map loaded (closed at the end)."""
    made: list[MainWindow] = []
    counter = itertools.count()

    def open_(engine, who) -> MainWindow:
        settings = Settings(QSettings(str(tmp_path / f"settings{next(counter)}.ini"), QSettings.Format.IniFormat))
        w = MainWindow(engine, who, settings, layout="office")
        made.append(w)
        w.show_for_layout()
        qtbot.waitUntil(lambda: w.maps.loaded and w.map.is_ready(), timeout=WAIT)
        return w

    yield open_
    for w in made:
        if shiboken6.isValid(w) and w.isVisible():
            w.close()
            w.deleteLater()
    qtbot.wait(50)


@pytest.fixture
def picks(monkeypatch):
    """Stands in for the user at the town picker and the end dialog: records what they offered, picks."""
    seen: list[dict] = []
    script: dict = {"row": 0, "end_at": None, "accept": True}

    def exec_(self):
        seen.append({"dialog": self.objectName(), "items": self.texts(), "ok": self.ok_button.isEnabled(),
                     "end_enabled": self.end_edit.isEnabled() if isinstance(self, EndConsultDialog) else None})
        self.choose(script["row"])
        if isinstance(self, EndConsultDialog) and script["end_at"] is not None:
            self.end_edit.setDateTime(script["end_at"](self))
        return QDialog.DialogCode.Accepted if script["accept"] else QDialog.DialogCode.Rejected

    monkeypatch.setattr(PickDialog, "exec", exec_)
    return script, seen


class Browser(QObject):
    """The system browser: records the URLs it is asked to open."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    @Slot(QUrl)
    def open(self, url):
        self.urls.append(url.toString(QUrl.ComponentFormattingOption.FullyEncoded))


@pytest.fixture
def browser():
    catcher = Browser()
    QDesktopServices.setUrlHandler("http", catcher, "open")
    yield catcher
    QDesktopServices.unsetUrlHandler("http")


def audit(engine, target: str) -> list[dict]:
    """The consult's audit rows of a grid or town ("grid:<id>" / "town:<id>"): their `changes`."""
    with Session(engine) as s:
        rows = s.scalars(sa.select(AuditLog).where(AuditLog.entity == "conference", AuditLog.entity_id == target)
                         .order_by(AuditLog.id)).all()
        return [{**json.loads(r.changes), "actor": r.actor} for r in rows]


def flow(engine, case_id) -> list[tuple[str, dict]]:
    with Session(engine) as s:
        rows = s.scalars(sa.select(FlowLog).where(FlowLog.case_id == case_id, FlowLog.action.like("conference_%"))
                         .order_by(FlowLog.id)).all()
        return [(r.action, json.loads(r.detail)["conference"]) for r in rows]


def case_menu_ids(w: MainWindow) -> list[str]:
    return [a.objectName() for a in w.menus["case"].actions() if a.objectName()]


def open_case_menu(qtbot, w: MainWindow):
    """The 案件 menu, opened as a click on its title does (its aboutToShow runs)."""
    menu = w.menus["case"]
    menu.popup(w.mapToGlobal(QPoint(10, 10)))
    qtbot.waitUntil(menu.isVisible, timeout=WAIT)
    return menu


def tooltip_over(menu, action) -> str:
    """The tooltip the menu shows with the pointer resting on `action` (disabled entries included)."""
    pos = menu.actionGeometry(action).center()
    QApplication.sendEvent(menu, QHelpEvent(QEvent.Type.ToolTip, pos, menu.mapToGlobal(pos)))
    return QToolTip.text()


def click_grid(qtbot, w: MainWindow, grid_id: int) -> None:
    """What a click on the grid in the page does (the page's own click handler, through the bridge)."""
    assert js(w.map, f"GD.fireGridClick({grid_id})") is True
    qtbot.waitUntil(lambda: w.maps.selected_grid == grid_id, timeout=WAIT)


# --------------------------------------------------------------------------- roles


@pytest.mark.parametrize("role", list(UserRole))
def test_exactly_the_roles_that_may_consult_a_case_get_the_entries(db, role):
    engine, facts = db
    who = identity(role, town=facts["t1"] if role is UserRole.TOWN_OFFICER else None)
    with Session(engine) as s:  # the data layer's rule for a case consult
        try:
            consult_for_case(s, who, facts["case_id"])
            may = True
        except NotPermitted:
            may = False
    assert may == (role is not UserRole.FINANCE)
    office = {a.id for a in specs_for(role, wall=False)}
    assert (CONSULT_IDS <= office) == may and (CONSULT_IDS & office == set()) == (not may)
    assert CONSULT_IDS & {a.id for a in specs_for(role, wall=True)} == set()  # the wall has no such controls


def test_finance_has_no_consult_entries_and_a_town_officer_has_them(qtbot, db, seats):
    engine, facts = db
    w = seats(engine, identity(UserRole.FINANCE))
    assert w.conference is None and w.consults is None and not (CONSULT_IDS & set(w.actions_by_id))
    officer = seats(engine, identity(UserRole.TOWN_OFFICER, town=facts["t1"], name="town1"))
    assert CONSULT_IDS <= set(officer.actions_by_id)
    assert case_menu_ids(officer)[-3:] == ["consult.grid", "consult.town", "consult.end"]


# --------------------------------------------------------------------------- a grid


def test_grid_consult_from_the_menu_after_a_map_click(qtbot, db, seats, dialog_script, tmp_path):
    engine, facts = db
    script, shown = dialog_script
    client, out = argv_script(tmp_path)
    add_provider(engine, "客户端", "command", {"program": str(client), "args": ["--room", "{room}", "--grid={grid}",
                                                                             "{participants}"]})
    w = seats(engine, DUTY)
    action = w.actions_by_id["consult.grid"]
    assert "consult.grid" in case_menu_ids(w)
    assert not action.isEnabled() and action.statusTip() == "请先在地图上点击选择网格。"

    click_grid(qtbot, w, facts["grid_a"])
    assert action.isEnabled() and action.statusTip() == f"与网格 {GRID_A} 网格1-1 视频会商"
    assert w.queue.filter().grid_ids == (facts["grid_a"],)  # the click still drills the queue down
    with qtbot.waitSignal(w.conference.ended, timeout=WAIT):
        action.trigger()
    assert [(d["title"], d["room"], d["provider"]) for d in shown] == [
        (f"{GRID_A} 网格1-1", f"gd-grid-{GRID_A}", "客户端")]
    assert shown[0]["items"] == ["孙网格长 · 网格长 · 13900000001", "钱专职 · 专职网格员 · 13900000002",
                                 "赵指导 · 网格指导员 · 13900000003", "镇街王 · 镇街 · 13900000007"]
    participants = ",".join(["孙网格长:leader:13900000001", "钱专职:full_time:13900000002",
                             "赵指导:guide:13900000003", "镇街王:town_officer:13900000007"])
    assert json.loads(out.read_text(encoding="utf-8")) == ["--room", f"gd-grid-{GRID_A}", f"--grid={GRID_A}",
                                                           participants]
    rows = audit(engine, f"grid:{facts['grid_a']}")
    assert [(r["action"], r["reason"], r["actor"]) for r in rows] == [("conference_start", "视频会商", "duty1"),
                                                                       ("conference_end", "视频会商", "duty1")]
    start, end = rows[0]["conference"], rows[1]["conference"]
    for d in (start, end):
        assert d["scope"] == "grid" and d["grid"] == GRID_A and d["town"] == "331004001"
        assert d["room"] == f"gd-grid-{GRID_A}" and d["provider_name"] == "客户端" and d["launch"] == "process"
        assert [p["name"] for p in d["participants"]] == GRID_TEAM
    assert end["status"] == "normal" and end["exit_code"] == 0 and end["ended_at"] >= start["started_at"]
    assert audit(engine, f"town:{facts['t1']}") == [] and flow(engine, facts["case_id"]) == []


def test_entry_states_without_a_selection_or_a_provider(qtbot, db, seats):
    engine, facts = db
    w = seats(engine, DUTY)
    a = w.actions_by_id
    grid, town, end = a["consult.grid"], a["consult.town"], a["consult.end"]
    # no provider: nothing can start, even with a grid selected; the detail shows no button
    click_grid(qtbot, w, facts["grid_a"])
    assert not grid.isEnabled() and grid.statusTip() == NO_PROVIDER
    assert not town.isEnabled() and town.statusTip() == NO_PROVIDER
    assert not end.isEnabled() and end.statusTip() == "本席位没有进行中的会商。"
    w.open_case(facts["case_id"])
    assert w.detail.detail() is not None and w.detail.conference_button.isHidden()
    menu = open_case_menu(qtbot, w)  # the menu shows why a disabled entry is off
    assert not grid.isEnabled() and tooltip_over(menu, grid) == NO_PROVIDER
    assert tooltip_over(menu, end) == "本席位没有进行中的会商。"
    menu.hide()
    # an administrator adds one meanwhile: opening the 案件 menu checks again
    add_provider(engine, "web", "url", {"template": "http://127.0.0.1:9/{room}"})
    menu = open_case_menu(qtbot, w)
    assert grid.isEnabled() and town.isEnabled() and not end.isEnabled()
    assert tooltip_over(menu, grid) == f"与网格 {GRID_A} 网格1-1 视频会商"
    menu.hide()
    assert not w.detail.conference_button.isHidden()
    # the selected grid disappears from the map (a reload without it): the grid entry says why it is off
    w.maps.select_grid(10**6)
    assert grid.isEnabled()
    w.maps.load()
    qtbot.waitUntil(lambda: w.maps.selected_grid is None, timeout=WAIT)
    assert not grid.isEnabled() and grid.statusTip() == "请先在地图上点击选择网格。"
    assert js(w.map, "GD.state()")["selectedGrid"] is None


# --------------------------------------------------------------------------- a town


def test_town_consult_from_the_menu(qtbot, db, seats, dialog_script, picks, tmp_path):
    engine, facts = db
    script, shown = dialog_script
    pick, seen = picks
    client, out = argv_script(tmp_path)
    add_provider(engine, "客户端", "command", {"program": str(client), "args": ["{room}", "{town}"]})
    w = seats(engine, DUTY)
    action = w.actions_by_id["consult.town"]
    assert action.isEnabled() and action.text() == "与镇街视频会商…"
    pick["row"] = 1
    with qtbot.waitSignal(w.conference.ended, timeout=WAIT):
        action.trigger()
    assert seen == [{"dialog": "consultTownDialog", "items": ["331004001 测试镇1", "331004002 测试镇2"], "ok": True,
                     "end_enabled": None}]
    assert [(d["title"], d["room"], d["items"]) for d in shown] == [
        ("331004002 测试镇2", "gd-town-331004002", ["town2 · 镇街"])]
    assert json.loads(out.read_text(encoding="utf-8")) == ["gd-town-331004002", "331004002"]
    rows = audit(engine, f"town:{facts['t2']}")
    assert [r["action"] for r in rows] == ["conference_start", "conference_end"]
    assert all(r["conference"]["scope"] == "town" and r["conference"]["town"] == "331004002"
               and [p["name"] for p in r["conference"]["participants"]] == ["town2"] for r in rows)
    assert audit(engine, f"town:{facts['t1']}") == []
    # cancelled at the picker: no consult dialog, nothing written
    pick["accept"] = False
    action.trigger()
    assert len(seen) == 2 and len(shown) == 1 and len(audit(engine, f"town:{facts['t2']}")) == 2


def test_a_town_officer_consults_only_their_own_town(qtbot, db, seats, dialog_script, picks, boxes, tmp_path):
    engine, facts = db
    script, shown = dialog_script
    pick, seen = picks
    client, _out = argv_script(tmp_path)
    add_provider(engine, "客户端", "command", {"program": str(client), "args": ["{room}"]})
    w = seats(engine, identity(UserRole.TOWN_OFFICER, town=facts["t1"], name="town1"))
    with qtbot.waitSignal(w.conference.ended, timeout=WAIT):
        w.actions_by_id["consult.town"].trigger()
    assert seen[0]["items"] == ["331004001 测试镇1"]  # the picker offers their own town only
    assert [d["title"] for d in shown] == ["331004001 测试镇1"]
    assert [r["action"] for r in audit(engine, f"town:{facts['t1']}")] == ["conference_start", "conference_end"]
    # another town (or its grid) asked for directly: refused by the data layer, no dialog, nothing written
    assert w.conference.consult_town(facts["t2"]) is None and "331004002" in boxes[-1]
    assert w.conference.consult_grid(facts["grid_t2"]) is None and "331004002" in boxes[-1]
    assert len(shown) == 1
    assert audit(engine, f"town:{facts['t2']}") == [] and audit(engine, f"grid:{facts['grid_t2']}") == []
    assert boxes[-1] in w.statusBar().currentMessage()


# --------------------------------------------------------------------------- ending a consult


def test_a_browser_consult_gets_its_end_from_the_menu(qtbot, db, seats, dialog_script, picks, browser):
    engine, facts = db
    pick, seen = picks
    add_provider(engine, "浏览器", "url", {"template": "http://127.0.0.1:9/j/{room}", "open_in": "browser"})
    w = seats(engine, DUTY)
    end = w.actions_by_id["consult.end"]
    # a case's consult (the detail's button) and a grid's (the menu), both in the browser
    w.open_case(facts["case_id"])
    w.detail.conference_button.click()
    click_grid(qtbot, w, facts["grid_a"])
    w.actions_by_id["consult.grid"].trigger()
    code = facts["case_code"].lower()
    assert browser.urls == [f"http://127.0.0.1:9/j/gd-{code}", f"http://127.0.0.1:9/j/gd-grid-{GRID_A}"]
    assert [r[0] for r in flow(engine, facts["case_id"])] == ["conference_start"]  # no end seen yet
    assert len(w.conference.running_consults()) == 2
    assert end.isEnabled() and end.statusTip() == "记录本席位进行中会商的结束 (2 个)"

    # the grid's ended a while ago: its end time is set back to its start (the earliest allowed)
    pick.update(row=1, end_at=lambda d: d.end_edit.minimumDateTime().addSecs(-3600))
    with qtbot.waitSignal(w.conference.ended, timeout=WAIT):
        end.trigger()
    assert seen[-1]["dialog"] == "endConsultDialog" and seen[-1]["end_enabled"] is True
    assert [t.split(" · ")[0] for t in seen[-1]["items"]] == [f"{facts['case_code']} 暴露垃圾", f"{GRID_A} 网格1-1"]
    assert all("浏览器" in t for t in seen[-1]["items"])
    rows = audit(engine, f"grid:{facts['grid_a']}")
    assert [r["action"] for r in rows] == ["conference_start", "conference_end"]
    start, stop = rows[0]["conference"], rows[1]["conference"]
    assert stop["status"] == "ended_by_user" and stop["url"] == start["url"]
    started = dt.datetime.fromisoformat(start["started_at"])
    assert dt.datetime.fromisoformat(stop["ended_at"]) == started.replace(microsecond=0)  # clamped to the start
    assert end.statusTip() == "记录本席位进行中会商的结束 (1 个)"

    # the case's ends now: its flow log gets the end row
    pick.update(row=0, end_at=None)
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    with qtbot.waitSignal(w.conference.ended, timeout=WAIT):
        end.trigger()
    rows = flow(engine, facts["case_id"])
    assert [r[0] for r in rows] == ["conference_start", "conference_end"]
    assert rows[1][1]["status"] == "ended_by_user" and rows[1][1]["launch"] == "browser_url"
    assert before <= dt.datetime.fromisoformat(rows[1][1]["ended_at"]) <= dt.datetime.now(dt.UTC)
    assert w.conference.running_consults() == []
    assert not end.isEnabled() and end.statusTip() == "本席位没有进行中的会商。"


def test_ending_a_running_client_from_the_menu(qtbot, db, seats, dialog_script, picks, tmp_path):
    engine, facts = db
    pick, seen = picks
    client = tmp_path / "sleeper.py"
    client.write_text(f"#!{__import__('sys').executable}\nimport time\ntime.sleep(120)\n", encoding="utf-8")
    client.chmod(0o755)
    add_provider(engine, "client", "command", {"program": str(client), "args": ["{room}"]})
    w = seats(engine, DUTY)
    click_grid(qtbot, w, facts["grid_a"])
    w.actions_by_id["consult.grid"].trigger()
    qtbot.waitUntil(lambda: bool(w.conference.launcher.running()), timeout=WAIT)
    assert w.actions_by_id["consult.end"].isEnabled()
    with qtbot.waitSignal(w.conference.ended, timeout=WAIT) as ended:
        w.actions_by_id["consult.end"].trigger()
    assert seen[-1]["end_enabled"] is False and "客户端" in seen[-1]["items"][0]  # its exit is its end
    assert ended.args[0]["status"] == "ended_by_user" and ended.args[0]["exit_code"] is not None
    rows = audit(engine, f"grid:{facts['grid_a']}")
    assert [r["action"] for r in rows] == ["conference_start", "conference_end"]
    assert rows[1]["conference"]["status"] == "ended_by_user" and rows[1]["conference"]["ended_at"]
    assert w.conference.launcher.running() == [] and w.conference.running_consults() == []
    assert not w.actions_by_id["consult.end"].isEnabled()
