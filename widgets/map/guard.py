"""A request interceptor that keeps the map page off the network.

The page may load from its own ``gdmap:`` scheme, ``data:``/``blob:`` URLs and Qt
resources; with an XYZ basemap also from that one tile host. Anything else is
blocked before it leaves the machine and recorded (and logged once per URL).
"""

from __future__ import annotations

import fnmatch
import logging
from urllib.parse import urlsplit

from PySide6.QtWebEngineCore import QWebEngineUrlRequestInfo, QWebEngineUrlRequestInterceptor

from . import assets
from .config import Basemap

log = logging.getLogger(__name__)

LOCAL_SCHEMES = frozenset({assets.SCHEME, "data", "blob", "qrc", "about"})


def tile_host_pattern(basemap: Basemap) -> tuple[str, str] | None:
    """(scheme, host[:port] glob) of an XYZ basemap; ``{s}`` matches any subdomain."""
    if basemap.kind != "xyz":
        return None
    parts = urlsplit(basemap.url.replace("{s}", "*"))
    return parts.scheme, parts.netloc.lower()


def allowed(url: str, basemap: Basemap) -> bool:
    parts = urlsplit(url)
    if parts.scheme in LOCAL_SCHEMES:
        return True
    pattern = tile_host_pattern(basemap)
    return pattern is not None and parts.scheme == pattern[0] and fnmatch.fnmatchcase(parts.netloc.lower(), pattern[1])


class OfflineGuard(QWebEngineUrlRequestInterceptor):
    """Blocks every request the offline guarantee does not allow."""

    def __init__(self, basemap: Basemap, parent=None) -> None:
        super().__init__(parent)
        self._basemap = basemap
        self.blocked: list[str] = []

    def interceptRequest(self, info: QWebEngineUrlRequestInfo) -> None:  # noqa: N802 (Qt)
        url = info.requestUrl().toString()
        if allowed(url, self._basemap):
            return
        info.block(True)
        if url not in self.blocked:
            log.warning("map page: blocked a request to %s (offline guarantee)", url)
        self.blocked.append(url)
