"""The map page, built by folium with every script and style served locally.

folium writes the Leaflet map and the basemap tile layer; its default scripts and
styles (Leaflet, jQuery, Bootstrap, fonts, all from CDNs) are replaced by the local
assets of `assets.py`, and a Content-Security-Policy limits the page to the ``gdmap:``
scheme, ``data:`` URLs and, for an XYZ basemap, that one tile host. Data layers are
not embedded: Python pushes them after the page is ready (see `view.py`), so the page
stays small and is built once per view.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import folium
from branca.element import Element, MacroElement
from jinja2 import Template

from . import assets
from .config import Basemap, MapConfig
from .coords import wgs84_to_gcj02

MBTILES_TEMPLATE = f"{assets.TILES_ORIGIN}/{{z}}/{{x}}/{{y}}"
_NAMES = {"zh": "GridDesk 地图", "en": "GridDesk map"}


def csp_tile_source(basemap: Basemap) -> str:
    """The CSP source that admits an XYZ template's host (``{s}`` becomes ``*``)."""
    if basemap.kind != "xyz":
        return ""
    parts = urlsplit(basemap.url.replace("{s}", "SUBDOMAIN"))
    host = parts.netloc
    if host.startswith("SUBDOMAIN."):
        host = "*." + host[len("SUBDOMAIN."):]
    elif "SUBDOMAIN" in host:  # {s} not the leftmost label: admit the scheme's hosts
        return f"{parts.scheme}:"
    return f"{parts.scheme}://{host}"


def content_security_policy(basemap: Basemap) -> str:
    tiles = csp_tile_source(basemap)
    img = " ".join(s for s in (f"{assets.SCHEME}:", "data:", "blob:", tiles) if s)
    return (
        "default-src 'none'; "
        f"script-src {assets.SCHEME}: 'unsafe-inline'; "
        f"style-src {assets.SCHEME}: 'unsafe-inline'; "
        f"img-src {img}; "
        f"font-src {assets.SCHEME}: data:; "
        f"connect-src {assets.SCHEME}:; "
        "base-uri 'none'; form-action 'none'"
    )


class _Init(MacroElement):
    """Calls ``GD.init(map, config, baseLayer)`` after folium's own scripts."""

    _template = Template(
        """
{% macro script(this, kwargs) %}
    GD.init({{ this._parent.get_name() }}, {{ this.config_json }}, {{ this.base_layer }});
{% endmacro %}
"""
    )

    def __init__(self, config_json: str, base_layer: str) -> None:
        super().__init__()
        self._name = "GriddeskInit"
        self.config_json = config_json
        self.base_layer = base_layer


def page_config(config: MapConfig) -> dict:
    """The part of the configuration the page script needs."""
    return {
        "lang": config.language,
        "theme": config.theme,
        "gcj02": config.gcj02,
        "wallMode": config.wall_mode,
        "labelZoom": config.label_zoom,
        "minZoom": config.min_zoom,
        "maxLabels": config.max_labels,
        "animate": config.animate,
        "basemap": config.basemap.kind,
        "collapsedLayers": config.wall_mode,
        "hiddenLayers": list(config.hidden_layers),
    }


def build_map(config: MapConfig, *, tile_zoom: tuple[int, int] | None = None) -> folium.Map:
    """The folium Map of a view (no data layers). `tile_zoom` is an MBTiles file's zoom range."""
    lon, lat = config.center
    if config.gcj02:
        lon, lat = wgs84_to_gcj02(lon, lat)
    basemap = config.basemap
    m = folium.Map(
        location=[lat, lon],
        zoom_start=config.zoom,
        tiles=None,
        prefer_canvas=True,
        control_scale=True,
        min_zoom=config.min_zoom,
        max_zoom=20,
        attribution_control=basemap.kind != "none",
        # quarter zoom steps: a district fits its panel instead of dropping a whole level
        zoom_snap=0.25,
        zoom_delta=0.5,
    )
    m.default_js = list(assets.JS)
    m.default_css = list(assets.CSS)
    root = m.get_root()
    root.header.add_child(
        Element(f'<meta http-equiv="Content-Security-Policy" content="{content_security_policy(basemap)}">'),
        name="csp",
        index=0,
    )
    root.header.add_child(Element(f"<title>{_NAMES[config.language]}</title>"), name="title")

    base_layer = "null"
    if basemap.kind == "xyz":
        layer = folium.TileLayer(
            tiles=basemap.url,
            attr=basemap.attribution or " ",
            name=basemap.kind,
            max_zoom=20,
            max_native_zoom=basemap.max_zoom,
            subdomains=basemap.subdomains,
        )
        layer.add_to(m)
        base_layer = layer.get_name()
    elif basemap.kind == "mbtiles":
        lo, hi = tile_zoom or (0, 18)
        layer = folium.TileLayer(
            tiles=MBTILES_TEMPLATE,
            attr=basemap.attribution or " ",
            name=basemap.kind,
            min_zoom=0,
            max_zoom=20,
            min_native_zoom=lo,
            max_native_zoom=hi,
        )
        layer.add_to(m)
        base_layer = layer.get_name()
    m.add_child(_Init(json.dumps(page_config(config), ensure_ascii=False), base_layer))
    return m


def build_page(config: MapConfig, *, tile_zoom: tuple[int, int] | None = None) -> str:
    """The page HTML of a view; serve it at `assets.PAGE_URL`."""
    html = build_map(config, tile_zoom=tile_zoom).get_root().render()
    return html.replace("<html>", f'<html lang="{"zh-CN" if config.language == "zh" else "en"}">', 1)
