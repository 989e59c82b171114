"""The map works offline: every URL the page asks for is local (issue 5, "Done when")."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtWebEngineCore import QWebEnginePage, QWebEngineUrlRequestInterceptor

from widgets.map import demo
from widgets.map.config import Basemap, MapConfig
from widgets.map.schemes import register_schemes
from widgets.map.testing import js, open_view, spin, wait_for, wait_painted

register_schemes()  # idempotent; tests/conftest.py does it too, before the QApplication

pytestmark = pytest.mark.gui

ALLOWED = {"file", "qrc", "data", "gdmap"}


class Recorder(QWebEngineUrlRequestInterceptor):
    """Records every URL any page of the profile requests (profile interceptors run first)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def install(self, view) -> None:
        """Install on the view's profile; the view owns the recorder from now on, so the
        recorder is deleted after the profile, never while the profile still calls it."""
        self.setParent(view)
        view.profile.setUrlRequestInterceptor(self)

    def interceptRequest(self, info) -> None:  # noqa: N802
        self.urls.append(info.requestUrl().toString())


@pytest.fixture
def tiles_path(qapp, tmp_path):
    grids = demo.fake_grids(36)
    return demo.fake_mbtiles(tmp_path / "t.mbtiles", demo.bbox_of(grids), zooms=range(12, 16))


def _full_view(qtbot, recorder, config):
    grids = demo.fake_grids(36)
    bbox = demo.bbox_of(grids)
    view = open_view(qtbot, config, before_load=recorder.install)
    towns, villages = demo.fake_boundaries(36)
    view.set_boundaries(towns, villages)
    view.set_grids(grids)
    view.set_grid_measure("closure_rate")
    view.set_cases(demo.fake_cases(40, bbox))
    view.set_cameras(demo.fake_cameras(5, bbox))
    tracks = demo.fake_tracks(2, bbox)
    view.set_tracks(tracks)
    view.set_workers(demo.fake_workers(tracks))
    view.fly_to_case(3)
    wait_painted(view)
    spin(1200)  # the fly animation, tile loads, cluster icons
    return view


def test_only_local_urls_are_requested(qtbot, tiles_path):
    rec = Recorder()
    view = _full_view(qtbot, rec, MapConfig(basemap=Basemap.mbtiles(tiles_path), theme="light"))
    schemes = {urlsplit(u).scheme for u in rec.urls}
    assert schemes <= ALLOWED, [u for u in rec.urls if urlsplit(u).scheme not in ALLOWED]
    # the recorder really saw the page: its HTML, Leaflet, the channel script and tiles
    assert "gdmap://app/index.html" in rec.urls
    assert "gdmap://app/lib/leaflet/leaflet.js" in rec.urls
    assert "gdmap://app/lib/qwebchannel.js" in rec.urls
    assert sum(u.startswith("gdmap://tiles/") for u in rec.urls) >= 4
    assert view.guard.blocked == []
    assert view.console_errors() == []
    assert js(view, "GD.state()")["errors"] == []


def test_a_remote_request_is_caught_by_csp_and_by_the_guard(qtbot):
    """The instruments can fail: a remote URL shows up and is stopped twice over."""
    rec = Recorder()
    view = open_view(qtbot, MapConfig(), before_load=rec.install)
    # 1. In the map page the Content-Security-Policy refuses it before any request.
    js(view, "(function(){ var i = new Image(); i.src = 'http://192.0.2.1/x.png'; return 1; })()")
    assert wait_for(lambda: any("CSP blocked" in e for e in js(view, "GD.state()")["errors"]), 5000)
    assert not any(u.startswith("http") for u in rec.urls)
    # 2. A page without that policy on the same profile, with the view's guard: the
    #    recorder sees the request and the guard blocks it.
    other = QWebEnginePage(view.profile, view.web_view)
    other.setUrlRequestInterceptor(view.guard)
    other.setHtml('<img src="http://192.0.2.1/y.png">', QUrl("http://localhost/other.html"))
    assert wait_for(lambda: "http://192.0.2.1/y.png" in rec.urls, 10000)
    assert "http://192.0.2.1/y.png" in view.guard.blocked


def test_navigation_away_is_refused(qtbot):
    view = open_view(qtbot, MapConfig())
    js(view, "location.href = 'gdmap://app/lib/gd/griddesk_map.css'; 1")
    view.set_cases(demo.fake_cases(3, (121.4, 28.5, 121.5, 28.6)))  # sent while the navigation is pending
    assert wait_for(view.is_ready, 5000)
    assert view.page.url().toString() == "gdmap://app/index.html"
    wait_painted(view)
    assert js(view, "GD.state()")["cases"] == 3


def test_xyz_basemap_talks_only_to_its_tile_host(qtbot):
    """An intranet XYZ server (here a local HTTP server) is the one host the page may use."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    from PySide6.QtGui import QColor, QImage

    img = QImage(256, 256, QImage.Format.Format_RGB32)
    img.fill(QColor("#123456"))
    ba = QByteArray()
    buf = QBuffer(ba)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    img.save(buf, "PNG")
    png = bytes(ba.data())
    paths: list[str] = []

    class Tiles(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            paths.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(png)))
            self.end_headers()
            self.wfile.write(png)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Tiles)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        origin = f"http://127.0.0.1:{server.server_port}"
        rec = Recorder()
        view = open_view(
            qtbot,
            MapConfig(basemap=Basemap.xyz(origin + "/{z}/{x}/{y}.png"), center=(121.4, 28.55), zoom=13),
            before_load=rec.install,
        )
        view.set_cases(demo.fake_cases(5, (121.38, 28.53, 121.42, 28.57)))
        assert wait_for(lambda: js(view, "document.querySelectorAll('.leaflet-tile-loaded').length") >= 4, 10000)
        remote = [u for u in rec.urls if urlsplit(u).scheme not in ALLOWED]
        assert remote and all(u.startswith(origin + "/") for u in remote), remote
        assert len(paths) >= 4 and view.guard.blocked == []
        # any other host stays out, even with remote access switched on for the tiles
        js(view, "(function(){ new Image().src = 'http://192.0.2.1/t.png'; return 1; })()")
        assert wait_for(lambda: any("192.0.2.1" in e for e in js(view, "GD.state()")["errors"]), 5000)
        assert not any("192.0.2.1" in u for u in rec.urls)
    finally:
        server.shutdown()
        server.server_close()
