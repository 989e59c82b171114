"""Shared tail of the widget demos (`python -m widgets.<module> --screenshot PNG`)."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QWidget


def run_demo(app: QApplication, widget: QWidget, screenshot: str | None = None, quit_after: int | None = None,
             settle_ms: int = 400) -> int:
    """Show `widget`; save a screenshot and quit, or quit after `quit_after` ms, or run until closed."""
    widget.show()
    if screenshot:
        def shoot() -> None:
            widget.grab().save(screenshot)
            app.quit()

        QTimer.singleShot(settle_ms, shoot)
    elif quit_after:
        QTimer.singleShot(quit_after, app.quit)
    return app.exec()
