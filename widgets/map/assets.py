"""Local web assets of the map page and their ``gdmap://app/...`` addresses.

Leaflet and Leaflet.markercluster come from the installed `xstatic-leaflet` and
`xstatic-leaflet-markercluster` packages, `qwebchannel.js` from Qt's own resources,
and GridDesk's page scripts (plain scripts sharing the global `GD`, in load order in
`JS`) and style from `resources/map/`. Nothing is fetched from the network: the page
is built so that these are the only scripts it loads.
"""

from __future__ import annotations

import functools
import mimetypes
from pathlib import Path, PurePosixPath

import xstatic.pkg.leaflet as _xs_leaflet
import xstatic.pkg.leaflet_markercluster as _xs_cluster

import resources

SCHEME = "gdmap"
APP_ORIGIN = f"{SCHEME}://app"
TILES_ORIGIN = f"{SCHEME}://tiles"
PAGE_URL = f"{APP_ORIGIN}/index.html"

RESOURCE_DIR = Path(resources.__file__).resolve().parent / "map"
_ROOTS = {
    "leaflet": Path(_xs_leaflet.BASE_DIR),
    "markercluster": Path(_xs_cluster.BASE_DIR),
    "gd": RESOURCE_DIR,
}
QWEBCHANNEL_QRC = ":/qtwebchannel/qwebchannel.js"

JS = [
    ("leaflet", f"{APP_ORIGIN}/lib/leaflet/leaflet.js"),
    ("markercluster", f"{APP_ORIGIN}/lib/markercluster/leaflet.markercluster.js"),
    ("qwebchannel", f"{APP_ORIGIN}/lib/qwebchannel.js"),
    ("griddesk_canvas", f"{APP_ORIGIN}/lib/gd/griddesk_canvas.js"),
    # the core (the GD namespace, shared state, init, bridge) before the files that add to GD
    ("griddesk_map", f"{APP_ORIGIN}/lib/gd/griddesk_map.js"),
    ("griddesk_cases", f"{APP_ORIGIN}/lib/gd/griddesk_cases.js"),
    ("griddesk_areas", f"{APP_ORIGIN}/lib/gd/griddesk_areas.js"),
    ("griddesk_field", f"{APP_ORIGIN}/lib/gd/griddesk_field.js"),
]
CSS = [
    ("leaflet_css", f"{APP_ORIGIN}/lib/leaflet/leaflet.css"),
    ("markercluster_css", f"{APP_ORIGIN}/lib/markercluster/MarkerCluster.css"),
    ("markercluster_default_css", f"{APP_ORIGIN}/lib/markercluster/MarkerCluster.Default.css"),
    ("griddesk_map_css", f"{APP_ORIGIN}/lib/gd/griddesk_map.css"),
]

_MIME_OVERRIDES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png", ".svg": "image/svg+xml"}


def mime_of(name: str) -> str:
    suffix = PurePosixPath(name).suffix.lower()
    return _MIME_OVERRIDES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"


def local_path(url_path: str) -> Path | None:
    """``/lib/<root>/<file>`` -> the file on disk, refusing anything outside the roots."""
    parts = PurePosixPath(url_path).parts
    if len(parts) < 4 or parts[:2] != ("/", "lib") or parts[2] not in _ROOTS:
        return None
    if any(p in ("..", ".") or "\\" in p for p in parts[3:]):
        return None
    root = _ROOTS[parts[2]]
    path = root.joinpath(*parts[3:]).resolve()
    if root.resolve() not in path.parents or not path.is_file():
        return None
    return path


@functools.lru_cache(maxsize=64)
def _read(path: Path) -> bytes:
    return path.read_bytes()


def asset(url_path: str) -> tuple[bytes, str] | None:
    """Bytes and MIME type of the asset at ``gdmap://app<url_path>``, or None."""
    if url_path == "/lib/qwebchannel.js":
        return _qwebchannel_js(), "text/javascript"
    path = local_path(url_path)
    if path is None:
        return None
    return _read(path), mime_of(path.name)


@functools.lru_cache(maxsize=1)
def _qwebchannel_js() -> bytes:
    from PySide6.QtCore import QFile, QIODevice

    import PySide6.QtWebChannel  # noqa: F401  (registers the Qt resource)

    f = QFile(QWEBCHANNEL_QRC)
    if not f.open(QIODevice.OpenModeFlag.ReadOnly):
        raise RuntimeError(f"Qt resource {QWEBCHANNEL_QRC} is missing")
    try:
        return bytes(f.readAll().data())
    finally:
        f.close()
