"""`MapView`: the command centre's map — offline Leaflet in QtWebEngine, live layers.

Plain data in, signals out; the widget knows nothing of the database.

Construction::

    register_schemes()                       # once, before the QApplication exists
    view = MapView(MapConfig(basemap=Basemap.parse(setting), gcj02=False,
                             theme="dark", language="zh", wall_mode=True))

Data (coordinates are WGS-84 ``lon, lat``; ids are ints)::

    view.set_boundaries(towns_geojson, villages_geojson)    # FeatureCollections (dict or str) or None
    view.set_grids(feature_collection)      # properties: id, code, name, plus values per measure
    view.set_grid_measure(name, values=None, legend_title=None)
        # choropleth; name in legend.MEASURES ("open_cases", "red_cases", "closure_rate",
        # "cases_per_km2") or any other; values {grid_id: float|None}, default: the
        # feature property `name`; the legend title defaults to the UI language's name
    view.update_grid_values(values, rescale=False)   # recolour only grids whose value changed
    view.set_cases([{id, code, lon, lat, light, title, card}, ...])
        # light: green|yellow|red|none; title: hover text; card: popup text (str, lines
        # split on \n) or {label: value}; all text is escaped in the page
    view.upsert_cases([...]); view.remove_cases([ids])
    view.set_cameras([{id, name, lon, lat, online}, ...])
    view.set_workers([{id, name, lon, lat, online}, ...])   # current positions
    view.set_tracks([{id, name, points: [[lon, lat, t_epoch_s], ...], color?}, ...])
    view.play_tracks(speed=None); view.pause_tracks(); view.seek_tracks(t_epoch_s)
    view.fly_to_case(case_id) -> bool
    view.select_grid(grid_id | None)            # outline a grid selected elsewhere
    view.set_intake_mode(on)
    view.unlock_view()
    view.set_view(lon, lat, zoom)                # programmatic; does not lock the wall view

Signals::

    gridClicked(int grid_id)      caseClicked(int case_id)      cameraClicked(int camera_id)
    coordinatePicked(float lon, float lat)   # intake mode; WGS-84 even on a GCJ-02 basemap
    viewLocked(bool locked)                  # wall mode: a manual pan/zoom locked the view
    ready()                                  # page loaded and data pushed; also after a reload

Every setter may be called before `ready()`: the state is kept and pushed once the
page is up. After that, each call sends only what changed as one ``runJavaScript``
call (never a page reload); ``set_cases``/``set_cameras``/``set_workers`` diff against
what the page already has and send patches (id + changed fields); ``set_tracks`` and
``set_grids`` replace their layer. Nothing is requested from the network except the
tiles of a configured XYZ basemap: a Content-Security-Policy and an `OfflineGuard`
request interceptor block everything else.

Demo with FAKE data: ``python -m widgets.map.view [--wall] [--light] [--en] [--demo-tiles]``.
"""

from __future__ import annotations

import json
import logging
import math
import sqlite3
from dataclasses import replace
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from PySide6.QtCore import QTimer, QUrl, Signal
from PySide6.QtGui import Qt
from PySide6.QtWebChannel import QWebChannel
from PySide6.QtWebEngineCore import QWebEnginePage, QWebEngineProfile, QWebEngineSettings
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import QVBoxLayout, QWidget

from . import assets
from .bridge import MapBridge
from .config import Basemap, MapConfig
from .coords import gcj02_to_wgs84
from .guard import OfflineGuard
from .legend import Scale, make_scale
from .mbtiles import MBTilesReader
from .page import build_page
from .schemes import SCHEME_NAME, MapSchemeHandler, schemes_registered
from .state import (
    PointSet,
    changed_values,
    json_values,
    norm_camera,
    norm_case,
    norm_track,
    norm_worker,
    same_case,
    slim_grids,
    values_from_properties,
)

log = logging.getLogger(__name__)


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _geojson(obj: Mapping | str | None) -> Mapping | None:
    if obj is None:
        return None
    return json.loads(obj) if isinstance(obj, str) else obj


class _MapPage(QWebEnginePage):
    """Keeps the page on its own URL and records console errors."""

    def __init__(self, profile: QWebEngineProfile, parent=None) -> None:
        super().__init__(profile, parent)
        self.console_errors: list[str] = []

    def acceptNavigationRequest(self, url: QUrl, nav_type, is_main_frame: bool) -> bool:  # noqa: N802 (Qt)
        if not is_main_frame:
            return False
        ok = url.toString() == assets.PAGE_URL
        if not ok:
            log.warning("map page: refused to navigate to %s", url.toString())
        return ok

    def javaScriptConsoleMessage(self, level, message: str, line: int, source: str) -> None:  # noqa: N802 (Qt)
        if level == QWebEnginePage.JavaScriptConsoleMessageLevel.ErrorMessageLevel:
            self.console_errors.append(f"{source}:{line}: {message}")
            log.warning("map page console: %s (%s:%s)", message, source, line)
        else:
            log.debug("map page console: %s", message)


class MapView(QWidget):
    """The map: grids, boundaries, cases, cameras, workers and tracks on an offline basemap."""

    gridClicked = Signal(int)
    caseClicked = Signal(int)
    cameraClicked = Signal(int)
    coordinatePicked = Signal(float, float)
    viewLocked = Signal(bool)
    ready = Signal()

    def __init__(self, config: MapConfig | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        if not schemes_registered():
            raise RuntimeError(
                "call widgets.map.schemes.register_schemes() before the QApplication is created"
            )
        self._config = config or MapConfig()
        self.basemap_error: str | None = None
        self._ready = False
        self._locked = False
        # Python-side state: what the page shows (or will show once ready).
        self._towns: Mapping | None = None
        self._villages: Mapping | None = None
        self._grids_json: str | None = None  # the page's grid layer, serialised once
        self._grid_props: dict[int, Mapping] = {}  # properties by grid id (measure values)
        self._grid_order: list[int] = []
        self._measure: str | None = None
        self._measure_from_props = False
        self._legend_title: str | None = None
        self._scale: Scale | None = None
        self._values: dict[int, float | None] = {}
        self._cases = PointSet(norm_case, same_case)
        self._cameras = PointSet(norm_camera)
        self._workers = PointSet(norm_worker)
        self._tracks: list[dict] = []
        self._intake = False
        self._selected_grid: int | None = None
        self._pending_fly: int | None = None
        self._paint_token = 0

        tiles, tile_zoom = self._open_basemap()

        # The profile is created first but re-parented after the view, so that Qt deletes
        # the page before its profile (QtWebEngine crashes at exit otherwise).
        self._profile = QWebEngineProfile()
        self._handler = MapSchemeHandler(self._profile)
        self._handler.tiles = tiles
        self._handler.page_html = build_page(self._config, tile_zoom=tile_zoom).encode()
        self._profile.installUrlSchemeHandler(SCHEME_NAME, self._handler)
        self._guard = OfflineGuard(self._config.basemap, self._profile)
        self._web = QWebEngineView(self)
        self._web.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)
        self._page = _MapPage(self._profile, self._web)
        self._page.setUrlRequestInterceptor(self._guard)
        # The page comes from a local scheme, so QtWebEngine refuses every remote URL unless
        # this is on; it is only for an XYZ basemap, whose host the CSP and guard still pin.
        self._page.settings().setAttribute(
            QWebEngineSettings.WebAttribute.LocalContentCanAccessRemoteUrls, self._config.basemap.kind == "xyz"
        )
        self._web.setPage(self._page)
        self._profile.setParent(self)

        self._bridge = MapBridge(self)
        self._channel = QWebChannel(self._page)
        self._channel.registerObject("gdBridge", self._bridge)
        self._page.setWebChannel(self._channel)
        self._bridge.gridClicked.connect(self._on_grid_clicked)
        self._bridge.caseClicked.connect(self.caseClicked)
        self._bridge.cameraClicked.connect(self.cameraClicked)
        self._bridge.mapClicked.connect(self._on_map_clicked)
        self._bridge.viewLockChanged.connect(self._on_view_lock_changed)
        self._bridge.pageReady.connect(self._on_page_ready)
        self._page.loadStarted.connect(self._on_load_started)
        self._page.loadFinished.connect(self._on_load_finished)
        self._page.renderProcessTerminated.connect(self._on_render_process_terminated)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._web)
        # Load on the next event-loop turn: callers (tests) may still install an interceptor.
        QTimer.singleShot(0, self._load)

    # ---------- properties ----------
    @property
    def config(self) -> MapConfig:
        return self._config

    @property
    def profile(self) -> QWebEngineProfile:
        return self._profile

    @property
    def page(self) -> QWebEnginePage:
        return self._page

    @property
    def web_view(self) -> QWebEngineView:
        return self._web

    @property
    def bridge(self) -> MapBridge:
        return self._bridge

    @property
    def guard(self) -> OfflineGuard:
        return self._guard

    @property
    def scale(self) -> Scale | None:
        """The legend scale of the current grid measure."""
        return self._scale

    def is_ready(self) -> bool:
        return self._ready

    def is_locked(self) -> bool:
        return self._locked

    def console_errors(self) -> list[str]:
        return list(self._page.console_errors)

    # ---------- data ----------
    def set_boundaries(self, towns_geojson: Mapping | str | None, villages_geojson: Mapping | str | None) -> None:
        self._towns, self._villages = _geojson(towns_geojson), _geojson(villages_geojson)
        self._send(f"GD.setBoundaries({_dumps(self._towns)},{_dumps(self._villages)})")

    def set_grids(self, feature_collection: Mapping | str) -> None:
        fc = _geojson(feature_collection)
        self._grid_props = {int(f["properties"]["id"]): f["properties"] for f in fc.get("features") or ()}
        self._grid_order = list(self._grid_props)  # the page's layer order
        self._grids_json = _dumps(slim_grids(fc))
        self._send(f"GD.setGrids({self._grids_json})")
        if self._measure and self._measure_from_props:
            self.set_grid_measure(self._measure, None, self._legend_title)
        elif self._measure:
            self._send(self._measure_call())

    def set_grid_measure(
        self, name: str, values: Mapping[int, float | None] | None = None, legend_title: str | None = None
    ) -> None:
        self._measure, self._legend_title = name, legend_title
        self._measure_from_props = values is None
        if values is None:
            values = values_from_properties(self._grid_props, name)
        self._values = changed_values({}, values)  # ints, floats, NaN as None
        self._scale = make_scale(name, self._values, title=legend_title, language=self._config.language)
        self._send(self._measure_call())

    def update_grid_values(self, values: Mapping[int, float | None], *, rescale: bool = False) -> int:
        """Recolour the grids whose value changed; returns how many changed.

        The legend's classes stay as they are unless `rescale`.
        """
        if self._measure is None:
            raise RuntimeError("update_grid_values() before set_grid_measure()")
        changed = changed_values(self._values, values)
        self._values.update(changed)
        if rescale:
            self._scale = make_scale(self._measure, self._values, title=self._legend_title, language=self._config.language)
            self._send(self._measure_call())
        elif len(changed) > len(self._grid_order) // 2:
            # most grids changed: one number per grid in layer order is a third of the size
            dense = [self._values.get(gid) for gid in self._grid_order]
            dense = [None if v is None or math.isnan(v) else v for v in dense]
            self._send(f"GD.setGridValuesDense({_dumps(dense)})")
        elif changed:
            self._send(f"GD.updateGridValues({_dumps(json_values(changed))})")
        return len(changed)

    def set_cases(self, cases: Iterable[Mapping[str, Any]]) -> None:
        self._send_cases(self._cases.replace(cases))

    def upsert_cases(self, cases: Iterable[Mapping[str, Any]]) -> None:
        self._send_cases(self._cases.upsert(cases))

    def remove_cases(self, ids: Iterable[int]) -> None:
        self._send_cases(self._cases.remove(ids))

    def set_cameras(self, cameras: Iterable[Mapping[str, Any]]) -> None:
        self._send_diff("applyCameras", self._cameras.replace(cameras))

    def set_workers(self, workers: Iterable[Mapping[str, Any]]) -> None:
        self._send_diff("applyWorkers", self._workers.replace(workers))

    def set_tracks(self, tracks: Iterable[Mapping[str, Any]]) -> None:
        """A day's patrol tracks; playback starts paused at the earliest point."""
        self._tracks = [norm_track(t) for t in tracks]
        self._send(f"GD.setTracks({_dumps(self._tracks)})")

    def play_tracks(self, speed: float | None = None) -> None:
        """Play the tracks; `speed` is simulated seconds per real second (default 60)."""
        self._send(f"GD.playback({_dumps({'cmd': 'play', 'speed': speed})})")

    def pause_tracks(self) -> None:
        self._send("GD.playback({cmd:'pause'})")

    def seek_tracks(self, t: float) -> None:
        self._send(f"GD.playback({_dumps({'cmd': 'seek', 't': float(t)})})")

    def fly_to_case(self, case_id: int) -> bool:
        """Fly to a case and open its card; False if the map does not have that case."""
        case_id = int(case_id)
        if case_id not in self._cases.items:
            return False
        if self._ready:
            self._send(f"GD.flyToCase({case_id})")
        else:
            self._pending_fly = case_id
        return True

    def select_grid(self, grid_id: int | None) -> None:
        """Outline a grid as selected (e.g. when the queue selects it); None clears."""
        self._selected_grid = None if grid_id is None else int(grid_id)
        self._send(f"GD.selectGrid({_dumps(self._selected_grid)})")

    def set_intake_mode(self, on: bool) -> None:
        """In intake mode a click on the map emits `coordinatePicked` instead of selecting."""
        self._intake = bool(on)
        self._send(f"GD.setIntakeMode({_dumps(self._intake)})")

    def unlock_view(self) -> None:
        self._send("GD.unlockView()")

    def set_view(self, lon: float, lat: float, zoom: int) -> None:
        """Centre the map on a WGS-84 point at `zoom` (a programmatic move: never locks)."""
        self._send(f"GD.setView({float(lon)!r},{float(lat)!r},{int(zoom)})")

    # ---------- low level ----------
    def run_js(self, script: str, callback: Callable[[Any], None] | None = None) -> None:
        """Run script in the page (when ready or not); objects come back as '' — stringify them."""
        if callback is None:
            self._page.runJavaScript(script)
        else:
            self._page.runJavaScript(script, 0, callback)

    def request_paint_ack(self) -> int:
        """Ask the page to call back (`bridge.painted(token)`) once pending changes are on screen."""
        self._paint_token += 1
        self._send(f"GD.afterPaint({self._paint_token})")
        return self._paint_token

    # ---------- internals ----------
    def _open_basemap(self) -> tuple[MBTilesReader | None, tuple[int, int] | None]:
        bm = self._config.basemap
        if bm.kind != "mbtiles":
            return None, None
        try:
            reader = MBTilesReader(bm.path)
        except (OSError, ValueError, sqlite3.DatabaseError) as exc:  # a broken basemap must not take the map down
            self.basemap_error = str(exc)
            log.error("map: cannot open MBTiles basemap %s: %s; showing no basemap", bm.path, exc)
            self._config = replace(self._config, basemap=Basemap.none())
            return None, None
        return reader, reader.zoom_range()

    def _measure_call(self) -> str:
        assert self._scale is not None
        payload = {"name": self._measure, "scale": self._scale.to_json(), "values": json_values(self._values)}
        return f"GD.setMeasure({_dumps(payload)})"

    def _send(self, script: str) -> None:
        if self._ready:
            self._page.runJavaScript(script)

    def _send_diff(self, fn: str, diff) -> None:
        if diff and self._ready:
            self._send(f"GD.{fn}({_dumps(diff.to_json())})")

    def _send_cases(self, diff) -> None:
        if diff and self._ready:  # serialised only for a page that takes it
            self._send(f"GD.applyCases({_dumps(diff.to_json_moves(self._cases.items))})")

    def _load(self) -> None:
        self._web.load(QUrl(assets.PAGE_URL))

    def _on_load_started(self) -> None:
        self._ready = False

    def _on_load_finished(self, ok: bool) -> None:
        """A refused or failed navigation leaves the old document: it may still be alive."""
        if ok or self._ready:
            return

        def alive(result) -> None:
            if result is True and not self._ready:
                self._on_page_ready()  # replays the whole state: updates made meanwhile are not lost

        self._page.runJavaScript("typeof GD === 'object' && GD.ready === true", 0, alive)

    def _on_page_ready(self) -> None:
        """The page script is up and the channel connected: give it the whole state."""
        self._ready = True
        if self._towns is not None or self._villages is not None:
            self.set_boundaries(self._towns, self._villages)
        if self._grids_json is not None:
            self._send(f"GD.setGrids({self._grids_json})")
        if self._measure is not None:
            self._send(self._measure_call())
        self._send_diff("applyCameras", self._cameras.everything())
        self._send_cases(self._cases.everything())
        self._send_diff("applyWorkers", self._workers.everything())
        if self._tracks:
            self._send(f"GD.setTracks({_dumps(self._tracks)})")
        if self._intake:
            self._send("GD.setIntakeMode(true)")
        if self._selected_grid is not None:
            self._send(f"GD.selectGrid({self._selected_grid})")
        if self._pending_fly is not None:
            self._send(f"GD.flyToCase({self._pending_fly})")
            self._pending_fly = None
        self.ready.emit()

    def _on_grid_clicked(self, grid_id: int) -> None:
        self._selected_grid = grid_id  # the page outlined it already
        self.gridClicked.emit(grid_id)

    def _on_map_clicked(self, lon: float, lat: float) -> None:
        if self._config.gcj02:
            lon, lat = gcj02_to_wgs84(lon, lat)
        self.coordinatePicked.emit(lon, lat)

    def _on_view_lock_changed(self, locked: bool) -> None:
        self._locked = locked
        self.viewLocked.emit(locked)

    def _on_render_process_terminated(self, status, code: int) -> None:
        log.error("map: render process ended (%s, exit code %s); reloading", status, code)
        self._ready = False
        QTimer.singleShot(500, self._load)


if __name__ == "__main__":  # pragma: no cover - a manual demo, run by tests in a subprocess
    from .demo import main

    raise SystemExit(main())
