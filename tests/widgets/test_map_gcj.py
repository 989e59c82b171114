"""GCJ-02 basemaps: WGS-84 data is shown shifted, and picked points come back in WGS-84."""

from __future__ import annotations

import random

import pytest

from widgets.map.config import MapConfig
from widgets.map.coords import wgs84_to_gcj02
from widgets.map.schemes import register_schemes
from widgets.map.testing import js, open_view, wait_painted

register_schemes()

pytestmark = pytest.mark.gui

# eviltransform's reference pair for Beijing: WGS-84 -> GCJ-02
WGS = (116.377817, 39.911954)
GCJ = (116.38404722455657, 39.91334545536069)


def _square(lon, lat, d=0.002):
    ring = [[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]},
         "properties": {"id": 1, "code": "G1", "name": "g"}}]}


@pytest.mark.parametrize("gcj02", [True, False])
def test_display_shift_and_pick_inverse(qtbot, gcj02):
    view = open_view(qtbot, MapConfig(gcj02=gcj02, center=WGS, zoom=15, animate=False))
    view.set_cases([{"id": 1, "code": "C1", "lon": WGS[0], "lat": WGS[1], "light": "red", "title": "", "card": ""}])
    view.set_grids(_square(*WGS))
    wait_painted(view)
    info = js(view, "GD.caseInfo(1)")
    expected = GCJ if gcj02 else WGS
    assert (info["lng"], info["lat"]) == pytest.approx(expected, abs=1e-9)
    sw = js(view, "(function(){ var b = GD._debugGridBounds(1); return JSON.stringify(b); })()")
    assert sw == pytest.approx(list(expected), abs=1e-9)
    # a click at the displayed position of the case picks the stored WGS-84 position
    view.set_intake_mode(True)
    with qtbot.waitSignal(view.coordinatePicked, timeout=5000) as sig:
        js(view, f"GD.fireMapClick({expected[0]}, {expected[1]})")
    assert sig.args == pytest.approx(list(WGS), abs=1e-8)


def test_page_and_python_transforms_agree(qtbot):
    view = open_view(qtbot, MapConfig(gcj02=True))
    rnd = random.Random(5)
    pts = [(rnd.uniform(74, 134), rnd.uniform(19, 53)) for _ in range(50)] + [(2.35, 48.85)]
    got = js(view, "JSON.stringify(%s.map(function (p) { return JSON.parse(GD.toDisplay(p[0], p[1])); }))" % [list(p) for p in pts])
    for (lon, lat), (glon, glat) in zip(pts, got):
        assert (glon, glat) == pytest.approx(wgs84_to_gcj02(lon, lat), abs=1e-10)
