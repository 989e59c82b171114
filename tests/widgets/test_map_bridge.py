"""Two-way bridge: clicks in the page reach Python signals; Python moves the page's view."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from widgets.map import demo
from widgets.map.config import MapConfig
from widgets.map.schemes import register_schemes
from widgets.map.testing import js, open_view, spin, wait_for, wait_painted

register_schemes()

pytestmark = pytest.mark.gui

GRIDS = demo.fake_grids(36)
BBOX = demo.bbox_of(GRIDS)
CENTER = ((BBOX[0] + BBOX[2]) / 2, (BBOX[1] + BBOX[3]) / 2)


def _case(i, lon, lat, light="red"):
    return {"id": i, "code": f"C{i}", "lon": lon, "lat": lat, "light": light, "title": f"case {i}", "card": "line 1\nline 2"}


@pytest.fixture
def view(qtbot):
    v = open_view(qtbot, MapConfig(center=CENTER, zoom=14, animate=False))
    v.set_grids(GRIDS)
    v.set_grid_measure("open_cases")
    w, s, e, n = BBOX
    v.set_cases([_case(1, w + 0.002, s + 0.002), _case(2, e - 0.002, n - 0.002, "green")])
    v.set_cameras([{"id": 7, "name": "cam 7", "lon": CENTER[0], "lat": CENTER[1], "online": True}])
    wait_painted(v)
    return v


def test_grid_click_in_page_emits_grid_clicked(qtbot, view):
    with qtbot.waitSignal(view.gridClicked, timeout=5000) as sig:
        assert js(view, "GD.fireGridClick(12)") is True
    assert sig.args == [12]
    assert js(view, "GD.state()")["selectedGrid"] == 12
    view.select_grid(30)  # the other way: the queue selects a grid
    wait_painted(view)
    assert js(view, "GD.state()")["selectedGrid"] == 30


def test_case_and_camera_clicks_emit_their_ids(qtbot, view):
    with qtbot.waitSignal(view.caseClicked, timeout=5000) as sig:
        js(view, "GD.fireCaseClick(2)")
    assert sig.args == [2]
    assert js(view, "GD.state()")["selectedCase"] == 2
    with qtbot.waitSignal(view.cameraClicked, timeout=5000) as sig:
        js(view, "GD.fireCameraClick(7)")
    assert sig.args == [7]


def test_real_mouse_click_on_a_grid(qtbot, view):
    """A pointer click at a grid's centre goes through Leaflet's canvas hit test to Python."""
    feature = GRIDS["features"][20]
    ring = feature["geometry"]["coordinates"][0][:-1]
    lon = sum(p[0] for p in ring) / len(ring)
    lat = sum(p[1] for p in ring) / len(ring)
    x, y = js(view, f"GD.point({lon}, {lat})")
    target = view.web_view.focusProxy()
    with qtbot.waitSignal(view.gridClicked, timeout=5000) as sig:
        QTest.mouseClick(target, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(round(x), round(y)))
    assert sig.args == [feature["properties"]["id"]]


def test_fly_to_case_moves_the_page_view(view):
    before = js(view, "GD.state()")
    assert view.fly_to_case(2) is True
    assert wait_for(lambda: js(view, "GD.state()")["zoom"] >= 17, 5000)
    after = js(view, "GD.state()")
    info = js(view, "GD.caseInfo(2)")
    assert after["center"] == pytest.approx([info["lng"], info["lat"]], abs=1e-6)
    assert after["center"] != before["center"]
    assert after["selectedCase"] == 2
    assert wait_for(lambda: js(view, "document.querySelector('.gd-card') !== null") is True, 3000)
    assert "line 2" in js(view, "document.querySelector('.gd-card').textContent")
    assert view.fly_to_case(999) is False


def test_intake_mode_click_returns_a_coordinate(qtbot, view):
    view.set_intake_mode(True)
    spin(50)
    assert js(view, "GD.state()")["intake"] is True
    with qtbot.waitSignal(view.coordinatePicked, timeout=5000) as sig:
        js(view, f"GD.fireMapClick({CENTER[0]}, {CENTER[1]})")
    assert sig.args == pytest.approx(list(CENTER), abs=1e-9)
    # a click on a grid in intake mode picks a coordinate instead of selecting the grid
    grids_seen = []
    view.gridClicked.connect(grids_seen.append)
    with qtbot.waitSignal(view.coordinatePicked, timeout=5000):
        js(view, "GD.fireGridClick(5)")
    # a real pointer click on a grid: exactly one coordinate, no grid selection
    picked = []
    view.coordinatePicked.connect(lambda lon, lat: picked.append((lon, lat)))
    x, y = js(view, f"GD.point({CENTER[0] + 0.001}, {CENTER[1] + 0.001})")
    QTest.mouseClick(view.web_view.focusProxy(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(round(x), round(y)))
    assert wait_for(lambda: len(picked) >= 1, 5000)
    spin(200)
    assert len(picked) == 1
    assert picked[0] == pytest.approx((CENTER[0] + 0.001, CENTER[1] + 0.001), abs=1e-4)  # within a pixel or so
    assert grids_seen == []
    view.set_intake_mode(False)
    with qtbot.waitSignal(view.gridClicked, timeout=5000):
        js(view, "GD.fireGridClick(5)")


def test_case_card_text_is_escaped(qtbot, view):
    w, s, _, _ = BBOX
    view.upsert_cases([dict(_case(3, w + 0.01, s + 0.01), title="<img src=x onerror=alert(1)>", card="<b>bold</b>")])
    view.fly_to_case(3)
    assert wait_for(lambda: js(view, "document.querySelector('.gd-card') !== null") is True, 5000)
    html = js(view, "document.querySelector('.gd-card').innerHTML")
    assert "&lt;img" in html and "<b>bold" not in html
