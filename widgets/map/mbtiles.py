"""Offline raster tiles from an MBTiles file (SQLite), served to the map page.

MBTiles stores tiles in TMS order: row 0 is the southernmost row, while Leaflet
asks for XYZ tiles with y = 0 in the north. The reader flips:
``tile_row = 2**z - 1 - y``. Vector tiles (``format=pbf``) are not supported.

`MBTilesReader` is plain sqlite3 (no Qt) and opens the file read-only;
`serve_tile()` answers a ``gdmap://tiles/{z}/{x}/{y}`` request job.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

_MIME = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp"}
_TILE_PATH = re.compile(r"^/(\d{1,2})/(\d+)/(\d+)(?:\.\w+)?$")


def flip_y(z: int, y: int) -> int:
    """XYZ row <-> TMS row (the same formula both ways)."""
    return (1 << z) - 1 - y


class MBTilesReader:
    """Read tiles and metadata from one MBTiles file; opened read-only."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"MBTiles file not found: {self.path}")
        uri = self.path.resolve().as_uri() + "?mode=ro"
        self._db = sqlite3.connect(uri, uri=True, check_same_thread=False)
        self.metadata = self._read_metadata()
        fmt = self.metadata.get("format", "png").lower()
        if fmt not in _MIME:
            raise ValueError(f"unsupported MBTiles format {fmt!r} (raster png/jpg/webp only)")
        self.format = fmt
        self.mime = _MIME[fmt]

    def _read_metadata(self) -> dict[str, str]:
        try:
            rows = self._db.execute("SELECT name, value FROM metadata").fetchall()
        except sqlite3.DatabaseError:
            return {}
        return {str(k): str(v) for k, v in rows}

    def zoom_range(self) -> tuple[int, int]:
        """(min, max) zoom stored, from metadata or the tiles table."""
        md = self.metadata
        if "minzoom" in md and "maxzoom" in md:
            return int(md["minzoom"]), int(md["maxzoom"])
        lo, hi = self._db.execute("SELECT MIN(zoom_level), MAX(zoom_level) FROM tiles").fetchone()
        return int(lo or 0), int(hi or 0)

    def bounds(self) -> tuple[float, float, float, float] | None:
        """(west, south, east, north) from metadata, if given."""
        raw = self.metadata.get("bounds")
        if not raw:
            return None
        try:
            w, s, e, n = (float(v) for v in raw.split(","))
        except ValueError:
            return None
        return w, s, e, n

    def tile(self, z: int, x: int, y: int) -> bytes | None:
        """The tile at XYZ address (z, x, y), or None."""
        if z < 0 or z > 30 or not (0 <= x < (1 << z)) or not (0 <= y < (1 << z)):
            return None
        row = self._db.execute(
            "SELECT tile_data FROM tiles WHERE zoom_level=? AND tile_column=? AND tile_row=?",
            (z, x, flip_y(z, y)),
        ).fetchone()
        return bytes(row[0]) if row else None

    def close(self) -> None:
        self._db.close()


def parse_tile_path(path: str) -> tuple[int, int, int] | None:
    """``/z/x/y`` or ``/z/x/y.png`` -> (z, x, y)."""
    m = _TILE_PATH.match(path)
    return (int(m[1]), int(m[2]), int(m[3])) if m else None


def serve_tile(job, reader: MBTilesReader | None) -> None:
    """Answer a QWebEngineUrlRequestJob for ``gdmap://tiles/{z}/{x}/{y}``."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    from PySide6.QtWebEngineCore import QWebEngineUrlRequestJob

    address = parse_tile_path(job.requestUrl().path())
    data = reader.tile(*address) if reader is not None and address else None
    if data is None:
        job.fail(QWebEngineUrlRequestJob.Error.UrlNotFound)
        return
    buf = QBuffer(job)
    buf.setData(QByteArray(data))
    buf.open(QIODevice.OpenModeFlag.ReadOnly)
    job.reply(QByteArray(reader.mime.encode()), buf)
