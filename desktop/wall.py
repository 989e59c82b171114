"""Video-wall behaviour: hide the mouse cursor when idle, go full screen on a chosen screen."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QCursor, QGuiApplication
from PySide6.QtWidgets import QApplication


class IdleCursorHider(QObject):
    """Blank the cursor after `idle_ms` without mouse movement; any movement shows it again."""

    def __init__(self, idle_ms: int = 3000, parent=None) -> None:
        super().__init__(parent)
        self.hidden = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(idle_ms)
        self._timer.timeout.connect(self._hide)

    def start(self) -> None:
        QApplication.instance().installEventFilter(self)
        self._timer.start()

    def stop(self) -> None:
        QApplication.instance().removeEventFilter(self)
        self._timer.stop()
        self._show()

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt)
        if event.type() in (QEvent.Type.MouseMove, QEvent.Type.MouseButtonPress, QEvent.Type.Wheel):
            self._show()
            self._timer.start()
        return False

    def _hide(self) -> None:
        if not self.hidden:
            QApplication.setOverrideCursor(QCursor(Qt.CursorShape.BlankCursor))
            self.hidden = True

    def _show(self) -> None:
        if self.hidden:
            QApplication.restoreOverrideCursor()
            self.hidden = False


def screen_for(index: int | None):
    screens = QGuiApplication.screens()
    if index is None or not 0 <= index < len(screens):
        return QGuiApplication.primaryScreen()
    return screens[index]


def screen_key(screen) -> str:
    """Settings key of a screen: its size (a wall and an office monitor differ)."""
    g = screen.geometry() if screen is not None else None
    return "default" if g is None else f"{g.width()}x{g.height()}"
