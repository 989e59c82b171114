"""Video-wall behaviour: hide the mouse cursor when idle, go full screen on a chosen screen."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QCursor, QGuiApplication
from PySide6.QtWidgets import QApplication


class IdleCursorHider(QObject):
    """Blank the cursor after `idle_ms` without mouse movement; any movement shows it again.

    The cursor position is polled: an application-wide Python event filter sees every
    event of QtWebEngine's internal Quick items, and PySide crashes wrapping those.
    """

    def __init__(self, idle_ms: int = 3000, parent=None, poll_ms: int = 250) -> None:
        super().__init__(parent)
        self.hidden = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(idle_ms)
        self._timer.timeout.connect(self._hide)
        self._poll = QTimer(self)
        self._poll.setInterval(poll_ms)
        self._poll.timeout.connect(self._check)
        self._last_pos = None

    def start(self) -> None:
        self._last_pos = QCursor.pos()
        self._timer.start()
        self._poll.start()

    def stop(self) -> None:
        self._poll.stop()
        self._timer.stop()
        self._show()

    def _check(self) -> None:
        pos = QCursor.pos()
        if pos != self._last_pos:
            self._last_pos = pos
            self._show()
            self._timer.start()

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
