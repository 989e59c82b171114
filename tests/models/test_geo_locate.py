"""Distances, areas and point-in-grid location on lon/lat."""

from __future__ import annotations

import math
import random

import pytest
import shapely
from shapely.geometry import Polygon, box

from models.geo.locate import (
    EARTH_RADIUS_M,
    METRES_PER_DEGREE,
    GridLocator,
    area_km2,
    areas_km2,
    haversine_m,
    within_radius,
)

LON, LAT = 121.37, 28.58


def offset(lon: float, lat: float, east_m: float, north_m: float) -> tuple[float, float]:
    """A point `east_m`, `north_m` metres from (lon, lat) (local flat approximation)."""
    return (
        lon + east_m / (METRES_PER_DEGREE * math.cos(math.radians(lat))),
        lat + north_m / METRES_PER_DEGREE,
    )


def test_haversine_known_distances():
    assert haversine_m(LON, LAT, LON, LAT) == 0.0
    # one degree along a meridian
    assert haversine_m(LON, 28.0, LON, 29.0) == pytest.approx(METRES_PER_DEGREE, rel=1e-9)
    # Beijing (Tiananmen) to Shanghai (People's Square): about 1,067 km
    assert haversine_m(116.3975, 39.9087, 121.4737, 31.2304) == pytest.approx(1_067_000, rel=0.005)
    # symmetric, and a quarter of the equator
    assert haversine_m(0, 0, 90, 0) == pytest.approx(math.pi / 2 * EARTH_RADIUS_M)
    assert haversine_m(1, 2, 3, 4) == haversine_m(3, 4, 1, 2)


def test_haversine_matches_local_offsets():
    lon, lat = offset(LON, LAT, 30.0, 40.0)
    assert haversine_m(LON, LAT, lon, lat) == pytest.approx(50.0, abs=0.01)


def test_area_of_lat_lon_rectangle_matches_the_spherical_formula():
    w, s, e, n = 121.30, 28.50, 121.45, 28.65
    exact = EARTH_RADIUS_M**2 * math.radians(e - w) * (math.sin(math.radians(n)) - math.sin(math.radians(s)))
    assert area_km2(box(w, s, e, n)) == pytest.approx(exact / 1e6, rel=1e-9)
    # a whole degree, far from the district, too
    big = EARTH_RADIUS_M**2 * math.radians(1) * (math.sin(math.radians(61)) - math.sin(math.radians(60)))
    assert area_km2(box(10, 60, 11, 61)) == pytest.approx(big / 1e6, rel=1e-9)


def test_area_ignores_orientation_and_adds_up_over_a_split():
    tri = Polygon([(121.30, 28.50), (121.45, 28.52), (121.38, 28.66)])
    assert area_km2(tri) == pytest.approx(area_km2(tri.reverse()), rel=1e-12)
    # cut along a lon/lat-straight line through a vertex: the halves add up exactly,
    # although the cut puts a new vertex on the opposite edge
    mid = ((121.30 + 121.45) / 2, (28.50 + 28.52) / 2)
    left = Polygon([(121.30, 28.50), mid, (121.38, 28.66)])
    right = Polygon([mid, (121.45, 28.52), (121.38, 28.66)])
    assert area_km2(left) + area_km2(right) == pytest.approx(area_km2(tri), rel=1e-12)
    multi = shapely.MultiPolygon([left, box(121.5, 28.5, 121.6, 28.6)])
    assert area_km2(multi) == pytest.approx(area_km2(left) + area_km2(box(121.5, 28.5, 121.6, 28.6)), rel=1e-12)
    assert list(areas_km2([shapely.Point(1, 2), None, shapely.LineString([(0, 0), (1, 1)])])) == [0, 0, 0]


def test_area_of_a_square_kilometre_built_in_metres():
    ring = [offset(LON, LAT, x, y) for x, y in ((0, 0), (1000, 0), (1000, 1000), (0, 1000))]
    assert area_km2(Polygon(ring)) == pytest.approx(1.0, rel=1e-3)


def test_area_shrinks_with_latitude_and_handles_holes():
    at_equator = area_km2(box(0, 0, 0.1, 0.1))
    at_sixty = area_km2(box(0, 60, 0.1, 60.1))
    assert at_sixty == pytest.approx(at_equator * math.cos(math.radians(60.05)), rel=1e-3)
    holed = Polygon(box(0, 0, 0.1, 0.1).exterior, [box(0.02, 0.02, 0.04, 0.04).exterior])
    assert area_km2(holed) == pytest.approx(at_equator * (1 - 0.04), rel=1e-6)
    assert list(areas_km2([])) == []


def squares() -> list[tuple[str, Polygon]]:
    """A 2 x 2 block of 0.01-degree squares around (LON, LAT), plus a hole with an island."""
    out = []
    for i in range(2):
        for j in range(2):
            x, y = LON + 0.01 * i, LAT + 0.01 * j
            out.append((f"g{i}{j}", box(x, y, x + 0.01, y + 0.01)))
    donut = Polygon(box(LON + 0.1, LAT, LON + 0.13, LAT + 0.03).exterior,
                    [box(LON + 0.11, LAT + 0.01, LON + 0.12, LAT + 0.02).exterior])
    out.append(("donut", donut))
    return out


def test_locate_finds_the_grid_or_none():
    loc = GridLocator(squares())
    assert len(loc) == 5
    assert loc.locate(LON + 0.005, LAT + 0.005) == "g00"
    assert loc.locate(LON + 0.015, LAT + 0.005) == "g10"
    assert loc.locate(LON + 0.005, LAT + 0.015) == "g01"
    assert loc.locate(LON + 0.015, LAT + 0.015) == "g11"
    assert loc.locate(LON - 0.001, LAT + 0.005) is None  # west of everything
    assert loc.locate(LON + 0.105, LAT + 0.015) == "donut"
    assert loc.locate(LON + 0.115, LAT + 0.015) is None  # in the hole
    # on the shared edge: the grid given first wins
    assert loc.locate(LON + 0.01, LAT + 0.005) == "g00"
    assert GridLocator(list(reversed(squares()))).locate(LON + 0.01, LAT + 0.005) == "g10"


def test_locate_many_agrees_with_locate():
    loc = GridLocator(squares())
    rng = random.Random(5)
    lons = [LON - 0.01 + rng.random() * 0.15 for _ in range(500)]
    lats = [LAT - 0.01 + rng.random() * 0.05 for _ in range(500)]
    many = loc.locate_many(lons, lats)
    assert many == [loc.locate(x, y) for x, y in zip(lons, lats)]
    assert None in many and "donut" in many and "g11" in many
    assert loc.locate_many([], []) == []


def test_locator_over_demo_grids():
    from models.geo.demo_geography import generate_district, random_point_in

    district = generate_district(seed=3)
    loc = GridLocator((g.code, g.polygon) for g in district.grids)
    rng = random.Random(1)
    for g in district.grids[::7]:
        x, y = random_point_in(g.polygon, rng)
        assert loc.locate(x, y) == g.code
    minx, miny, _, _ = district.polygon.bounds
    assert loc.locate(minx - 0.01, miny - 0.01) is None


def test_within_radius_sorted_nearest_first():
    points = [offset(LON, LAT, e, n) for e, n in ((0, 49), (30, 0), (0, -51), (500, 500), (-10, -10))]
    hits = within_radius(points, LON, LAT, 50)
    assert [i for i, _ in hits] == [4, 1, 0]
    assert [d for _, d in hits] == sorted(d for _, d in hits)
    assert hits[1][1] == pytest.approx(30.0, abs=0.01)
    assert within_radius([], LON, LAT, 50) == []
    assert within_radius(points, LON, LAT, 1) == []
    assert [i for i, _ in within_radius(points, LON, LAT, 1000)] == [4, 1, 0, 2, 3]


def test_within_radius_accepts_many_points_quickly():
    rng = random.Random(2)
    pts = [(LON + rng.uniform(-0.5, 0.5), LAT + rng.uniform(-0.5, 0.5)) for _ in range(50_000)]
    hits = within_radius(pts, LON, LAT, 2000)
    brute = sorted(i for i, (x, y) in enumerate(pts) if haversine_m(LON, LAT, x, y) <= 2000)
    assert sorted(i for i, _ in hits) == brute and brute
