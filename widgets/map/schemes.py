"""The ``gdmap:`` URL scheme: how the map page gets its page, scripts and tiles.

``register_schemes()`` must run before the QApplication exists (QtWebEngine fixes
its scheme table at start-up); `main.py` and `tests/conftest.py` call it at import
time. It is idempotent. Each `MapView` installs its own `MapSchemeHandler` on its
own profile, so several views with different basemaps can live side by side.

Addresses (syntax "Host"):

- ``gdmap://app/index.html``: the page folium built for this view;
- ``gdmap://app/lib/...``: Leaflet, markercluster, qwebchannel.js, GridDesk JS/CSS
  (see `assets.py`);
- ``gdmap://tiles/{z}/{x}/{y}``: tiles of the view's MBTiles basemap.

Flags: SecureScheme | LocalScheme | LocalAccessAllowed | CorsEnabled (without
LocalScheme QtWebEngine would not let a local page use the scheme).
"""

from __future__ import annotations

import logging

import PySide6.QtWebEngineWidgets  # noqa: F401  (QtWebEngine must load before the QApplication exists)
from PySide6.QtCore import QBuffer, QByteArray, QCoreApplication, QIODevice
from PySide6.QtWebEngineCore import (
    QWebEngineUrlRequestJob,
    QWebEngineUrlScheme,
    QWebEngineUrlSchemeHandler,
)

from . import assets
from .mbtiles import MBTilesReader, serve_tile

log = logging.getLogger(__name__)

SCHEME_NAME = assets.SCHEME.encode()


def register_schemes() -> None:
    """Register the ``gdmap`` scheme with QtWebEngine. Call before QApplication exists."""
    if schemes_registered():
        return
    if QCoreApplication.instance() is not None:
        raise RuntimeError("register_schemes() must run before the QApplication is created")
    scheme = QWebEngineUrlScheme(SCHEME_NAME)
    scheme.setSyntax(QWebEngineUrlScheme.Syntax.Host)
    flags = QWebEngineUrlScheme.Flag
    scheme.setFlags(flags.SecureScheme | flags.LocalScheme | flags.LocalAccessAllowed | flags.CorsEnabled)
    QWebEngineUrlScheme.registerScheme(scheme)


def schemes_registered() -> bool:
    return bytes(QWebEngineUrlScheme.schemeByName(SCHEME_NAME).name().data()) == SCHEME_NAME


class MapSchemeHandler(QWebEngineUrlSchemeHandler):
    """Serves one view's page, the shared assets and the view's MBTiles tiles."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.page_html: bytes = b""
        self.tiles: MBTilesReader | None = None
        self.served: list[str] = []  # every URL asked of the handler, for diagnostics

    def requestStarted(self, job: QWebEngineUrlRequestJob) -> None:  # noqa: N802 (Qt)
        url = job.requestUrl()
        self.served.append(url.toString())
        if bytes(job.requestMethod().data()) != b"GET":
            job.fail(QWebEngineUrlRequestJob.Error.RequestDenied)
            return
        host, path = url.host(), url.path()
        if host == "tiles":
            serve_tile(job, self.tiles)
            return
        if host == "app":
            if path in ("/", "/index.html"):
                self._reply(job, self.page_html, "text/html; charset=utf-8")
                return
            found = assets.asset(path)
            if found is not None:
                self._reply(job, *found)
                return
        log.debug("gdmap: not found: %s", url.toString())
        job.fail(QWebEngineUrlRequestJob.Error.UrlNotFound)

    @staticmethod
    def _reply(job: QWebEngineUrlRequestJob, data: bytes, mime: str) -> None:
        buf = QBuffer(job)
        buf.setData(QByteArray(data))
        buf.open(QIODevice.OpenModeFlag.ReadOnly)
        job.reply(QByteArray(mime.encode()), buf)
