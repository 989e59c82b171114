"""The command-centre main window: composes the panels, docks and actions.

Each feature lives in its own module (case_controller, map_controller, live,
wall, actions); this window creates them for one logged-in user and wires
their signals. Two layouts: the dark full-screen video wall (no editing
controls) and the light office layout.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QByteArray, Qt, QTimer
from PySide6.QtWidgets import (QApplication, QDockWidget, QLabel, QMainWindow, QMessageBox, QScrollArea,
                               QWidget)
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import sessionmaker

from desktop import theme
from desktop.actions import MENUS, build_actions, specs_for
from desktop.case_controller import CaseController
from desktop.conference import ConferenceController, ConsultActions, attach_screen_actions
from desktop.live import LiveFeed
from desktop.map_controller import MapController
from desktop.wall import IdleCursorHider, screen_for, screen_key
from desktop.workers import TaskRunner
from models.auth import Identity
from models.cameras import Camera, CameraKind, guess_kind
from models.conference_store import CONSULT_ROLES
from models.kpi import trends
from models.queue import QueueFilter, feed_head
from models.reference import active_classes, district_bbox, towns
from widgets.case_detail import CaseDetailPanel
from widgets.kpi.dashboard import KpiDashboard
from widgets.map.config import Basemap, MapConfig
from widgets.map.view import MapView
from widgets.queue.source import SessionQueueSource
from widgets.queue.view import QueueWidget
from widgets.status_light import ConnectionLight
from widgets.video.mosaic import VideoMosaic

ROLE_NAMES = {"duty_officer": "值班员", "shift_leader": "值班长", "dispatcher": "派遣员", "town_officer": "镇街",
              "finance": "财务", "admin": "管理员", "grid_worker": "网格员", "department": "职能部门"}


def _kpi_snapshot(sessions, identity, scope, period, trend_days):
    with sessions() as s:
        snap = trends.dashboard_snapshot(s, identity, scope, period, trend_days=trend_days)
        s.commit()  # the rollup refresh
        return snap


def _cameras(sessions, identity, lon=None, lat=None, radius=None):
    from models import map_data
    from models.cameras import cameras_near
    from models.policy_store import load_policy

    with sessions() as s:
        rows = map_data.cameras(s, identity)
        policy = load_policy(s)
    cams = [Camera(r["id"], r["name"], r["lon"], r["lat"], r["grid_code"], r["stream_url"],
                   CameraKind(r["kind"]) if r["kind"] in set(CameraKind) else guess_kind(r["stream_url"]))
            for r in rows]
    if lon is None:
        return cams[:4]
    return [n.camera for n in cameras_near(cams, lon, lat, radius, policy=policy.intake)][:9]


def _scrolled(widget: QWidget) -> QScrollArea:
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QScrollArea.Shape.NoFrame)
    area.setWidget(widget)
    return area


class MainWindow(QMainWindow):
    def __init__(self, engine, identity: Identity, settings, *, layout: str = "office", language: str = "zh",
                 demo: bool = False, snapshot_size: tuple[int, int] | None = None, screen_index: int | None = None,
                 clock=None) -> None:
        super().__init__()
        self.engine, self.identity, self.settings = engine, identity, settings
        self.layout_name, self.language, self.demo = layout, language, demo
        self.snapshot_size, self.screen_index = snapshot_size, screen_index
        self.clock = clock or (lambda: dt.datetime.now().replace(microsecond=0))
        self.sessions = sessionmaker(engine, expire_on_commit=False)
        self.runner = TaskRunner(self)
        self.demo_driver = None
        self.kpi_ready = False
        wall = layout == "wall"
        screen = screen_for(screen_index)
        height = snapshot_size[1] if snapshot_size else (screen.geometry().height() if screen else 1080)
        self.colours = theme.apply(QApplication.instance(), layout, height)
        self.setWindowTitle(self.tr("GridDesk 网格化治理指挥中心") + (self.tr(" — 演示数据") if demo else ""))
        with self.sessions() as s:
            town_rows = towns(s, identity)
            class_rows = active_classes(s)
            bbox = district_bbox(s, identity)
            head = feed_head(s)
            scope_options = trends.scope_options(s, identity)

        # panels
        self.cases = CaseController(self.sessions, identity, self, clock=self.clock)
        self.queue = QueueWidget(SessionQueueSource(self.sessions, identity), towns=[(i, n) for i, _, n in town_rows],
                                 classes=[(c.code, c.name) for c in class_rows], lang=language,
                                 theme="dark" if wall else "light", clock=self.clock, wall=wall,
                                 alerts=wall and settings.sound_alerts, wall_font_px=max(22, height // 55))
        self.detail = CaseDetailPanel(clock=self.clock, fetch_attachment=self.cases.attachment, wall_mode=wall,
                                      departments=self.cases.department_names())
        centre = ((bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2) if bbox else (121.37, 28.58)
        self.map = MapView(MapConfig(basemap=Basemap.parse(settings.basemap), gcj02=settings.gcj02,
                                     theme="dark" if wall else "light", language=language, wall_mode=wall,
                                     center=centre, zoom=12,
                                     hidden_layers=("cameras", "workers", "tracks") if wall else ("tracks",)))
        self.maps = MapController(self.map, self.sessions, identity, self.runner, self.clock, parent=self)
        self.kpi = KpiDashboard(scope_options, wall_mode=wall)
        self.video = VideoMosaic([], layout=4, toolbar=not wall)
        if wall:  # Leaflet's controls and labels scale with the wall's resolution
            self.map.web_view.setZoomFactor(max(1.0, height / 1080))
        self.setCentralWidget(self.map)
        self.docks: dict[str, QDockWidget] = {}
        # the dashboard and the detail scroll inside their docks, so their (large, on the wall)
        # minimum sizes never push the window past the screen
        for key, title, widget in (("queue", self.tr("案件队列"), self.queue),
                                   ("detail", self.tr("案件详情"), _scrolled(self.detail)),
                                   ("kpi", self.tr("考核指标"), _scrolled(self.kpi)),
                                   ("video", self.tr("视频监控"), self.video)):
            dock = QDockWidget(title, self)
            dock.setObjectName(f"dock.{key}")
            dock.setWidget(widget)
            dock.setFeatures(QDockWidget.DockWidgetFeature.NoDockWidgetFeatures if wall else
                             QDockWidget.DockWidgetFeature.DockWidgetMovable
                             | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                             | QDockWidget.DockWidgetFeature.DockWidgetClosable)
            self.docks[key] = dock
        self._arrange(wall)
        # video consults (issue 8): every role with case work; the button only once a provider exists
        self.conference = self.consults = None
        if identity.role in CONSULT_ROLES:
            self.conference = ConferenceController(self.sessions, identity, self, tab_with=self.docks["video"],
                                                   wall=wall, clock=self.clock)
            self.detail.conferenceRequested.connect(self.conference.consult_case)
        if wall:  # no menu bar on the wall: Ctrl+Shift+N and the video dock's context menu
            attach_screen_actions(self, self.docks["video"], self.video)

        # status bar
        self.light = ConnectionLight(wall_mode=wall)
        who = f"{identity.display_name} · {ROLE_NAMES.get(identity.role.value, identity.role.value)}"
        self.user_label = QLabel(who)
        self.statusBar().addPermanentWidget(self.user_label)
        if demo:
            banner = QLabel(self.tr("演示数据 — 非真实案件"))
            banner.setObjectName("demoBanner")
            self.statusBar().addPermanentWidget(banner)
        self.statusBar().addPermanentWidget(self.light)

        self.actions_by_id = build_actions(self, identity.role, wall)
        self._build_menus(wall)
        self._wire()

        self.live = LiveFeed(engine.url.render_as_string(hide_password=False), identity, since=head, parent=self)
        self.live.casesChanged.connect(self._on_cases_changed)
        self.live.connectionState.connect(self.light.set_state)
        self.live.lastRefresh.connect(self.light.set_last_refresh)
        self.live.resyncNeeded.connect(self._resync)
        self.live.start()
        self._kpi_timer = QTimer(self)
        self._kpi_timer.setInterval(15_000)  # dashboard numbers: at most every 15 s
        self._kpi_timer.timeout.connect(self.refresh_kpi)
        self._kpi_timer.start()
        self.cursor_hider = IdleCursorHider(parent=self) if wall else None
        self.maps.load()
        self.refresh_kpi()
        self.runner.submit("video.default", _cameras, self.sessions, identity, on_done=self.video.set_cameras)
        self._restore_layout()

    # --- layout ---------------------------------------------------------------
    def _arrange(self, wall: bool) -> None:
        d = self.docks
        if wall:
            # right column: queue over video; under the map: indicators beside the case detail
            self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
            self.setCorner(Qt.Corner.TopRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
            self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, d["queue"])
            self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, d["video"])
            self.splitDockWidget(d["queue"], d["video"], Qt.Orientation.Vertical)
            self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, d["kpi"])
            # the wall shows map + queue + indicators + video; a case's detail is an office panel
            self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, d["detail"])
            self.tabifyDockWidget(d["kpi"], d["detail"])
            d["detail"].hide()
        else:
            self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, d["queue"])
            self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, d["detail"])
            self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, d["kpi"])
            self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, d["video"])
            self.tabifyDockWidget(d["kpi"], d["video"])
            d["kpi"].raise_()

    def _size_docks(self) -> None:
        w, h = self.width(), self.height()
        d = self.docks
        if self.layout_name == "wall":
            self.resizeDocks([d["queue"]], [int(w * 0.33)], Qt.Orientation.Horizontal)
            self.resizeDocks([d["queue"], d["video"]], [int(h * 0.58), int(h * 0.42)], Qt.Orientation.Vertical)
            self.resizeDocks([d["kpi"]], [int(h * 0.45)], Qt.Orientation.Vertical)
        else:
            self.resizeDocks([d["queue"], d["detail"]], [int(w * 0.36), int(w * 0.26)], Qt.Orientation.Horizontal)
            self.resizeDocks([d["kpi"]], [int(h * 0.36)], Qt.Orientation.Vertical)

    def _layout_keys(self) -> tuple[str, str, str]:
        return self.identity.role.value, self.layout_name, screen_key(screen_for(self.screen_index))

    def _restore_layout(self) -> None:
        saved = None if self.snapshot_size else self.settings.load_layout(*self._layout_keys())
        if saved:
            self.restoreGeometry(saved[0])
            self.restoreState(saved[1])

    def save_layout(self) -> None:
        self.settings.save_layout(*self._layout_keys(), QByteArray(self.saveGeometry()), QByteArray(self.saveState()))
        self.settings.sync()

    def show_for_layout(self, snapshot: bool = False) -> None:
        if self.snapshot_size:
            self.resize(*self.snapshot_size)
            self.show()
        elif self.layout_name == "wall":
            screen = screen_for(self.screen_index)
            if screen is not None:
                self.setGeometry(screen.geometry())
            self.showFullScreen()
            if self.cursor_hider:
                self.cursor_hider.start()
        else:
            self.resize(1600, 960)
            self.show()
        QTimer.singleShot(0, self._size_docks)
        if self.layout_name == "wall":
            self._fit_timer = QTimer(self, singleShot=True, interval=800)
            self._fit_timer.timeout.connect(self._fit_wall_map)
            self._fit_timer.start()

        if "view.fullscreen" in self.actions_by_id:
            self.actions_by_id["view.fullscreen"].setChecked(self.isFullScreen())

    # --- menus and actions -------------------------------------------------------
    def _build_menus(self, wall: bool) -> None:
        specs = {s.id: s for s in specs_for(self.identity.role, wall)}
        menus = self.menus = {}
        for key, title in MENUS:
            if any(s.menu == key for s in specs.values()):
                menus[key] = self.menuBar().addMenu(QApplication.translate("Actions", title))
        toolbar = None if wall else self.addToolBar(self.tr("常用"))
        if toolbar is not None:
            toolbar.setObjectName("toolbar.main")
        for action_id, action in self.actions_by_id.items():
            spec = specs[action_id]
            if spec.separator_before:
                menus[spec.menu].addSeparator()
            menus[spec.menu].addAction(action)
            if toolbar is not None and spec.toolbar:
                toolbar.addAction(action)
        if wall:
            self.menuBar().setVisible(False)
            for action in self.actions_by_id.values():
                self.addAction(action)  # shortcuts (F11, F5) still work without a menu bar
        a = self.actions_by_id
        self.actions_by_id.get("view.layout." + self.layout_name, a.get("view.layout.office")).setChecked(True)
        a["view.lang." + self.language].setChecked(True)
        a["view.sound"].setChecked(self.settings.sound_alerts)

    def _wire(self) -> None:
        a = self.actions_by_id
        q, m = self.queue, self.map
        q.caseSelected.connect(self.open_case)
        q.caseActivated.connect(self.open_case)
        q.filterChanged.connect(self.maps.set_filter)
        m.caseClicked.connect(self._on_map_case)
        m.gridClicked.connect(self._on_map_grid)
        m.coordinatePicked.connect(self._on_coordinate)
        m.ready.connect(lambda: None)
        self.detail.actionRequested.connect(self.cases.request)
        self.detail.locateRequested.connect(lambda cid: self.map.fly_to_case(cid))
        self.cases.detailLoaded.connect(self.detail.set_detail)
        self.cases.caseChanged.connect(lambda cid: self._on_cases_changed([cid]))
        self.cases.failed.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.cases.intakeOpened.connect(lambda _d: self.map.set_intake_mode(True))
        self.cases.intakeClosed.connect(lambda: self.map.set_intake_mode(False))
        self.cases.intakeSaved.connect(self._on_intake_saved)
        self.kpi.drillDown.connect(self.drill_down)
        self.kpi.drillNotice.connect(lambda text: self.statusBar().showMessage(text, 10000))
        self.kpi.selectionChanged.connect(lambda *_: self.refresh_kpi())
        self.kpi.bulletinRequested.connect(self._bulletin)
        if "case.new" in a:
            a["case.new"].triggered.connect(self.cases.start_intake)
        a["case.refresh"].triggered.connect(self._refresh_all)
        if "case.supervise" in a:
            a["case.supervise"].triggered.connect(self._supervise)
        if "case.locate" in a:
            a["case.locate"].triggered.connect(self._locate_current)
        a["view.fullscreen"].triggered.connect(self._toggle_fullscreen)
        a["view.layout.wall"].triggered.connect(lambda: self._switch_layout("wall"))
        a["view.layout.office"].triggered.connect(lambda: self._switch_layout("office"))
        a["view.reset_layout"].triggered.connect(self._size_docks)
        a["view.sound"].toggled.connect(self._set_sound)
        a["view.lang.zh"].triggered.connect(lambda: self._switch_language("zh"))
        a["view.lang.en"].triggered.connect(lambda: self._switch_language("en"))
        if "report.panel" in a:
            a["report.panel"].triggered.connect(self._open_reports)
        a["app.logout"].triggered.connect(self._logout)
        a["app.quit"].triggered.connect(self.close)
        a["help.about"].triggered.connect(self._about)
        if self.conference is not None:  # grid (the map's selection) / town consults, ending a consult
            self.consults = ConsultActions(self.conference, a, self.maps, self)
            self.consults.providersChanged.connect(self.detail.set_conference_enabled)
            self.conference.failed.connect(lambda text: self.statusBar().showMessage(text, 8000))
            if "case" in self.menus:
                self.menus["case"].aboutToShow.connect(self.consults.refresh)
                self.menus["case"].setToolTipsVisible(True)  # why an entry is off (Fusion hides disabled tips)
            self.consults.refresh()

    # --- behaviour ------------------------------------------------------------------
    def open_case(self, case_id: int) -> None:
        detail = self.cases.load(case_id)
        if detail is not None:
            self.map.fly_to_case(case_id)
            self.runner.submit("video.near", _cameras, self.sessions, self.identity, detail.fields["lon"],
                               detail.fields["lat"], on_done=self.video.set_cameras)

    def _fit_wall_map(self) -> None:
        """Fit the district once the docks have their final size and the data is in."""
        if self.maps.loaded and self.map.is_ready():
            self.map.unlock_view()
        else:
            self._fit_timer.start()

    def _on_map_case(self, case_id: int) -> None:
        self.queue.select_case(case_id)
        self.open_case(case_id)

    def _on_map_grid(self, grid_id: int) -> None:
        self.drill_down(QueueFilter(grid_ids=(grid_id,)))

    def _on_coordinate(self, lon: float, lat: float) -> None:
        if self.cases.active_intake is not None:
            self.cases.active_intake.set_location(lon, lat)

    def _on_intake_saved(self, case_id: int) -> None:
        self.statusBar().showMessage(self.tr("已受理新案件"), 5000)
        self.queue.refresh()
        self.queue.select_case(case_id)
        self.open_case(case_id)

    def drill_down(self, flt: QueueFilter) -> None:
        """A KPI tile, a chart bar or a grid on the map: show exactly those cases."""
        self.queue.set_filter(flt)
        self.maps.set_filter(flt)
        self.docks["queue"].raise_()

    def _on_cases_changed(self, ids: list[int]) -> None:
        try:
            self.queue.refresh()
        except SQLAlchemyError as exc:  # the database went away between the poll and this refresh
            self.statusBar().showMessage(str(exc.__class__.__name__), 5000)
            return
        self.maps.cases_changed(ids)
        current = self.cases.current
        if current is not None and current.id in ids:
            self.cases.load(current.id)

    def _resync(self) -> None:
        self.queue.set_filter(self.queue.filter())
        self.maps.load()
        self.refresh_kpi()
        self.runner.submit("video.default", _cameras, self.sessions, self.identity, on_done=self.video.set_cameras)

    def refresh_kpi(self) -> None:
        scope, period, days = self.kpi.selection()
        self.runner.submit("kpi.snapshot", _kpi_snapshot, self.sessions, self.identity, scope, period, days,
                           on_done=self._on_kpi, on_error=lambda e: self.statusBar().showMessage(str(e), 8000))

    def _on_kpi(self, snapshot) -> None:
        self.kpi.set_data(snapshot)
        self.kpi_ready = True

    def _refresh_all(self) -> None:
        self.live.poll_now()
        self.queue.refresh()
        self.maps.refresh_measures()
        self.refresh_kpi()

    def _supervise(self) -> None:
        from models.lifecycle.service import CaseService

        with self.sessions() as s:
            n = CaseService(s, self.identity, clock=self.clock).supervise()
            s.commit()
        self.statusBar().showMessage(self.tr("按规则督办: 新发 {0} 张督办卡").format(n), 8000)

    def _locate_current(self) -> None:
        if self.cases.current is not None:
            self.map.fly_to_case(self.cases.current.id)

    def _toggle_fullscreen(self, on: bool) -> None:
        self.showFullScreen() if on else self.showNormal()

    def _set_sound(self, on: bool) -> None:
        self.settings.sound_alerts = on
        self.queue.set_alerts(self.layout_name == "wall" and on)

    def _switch_layout(self, layout: str) -> None:
        if layout != self.layout_name:
            QMessageBox.information(self, self.tr("切换布局"),
                                    self.tr("布局将在重新登录后生效 (griddesk gui --layout {0})。").format(layout))
        self.actions_by_id["view.layout." + self.layout_name].setChecked(True)
        self.actions_by_id["view.layout." + ("office" if self.layout_name == "wall" else "wall")].setChecked(False)

    def _switch_language(self, language: str) -> None:
        self.settings.language = language
        self.actions_by_id["view.lang." + self.language].setChecked(True)
        other = "en" if self.language == "zh" else "zh"
        self.actions_by_id["view.lang." + other].setChecked(False)
        if language != self.language:
            QMessageBox.information(self, "GridDesk", self.tr("界面语言将在重新启动后生效。"))

    def _open_reports(self) -> None:
        from desktop.reports_panel import ReportsPanel

        panel = ReportsPanel(self.engine, self.identity, parent=self)
        panel.show()

    def _bulletin(self, week: str) -> None:
        from desktop.reports_panel import ReportsPanel

        panel = ReportsPanel(self.engine, self.identity, parent=self, initial=("bulletin", week))
        panel.show()

    def _logout(self) -> None:
        self.close()

    def _about(self) -> None:
        QMessageBox.about(self, "GridDesk", self.tr("GridDesk 网格化治理指挥中心\n闭环处置 · 实时监控 · 考核评价"))

    # --- readiness (snapshots, tests) -------------------------------------------------
    def pending(self) -> list[str]:
        out = []
        if not self.map.is_ready():
            out.append("map page")
        if not self.maps.loaded:
            out.append("map data")
        if not self.kpi_ready:
            out.append("kpi")
        return out

    def is_ready(self) -> bool:
        fit = getattr(self, "_fit_timer", None)
        return not self.pending() and (fit is None or not fit.isActive())

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt)
        if not self.snapshot_size:
            self.save_layout()
        self.live.stop()
        if self.demo_driver is not None:
            self.demo_driver.stop()
        if self.cursor_hider is not None:
            self.cursor_hider.stop()
        self.runner.shutdown()
        super().closeEvent(event)


__all__ = ["MainWindow", "QWidget"]
