"""`griddesk gui --snapshot FILE.png`: wait until the panels show their data, then grab."""

from __future__ import annotations

import time

from PySide6.QtWidgets import QApplication


def save_snapshot(app: QApplication, window, path: str, timeout_s: float = 90.0) -> None:
    window.show_for_layout(snapshot=True)
    deadline = time.monotonic() + timeout_s
    while not window.is_ready():
        if time.monotonic() > deadline:
            raise RuntimeError(f"the window did not finish loading in {timeout_s:.0f} s: {window.pending()}")
        app.processEvents()
        time.sleep(0.02)
    settle = time.monotonic() + 1.5  # let the map and charts paint
    while time.monotonic() < settle:
        app.processEvents()
        time.sleep(0.02)
    image = window.grab()
    if not image.save(path):
        raise RuntimeError(f"cannot write {path}")
    print(f"snapshot {image.width()}x{image.height()} -> {path}")
