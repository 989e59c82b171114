"""Configuration of a map view: basemap, datum, theme, language, wall mode. Pure, no Qt."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

THEMES = ("dark", "light")
LANGUAGES = ("zh", "en")


@dataclass(frozen=True)
class Basemap:
    """What is drawn under the data.

    - ``Basemap.none()``: a plain background; boundaries and grids carry the map.
    - ``Basemap.xyz(url)``: an XYZ tile server, e.g. an intranet server
      ``http://tiles.intra/{z}/{x}/{y}.png`` (Tianditu- or OSM-style templates with
      ``{z} {x} {y}`` and optionally ``{s}``). This is the only case where the page
      talks to a network host, and only to that one host.
    - ``Basemap.mbtiles(path)``: an offline MBTiles file, served to the page through
      the app's own ``gdmap:`` URL scheme.
    """

    kind: str = "none"  # "none" | "xyz" | "mbtiles"
    url: str = ""
    path: str = ""
    attribution: str = ""
    subdomains: str = "abc"
    min_zoom: int = 0
    max_zoom: int = 18

    @classmethod
    def none(cls) -> Basemap:
        return cls()

    @classmethod
    def xyz(cls, url: str, *, attribution: str = "", subdomains: str = "abc", max_zoom: int = 18) -> Basemap:
        if not all(k in url for k in ("{z}", "{x}", "{y}")):
            raise ValueError(f"an XYZ template needs {{z}}, {{x}} and {{y}}: {url!r}")
        scheme = urlsplit(url).scheme
        if scheme not in ("http", "https"):
            raise ValueError(f"an XYZ template must be an http(s) URL: {url!r}")
        return cls(kind="xyz", url=url, attribution=attribution, subdomains=subdomains, max_zoom=max_zoom)

    @classmethod
    def mbtiles(cls, path: str | Path, *, attribution: str = "") -> Basemap:
        return cls(kind="mbtiles", path=str(path), attribution=attribution)

    @classmethod
    def parse(cls, text: str | Path | None) -> Basemap:
        """Read a one-line setting: ``none`` / an XYZ URL template / a path to a ``.mbtiles`` file."""
        if text is None:
            return cls.none()
        s = str(text).strip()
        if s in ("", "none"):
            return cls.none()
        if s.startswith(("http://", "https://")):
            return cls.xyz(s)
        if s.startswith("mbtiles:"):
            s = s[len("mbtiles:"):]
        if s.lower().endswith(".mbtiles"):
            return cls.mbtiles(s)
        raise ValueError(f"basemap must be 'none', an http(s) XYZ template or a .mbtiles path: {s!r}")

    def allowed_origin(self) -> str | None:
        """``scheme://host[:port]`` the page may contact for tiles (XYZ only)."""
        if self.kind != "xyz":
            return None
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"


@dataclass(frozen=True)
class MapConfig:
    """Everything a `MapView` needs before its page is built.

    `center` is (lon, lat) WGS-84 and only used until data arrives; `gcj02` says the
    basemap is drawn in GCJ-02, so data (stored in WGS-84) is shifted for display and
    picked coordinates are shifted back. `wall_mode` is the video-wall behaviour: a
    manual pan or zoom locks the view, and the view fits the shown cases only when the
    set of shown cases changes (and it is not locked).
    """

    basemap: Basemap = field(default_factory=Basemap.none)
    gcj02: bool = False
    theme: str = "dark"
    language: str = "zh"
    wall_mode: bool = False
    center: tuple[float, float] = (116.397, 39.909)
    zoom: int = 12
    min_zoom: int = 6  # a province; fewer zoom levels make marker clustering cheaper
    label_zoom: int = 16  # grid labels from this zoom on
    max_labels: int = 600  # at most this many grid labels at once
    animate: bool = True
    hidden_layers: tuple[str, ...] = ()  # overlays that start switched off (grids, towns, villages, cases,
    #                                      cameras, workers, tracks); the layer control can show them

    def __post_init__(self) -> None:
        if self.theme not in THEMES:
            raise ValueError(f"theme must be one of {THEMES}: {self.theme!r}")
        if self.language not in LANGUAGES:
            raise ValueError(f"language must be one of {LANGUAGES}: {self.language!r}")
        if isinstance(self.basemap, (str, Path)) or self.basemap is None:
            object.__setattr__(self, "basemap", Basemap.parse(self.basemap))
