"""WGS-84 <-> GCJ-02 conversion for display on Chinese web basemaps. Pure, no Qt.

GridDesk stores every coordinate in WGS-84 (what GPS gives). Basemaps from AMap,
Tencent and most Chinese intranet tile servers are drawn in GCJ-02, an obfuscated
datum offset by up to ~700 m; data drawn on them must be shifted the same way.
The forward transform is the published closed form (Krasovsky ellipsoid); the
inverse has no closed form and is solved by fixed-point iteration to ~1e-9 degree.
Outside mainland China the transform is the identity, as GCJ-02 defines it.

The map page carries a JavaScript port of `wgs84_to_gcj02` (resources/map/
griddesk_map.js, `GD.toDisplay`); tests check that both agree.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

_A = 6378245.0  # Krasovsky 1940 semi-major axis, as GCJ-02 uses
_EE = 0.00669342162296594323  # Krasovsky first eccentricity squared


def out_of_china(lon: float, lat: float) -> bool:
    """True when the point lies outside the rough box where GCJ-02 applies."""
    return not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _delta(lon: float, lat: float) -> tuple[float, float]:
    x, y = lon - 105.0, lat - 35.0
    sx = math.sqrt(abs(x))
    common = (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sx + common
    dlat += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    dlat += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sx + common
    dlon += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    dlon += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    rad = lat / 180.0 * math.pi
    magic = 1.0 - _EE * math.sin(rad) ** 2
    sqrt_magic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * math.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * math.cos(rad) * math.pi)
    return dlon, dlat


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """Shift a WGS-84 point to GCJ-02 (identity outside China)."""
    if out_of_china(lon, lat):
        return lon, lat
    dlon, dlat = _delta(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon: float, lat: float, *, tolerance: float = 1e-10) -> tuple[float, float]:
    """Invert `wgs84_to_gcj02` by fixed-point iteration (converges in ~3-5 steps)."""
    if out_of_china(lon, lat):
        return lon, lat
    wlon, wlat = lon, lat
    for _ in range(30):
        glon, glat = wgs84_to_gcj02(wlon, wlat)
        elon, elat = glon - lon, glat - lat
        wlon, wlat = wlon - elon, wlat - elat
        if abs(elon) < tolerance and abs(elat) < tolerance:
            break
    return wlon, wlat


Transform = Callable[[float, float], tuple[float, float]]


def transform_coordinates(coords, fn: Transform):
    """Apply `fn(lon, lat)` to every position of nested GeoJSON coordinate arrays."""
    if coords and isinstance(coords[0], (int, float)):
        lon, lat = fn(coords[0], coords[1])
        return [lon, lat, *coords[2:]]
    return [transform_coordinates(c, fn) for c in coords]


def transform_points(points: Iterable[tuple[float, float]], fn: Transform) -> list[tuple[float, float]]:
    return [fn(lon, lat) for lon, lat in points]
