"""Incremental updates: only what changed goes to the page, and the page never reloads."""

from __future__ import annotations

import json

import pytest

from widgets.map import demo, state
from widgets.map.config import MapConfig
from widgets.map.schemes import register_schemes
from widgets.map.testing import js, open_view, wait_painted

register_schemes()

pytestmark = pytest.mark.gui

GRIDS = demo.fake_grids(100)
BBOX = demo.bbox_of(GRIDS)


@pytest.fixture
def view(qtbot, monkeypatch):
    v = open_view(qtbot, MapConfig(animate=False))
    loads = []
    v.page.loadStarted.connect(lambda: loads.append(1))
    v.loads = loads
    sent: list[str] = []
    original = v._send
    monkeypatch.setattr(v, "_send", lambda script: (sent.append(script), original(script)))
    v.sent = sent
    return v


def _payload(script: str, fn: str):
    assert script.startswith(f"GD.{fn}(") and script.endswith(")")
    return json.loads(script[len(fn) + 4 : -1])


def test_cases_upsert_move_recolour_remove(view):
    cases = demo.fake_cases(200, BBOX)
    view.set_cases(cases)
    wait_painted(view)
    assert js(view, "GD.state()")["cases"] == 200

    moved = dict(cases[10], lon=cases[10]["lon"] + 0.001, lat=cases[10]["lat"] - 0.001)
    recoloured = dict(cases[20], light="red" if cases[20]["light"] != "red" else "green")
    view.sent.clear()
    view.upsert_cases([moved, recoloured, cases[30]])  # cases[30] is unchanged
    payload = _payload(view.sent[-1], "applyCases")
    assert payload["upsert"] == [{"id": recoloured["id"], "light": recoloured["light"]}]
    assert state.from_float64s(payload["moves"]) == [moved["id"], moved["lon"], moved["lat"]]  # a move: three numbers
    wait_painted(view)
    info = js(view, f"GD.caseInfo({moved['id']})")
    assert (info["lng"], info["lat"]) == pytest.approx((moved["lon"], moved["lat"]), abs=1e-9)
    assert js(view, f"GD.caseInfo({recoloured['id']})")["light"] == recoloured["light"]

    # set_cases with the full list: only the differences travel
    new = {"id": 9001, "code": "N1", "lon": BBOX[0] + 0.01, "lat": BBOX[1] + 0.01, "light": "yellow", "title": "new", "card": ""}
    full = [c for c in cases if c["id"] != 5] + [new]
    full = [moved if c["id"] == moved["id"] else recoloured if c["id"] == recoloured["id"] else c for c in full]
    view.sent.clear()
    view.set_cases(full)
    payload = _payload(view.sent[-1], "applyCases")
    assert [c["id"] for c in payload["upsert"]] == [9001] and payload["remove"] == [5]
    view.remove_cases([1, 2, 424242])
    assert _payload(view.sent[-1], "applyCases") == {"upsert": [], "remove": [1, 2]}
    wait_painted(view)
    assert js(view, "GD.state()")["cases"] == 200 - 1 + 1 - 2
    assert js(view, "GD.caseInfo(5)") is None and js(view, "GD.caseInfo(9001)")["light"] == "yellow"
    view.set_cases(full[:0] or [])
    wait_painted(view)
    assert js(view, "GD.state()")["cases"] == 0
    assert view.loads == []  # never a page reload


def test_grid_recolour_sends_only_changed_values(view):
    view.set_grids(GRIDS)
    view.set_grid_measure("open_cases")
    wait_painted(view)
    scale = view.scale
    for gid in (1, 50, 100):
        v = GRIDS["features"][gid - 1]["properties"]["open_cases"]
        assert js(view, f"GD.gridFill({gid})") == scale.color_of(v)
    top = scale.thresholds[-1] + 5
    old_7 = js(view, "GD.gridFill(7)")
    view.sent.clear()
    current = {f["properties"]["id"]: f["properties"]["open_cases"] for f in GRIDS["features"]}
    assert view.update_grid_values({**current, 3: top, 4: None}) == 2
    assert len(view.sent) == 1 and _payload(view.sent[0], "updateGridValues") == {"3": top, "4": None}
    wait_painted(view)
    assert js(view, "GD.gridFill(3)") == scale.colors[-1]
    assert js(view, "GD.gridFill(4)") == scale.no_data
    assert js(view, "GD.gridFill(7)") == old_7
    view.sent.clear()
    assert view.update_grid_values(current | {3: top, 4: None}) == 0 and view.sent == []

    # most grids change: one dense array in layer order
    view.sent.clear()
    many = {gid: float((gid * 7) % 25) for gid in current}
    many[9] = float("nan")
    assert view.update_grid_values(many) >= 90
    assert len(view.sent) == 1 and view.sent[0].startswith("GD.setGridValuesDense([")
    wait_painted(view)
    fills = js(view, "JSON.stringify(%s.map(GD.gridFill))" % list(current))
    assert fills == [scale.color_of(many[gid]) for gid in current]
    assert fills[8] == scale.no_data

    # another measure: the whole layer restyles and the legend follows
    view.set_grid_measure("closure_rate")
    wait_painted(view)
    assert js(view, "document.querySelector('.gd-legend-title').textContent") == "结案率"
    rate = GRIDS["features"][0]["properties"]["closure_rate"]
    assert js(view, "GD.gridFill(1)") == view.scale.color_of(rate)
    assert view.loads == []


def test_state_set_before_ready_is_pushed_once_ready(qtbot):
    view = open_view(qtbot, MapConfig(), wait=False)
    view.set_grids(GRIDS)
    view.set_grid_measure("red_cases")
    view.set_cases(demo.fake_cases(7, BBOX))
    view.set_intake_mode(True)
    with qtbot.waitSignal(view.ready, timeout=30000):
        pass
    wait_painted(view)
    st = js(view, "GD.state()")
    assert (st["grids"], st["cases"], st["intake"]) == (100, 7, True)


def test_reload_replays_the_whole_state(qtbot):
    view = open_view(qtbot, MapConfig())
    view.set_grids(GRIDS)
    view.set_grid_measure("open_cases")
    view.set_cases(demo.fake_cases(9, BBOX))
    tracks = demo.fake_tracks(2, BBOX)
    view.set_tracks(tracks)
    view.set_workers(demo.fake_workers(tracks))
    wait_painted(view)
    with qtbot.waitSignal(view.ready, timeout=30000):
        view.page.triggerAction(view.page.WebAction.Reload)
    wait_painted(view)
    st = js(view, "GD.state()")
    assert (st["grids"], st["cases"], st["tracks"], st["workers"]) == (100, 9, 2, 2)
    assert js(view, "GD.gridFill(1)") == view.scale.color_of(GRIDS["features"][0]["properties"]["open_cases"])
