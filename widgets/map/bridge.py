"""The QWebChannel object the map page calls when the user does something.

The page sees it as ``gdBridge`` (see griddesk_map.js). Slots take plain numbers and
strings; each re-emits a Qt signal that `MapView` turns into its public signals.
Coordinates arrive in display coordinates (GCJ-02 when the basemap is GCJ-02);
`MapView` converts them back to WGS-84.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal, Slot

log = logging.getLogger(__name__)


class MapBridge(QObject):
    gridClicked = Signal(int)
    caseClicked = Signal(int)
    cameraClicked = Signal(int)
    mapClicked = Signal(float, float)  # display lon, lat
    viewLockChanged = Signal(bool)
    pageReady = Signal()
    painted = Signal(int)  # token of GD.afterPaint(token)
    jsError = Signal(str)

    @Slot(int)
    def gridClick(self, grid_id: int) -> None:  # noqa: N802 (called from JS)
        self.gridClicked.emit(int(grid_id))

    @Slot(int)
    def caseClick(self, case_id: int) -> None:  # noqa: N802
        self.caseClicked.emit(int(case_id))

    @Slot(int)
    def cameraClick(self, camera_id: int) -> None:  # noqa: N802
        self.cameraClicked.emit(int(camera_id))

    @Slot(float, float)
    def mapClick(self, lon: float, lat: float) -> None:  # noqa: N802
        self.mapClicked.emit(float(lon), float(lat))

    @Slot(bool)
    def viewLock(self, locked: bool) -> None:  # noqa: N802
        self.viewLockChanged.emit(bool(locked))

    @Slot()
    def ready(self) -> None:
        self.pageReady.emit()

    @Slot(int)
    def paintDone(self, token: int) -> None:  # noqa: N802
        self.painted.emit(int(token))

    @Slot(str)
    def error(self, message: str) -> None:
        log.warning("map page: %s", message)
        self.jsError.emit(message)
