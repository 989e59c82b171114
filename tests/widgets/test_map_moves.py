"""Moving many case markers at once: the clusters stay right, and the markers stay usable."""

from __future__ import annotations

import json
import random

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from widgets.map import demo, state
from widgets.map.config import MapConfig
from widgets.map.schemes import register_schemes
from widgets.map.testing import js, open_view, spin, wait_for, wait_painted

register_schemes()

pytestmark = pytest.mark.gui

GRIDS = demo.fake_grids(622)
BBOX = demo.bbox_of(GRIDS)
CENTER = ((BBOX[0] + BBOX[2]) / 2, (BBOX[1] + BBOX[3]) / 2)
ZOOMS = range(6, 18)  # every clustering level (min zoom 6 .. 16) and one without clusters

# markercluster's own build from scratch, in id order (the order the page rebuilds in),
# with its own distance grids and projection
LIBRARY_BUILD = """(function () {
  var g = GD._debug.cases(), all = g.getLayers().sort(function (a, b) { return a.gd.id - b.gd.id; });
  var own = g._generateInitialClusters;
  delete g._generateInitialClusters;
  try { g.clearLayers(); g.addLayers(all); } finally { g._generateInitialClusters = own; }
  return g._gridClusters[16] instanceof L.DistanceGrid ? all.length : -1;
})()"""


def _view(qtbot, **config):
    config.setdefault("animate", False)
    view = open_view(qtbot, MapConfig(center=CENTER, zoom=13, **config))
    sent: list[str] = []
    original = view._send
    view._send = lambda script: (sent.append(script), original(script))
    view.sent = sent
    return view


def _jitter(cases, d, seed):
    rnd = random.Random(seed)
    return [dict(c, lon=c["lon"] + rnd.uniform(-d, d), lat=c["lat"] + rnd.uniform(-d, d)) for c in cases]


def _clusters(view) -> dict:
    return {z: js(view, f"GD.caseClusters({z})") for z in ZOOMS}


def _assert_consistent(tree: dict, ids: set[int]) -> None:
    """At every level each case is in exactly one cluster or alone, and the counts add up."""
    for z, level in tree.items():
        seen = list(level["singles"])
        for c in level["clusters"]:
            assert c["n"] == len(c["ids"]) >= 2, (z, c)
            seen += c["ids"]
        assert len(seen) == len(set(seen)) and set(seen) == ids, z


def _on_screen(view) -> tuple[list[int], int]:
    """The cluster counts drawn on the map and the number of single markers drawn."""
    counts = js(view, "JSON.stringify([].map.call(document.querySelectorAll('.gd-cluster span'), "
                      "function (s) { return +s.textContent; }))")
    return sorted(counts), js(view, "document.querySelectorAll('.gd-case').length")


def _payload(script: str) -> dict:
    assert script.startswith("GD.applyCases(") and script.endswith(")")
    return json.loads(script[len("GD.applyCases(") : -1])


def test_moves_travel_packed_and_other_changes_stay_patches():
    ps = state.PointSet(state.norm_case, state.same_case)
    a = {"id": 1, "code": "A", "lon": 121.4, "lat": 28.5, "light": "green", "title": "t", "card": "x"}
    ps.replace([a, dict(a, id=2), dict(a, id=3)])
    d = ps.upsert([dict(a, lon=121.41), dict(a, id=2, lon=121.42, lat=28.52, light="red"), dict(a, id=3, lat=28.53)])
    out = d.to_json_moves(ps.items)
    assert out["upsert"] == [{"id": 2, "lon": 121.42, "lat": 28.52, "light": "red"}] and out["remove"] == []
    assert state.from_float64s(out["moves"]) == [1, 121.41, 28.5, 3, 121.4, 28.53]  # one coordinate moved: both go
    d = ps.upsert([dict(a, id=4)])
    assert d.to_json_moves(ps.items) == {"upsert": [ps.items[4]], "remove": []}  # a new case goes whole
    values = [0.1, -1e-300, 2.0**53, 121.123456789012345, -0.0]
    assert state.from_float64s(state.float64s(values)) == values  # exact, sign of zero included
    assert str(state.from_float64s(state.float64s([-0.0]))[0]) == "-0.0"


def test_norm_case_fixes_types():
    odd = {"id": "7", "code": 5, "lon": "121.5", "lat": 28, "light": "RED", "title": None,
           "card": {1: None, "a": 2, 0: "x", None: 1, "": 0}}
    assert state.norm_case(odd) == {
        "id": 7, "code": "5", "lon": 121.5, "lat": 28.0, "light": "none", "title": "",
        "card": {"1": "", "a": "2", "0": "x", "None": "1", "": "0"},
    }
    assert state.norm_case(dict(odd, code=0, title=0, light=None, card=0)) | {"lon": 0} == {
        "id": 7, "code": "", "lon": 0, "lat": 28.0, "light": "none", "title": "", "card": ""}
    assert state.norm_case(dict(odd, card=[1], light="yellow"))["card"] == "[1]"
    for bad in (float("nan"), float("inf"), "-inf"):
        with pytest.raises(ValueError):
            state.norm_case(dict(odd, lat=bad))


def test_quick_diff_of_moved_cases_equals_the_full_diff():
    """The shortcut for cases that only moved gives the same items and patches as normalising all."""
    rnd = random.Random(8)
    base = demo.fake_cases(300, BBOX)
    quick, full = state.PointSet(state.norm_case, state.same_case), state.PointSet(state.norm_case)
    for step in range(12):
        batch = []
        for c in rnd.sample(base, 120):
            c = dict(c)
            r = rnd.random()
            if r < 0.5:
                c["lon"] += rnd.choice([0.0, 1e-4])
            elif r < 0.6:
                c["light"] = rnd.choice(["red", None, "purple", "green"])
            elif r < 0.7:
                c["card"] = rnd.choice([None, "", {"a": 1, 2: None}, dict(c["card"]) if isinstance(c["card"], dict) else "x"])
            elif r < 0.8:
                c["code"] = rnd.choice([None, 7, c["code"]])
                c["id"] = str(c["id"]) if rnd.random() < 0.5 else c["id"]
            elif r < 0.9:
                c["lat"] = str(c["lat"] + 1e-4)
            batch.append(c)
        if step % 4 == 3:
            dq, df = quick.replace(batch), full.replace(batch)
        else:
            dq, df = quick.upsert(batch), full.upsert(batch)
        assert dq.to_json() == df.to_json() and quick.items == full.items
        base = [full.items.get(c["id"], c) for c in base]
    with pytest.raises(ValueError):
        quick.upsert([dict(next(iter(quick.items.values())), lon=float("inf"))])


def test_mass_move_gives_the_clusters_of_a_build_from_scratch(qtbot):
    view = _view(qtbot)
    cases = demo.fake_cases(1200, BBOX)
    view.set_cases(cases)
    wait_painted(view)
    view.set_view(*CENTER, 13)
    wait_painted(view)
    before = _clusters(view)

    moved = _jitter(cases, 0.003, seed=3)
    for k, c in enumerate(moved[200:260]):  # ties: 30 cases at one address, 30 on a row
        c["lon"], c["lat"] = (CENTER[0] + 0.01, CENTER[1]) if k < 30 else (CENTER[0] - 0.02 + 0.0004 * k, CENTER[1])
    moved[7]["light"] = "red" if moved[7]["light"] != "red" else "green"  # a restyle rides along
    gone = moved.pop(100)["id"]
    moved.append({"id": 5000, "code": "NEW", "lon": CENTER[0], "lat": CENTER[1], "light": "yellow", "title": "", "card": ""})
    view.sent.clear()
    view.set_cases(moved)
    payload = _payload(view.sent[-1])
    assert len(state.from_float64s(payload["moves"])) == 3 * 1198 and payload["remove"] == [gone]
    assert sorted(p["id"] for p in payload["upsert"]) == sorted([moved[7]["id"], 5000])
    wait_painted(view)
    assert js(view, "JSON.stringify(GD.lastApply)")["rebuilt"] is True
    assert js(view, "GD.state()")["cases"] == 1200

    after = _clusters(view)
    ids = {c["id"] for c in moved}
    _assert_consistent(after, ids)
    assert after != before  # the moves were big enough to change some clusters
    # a cluster on the map shows the worst light among its cases
    light = {c["id"]: c["light"] for c in moved}
    shown = [c for c in after[13]["clusters"] if c["icon"]]
    assert shown
    for c in shown:
        worst = max((light[i] for i in c["ids"]), key=["none", "green", "yellow", "red"].index)
        assert f"gd-light-{worst}" in c["icon"].split(), c
    drawn = _on_screen(view)
    assert sum(drawn[0]) + drawn[1] > 0
    for c in moved[::97]:
        info = js(view, f"GD.caseInfo({c['id']})")
        assert (info["lng"], info["lat"]) == (c["lon"], c["lat"])

    # markercluster's own clearLayers() + addLayers() of the same cases gives the same
    # tree: the same clusters, counts and centres at every level, and the same drawing
    assert js(view, LIBRARY_BUILD) == 1200
    wait_painted(view)
    assert _clusters(view) == after
    assert _on_screen(view) == drawn
    assert view.console_errors() == []


def test_a_few_moves_keep_every_level_consistent(qtbot):
    view = _view(qtbot)
    cases = demo.fake_cases(1200, BBOX)
    view.set_cases(cases)
    wait_painted(view)
    moved = _jitter(cases[:140], 0.004, seed=5)
    # ten cases go together to a place 5 km east of everything else
    east = [dict(c, lon=BBOX[2] + 0.05 + 0.0003 * k, lat=CENTER[1] + 0.0002 * k) for k, c in enumerate(cases[140:150])]
    view.upsert_cases(moved + east)
    wait_painted(view)
    assert js(view, "JSON.stringify(GD.lastApply)")["rebuilt"] is False
    tree = _clusters(view)
    _assert_consistent(tree, {c["id"] for c in cases})
    for c in moved[::10] + east[::3]:
        info = js(view, f"GD.caseInfo({c['id']})")
        assert (info["lng"], info["lat"]) == (c["lon"], c["lat"])
    # they left their old clusters: at zoom 13 and 14 they are a cluster of their own
    east_ids = sorted(c["id"] for c in east)
    for z in (13, 14):
        assert [cl["ids"] for cl in tree[z]["clusters"] if set(cl["ids"]) & set(east_ids)] == [east_ids], z
    assert view.console_errors() == []


@pytest.mark.parametrize("count", [30, 600])  # one by one, and the bulk rebuild
def test_moved_out_of_view_and_back(qtbot, count):
    view = _view(qtbot)
    cases = demo.fake_cases(600, BBOX)
    view.set_cases(cases)
    wait_painted(view)
    target = cases[0]
    view.set_view(target["lon"], target["lat"], 18)  # no clustering at 17+
    wait_painted(view)
    assert js(view, f"GD.caseInfo({target['id']})")["visible"] is True

    away = [dict(c, lon=c["lon"] + 0.5) for c in cases[:count]]
    view.upsert_cases(away)
    wait_painted(view)
    assert js(view, "JSON.stringify(GD.lastApply)")["rebuilt"] is (count == 600)
    info = js(view, f"GD.caseInfo({target['id']})")
    assert info["visible"] is False and info["cluster"] is False
    assert info["lng"] == target["lon"] + 0.5

    view.upsert_cases(cases[:count])  # and back
    wait_painted(view)
    info = js(view, f"GD.caseInfo({target['id']})")
    assert info["visible"] is True and (info["lng"], info["lat"]) == (target["lon"], target["lat"])
    x, y = js(view, f"GD.point({target['lon']}, {target['lat']})")
    assert wait_for(lambda: js(view, f"document.elementFromPoint({x}, {y}).closest('.gd-case') !== null") is True, 3000)
    _assert_consistent(_clusters(view), {c["id"] for c in cases})


def test_a_moved_marker_clicks_selects_and_keeps_its_card(qtbot):
    view = _view(qtbot)
    cases = demo.fake_cases(800, BBOX)
    view.set_cases(cases)
    wait_painted(view)
    target = cases[42]
    with qtbot.waitSignal(view.caseClicked, timeout=5000):
        js(view, f"GD.fireCaseClick({target['id']})")  # selects it and opens its card
    assert js(view, "GD.state()")["selectedCase"] == target["id"]

    moved = _jitter(cases, 0.002, seed=9)
    view.upsert_cases(moved)
    wait_painted(view)
    assert js(view, "JSON.stringify(GD.lastApply)")["rebuilt"] is True
    new = next(c for c in moved if c["id"] == target["id"])
    # the open card followed its case
    card = js(view, "(function () { var m = GD._debug.map(); return JSON.stringify([m.hasLayer(m._popup), m._popup.getLatLng()]); })()")
    assert card[0] is True and (card[1]["lng"], card[1]["lat"]) == (new["lon"], new["lat"])
    assert target["code"] in js(view, "document.querySelector('.gd-card').textContent")

    view.set_view(new["lon"], new["lat"], 18)
    wait_painted(view)
    assert js(view, "GD.state()")["selectedCase"] == target["id"]
    x, y = js(view, f"GD.point({new['lon']}, {new['lat']})")
    under = f"(function () {{ var e = document.elementFromPoint({x}, {y}).closest('.gd-case'); return e ? e.className : ''; }})()"
    assert wait_for(lambda: "gd-selected" in js(view, under), 3000)  # after markercluster's zoom animation
    js(view, "GD._debug.map().closePopup(); 1")
    spin(50)
    # a real click on the moved marker's new position reports its id
    with qtbot.waitSignal(view.caseClicked, timeout=5000) as sig:
        QTest.mouseClick(view.web_view.focusProxy(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                         QPoint(round(x), round(y)))
    assert sig.args == [target["id"]]

    # a new light on the selected case keeps the highlight; removing it closes its card
    view.upsert_cases([dict(new, light="red" if new["light"] != "red" else "green")])
    wait_painted(view)
    assert "gd-selected" in js(view, under)
    view.remove_cases([target["id"]])
    wait_painted(view)
    assert js(view, "GD._debug.map().hasLayer(GD._debug.map()._popup)") is False
    assert js(view, "GD.state()")["selectedCase"] is None


def test_wall_mode_mass_move_does_not_refit_but_a_new_set_does(qtbot):
    view = _view(qtbot, wall_mode=True)
    cases = demo.fake_cases(900, BBOX)
    view.set_cases(cases)
    wait_painted(view)
    js(view, "window.__fits = 0; var m = GD._debug.map(), f = m.fitBounds; "
             "m.fitBounds = function () { __fits++; return f.apply(this, arguments); }; 1")
    center = js(view, "GD.state()")["center"]
    view.upsert_cases(_jitter(cases, 0.002, seed=4))
    wait_painted(view)
    assert js(view, "JSON.stringify(GD.lastApply)")["rebuilt"] is True
    assert js(view, "__fits") == 0 and js(view, "GD.state()")["center"] == center
    view.remove_cases([cases[0]["id"]])
    wait_painted(view)
    assert js(view, "__fits") == 1


def test_a_change_waits_for_chunked_loading(qtbot):
    """While markercluster adds a big set in chunks, a change waits instead of racing it."""
    view = _view(qtbot)
    js(view, "var g = GD._debug.cases(); g.options.chunkInterval = 0; g.options.chunkDelay = 300; 1")
    cases = demo.fake_cases(1200, BBOX)
    view.set_cases(cases)  # chunks of ~1 ms, 300 ms apart
    keep = _jitter(cases[100:], 0.003, seed=2)
    view.set_cases(keep)  # the first 100 go, the rest move: sent while chunks are pending
    wait_painted(view, 60000)
    assert js(view, "JSON.stringify(GD.lastApply)")["waited"] is True
    assert js(view, "GD.state()")["cases"] == 1100
    _assert_consistent(_clusters(view), {c["id"] for c in keep})
    assert js(view, "GD.caseInfo(5)") is None
    info = js(view, f"GD.caseInfo({keep[0]['id']})")
    assert (info["lng"], info["lat"]) == (keep[0]["lon"], keep[0]["lat"])


def test_moves_unspiderfy_first(qtbot):
    view = _view(qtbot)
    cases = demo.fake_cases(700, BBOX)
    view.set_cases(cases)
    wait_painted(view)
    spider = """(function () {
      var g = GD._debug.cases(), c = null;
      g._featureGroup.eachLayer(function (l) { if (!c && l instanceof L.MarkerCluster && l.getChildCount() <= 8) { c = l; } });
      c.spiderfy();
      return g._spiderfied === c ? c.getChildCount() : 0;
    })()"""
    for k, count in enumerate((700, 40)):  # the rebuild, and markers taken out and put back
        view.set_view(*CENTER, 15)
        wait_painted(view)
        assert wait_for(lambda: js(view, "GD._debug.cases()._inZoomAnimation") == 0, 3000)
        assert js(view, spider) >= 2
        cases = _jitter(cases[:count], 0.003, seed=20 + k) + cases[count:]
        view.upsert_cases(cases[:count])
        wait_painted(view)
        assert js(view, "JSON.stringify(GD.lastApply)")["rebuilt"] is (count == 700)
        assert js(view, "!GD._debug.cases()._spiderfied") is True, count
        assert js(view, "document.querySelectorAll('.leaflet-cluster-spider-leg').length") == 0
        _assert_consistent(_clusters(view), {c["id"] for c in cases})
    assert view.console_errors() == []


def test_cases_layer_switched_off_takes_moves_and_shows_them_when_on(qtbot):
    view = _view(qtbot, hidden_layers=("cases",))
    cases = demo.fake_cases(700, BBOX)
    view.set_cases(cases)
    wait_painted(view)  # nothing to draw: the page still answers
    moved = _jitter(cases, 0.003, seed=6)
    view.upsert_cases(moved)
    wait_painted(view)
    view.upsert_cases(moved[:20] + _jitter(cases[20:40], 0.003, seed=7))
    wait_painted(view)
    assert js(view, "document.querySelectorAll('.gd-case, .gd-cluster').length") == 0
    js(view, "GD._debug.map().addLayer(GD._debug.cases()); 1")
    wait_painted(view)
    shown = _clusters(view)
    _assert_consistent(shown, {c["id"] for c in cases})
    assert js(view, "document.querySelectorAll('.gd-case, .gd-cluster').length") > 0
    info = js(view, f"GD.caseInfo({cases[25]['id']})")
    assert info["lng"] != cases[25]["lon"]

    # switched off again after being shown: the moves wait for it as well
    js(view, "GD._debug.map().removeLayer(GD._debug.cases()); 1")
    moved = _jitter(cases, 0.003, seed=8)
    view.upsert_cases(moved)
    view.upsert_cases(_jitter(moved[:30], 0.003, seed=9))
    view.remove_cases([moved[50]["id"]])
    wait_painted(view)
    js(view, "GD._debug.map().addLayer(GD._debug.cases()); 1")
    wait_painted(view)
    final = {c["id"] for c in moved} - {moved[50]["id"]}
    _assert_consistent(_clusters(view), final)
    info = js(view, f"GD.caseInfo({moved[40]['id']})")
    assert (info["lng"], info["lat"]) == (moved[40]["lon"], moved[40]["lat"])
    assert view.console_errors() == []
