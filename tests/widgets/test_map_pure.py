"""Pure parts of the map view: coordinates, legend scales, diffs, basemap settings, guard rules."""

from __future__ import annotations

import math
import sqlite3

import pytest
from hypothesis import given
from hypothesis import strategies as st

from widgets.map import assets, coords, legend, state
from widgets.map.config import Basemap, MapConfig
from widgets.map.mbtiles import MBTilesReader, flip_y, parse_tile_path
from widgets.map.page import build_page, content_security_policy

# (wgs lon, wgs lat, gcj lon, gcj lat): eviltransform's published test vectors and the
# coordtransform README example.
REFERENCE = [
    (121.5272106, 31.1774276, 121.531541859215, 31.17530398364597),  # Shanghai
    (113.912316, 22.543847, 113.9171764808363, 22.540796131694766),  # Shenzhen
    (116.377817, 39.911954, 116.38404722455657, 39.91334545536069),  # Beijing
    (116.404, 39.915, 116.41024449916938, 39.91640428150164),  # Beijing (coordtransform)
]


@pytest.mark.parametrize(("lon", "lat", "glon", "glat"), REFERENCE)
def test_gcj02_matches_reference_points(lon, lat, glon, glat):
    assert coords.wgs84_to_gcj02(lon, lat) == pytest.approx((glon, glat), abs=1e-9)
    assert coords.gcj02_to_wgs84(glon, glat) == pytest.approx((lon, lat), abs=1e-8)
    # the shift is real: hundreds of metres, not a rounding error
    assert abs(glon - lon) + abs(glat - lat) > 0.002


def test_gcj02_is_identity_outside_china():
    assert coords.wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)
    assert coords.gcj02_to_wgs84(-74.0, 40.7) == (-74.0, 40.7)


@given(st.floats(73.0, 135.0), st.floats(18.0, 53.0))
def test_gcj02_round_trip(lon, lat):
    back = coords.gcj02_to_wgs84(*coords.wgs84_to_gcj02(lon, lat))
    assert back == pytest.approx((lon, lat), abs=1e-8)


def test_transform_nested_geojson_coordinates():
    poly = [[[116.4, 39.9], [116.41, 39.9], [116.41, 39.91, 5.0], [116.4, 39.9]]]
    out = coords.transform_coordinates(poly, coords.wgs84_to_gcj02)
    assert out[0][2][2] == 5.0  # altitude kept
    assert out[0][0] == list(coords.wgs84_to_gcj02(116.4, 39.9))


def test_count_scale_classes_and_labels():
    s = legend.make_scale("open_cases", {1: 0, 2: 3, 3: 31}, language="en")
    assert s.title == "Open cases"
    assert s.thresholds[0] == 1.0  # zero is its own class
    assert s.labels[0] == "0" and s.labels[-1].startswith("≥")
    assert s.color_of(0) == s.colors[0] and s.color_of(31) == s.colors[-1]
    assert s.color_of(None) == legend.NO_DATA and s.color_of(float("nan")) == legend.NO_DATA
    assert len(s.colors) == len(s.thresholds) + 1 == len(s.labels)


def test_closure_rate_scale_is_red_when_low():
    s = legend.make_scale("closure_rate", [0.5, 0.99], language="zh")
    assert s.title == "结案率"
    assert s.color_of(0.5) == legend.RED_TO_GREEN[0]
    assert s.color_of(0.99) == legend.RED_TO_GREEN[-1]
    assert s.labels[0] == "< 60%"


def test_density_scale_uses_quantiles_and_custom_title():
    vals = [0.5 * k for k in range(100)]
    s = legend.make_scale("cases_per_km2", vals, title="密度")
    assert s.title == "密度"
    assert list(s.thresholds) == sorted(set(s.thresholds))
    counts = [sum(1 for v in vals if legend.class_of(v, s.thresholds) == k) for k in range(len(s.colors))]
    assert max(counts) < 40  # quantiles spread the values


def test_point_set_diffs_only_what_changed():
    ps = state.PointSet(state.norm_case)
    a = {"id": 1, "code": "A", "lon": 121.4, "lat": 28.5, "light": "green", "title": "t", "card": "x"}
    b = dict(a, id=2, code="B")
    d = ps.replace([a, b])
    assert [c["id"] for c in d.upsert] == [1, 2] and d.remove == []
    d = ps.replace([a, dict(b, light="red")])
    assert d.upsert == [{"id": 2, "light": "red"}]  # a patch: only the changed field
    d = ps.upsert([dict(a, lon=121.41, lat=28.51)])
    assert d.upsert == [{"id": 1, "lon": 121.41, "lat": 28.51}]
    assert ps.items[1]["code"] == "A" and ps.items[1]["lon"] == 121.41
    assert not ps.upsert([dict(a, lon=121.41, lat=28.51)])  # unchanged: nothing to send
    d = ps.replace([a])  # a moves back, b goes
    assert d.upsert == [{"id": 1, "lon": 121.4, "lat": 28.5}] and d.remove == [2]
    assert ps.remove([5]).remove == []
    assert state.norm_case(dict(a, light="purple"))["light"] == "none"
    with pytest.raises(ValueError):
        state.norm_case(dict(a, lon=float("nan")))


def test_changed_values_and_slim_grids():
    assert state.changed_values({1: 1.0, 2: 2.0}, {1: 1, 2: 3, 3: None}) == {2: 3.0, 3: None}
    assert state.changed_values({1: None}, {1: float("nan")}) == {}
    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [0, 0]},
         "properties": {"id": "7", "code": "G7", "name": "n", "open_cases": 4}}]}
    slim = state.slim_grids(fc)
    assert slim["features"][0]["properties"] == {"id": 7, "code": "G7", "name": "n"}
    assert state.values_from_properties({7: fc["features"][0]["properties"]}, "open_cases") == {7: 4.0}
    assert state.json_values({1: float("nan")}) == {"1": None}


def test_basemap_settings():
    assert Basemap.parse(None).kind == "none"
    assert Basemap.parse("none").kind == "none"
    xyz = Basemap.parse("http://{s}.tiles.intra:8080/{z}/{x}/{y}.png")
    assert xyz.kind == "xyz" and xyz.allowed_origin() == "http://{s}.tiles.intra:8080"
    assert Basemap.parse("/data/city.mbtiles").kind == "mbtiles"
    assert Basemap.parse("mbtiles:/data/city.mbtiles").path == "/data/city.mbtiles"
    with pytest.raises(ValueError):
        Basemap.parse("ftp://x/{z}/{x}/{y}")
    with pytest.raises(ValueError):
        Basemap.xyz("http://x/tiles.png")
    with pytest.raises(ValueError):
        MapConfig(theme="blue")
    assert MapConfig(basemap="none").basemap == Basemap.none()


def test_guard_rules():
    from widgets.map.guard import allowed

    none = Basemap.none()
    for url in ("gdmap://app/index.html", "data:image/png;base64,AA", "qrc:///qtwebchannel/qwebchannel.js", "blob:gdmap://app/x"):
        assert allowed(url, none)
    for url in ("http://example.com/a.js", "https://cdn.example/x", "file:///etc/passwd", "ws://h/"):
        assert not allowed(url, none)
    xyz = Basemap.xyz("http://{s}.tiles.intra/{z}/{x}/{y}.png")
    assert allowed("http://a.tiles.intra/1/2/3.png", xyz)
    assert not allowed("http://evil.example/1/2/3.png", xyz)
    assert not allowed("https://a.tiles.intra/1/2/3.png", xyz)  # scheme must match


def test_page_has_no_remote_references():
    for bm in (Basemap.none(), Basemap.mbtiles("/x.mbtiles")):
        html = build_page(MapConfig(basemap=bm, gcj02=True))
        assert "http://" not in html and "https://" not in html and "//cdn" not in html
        assert "gdmap://app/lib/leaflet/leaflet.js" in html and "GD.init(" in html
    csp = content_security_policy(Basemap.xyz("https://{s}.t.intra/{z}/{x}/{y}.png"))
    assert "img-src gdmap: data: blob: https://*.t.intra;" in csp
    assert "default-src 'none'" in csp


def test_assets_are_local_and_contained():
    for _, url in assets.JS + assets.CSS:
        path = url[len(assets.APP_ORIGIN):]
        data, mime = assets.asset(path)
        assert len(data) > 100 and mime in ("text/javascript", "text/css")
    assert assets.asset("/lib/leaflet/images/layers.png")[1] == "image/png"
    assert assets.asset("/lib/leaflet/../../../../etc/passwd") is None
    assert assets.asset("/lib/nope/x.js") is None


def test_mbtiles_reader_flips_rows(tmp_path):
    path = tmp_path / "t.mbtiles"
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE metadata (name TEXT, value TEXT);"
        "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);"
        "INSERT INTO metadata VALUES ('format', 'png'), ('bounds', '121,28,122,29');"
    )
    # XYZ (z=3, x=5, y=1) is TMS row 2**3 - 1 - 1 = 6
    db.execute("INSERT INTO tiles VALUES (3, 5, 6, ?)", (b"north",))
    db.execute("INSERT INTO tiles VALUES (3, 5, 1, ?)", (b"south",))
    db.commit()
    db.close()
    r = MBTilesReader(path)
    assert r.tile(3, 5, 1) == b"north"
    assert r.tile(3, 5, 6) == b"south"
    assert r.tile(3, 5, 2) is None and r.tile(3, 9, 1) is None
    assert r.zoom_range() == (3, 3) and r.bounds() == (121.0, 28.0, 122.0, 29.0) and r.mime == "image/png"
    assert flip_y(3, 1) == 6 and flip_y(0, 0) == 0
    assert parse_tile_path("/14/13595/6870.png") == (14, 13595, 6870)
    assert parse_tile_path("/a/b/c") is None
    with pytest.raises(FileNotFoundError):
        MBTilesReader(tmp_path / "missing.mbtiles")


def test_demo_data_is_consistent():
    from widgets.map import demo

    fc = demo.fake_grids(622)
    assert len(fc["features"]) == 622
    ids = [f["properties"]["id"] for f in fc["features"]]
    assert len(set(ids)) == 622
    towns, villages = demo.fake_boundaries(622)
    assert len(towns["features"]) == 4 and len(villages["features"]) == 16
    ring = fc["features"][0]["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1] and math.isclose(demo._area_km2(ring), 0.2, rel_tol=0.6)
