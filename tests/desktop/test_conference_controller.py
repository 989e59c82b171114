"""ConferenceController on a real database: a case's "视频会商" through the url provider (a page
on 127.0.0.1 in the embedded panel), the command provider (a local script: exact argv, exit
status in the end row), the browser, and an entry-point provider; permissions, scope, the wall's
screen actions."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

pytest.importorskip("PySide6.QtWebEngineWidgets")

import sqlalchemy as sa  # noqa: E402
from PySide6.QtCore import QObject, Qt, QUrl, Slot  # noqa: E402
from PySide6.QtGui import QDesktopServices, QGuiApplication, QKeySequence  # noqa: E402
from PySide6.QtWidgets import QDialog, QDockWidget, QLabel, QMainWindow  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

import desktop.conference as conference  # noqa: E402
from desktop.conference import ConferenceController, ConsultDialog, attach_screen_actions  # noqa: E402
from desktop.consult_dialogs import participant_text  # noqa: E402
from models.auth import Identity  # noqa: E402
from models.conference_store import consult_for_case, list_providers, save_provider  # noqa: E402
from models.enums import UserRole  # noqa: E402
from models.schema import AuditLog, FlowLog  # noqa: E402
from tests.factories import identity, make_db  # noqa: E402
from tests.models.test_conference import PLUGIN, argv_script, install_plugin  # noqa: E402
from tests.models.test_conference_store import ADMIN, GRID_A, populate  # noqa: E402
from tests.widgets.test_conference_panel import PT, FakePermission, page_server  # noqa: E402,F401

WAIT = 30_000
DUTY = Identity(None, "duty1", "值班员 王", UserRole.DUTY_OFFICER)
USER_Q = "%E5%80%BC%E7%8F%AD%E5%91%98%20%E7%8E%8B"  # 值班员 王, UTF-8 percent-encoded


@pytest.fixture
def db(tmp_path):
    engine = make_db(f"sqlite:///{tmp_path / 'griddesk.sqlite'}")
    facts = populate(engine)
    yield engine, facts
    engine.dispose()


@pytest.fixture
def window(qtbot):
    win = QMainWindow()
    win.setCentralWidget(QLabel("map"))
    video = QDockWidget("视频监控", win)
    video.setObjectName("dock.video")
    video.setWidget(QLabel("video"))
    win.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, video)
    win.resize(1000, 700)
    win.show()
    yield win, video
    win.close()


@pytest.fixture
def dialog_script(monkeypatch):
    """Stands in for the user at the consult dialog: records what it showed, picks, accepts."""
    shown: list[dict] = []
    script: dict = {"provider": None, "uncheck": (), "accept": True}

    def exec_(self):
        shown.append(dict(title=self.title_label.text(), room=self.room_label.text(),
                          provider=self.provider().name,
                          providers=[self.provider_box.itemData(i) for i in range(self.provider_box.count())],
                          items=[self.participant_list.item(i).text() for i in range(self.participant_list.count())]))
        if script["provider"]:
            self.provider_box.setCurrentIndex(self.provider_box.findData(script["provider"]))
        for i in script["uncheck"]:
            self.set_checked(i, False)
        return QDialog.DialogCode.Accepted if script["accept"] else QDialog.DialogCode.Rejected

    monkeypatch.setattr(ConsultDialog, "exec", exec_)
    return script, shown


def controller_for(engine, win, video, who=DUTY):
    return ConferenceController(sessionmaker(engine, expire_on_commit=False), who, win, tab_with=video,
                                message_boxes=False)


def flow(engine, case_id, prefix="conference_"):
    with Session(engine) as s:
        rows = s.scalars(sa.select(FlowLog).where(FlowLog.case_id == case_id, FlowLog.action.like(prefix + "%"))
                         .order_by(FlowLog.id)).all()
        return [(r.action, r.to_status, r.reason, json.loads(r.detail)["conference"]) for r in rows]


def add_provider(engine, name, kind, config, **kw):
    with Session(engine) as s:
        save_provider(s, ADMIN, name, kind, config, **kw)
        s.commit()


def participants_q(*entries):
    return quote(",".join(entries), safe="")


TEAM = ("孙网格长:leader:13900000001", "钱专职:full_time:13900000002", "赵指导:guide:13900000003",
        "镇街王:town_officer:13900000007", "区综合行政执法局:department:")


def test_url_provider_opens_the_exact_address_in_the_embedded_panel(qtbot, db, window, page_server,
                                                                    dialog_script):
    engine, facts = db
    win, video = window
    port, seen = page_server
    script, shown = dialog_script
    add_provider(engine, "会商平台", "url",
                 {"template": f"http://127.0.0.1:{port}/meet/{{room}}?case={{case}}&u={{user}}&p={{participants}}"})
    ctl = controller_for(engine, win, video)
    assert ctl.has_providers() and ctl.dock() is None  # the panel is made on first use
    code, cid = facts["case_code"], facts["case_id"]

    with qtbot.waitSignal(ctl.started, timeout=WAIT):
        launch = ctl.consult_case(cid)
    path = f"/meet/gd-{code.lower()}?case={code}&u={USER_Q}&p={participants_q(*TEAM)}"
    assert launch.url == f"http://127.0.0.1:{port}{path}"
    assert shown == [dict(title=f"{code} 暴露垃圾", room=f"gd-{code.lower()}", provider="会商平台",
                          providers=["会商平台"],
                          items=["孙网格长 · 网格长 · 13900000001", "钱专职 · 专职网格员 · 13900000002",
                                 "赵指导 · 网格指导员 · 13900000003", "镇街王 · 镇街 · 13900000007",
                                 "区综合行政执法局 · 职能部门"])]
    panel = ctl.panel()
    qtbot.waitUntil(lambda: path in seen, timeout=WAIT)
    assert panel.current_launch() is launch
    qtbot.waitUntil(lambda: panel.page().url().toString(QUrl.ComponentFormattingOption.FullyEncoded)
                    == launch.url, timeout=WAIT)
    # the panel is a tab next to the video dock
    assert ctl.dock() in win.tabifiedDockWidgets(video) and ctl.dock().widget() is panel
    assert [(a, s, r) for a, s, r, _ in flow(engine, cid)] == [("conference_start", "dispatched", "视频会商")]

    # camera and microphone for the configured origin only; nothing else
    origin = f"http://127.0.0.1:{port}"
    asks = [FakePermission(origin, PT.MediaAudioVideoCapture), FakePermission(origin, PT.DesktopVideoCapture),
            FakePermission("http://127.0.0.1:1", PT.MediaVideoCapture)]
    for ask in asks:
        panel._on_permission_requested(ask)
    assert [a.result for a in asks] == ["granted", "denied", "denied"]

    with qtbot.waitSignal(ctl.ended, timeout=WAIT) as ended:
        panel.hang_up()
    rows = flow(engine, cid)
    assert [r[0] for r in rows] == ["conference_start", "conference_end"]
    start, end = rows[0][3], rows[1][3]
    assert ended.args[0]["phase"] == "end" and end["status"] == "hung_up"
    for d in (start, end):
        assert d["url"] == launch.url and d["provider"] == "url" and d["provider_name"] == "会商平台"
        assert d["launch"] == "embedded_url" and d["room"] == f"gd-{code.lower()}" and d["user"] == "值班员 王"
        assert [p["name"] for p in d["participants"]] == [e.split(":")[0] for e in TEAM]
    assert end["started_at"] == start["started_at"] and end["ended_at"] >= end["started_at"]
    assert [(p["origin"], p["permission"], p["granted"]) for p in end["permissions"]] == [
        (origin, "camera_microphone", True), (origin, "screen", False), ("http://127.0.0.1:1", "camera", False)]
    with Session(engine) as s:
        ids = s.scalars(sa.select(FlowLog.id).where(FlowLog.case_id == cid, FlowLog.action.like("conference%")))
        assert s.scalar(sa.select(sa.func.count()).select_from(AuditLog).where(
            AuditLog.entity == "flow_log", AuditLog.entity_id.in_([str(i) for i in ids]))) == 2
    assert ctl.running() == []


def test_a_new_consult_ends_the_running_one_first(qtbot, db, window, page_server, dialog_script):
    engine, facts = db
    win, video = window
    port, _seen = page_server
    add_provider(engine, "web", "url", {"template": f"http://127.0.0.1:{port}/{{room}}"})
    ctl = controller_for(engine, win, video)
    first = ctl.consult_case(facts["case_id"])
    second = ctl.consult_grid(facts["grid_a"])
    assert ctl.panel().current_launch() is second and ctl.running() == [second]
    assert [r[0] for r in flow(engine, facts["case_id"])] == ["conference_start", "conference_end"]
    assert flow(engine, facts["case_id"])[1][3]["url"] == first.url
    assert second.url == f"http://127.0.0.1:{port}/gd-grid-{GRID_A}"
    with Session(engine) as s:
        grid_rows = s.scalars(sa.select(AuditLog).where(AuditLog.entity == "conference",
                                                        AuditLog.entity_id == f"grid:{facts['grid_a']}")).all()
        assert [json.loads(a.changes)["action"] for a in grid_rows] == ["conference_start"]
    win.close()  # closing the window hangs up: the grid consult's end is recorded
    with Session(engine) as s:
        grid_rows = s.scalars(sa.select(AuditLog).where(AuditLog.entity == "conference").order_by(AuditLog.id)).all()
        assert [json.loads(a.changes)["action"] for a in grid_rows] == ["conference_start", "conference_end"]


def test_command_provider_runs_the_exact_argv_and_records_the_exit(qtbot, db, window, dialog_script, tmp_path,
                                                                   monkeypatch):
    engine, facts = db
    win, video = window
    script, shown = dialog_script
    monkeypatch.chdir(tmp_path)
    client, out = argv_script(tmp_path, exit_code=3)
    add_provider(engine, "web", "url", {"template": "http://127.0.0.1:9/{room}"})  # the default
    add_provider(engine, "客户端", "command",
                 {"program": str(client),
                  "args": ["--room", "{room}", "--case={case}", "{participants}", "--user", "{user}",
                           "$(touch pwned)", "; touch pwned2"]})
    script.update(provider="客户端", uncheck=(2, 4))  # not the 指导员, not the department
    ctl = controller_for(engine, win, video)
    code, cid = facts["case_code"], facts["case_id"]
    with qtbot.waitSignal(ctl.ended, timeout=WAIT):
        launch = ctl.consult_case(cid)
    assert shown[0]["provider"] == "web" and shown[0]["providers"] == ["web", "客户端"]  # default preselected
    expected = ["--room", f"gd-{code.lower()}", f"--case={code}",
                "孙网格长:leader:13900000001,钱专职:full_time:13900000002,镇街王:town_officer:13900000007",
                "--user", "值班员 王", "$(touch pwned)", "; touch pwned2"]
    assert json.loads(out.read_text(encoding="utf-8")) == expected
    assert launch.argv == (str(client), *expected)
    assert not (tmp_path / "pwned").exists() and not (tmp_path / "pwned2").exists()
    rows = flow(engine, cid)
    assert [r[0] for r in rows] == ["conference_start", "conference_end"]
    start, end = rows[0][3], rows[1][3]
    assert start["argv"] == end["argv"] == [str(client), *expected]
    assert end["status"] == "normal" and end["exit_code"] == 3 and end["ended_at"] >= end["started_at"]
    assert end["provider_name"] == "客户端" and [p["name"] for p in end["participants"]] == [
        "孙网格长", "钱专职", "镇街王"]
    assert ctl.dock() is None  # a process consult needs no panel
    assert ctl.running() == []


def test_entry_point_provider_is_discovered_and_used(qtbot, db, window, dialog_script, tmp_path, monkeypatch):
    engine, facts = db
    win, video = window
    install_plugin(tmp_path, monkeypatch, "[griddesk.conference]\nacme = griddesk_test_plugin:AcmeProvider\n",
                   PLUGIN)
    client, out = argv_script(tmp_path)
    add_provider(engine, "视联网", "acme", {"client": str(client)})
    with Session(engine) as s:
        assert [(p.name, p.kind) for p in list_providers(s)] == [("视联网", "acme")]
    ctl = controller_for(engine, win, video)
    with qtbot.waitSignal(ctl.ended, timeout=WAIT):
        launch = ctl.consult_case(facts["case_id"])
    assert launch.provider == "acme"
    room = f"gd-{facts['case_code'].lower()}"
    assert json.loads(out.read_text(encoding="utf-8")) == ["--join", room, "--as", "值班员 王"]
    rows = flow(engine, facts["case_id"])
    assert [(r[0], r[3]["provider"], r[3]["provider_name"]) for r in rows] == [
        ("conference_start", "acme", "视联网"), ("conference_end", "acme", "视联网")]
    assert rows[1][3]["exit_code"] == 0


def test_browser_provider_records_the_start(qtbot, db, window, dialog_script):
    engine, facts = db
    win, video = window

    class Catcher(QObject):
        def __init__(self):
            super().__init__()
            self.urls: list[str] = []

        @Slot(QUrl)
        def open(self, url):
            self.urls.append(url.toString(QUrl.ComponentFormattingOption.FullyEncoded))

    add_provider(engine, "浏览器", "url", {"template": "http://127.0.0.1:9/j/{room}?u={user}", "open_in": "browser"})
    ctl = controller_for(engine, win, video)
    catcher = Catcher()
    QDesktopServices.setUrlHandler("http", catcher, "open")
    try:
        launch = ctl.consult_case(facts["case_id"])
    finally:
        QDesktopServices.unsetUrlHandler("http")
    url = f"http://127.0.0.1:9/j/gd-{facts['case_code'].lower()}?u={USER_Q}"
    assert launch.url == url and catcher.urls == [url]
    rows = flow(engine, facts["case_id"])
    assert [(r[0], r[3]["launch"], r[3]["url"]) for r in rows] == [("conference_start", "browser_url", url)]
    assert ctl.dock() is None


def test_closing_the_window_ends_a_running_client_and_records_it(qtbot, db, window, dialog_script, tmp_path):
    engine, facts = db
    win, video = window
    client = tmp_path / "sleeper.py"
    client.write_text(f"#!{__import__('sys').executable}\nimport time\ntime.sleep(120)\n", encoding="utf-8")
    client.chmod(0o755)
    add_provider(engine, "client", "command", {"program": str(client), "args": ["{room}"]})
    ctl = controller_for(engine, win, video)
    ctl.consult_case(facts["case_id"])
    qtbot.waitUntil(lambda: bool(ctl.launcher.running()) and bool(ctl.launcher.running()[0].pid), timeout=WAIT)
    win.close()
    rows = flow(engine, facts["case_id"])
    assert [r[0] for r in rows] == ["conference_start", "conference_end"]
    assert rows[1][3]["status"] == "crashed" and rows[1][3]["exit_code"] == -1  # terminated
    assert ctl.launcher.running() == []


def test_refusals_write_nothing(qtbot, db, window, dialog_script, tmp_path):
    engine, facts = db
    win, video = window
    script, shown = dialog_script
    ctl = controller_for(engine, win, video)
    failures = []
    ctl.failed.connect(failures.append)
    # no provider yet: the button stays hidden, a request explains why
    assert not ctl.has_providers()
    assert ctl.consult_case(facts["case_id"]) is None and "provider add" in failures[-1]
    # another town's officer: out of scope, no dialog
    client, _out = argv_script(tmp_path)
    add_provider(engine, "client", "command", {"program": str(client)})
    other = controller_for(engine, win, video, identity(UserRole.TOWN_OFFICER, town=facts["t2"], name="town2"))
    other.failed.connect(failures.append)
    assert other.consult_case(facts["case_id"]) is None and "town" in failures[-1]
    assert other.consult_town(facts["t1"]) is None
    assert shown == []
    # cancelled in the dialog
    script["accept"] = False
    assert ctl.consult_case(facts["case_id"]) is None and len(shown) == 1
    # a stored configuration that no longer holds (the client was removed) is reported, not started
    script["accept"] = True
    client.unlink()
    assert ctl.consult_case(facts["case_id"]) is None and "client" in failures[-1]
    assert flow(engine, facts["case_id"]) == []


def test_closing_the_conference_dock_hangs_up(qtbot, db, window, page_server, dialog_script):
    engine, facts = db
    win, video = window
    port, _seen = page_server
    add_provider(engine, "web", "url", {"template": f"http://127.0.0.1:{port}/{{room}}"})
    ctl = controller_for(engine, win, video)
    launch = ctl.consult_case(facts["case_id"])
    assert ctl.running() == [launch]
    with qtbot.waitSignal(ctl.ended, timeout=WAIT) as ended:
        ctl.dock().close()
    assert ended.args[0]["status"] == "hung_up" and ctl.running() == []
    assert [r[0] for r in flow(engine, facts["case_id"])] == ["conference_start", "conference_end"]


def test_a_client_that_cannot_start_is_reported_and_recorded(qtbot, db, window, dialog_script, tmp_path):
    engine, facts = db
    win, video = window
    client = tmp_path / "broken_client"
    client.write_text("#!/nonexistent/interpreter\n", encoding="utf-8")
    client.chmod(0o755)
    add_provider(engine, "client", "command", {"program": str(client), "args": ["{room}"]})
    ctl = controller_for(engine, win, video)
    failures = []
    ctl.failed.connect(failures.append)
    with qtbot.waitSignal(ctl.ended, timeout=WAIT) as ended:
        ctl.consult_case(facts["case_id"])
    assert ended.args[0]["status"] == "failed_to_start" and ended.args[0]["exit_code"] == -1
    assert failures and "未能启动" in failures[-1]
    rows = flow(engine, facts["case_id"])
    assert [(r[0], r[3]["status"] if r[0].endswith("end") else None) for r in rows] == [
        ("conference_start", None), ("conference_end", "failed_to_start")]


def test_dialog_offers_the_proposals_and_the_default_provider(qtbot, db):
    engine, facts = db
    add_provider(engine, "a", "url", {"template": "http://127.0.0.1:9/{room}"})
    add_provider(engine, "b", "url", {"template": "http://127.0.0.1:9/b/{room}"}, make_default=True)
    with Session(engine) as s:
        target = consult_for_case(s, DUTY, facts["case_id"])
        providers = list_providers(s, enabled_only=True)
    dialog = ConsultDialog(target, providers)
    qtbot.addWidget(dialog)
    assert dialog.provider().name == "b"
    assert [p.name for p in dialog.participants()] == [e.split(":")[0] for e in TEAM]
    dialog.set_checked(0, False)
    assert [p.name for p in dialog.participants()][0] == "钱专职"
    assert dialog.room_label.text() == f"gd-{facts['case_code'].lower()}"


def test_wall_screen_actions_send_the_video_full_screen(qtbot):
    from widgets.video.mosaic import VideoMosaic

    win = QMainWindow()
    qtbot.addWidget(win)
    mosaic = VideoMosaic([], layout=4, toolbar=False)
    dock = QDockWidget("视频监控", win)
    dock.setWidget(mosaic)
    win.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
    actions = attach_screen_actions(win, dock, mosaic)
    assert len(actions) == min(9, len(QGuiApplication.screens())) >= 1
    assert actions[0].shortcut() == QKeySequence("Ctrl+Shift+1") and actions[0] in win.actions()
    assert dock.contextMenuPolicy() == Qt.ContextMenuPolicy.CustomContextMenu
    with qtbot.waitSignal(mosaic.sent_to_screen, timeout=WAIT) as sent:
        actions[0].trigger()
    assert sent.args == [0] and mosaic.full_screen_window() is not None
    mosaic.full_screen_window().close()
    assert mosaic.full_screen_window() is None


def test_wall_video_dock_context_menu_lists_the_screens(qtbot):
    from PySide6.QtCore import QPoint
    from PySide6.QtGui import QContextMenuEvent
    from PySide6.QtWidgets import QApplication

    from widgets.video.mosaic import VideoMosaic

    win = QMainWindow()
    qtbot.addWidget(win)
    mosaic = VideoMosaic([], layout=4, toolbar=False)
    dock = QDockWidget("视频监控", win)
    dock.setWidget(mosaic)
    dock.setFeatures(QDockWidget.DockWidgetFeature.NoDockWidgetFeatures)  # as on the wall
    win.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
    win.resize(800, 600)
    win.show()
    attach_screen_actions(win, dock, mosaic)
    screens = [f"屏幕 {i + 1}" for i in range(len(QGuiApplication.screens()))]
    # on the title bar, and on a tile (the event reaches the dock): a popup menu of the screens
    for widget, pos in ((dock, QPoint(10, 5)), (mosaic.tiles()[0], QPoint(5, 5))):
        QApplication.sendEvent(widget, QContextMenuEvent(QContextMenuEvent.Reason.Mouse, pos, widget.mapToGlobal(pos)))
        menus = [m for m in dock.findChildren(conference.QMenu, "videoScreenMenu") if m.isVisible()]
        assert len(menus) == 1
        items = [a for a in menus[0].actions() if not a.isSeparator()]
        assert [a.text().split(":")[0] for a in items] == screens
        with qtbot.waitSignal(mosaic.sent_to_screen, timeout=WAIT):
            items[0].trigger()
        menus[0].hide()
        mosaic.full_screen_window().close()
        qtbot.waitUntil(lambda: not dock.findChildren(conference.QMenu, "videoScreenMenu"), timeout=WAIT)


def test_role_texts():
    assert participant_text("张三", "leader", "1") == "张三 · 网格长 · 1"
    assert participant_text("局", "department", "") == "局 · 职能部门"


def test_end_hangs_up_the_panel_and_keeps_an_unrecorded_browser_end(qtbot, db, window, page_server, dialog_script,
                                                                    monkeypatch):
    """`end`: an embedded consult is hung up (its usual end row); a browser consult whose end row cannot be
    written (the database went away) stays listed, and its end is written once the database answers."""
    engine, facts = db
    win, video = window
    port, _seen = page_server
    add_provider(engine, "web", "url", {"template": f"http://127.0.0.1:{port}/{{room}}"})
    add_provider(engine, "浏览器", "url", {"template": "http://127.0.0.1:9/{room}", "open_in": "browser"})
    script, _shown = dialog_script
    ctl = controller_for(engine, win, video)
    embedded = ctl.consult_case(facts["case_id"])
    script["provider"] = "浏览器"

    class Browser(QObject):
        @Slot(QUrl)
        def open(self, url):
            pass

    browser = Browser()
    QDesktopServices.setUrlHandler("http", browser, "open")
    try:
        in_browser = ctl.consult_grid(facts["grid_a"])
    finally:
        QDesktopServices.unsetUrlHandler("http")
    assert [c.launch for c in ctl.running_consults()] == [embedded, in_browser]
    with qtbot.waitSignal(ctl.ended, timeout=WAIT) as ended:
        ctl.end(embedded)
    assert ended.args[0]["status"] == "hung_up" and ctl.panel().current_launch() is None
    assert [r[0] for r in flow(engine, facts["case_id"])] == ["conference_start", "conference_end"]

    def gone(*_a, **_k):
        raise sa.exc.OperationalError("INSERT", {}, Exception("database is unreachable"))

    real = conference.record_consult
    monkeypatch.setattr(conference, "record_consult", gone)
    failures = []
    ctl.failed.connect(failures.append)
    ctl.end(in_browser)
    assert "会商结束未能记录" in failures[-1] and [c.launch for c in ctl.running_consults()] == [in_browser]
    monkeypatch.setattr(conference, "record_consult", real)
    with qtbot.waitSignal(ctl.ended, timeout=WAIT) as ended:
        ctl.end(in_browser)
    assert ended.args[0]["status"] == "ended_by_user" and ctl.running_consults() == []
    with Session(engine) as s:
        rows = s.scalars(sa.select(AuditLog).where(AuditLog.entity == "conference").order_by(AuditLog.id)).all()
        assert [json.loads(a.changes)["action"] for a in rows] == ["conference_start", "conference_end"]
