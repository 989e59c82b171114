"""Video consults in the window: from a case (or a grid, or a town) to a running conference.

`ConferenceController.consult_case(case_id)` (the case detail's "视频会商" button),
`consult_grid(grid_id)` (案件 › 与网格视频会商, for the grid selected on the map) and
`consult_town_dialog()` (案件 › 与镇街视频会商…, a town picked from the user's scope)
load the target and its proposed participants (`models.conference_store`), show
`ConsultDialog` (checkable participants, the provider with the default
preselected), builds the launch with the provider and carries it out:

- embedded URL: the `ConferencePanel` in a "视频会商" dock, created on first use and
  tabbed next to the video dock;
- browser URL: the system browser;
- process: `ProcessLauncher` (argument list, no shell).

Each consult writes a start row and an end row (`record_consult`, one Session each):
the start before anything is opened — a consult that cannot be recorded is not
started — and the end when the panel hangs up (its button, the page leaving, the dock
closed, the window closed; with the camera/microphone decisions made meanwhile) or
the client exits (with its exit status). A browser consult has no end the program can
see: 案件 › 结束会商… (`end_dialog`) lists this seat's running consults and records the
end the user gives (a browser consult's end time may be set back to when it really
ended; an embedded one is hung up, a client asked to quit). `ConsultActions` keeps
those three menu entries enabled only when they can run, with a status tip saying why.

`attach_screen_actions` gives the wall (no menu bar) the video panel's "full screen
on screen N": a context menu on the video dock and Ctrl+Shift+N shortcuts.
"""

from __future__ import annotations

import dataclasses as dc
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QPoint, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QDockWidget, QMainWindow, QMenu, QMessageBox
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from models.auth import Identity
from models.conference import ConferenceError, ConferenceLaunch, LaunchKind, Participant, start_conference
from models.conference_store import (ConsultTarget, ProviderConfig, consult_for_case, consult_for_grid,
                                     consult_for_town, has_enabled_provider, list_providers, record_consult)
from models.lifecycle.errors import CaseError
from models.reference import towns
from widgets.video.process_launcher import ProcessLauncher, ProcessRecord, open_in_browser

from desktop.consult_dialogs import ConsultDialog, EndConsultDialog, PickDialog, local_time


def _utc_now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


# --------------------------------------------------------------------------- controller

@dc.dataclass
class RunningConsult:
    """A consult this seat started and whose end is not recorded yet."""

    target: ConsultTarget
    provider_name: str
    launch: ConferenceLaunch
    started_at: str  # UTC, ISO
    permissions: list[dict[str, Any]] = dc.field(default_factory=list)
    ended_by_user: bool = False  # 结束会商… asked the client to quit

    def label(self) -> str:
        where = {LaunchKind.EMBEDDED_URL: QCoreApplication.translate("ConsultDialog", "会商面板"),
                 LaunchKind.BROWSER_URL: QCoreApplication.translate("ConsultDialog", "浏览器"),
                 LaunchKind.PROCESS: QCoreApplication.translate("ConsultDialog", "客户端")}[self.launch.kind]
        return " · ".join((self.target.title, f"{self.provider_name} ({where})",
                           local_time(self.started_at).toString("HH:mm")))

    def payload(self, **extra: Any) -> dict[str, Any]:
        return {**self.launch.log_payload(), "provider_name": self.provider_name, "scope": self.target.scope,
                "started_at": self.started_at, **extra}


class ConferenceController(QObject):
    """Starts consults for the main window and records them (see the module docstring).

    Signals: `started(ConferenceLaunch)`, `ended(dict)` (the end row's payload),
    `recorded(scope, target_id, phase)`, `failed(str)`.
    """

    started = Signal(object)
    ended = Signal(object)
    recorded = Signal(str, int, str)
    failed = Signal(str)

    def __init__(self, sessions: sessionmaker[Session], identity: Identity, window: QMainWindow, *,
                 tab_with: QDockWidget | None = None, wall: bool = False,
                 clock: Callable[[], dt.datetime] | None = None, message_boxes: bool = True) -> None:
        super().__init__(window)
        self.sessions, self.identity, self.window = sessions, identity, window
        self.tab_with, self.wall = tab_with, wall
        self.clock = clock or (lambda: dt.datetime.now().replace(microsecond=0))
        self.message_boxes = message_boxes
        self.launcher = ProcessLauncher(self)
        self.launcher.ended.connect(self._on_process_ended)
        self._panel = None
        self._dock: QDockWidget | None = None
        self._consults: dict[int, RunningConsult] = {}  # id(launch) -> running consult
        window.installEventFilter(self)

    # ---------------------------------------------------------------- public
    def has_providers(self) -> bool:
        """Whether any provider is enabled (the case detail shows its button only then)."""
        try:
            with self.sessions() as s:
                return has_enabled_provider(s)
        except SQLAlchemyError:
            return False

    def consult_case(self, case_id: int) -> ConferenceLaunch | None:
        return self._consult(consult_for_case, case_id)

    def consult_grid(self, grid_id: int) -> ConferenceLaunch | None:
        return self._consult(consult_for_grid, grid_id)

    def consult_town(self, town_id: int) -> ConferenceLaunch | None:
        return self._consult(consult_for_town, town_id)

    def start(self, target: ConsultTarget, provider: ProviderConfig,
              participants: Sequence[Participant]) -> ConferenceLaunch | None:
        """Start a consult without the dialog; None when it could not be started (reported)."""
        request = target.request(self.identity.display_name or self.identity.username, participants)
        try:
            launch = start_conference(provider.kind, provider.config, request)
        except (ConferenceError, ValueError) as exc:
            self._fail(self.tr("无法开始视频会商: {0}").format(exc))
            return None
        consult = RunningConsult(target, provider.name, launch, _utc_now())
        if launch.kind is LaunchKind.EMBEDDED_URL:
            panel = self.panel()
            panel.hang_up()  # the running consult ends (and is recorded) before the next one starts
            if not self._record(consult, "start", consult.payload()):
                return None
            self._consults[id(launch)] = consult
            panel.open(launch)
            self._dock.show()
            self._dock.raise_()
        elif launch.kind is LaunchKind.BROWSER_URL:
            if not self._record(consult, "start", consult.payload()):
                return None
            if not open_in_browser(launch):
                self._record(consult, "end", consult.payload(ended_at=_utc_now(), status="failed_to_start",
                                                             error="no browser"))
                self._fail(self.tr("无法打开浏览器: {0}").format(launch.url))
                return None
            self._consults[id(launch)] = consult  # its end comes from 结束会商… (the browser does not tell)
        else:
            if not self._record(consult, "start", consult.payload()):
                return None
            self._consults[id(launch)] = consult  # before start: a failure to start ends it at once
            self.launcher.start(launch)
        self.started.emit(launch)
        return launch

    def panel(self):
        """The conference panel, in its dock (created on first use, tabbed with the video)."""
        if self._panel is None:
            from widgets.video.conference_panel import ConferencePanel  # QtWebEngine: only when needed

            self._panel = ConferencePanel()
            self._panel.ended.connect(self._on_panel_ended)
            self._panel.permission_decided.connect(self._on_permission)
            dock = QDockWidget(self.tr("视频会商"), self.window)
            dock.setObjectName("dock.conference")
            dock.setWidget(self._panel)
            dock.setFeatures(QDockWidget.DockWidgetFeature.NoDockWidgetFeatures if self.wall else
                             QDockWidget.DockWidgetFeature.DockWidgetMovable
                             | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                             | QDockWidget.DockWidgetFeature.DockWidgetClosable)
            area = Qt.DockWidgetArea.RightDockWidgetArea
            if self.tab_with is not None:
                area = self.window.dockWidgetArea(self.tab_with)
            dock.installEventFilter(self)  # closing the dock hangs up
            self.window.addDockWidget(area, dock)
            if self.tab_with is not None:
                self.window.tabifyDockWidget(self.tab_with, dock)
            self._dock = dock
        return self._panel

    def dock(self) -> QDockWidget | None:
        return self._dock

    def running(self) -> list[ConferenceLaunch]:
        return [c.launch for c in self._consults.values()]

    def running_consults(self) -> list[RunningConsult]:
        """This seat's consults without an end row yet (panel, client, browser), oldest first."""
        return list(self._consults.values())

    def consult_town_dialog(self) -> ConferenceLaunch | None:
        """与镇街视频会商…: pick a town of the user's scope (a town officer: their own), then consult it."""
        if not self.has_providers():
            self._fail(self._no_provider_text())
            return None
        try:
            with self.sessions() as s:
                rows = towns(s, self.identity)
        except (SQLAlchemyError, PermissionError) as exc:
            self._fail(str(exc))
            return None
        dialog = PickDialog(self.tr("与镇街视频会商"), self.tr("镇街"),
                            [(f"{code} {name}", town_id) for town_id, code, name in rows], self.tr("下一步"),
                            self.window)
        dialog.setObjectName("consultTownDialog")
        try:
            town_id = dialog.chosen() if dialog.exec() == QDialog.DialogCode.Accepted else None
        finally:
            dialog.deleteLater()
        return None if town_id is None else self.consult_town(town_id)

    def end_dialog(self) -> None:
        """结束会商…: pick one of this seat's running consults and end it (see `end`)."""
        dialog = EndConsultDialog(self.running_consults(), self.window)
        try:
            if dialog.exec() == QDialog.DialogCode.Accepted and dialog.chosen() is not None:
                self.end(dialog.chosen().launch, dialog.ended_at())
        finally:
            dialog.deleteLater()

    def end(self, launch: ConferenceLaunch, ended_at: dt.datetime | None = None) -> None:
        """End a running consult: the panel hangs up, a client is asked to quit (both record their end
        as usual, the client's with status `ended_by_user`); a browser consult, whose end the program
        cannot see, gets its end row now with `ended_at` (default: now) and status `ended_by_user`."""
        consult = self._consults.get(id(launch))
        if consult is None:
            return
        if launch.kind is LaunchKind.EMBEDDED_URL:
            if self._panel is not None and self._panel.current_launch() is launch:
                self._panel.hang_up()
        elif launch.kind is LaunchKind.PROCESS:
            record = next((r for r in self.launcher.running() if r.launch is launch), None)
            if record is not None:
                consult.ended_by_user = True
                self.launcher.terminate(record)
        else:
            at = (ended_at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
            self._consults.pop(id(launch))  # before the end row: `ended` sees it gone
            if not self._record(consult, "end", consult.payload(ended_at=at.isoformat(), status="ended_by_user")):
                self._consults[id(launch)] = consult  # not recorded: still listed, to try again

    def shutdown(self) -> None:
        """Hang up and end running clients (the window closes); their end rows are written."""
        if self._panel is not None:
            self._panel.hang_up()
        self.launcher.shutdown()

    # ---------------------------------------------------------------- internals
    def _consult(self, loader, target_id: int) -> ConferenceLaunch | None:
        try:
            with self.sessions() as s:
                target = loader(s, self.identity, target_id)
                providers = list_providers(s, enabled_only=True)
        except (CaseError, SQLAlchemyError) as exc:
            self._fail(str(exc))
            return None
        if not providers:
            self._fail(self._no_provider_text())
            return None
        dialog = ConsultDialog(target, providers, self.window)
        try:
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return None
            provider, participants = dialog.provider(), dialog.participants()
        finally:
            dialog.deleteLater()
        if provider is None:
            return None
        return self.start(target, provider, participants)

    def _no_provider_text(self) -> str:
        return self.tr("尚未配置视频会商系统, 请联系管理员。") + " (griddesk conference provider add)"

    def _record(self, consult: RunningConsult, phase: str, payload: dict[str, Any]) -> bool:
        target = consult.target
        try:
            with self.sessions() as s:
                record_consult(s, self.identity, target.scope, target.id, payload, phase, at=self.clock())
                s.commit()
        except (CaseError, SQLAlchemyError) as exc:
            if phase == "start":
                self._fail(self.tr("会商未开始: 无法写入流转记录。\n{0}").format(exc))
            else:
                self.failed.emit(self.tr("会商结束未能记录: {0}").format(exc))
            return False
        self.recorded.emit(target.scope, target.id, phase)
        if phase == "end":
            self.ended.emit({**payload, "phase": phase})
        return True

    def _on_panel_ended(self, launch: ConferenceLaunch) -> None:
        consult = self._consults.pop(id(launch), None)
        if consult is not None:
            self._record(consult, "end", consult.payload(ended_at=_utc_now(), status="hung_up",
                                                         permissions=list(consult.permissions)))

    def _on_permission(self, origin: str, permission: str, granted: bool) -> None:
        launch = self._panel.current_launch() if self._panel is not None else None
        consult = self._consults.get(id(launch)) if launch is not None else None
        if consult is not None:
            consult.permissions.append({"origin": origin, "permission": permission, "granted": granted,
                                        "at": _utc_now()})

    def _on_process_ended(self, record: ProcessRecord) -> None:
        consult = self._consults.pop(id(record.launch), None)
        if consult is not None:
            self._record(consult, "end", {**consult.payload(), **record.log_payload(),
                                          **({"status": "ended_by_user"} if consult.ended_by_user else {})})
        if record.status == "failed_to_start":
            self._fail(self.tr("会商客户端未能启动: {0}").format(record.error or record.argv[0]))

    def _fail(self, text: str) -> None:
        self.failed.emit(text)
        if self.message_boxes:
            QMessageBox.warning(self.window, self.tr("视频会商"), text)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt)
        if event.type() == QEvent.Type.Close:
            if obj is self.window:
                self.shutdown()
            elif obj is self._dock and self._panel is not None:
                self._panel.hang_up()
        return False


# --------------------------------------------------------------------------- the window's entries

class ConsultActions(QObject):
    """Drives the declared actions consult.grid, consult.town and consult.end (desktop/actions.py).

    Each is enabled only when it can run — a grid selected on the map (`maps.selected_grid`),
    a provider configured, a consult running on this seat — with a status tip saying what
    it does or why not. `refresh()` checks the providers again (the window calls it when
    the menu opens) and emits `providersChanged(bool)`.
    """

    providersChanged = Signal(bool)

    def __init__(self, controller: ConferenceController, actions: Mapping[str, QAction], maps,
                 parent: QObject | None = None) -> None:
        super().__init__(parent or controller)
        self.controller, self.maps, self.providers = controller, maps, False
        self.grid, self.town, self.end = (actions.get(f"consult.{k}") for k in ("grid", "town", "end"))
        for action, slot in ((self.grid, self.consult_selected_grid), (self.town, controller.consult_town_dialog),
                             (self.end, controller.end_dialog)):
            if action is not None:
                action.triggered.connect(lambda _checked=False, slot=slot: slot())
        maps.gridSelected.connect(self.update)
        for signal in (controller.started, controller.ended, controller.failed):
            signal.connect(self.update)

    def consult_selected_grid(self) -> ConferenceLaunch | None:
        grid = self.maps.selected_grid
        return None if grid is None else self.controller.consult_grid(grid)

    def refresh(self) -> None:
        self.providers = self.controller.has_providers()
        self.providersChanged.emit(self.providers)
        self.update()

    def update(self, *_: Any) -> None:
        none = self.tr("尚未配置视频会商系统, 请联系管理员。")
        grid = self.maps.selected_grid
        if self.grid is not None:
            _state(self.grid, self.providers and grid is not None,
                   none if not self.providers else self.tr("请先在地图上点击选择网格。") if grid is None
                   else self.tr("与网格 {0} 视频会商").format(self.maps.grid_label(grid) or grid))
        if self.town is not None:
            _state(self.town, self.providers, self.tr("选择镇街并开始视频会商") if self.providers else none)
        if self.end is not None:
            n = len(self.controller.running_consults())
            _state(self.end, n > 0, self.tr("记录本席位进行中会商的结束 ({0} 个)").format(n) if n
                   else self.tr("本席位没有进行中的会商。"))


def _state(action: QAction, enabled: bool, tip: str) -> None:
    action.setEnabled(enabled)
    action.setStatusTip(tip)
    action.setToolTip(tip)


# --------------------------------------------------------------------------- the wall's video screens

def attach_screen_actions(window: QMainWindow, dock: QDockWidget, mosaic) -> list[QAction]:
    """'Full screen on screen N' for a window without a menu bar: Ctrl+Shift+N and a context menu.

    The shortcuts cover the screens connected when the window opens; the context menu
    lists the screens connected when it opens.
    """
    actions = mosaic.screen_actions()[:9]
    for i, action in enumerate(actions):
        action.setObjectName(f"video.screen.{i + 1}")
        action.setShortcut(QKeySequence(f"Ctrl+Shift+{i + 1}"))
        window.addAction(action)
    dock.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
    dock.customContextMenuRequested.connect(lambda pos: _screen_menu(dock, mosaic, pos))
    return actions


def _screen_menu(dock: QDockWidget, mosaic, pos: QPoint) -> QMenu:
    """A popup (no nested event loop) listing the screens connected now; deleted once hidden."""
    menu = QMenu(dock)
    menu.setObjectName("videoScreenMenu")
    menu.addSection(QCoreApplication.translate("VideoMosaic", "全屏显示到"))
    for action in mosaic.screen_actions():
        action.setParent(menu)
        menu.addAction(action)
    menu.aboutToHide.connect(menu.deleteLater)  # deferred: a chosen action still triggers first
    menu.popup(dock.mapToGlobal(pos))
    return menu
