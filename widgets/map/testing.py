"""Helpers to drive a `MapView` from tests and benchmarks (blocking, event loop running)."""

from __future__ import annotations

import json
import time
from typing import Any

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtGui import QImage


def spin(ms: int) -> None:
    """Run the event loop for `ms` milliseconds."""
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def wait_for(predicate, timeout_ms: int = 15000, step_ms: int = 20) -> bool:
    deadline = time.monotonic() + timeout_ms / 1000
    while time.monotonic() < deadline:
        if predicate():
            return True
        spin(step_ms)
    return bool(predicate())


def wait_ready(view, timeout_ms: int = 30000) -> None:
    if not wait_for(view.is_ready, timeout_ms):
        raise TimeoutError("map page did not become ready")


def js(view, script: str, timeout_ms: int = 15000) -> Any:
    """Evaluate script in the page and return its result; JSON strings are decoded."""
    box: dict[str, Any] = {}
    view.run_js(script, lambda r: box.setdefault("r", r))
    if not wait_for(lambda: "r" in box, timeout_ms, 5):
        raise TimeoutError(f"no result from {script!r}")
    r = box["r"]
    if isinstance(r, str) and r[:1] in "[{\"" or r in ("null", "true", "false"):
        try:
            return json.loads(r)
        except ValueError:
            return r
    return r


def wait_painted(view, timeout_ms: int = 30000) -> float:
    """Block until everything sent so far is on screen; returns the seconds waited."""
    t0 = time.perf_counter()
    got: list[int] = []
    token = view.request_paint_ack()
    view.bridge.painted.connect(got.append)
    try:
        if not wait_for(lambda: token in got, timeout_ms, 1):
            raise TimeoutError("page did not paint")
    finally:
        view.bridge.painted.disconnect(got.append)
    return time.perf_counter() - t0


def grab(view, settle_ms: int = 120) -> QImage:
    """A screenshot of the map (the event loop must run, ~50 ms after the last paint)."""
    wait_painted(view)
    spin(settle_ms)
    return view.web_view.grab().toImage()


def open_view(qtbot, config=None, *, size=(900, 650), wait: bool = True, before_load=None):
    """A shown `MapView` registered with pytest-qt's `qtbot`, ready unless `wait=False`.

    `before_load(view)` runs after construction and before the page loads (the load is
    deferred to the next event-loop turn), e.g. to install a request interceptor.
    """
    from .view import MapView

    view = MapView(config)
    if before_load is not None:
        before_load(view)
    qtbot.addWidget(view)
    view.resize(*size)
    view.show()
    if wait:
        wait_ready(view)
        wait_painted(view)
    return view
