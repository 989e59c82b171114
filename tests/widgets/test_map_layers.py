"""Layers: boundaries, labels at high zoom, workers/cameras, track playback, UI language."""

from __future__ import annotations

import json

import pytest

from widgets.map import demo
from widgets.map.config import Basemap, MapConfig
from widgets.map.schemes import register_schemes
from widgets.map.testing import js, open_view, spin, wait_for, wait_painted

register_schemes()

pytestmark = pytest.mark.gui

GRIDS = demo.fake_grids(100)
BBOX = demo.bbox_of(GRIDS)
CENTER = ((BBOX[0] + BBOX[2]) / 2, (BBOX[1] + BBOX[3]) / 2)


def test_boundaries_and_grid_labels_only_at_high_zoom(qtbot):
    view = open_view(qtbot, MapConfig(center=CENTER, zoom=13, animate=False, label_zoom=16))
    towns, villages = demo.fake_boundaries(100)
    view.set_boundaries(json.dumps(towns), villages)  # JSON text is accepted too
    view.set_grids(GRIDS)
    wait_painted(view)
    st = js(view, "GD.state()")
    assert (st["towns"], st["villages"], st["grids"]) == (4, 16, 100)
    assert st["zoom"] < 16 and st["labels"] == 0
    view.set_view(*CENTER, 17)
    wait_painted(view)
    st = js(view, "GD.state()")
    assert st["zoom"] == 17 and 0 < st["labels"] < 100
    assert js(view, "document.querySelector('.gd-grid-label').textContent").startswith("演示网格")


def test_workers_and_cameras_are_diffed(qtbot, monkeypatch):
    view = open_view(qtbot, MapConfig(animate=False))
    sent = []
    original = view._send
    monkeypatch.setattr(view, "_send", lambda s: (sent.append(s), original(s)))
    workers = [{"id": k, "name": f"w{k}", "lon": CENTER[0] + k * 0.001, "lat": CENTER[1]} for k in range(1, 6)]
    view.set_workers(workers)
    view.set_cameras(demo.fake_cameras(8, BBOX))
    wait_painted(view)
    assert (js(view, "GD.state()")["workers"], js(view, "GD.state()")["cameras"]) == (5, 8)
    sent.clear()
    workers[2] = dict(workers[2], lat=CENTER[1] + 0.002)
    view.set_workers(workers[:4])  # one moved, one gone
    assert sent == [f'GD.applyWorkers({{"upsert":[{{"id":3,"lat":{CENTER[1] + 0.002!r}}}],"remove":[5]}})']
    view.set_cameras(demo.fake_cameras(8, BBOX)[:6])
    wait_painted(view)
    assert (js(view, "GD.state()")["workers"], js(view, "GD.state()")["cameras"]) == (4, 6)
    # the patched worker kept its name and moved
    assert js(view, "document.querySelectorAll('.gd-worker span')[2].textContent") == "w3"


def test_track_playback(qtbot):
    view = open_view(qtbot, MapConfig(center=CENTER, zoom=14, animate=False))
    lon0, lat0 = CENTER
    t0 = 1_767_225_600.0
    view.set_tracks([
        {"id": 1, "name": "A", "points": [[lon0, lat0, t0], [lon0 + 0.01, lat0, t0 + 100], [lon0 + 0.01, lat0 + 0.01, t0 + 200]]},
        {"id": 2, "name": "B", "points": [[lon0, lat0, t0 + 50], [lon0 - 0.01, lat0, t0 + 150]]},
    ])
    wait_painted(view)
    assert js(view, "GD.state()")["tracks"] == 2
    view.seek_tracks(t0 + 50)
    wait_painted(view)
    heads = {h["id"]: h for h in js(view, "GD.trackHeads()")}
    assert (heads[1]["lng"], heads[1]["lat"]) == pytest.approx((lon0 + 0.005, lat0), abs=1e-9)
    assert (heads[2]["lng"], heads[2]["lat"]) == pytest.approx((lon0, lat0), abs=1e-9)  # not started yet
    view.play_tracks(speed=500)
    assert wait_for(lambda: js(view, "GD.playback({})")["playing"] is False, 5000)  # ran to the end
    pb = js(view, "GD.playback({})")
    assert pb["t"] == pb["t1"] == t0 + 200
    heads = {h["id"]: h for h in js(view, "GD.trackHeads()")}
    assert (heads[1]["lng"], heads[1]["lat"]) == pytest.approx((lon0 + 0.01, lat0 + 0.01), abs=1e-9)
    assert js(view, "document.querySelector('.gd-playback span').textContent").count(":") == 2
    view.play_tracks(speed=1)
    spin(300)
    view.pause_tracks()
    spin(50)
    pb = js(view, "GD.playback({})")
    assert pb["playing"] is False and t0 < pb["t"] < t0 + 5  # restarted from the beginning, then paused


@pytest.mark.parametrize(
    ("language", "words"),
    [("zh", ["网格", "镇街边界", "案件", "摄像头", "网格员", "巡查轨迹", "在办案件数", "无数据"]),
     ("en", ["Grids", "Town boundaries", "Cases", "Cameras", "Grid workers", "Patrol tracks", "Open cases", "No data"])],
)
def test_layer_control_and_legend_follow_the_ui_language(qtbot, language, words):
    view = open_view(qtbot, MapConfig(language=language))
    view.set_grids(GRIDS)
    view.set_grid_measure("open_cases")
    wait_painted(view)
    text = js(view, "document.querySelector('.leaflet-control-layers').textContent + '|' + document.querySelector('.gd-legend').textContent")
    for w in words:
        assert w in text


def test_missing_mbtiles_file_falls_back_to_no_basemap(qtbot, tmp_path):
    view = open_view(qtbot, MapConfig(basemap=Basemap.mbtiles(tmp_path / "gone.mbtiles")))
    assert view.basemap_error and "gone.mbtiles" in view.basemap_error
    assert view.config.basemap.kind == "none"
    view.set_grids(GRIDS)
    wait_painted(view)
    assert js(view, "GD.state()")["grids"] == 100
