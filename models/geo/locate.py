"""Point location and distances on WGS-84 lon/lat.

Everything here takes and returns degrees (lon, lat), WGS-84 / CGCS2000.

Areas integrate the cos(latitude) scale exactly along straight lon/lat edges
(see `areas_km2`): the only error is the spherical Earth, ≈ 0.3 % against the
WGS-84 ellipsoid at these latitudes — the same for every grid, so shares and
comparisons are unaffected. Antimeridian-crossing polygons are not supported.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Sequence
from typing import Generic, TypeVar

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

__all__ = [
    "EARTH_RADIUS_M",
    "METRES_PER_DEGREE",
    "GridLocator",
    "area_km2",
    "areas_km2",
    "haversine_m",
    "within_radius",
]

EARTH_RADIUS_M = 6_371_008.8  # mean radius (IUGG)
METRES_PER_DEGREE = EARTH_RADIUS_M * math.pi / 180.0  # along a meridian, ≈ 111,195 m

K = TypeVar("K", bound=Hashable)


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres between two lon/lat points."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def _haversine_np(lon1, lat1, lon2, lat2):
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.asarray(lon2) - lon1)
    h = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(h)))


def areas_km2(geoms: Sequence[BaseGeometry | None] | np.ndarray) -> np.ndarray:
    """Areas in km² of lon/lat polygons and multipolygons (vectorised; others count 0).

    Exact on the sphere for edges drawn straight in lon/lat, which is how GeoJSON
    and the map draw them: by Green's theorem the area is R²·|∮ sin φ dλ| per ring,
    and along a straight lon/lat edge that integral has the closed form
    Δλ·sin φ̄·sinc(Δφ/2). Splitting an edge at a point on it therefore leaves the
    area unchanged, so grids of a tiling add up to their village, town and district.
    """
    arr = np.asarray(geoms, dtype=object).reshape(-1)
    out = np.zeros(len(arr))
    if len(arr) == 0:
        return out
    parts, part_geom = shapely.get_parts(arr, return_index=True)
    polygon = shapely.get_type_id(parts) == 3
    parts, part_geom = parts[polygon], part_geom[polygon]
    if len(parts) == 0:
        return out
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    exterior = np.ones(len(rings), dtype=bool)
    exterior[1:] = ring_part[1:] != ring_part[:-1]  # each part's first ring
    xy, coord_ring = shapely.get_coordinates(rings, return_index=True)
    if len(xy) < 2:
        return out
    lam, phi = np.radians(xy[:, 0]), np.radians(xy[:, 1])
    # a reference latitude per ring (its first vertex) keeps the sum well conditioned:
    # Σ Δλ = 0 around a closed ring, so subtracting sin φ_ref changes nothing
    starts = np.flatnonzero(np.r_[True, coord_ring[1:] != coord_ring[:-1]])
    first = np.zeros(len(rings), dtype=np.int64)
    first[coord_ring[starts]] = starts
    edge_ring = coord_ring[:-1]
    ref = phi[first[edge_ring]]
    dl = lam[1:] - lam[:-1]
    dp = phi[1:] - phi[:-1]
    pm = (phi[1:] + phi[:-1]) / 2
    sin_pm = np.sin(pm)
    # ∫ (sin φ − sin φ_ref) dλ along the edge, with sin a − sin b written without cancellation
    sinc_excess = np.sinc(dp / (2 * np.pi)) - 1  # sin(Δφ/2)/(Δφ/2) − 1
    term = dl * (2 * np.cos((pm + ref) / 2) * np.sin((pm - ref) / 2) + sin_pm * sinc_excess)
    term[coord_ring[1:] != edge_ring] = 0.0  # no edge between two rings
    ring_area = np.abs(np.bincount(edge_ring, weights=term, minlength=len(rings)))
    signed = np.where(exterior, ring_area, -ring_area)
    part_area = np.bincount(ring_part, weights=signed, minlength=len(parts))
    out += np.bincount(part_geom, weights=part_area, minlength=len(arr))
    return out * EARTH_RADIUS_M**2 / 1e6


def area_km2(geom: BaseGeometry) -> float:
    """Area in km² of one lon/lat polygon or multipolygon."""
    return float(areas_km2([geom])[0])


class GridLocator(Generic[K]):
    """Finds the grid containing a point, with an STR-tree over the grid polygons.

    A point on a shared boundary belongs to the grid given first; a point outside
    every grid gives None.
    """

    def __init__(self, items: Iterable[tuple[K, BaseGeometry]]):
        keys: list[K] = []
        geoms: list[BaseGeometry] = []
        for key, geom in items:
            keys.append(key)
            geoms.append(geom)
        self._keys = keys
        self._geoms = np.asarray(geoms, dtype=object)
        shapely.prepare(self._geoms)
        self._tree = shapely.STRtree(self._geoms)

    def __len__(self) -> int:
        return len(self._keys)

    def locate(self, lon: float, lat: float) -> K | None:
        """The key of the grid containing (lon, lat), or None."""
        candidates = self._tree.query(shapely.Point(lon, lat))
        if candidates.size == 0:
            return None
        candidates.sort()
        hits = shapely.intersects_xy(self._geoms[candidates], lon, lat)
        if not hits.any():
            return None
        return self._keys[int(candidates[hits.argmax()])]

    def locate_many(self, lons: Sequence[float], lats: Sequence[float]) -> list[K | None]:
        """`locate` for many points at once (one tree query)."""
        points = shapely.points(np.asarray(lons, dtype=float), np.asarray(lats, dtype=float))
        out: list[K | None] = [None] * len(points)
        if len(points) == 0:
            return out
        pi, gi = self._tree.query(points, predicate="intersects")
        # lowest grid index per point: sort by (point, grid) and keep the first of each point
        order = np.lexsort((gi, pi))
        pi, gi = pi[order], gi[order]
        first = np.ones(len(pi), dtype=bool)
        first[1:] = pi[1:] != pi[:-1]
        for p, g in zip(pi[first].tolist(), gi[first].tolist()):
            out[p] = self._keys[g]
        return out


def within_radius(
    points: Sequence[tuple[float, float]] | np.ndarray, lon: float, lat: float, metres: float
) -> list[tuple[int, float]]:
    """Indices of `points` (lon, lat pairs) within `metres` of (lon, lat).

    Returns (index, distance in metres) pairs, nearest first. A cheap degree box
    filters before the haversine distance, so large inputs are fine.
    """
    pts = np.asarray(points, dtype=float).reshape(-1, 2)
    if pts.shape[0] == 0 or metres < 0:
        return []
    dlat = metres / METRES_PER_DEGREE
    coslat = max(math.cos(math.radians(lat)), 1e-9)
    dlon = dlat / coslat
    box = np.flatnonzero(
        (np.abs(pts[:, 1] - lat) <= dlat * 1.001) & (np.abs(pts[:, 0] - lon) <= dlon * 1.001)
    )
    if box.size == 0:
        return []
    dist = _haversine_np(lon, lat, pts[box, 0], pts[box, 1])
    keep = dist <= metres
    idx, dist = box[keep], dist[keep]
    order = np.argsort(dist, kind="stable")
    return [(int(i), float(d)) for i, d in zip(idx[order], dist[order])]
