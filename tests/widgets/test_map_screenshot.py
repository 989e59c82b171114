"""Screenshots: an MBTiles basemap made here, grids, markers and tracks, checked by pixel colour."""

from __future__ import annotations

import sqlite3

import pytest
from PySide6.QtCore import QBuffer, QByteArray, QIODevice
from PySide6.QtGui import QColor, QImage

from widgets.map import demo
from widgets.map.config import Basemap, MapConfig
from widgets.map.schemes import register_schemes
from widgets.map.testing import grab, js, open_view, spin, wait_for

register_schemes()

pytestmark = pytest.mark.gui

TILE = QColor("#ff00ff")  # no layer uses magenta: where it shows, the basemap shows
TRACK = QColor("#0000ff")
GRIDS = demo.fake_grids(16)
W, S, E, N = demo.bbox_of(GRIDS)


def _png(color: QColor) -> bytes:
    img = QImage(256, 256, QImage.Format.Format_RGB32)
    img.fill(color)
    ba = QByteArray()
    buf = QBuffer(ba)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    img.save(buf, "PNG")
    return bytes(ba.data())


def _make_mbtiles(path) -> int:
    """Tiles for zooms 12-16 around the grids; rows written in TMS order (y flipped)."""
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE metadata (name TEXT, value TEXT);"
        "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);"
        "INSERT INTO metadata VALUES ('format', 'png'), ('minzoom', '12'), ('maxzoom', '16');"
    )
    png = _png(TILE)
    n = 0
    for z in range(12, 17):
        x0, y0 = demo.lonlat_to_tile(W - 0.03, N + 0.03, z)
        x1, y1 = demo.lonlat_to_tile(E + 0.03, S - 0.03, z)
        for x in range(x0, x1 + 1):
            for y in range(y0, y1 + 1):
                db.execute("INSERT INTO tiles VALUES (?, ?, ?, ?)", (z, x, 2**z - 1 - y, png))
                n += 1
    db.commit()
    db.close()
    return n


def _close(c: QColor, rgb: tuple[int, int, int], tol: int = 14) -> bool:
    return all(abs(a - b) <= tol for a, b in zip((c.red(), c.green(), c.blue()), rgb))


def _blend(top: QColor, alpha: float, under: QColor) -> tuple[int, int, int]:
    return tuple(round(alpha * a + (1 - alpha) * b) for a, b in zip(top.getRgb()[:3], under.getRgb()[:3]))


def test_screenshot_shows_basemap_grids_markers_and_tracks(qtbot, tmp_path):
    path = tmp_path / "test.mbtiles"
    assert _make_mbtiles(path) > 20
    view = open_view(qtbot, MapConfig(basemap=Basemap.mbtiles(path), theme="light", animate=False), size=(800, 600))
    view.set_grids(GRIDS)
    values = {f["properties"]["id"]: 0 for f in GRIDS["features"]}
    values[6] = 40
    view.set_grid_measure("open_cases", values)
    # one red case in the middle of grid 11; a straight blue track south of the grids
    g11 = GRIDS["features"][10]["geometry"]["coordinates"][0][:-1]
    c_lon, c_lat = sum(p[0] for p in g11) / 4, sum(p[1] for p in g11) / 4
    view.set_cases([{"id": 1, "code": "C1", "lon": c_lon, "lat": c_lat, "light": "red", "title": "", "card": ""}])
    t_lat = S - 0.0015
    view.set_tracks([{"id": 1, "name": "", "color": TRACK.name(), "points": [[W, t_lat, 0], [E, t_lat, 600]]}])
    view.seek_tracks(600)
    view.set_view((W + E) / 2, (S + N) / 2 - 0.001, 15)
    assert wait_for(lambda: js(view, "document.querySelectorAll('.leaflet-tile-loaded').length") >= 4, 10000)
    spin(300)
    img = grab(view)
    img.save(str(tmp_path / "map.png"))
    assert img.width() == 800 and img.height() == 600

    def px(lon, lat):
        x, y = js(view, f"GD.point({lon}, {lat})")
        assert 0 <= x < img.width() and 0 <= y < img.height(), (x, y)
        return img.pixelColor(round(x), round(y))

    # basemap tile (east of the grids, nothing drawn there)
    assert _close(px(E + 0.003, (S + N) / 2), (255, 0, 255), tol=4)
    # grid fill at 60 % opacity over the tile: the hot grid and a zero grid differ as the scale says
    scale = view.scale
    for gid in (6, 2):
        ring = GRIDS["features"][gid - 1]["geometry"]["coordinates"][0][:-1]
        got = px(sum(p[0] for p in ring) / 4, sum(p[1] for p in ring) / 4)
        want = _blend(QColor(scale.color_of(values[gid])), 0.6, TILE)
        assert _close(got, want), (gid, got.name(), want)
    # the case marker: the light's red in its centre
    assert _close(px(c_lon, c_lat), (0xE5, 0x39, 0x35), tol=20)
    # the track, played to its end: solid blue over the tile
    got = px((W + E) / 2, t_lat)
    assert _close(got, _blend(TRACK, 0.95 + 0.05 * 0.35, TILE), tol=20), got.name()
    # and nothing of the basemap where a grid is drawn
    assert not _close(px(c_lon + 0.0008, c_lat + 0.0008), (255, 0, 255), tol=30)
    # the whole widget's grab() shows the same page
    whole = view.grab().toImage()
    assert whole.size() == img.size()
    x, y = js(view, f"GD.point({E + 0.003}, {(S + N) / 2})")
    assert _close(whole.pixelColor(round(x), round(y)), (255, 0, 255), tol=4)


def test_dark_theme_without_basemap_screenshot(qtbot, tmp_path):
    view = open_view(qtbot, MapConfig(theme="dark", language="en"), size=(640, 480))
    view.set_grids(GRIDS)
    view.set_grid_measure("closure_rate")
    img = grab(view)
    bg = img.pixelColor(5, img.height() // 2)  # left edge: plain background of the dark theme
    assert _close(bg, (0x0E, 0x17, 0x26), tol=3)
    colours = {img.pixelColor(x, y).name() for x in range(0, 640, 16) for y in range(0, 480, 16)}
    assert len(colours) > 8  # grids in several classes, not a blank page


def _centre(feature):
    ring = feature["geometry"]["coordinates"][0][:-1]
    return sum(p[0] for p in ring) / len(ring), sum(p[1] for p in ring) / len(ring)


def test_recolour_reaches_the_pixels_small_and_bulk(qtbot):
    """Both recolour paths of the batching renderer (a few grids, and > 500 at once) repaint."""
    grids = demo.fake_grids(700)
    view = open_view(qtbot, MapConfig(theme="light", animate=False), size=(800, 600))
    view.set_grids(grids)
    zero = {f["properties"]["id"]: 0 for f in grids["features"]}
    view.set_grid_measure("open_cases", zero)
    bg = QColor("#eef0ea")  # light theme background, no basemap
    scale = view.scale  # classes: 0 / >= 1
    probe = [grids["features"][k] for k in (5, 333, 650)]

    def colours():
        img = grab(view)
        out = []
        for f in probe:
            x, y = js(view, "GD.point(%r, %r)" % _centre(f))
            out.append(img.pixelColor(round(x), round(y)))
        return out

    want_zero = _blend(QColor(scale.color_of(0)), 0.6, bg)
    want_hot = _blend(QColor(scale.color_of(30)), 0.6, bg)
    assert all(_close(c, want_zero, tol=6) for c in colours())
    view.update_grid_values({probe[1]["properties"]["id"]: 30})  # one grid: a partial redraw
    got = colours()
    assert _close(got[1], want_hot, tol=6) and _close(got[0], want_zero, tol=6), [c.name() for c in got]
    view.update_grid_values({gid: 30 for gid in zero})  # all: one full redraw
    assert all(_close(c, want_hot, tol=6) for c in colours())
