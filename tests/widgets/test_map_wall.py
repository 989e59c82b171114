"""Wall mode: a manual pan locks the view; auto-fit only when the set of shown cases changes."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from widgets.map.config import MapConfig
from widgets.map.schemes import register_schemes
from widgets.map.testing import js, open_view, spin, wait_for, wait_painted

register_schemes()

pytestmark = pytest.mark.gui


def _cases(first_id, lon, lat, n=5, d=0.004):
    return [
        {"id": first_id + k, "code": f"C{first_id + k}", "lon": lon + d * (k % 3), "lat": lat + d * (k // 3),
         "light": "yellow", "title": "", "card": ""}
        for k in range(n)
    ]


def _drag(view, start: QPoint, delta: QPoint) -> None:
    """A real left-button drag through Qt's event system."""
    target = view.web_view.focusProxy()
    L, NB = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton

    def send(kind, pos, button, buttons):
        p = QPointF(pos)
        QApplication.sendEvent(target, QMouseEvent(kind, p, target.mapToGlobal(p), button, buttons, Qt.KeyboardModifier.NoModifier))
        spin(16)

    send(QEvent.Type.MouseMove, start, NB, NB)
    send(QEvent.Type.MouseButtonPress, start, L, L)
    for k in range(1, 11):
        send(QEvent.Type.MouseMove, start + delta * (k / 10), NB, L)
    send(QEvent.Type.MouseButtonRelease, start + delta, L, NB)


def _center(view):
    return js(view, "GD.state()")["center"]


def test_manual_pan_locks_and_only_a_new_case_set_refits(qtbot):
    view = open_view(qtbot, MapConfig(wall_mode=True, center=(121.4, 28.55), zoom=12, animate=False))
    locks = []
    view.viewLocked.connect(locks.append)
    view.set_cases(_cases(1, 121.40, 28.55))
    wait_painted(view)
    c_a = _center(view)
    assert c_a == pytest.approx([121.404, 28.552], abs=0.002)  # fitted to set A

    # programmatic moves (fly_to_case) do not lock
    view.fly_to_case(1)
    wait_painted(view)
    spin(100)
    assert locks == [] and not view.is_locked()
    view.unlock_view()  # refits to A; emits nothing since not locked
    wait_painted(view)

    _drag(view, QPoint(450, 330), QPoint(-180, 90))
    assert wait_for(lambda: locks == [True], 3000), locks
    assert view.is_locked() and js(view, "GD.state()")["locked"] is True
    assert js(view, "getComputedStyle(document.querySelector('.gd-lock')).display") != "none"
    spin(800)  # drag inertia
    c_locked = _center(view)
    assert c_locked != pytest.approx(c_a, abs=1e-6)

    # a new set of cases while locked: the view stays where the operator put it
    view.set_cases(_cases(100, 121.60, 28.70))
    wait_painted(view)
    assert _center(view) == pytest.approx(c_locked, abs=1e-9)

    view.unlock_view()
    assert wait_for(lambda: locks == [True, False], 3000), locks
    wait_painted(view)
    c_b = _center(view)
    assert c_b == pytest.approx([121.604, 28.702], abs=0.002)  # fitted to set B

    # the same set with moved positions and new lights: no refit
    moved = [dict(c, lon=c["lon"] + 0.01, light="red") for c in _cases(100, 121.60, 28.70)]
    view.set_cases(moved)
    wait_painted(view)
    assert _center(view) == pytest.approx(c_b, abs=1e-9)

    # one more case: the set changed, so it refits
    view.upsert_cases(_cases(500, 121.70, 28.75, n=1))
    wait_painted(view)
    assert _center(view) != pytest.approx(c_b, abs=1e-4)


def test_office_mode_never_locks_and_fits_once(qtbot):
    view = open_view(qtbot, MapConfig(wall_mode=False, center=(121.4, 28.55), zoom=12, animate=False))
    locks = []
    view.viewLocked.connect(locks.append)
    view.set_cases(_cases(1, 121.40, 28.55))
    wait_painted(view)
    c_a = _center(view)
    _drag(view, QPoint(450, 330), QPoint(-100, 60))
    spin(800)
    c_dragged = _center(view)
    assert c_dragged != pytest.approx(c_a, abs=1e-6)
    view.set_cases(_cases(100, 121.60, 28.70))
    wait_painted(view)
    assert _center(view) == pytest.approx(c_dragged, abs=1e-9)
    assert locks == [] and not view.is_locked()
