"""The demo district's map: Luqiao-like, valid, gap-free, overlap-free, deterministic."""

from __future__ import annotations

import collections
import json
import os
import random
import statistics

import numpy as np
import pytest
import shapely
from shapely.geometry import Polygon

from models.enums import GridKind
from models.geo.codes import parse_grid_code
from models.geo.demo_geography import (
    District,
    _tile,
    feature_collection,
    generate_district,
    random_point_in,
)
from models.geo.locate import areas_km2, haversine_m
from models.geo.validate import validate_grids

TOWN_NAMES = ["路桥街道", "路南街道", "路北街道", "螺洋街道", "桐屿街道", "峰江街道",
              "新桥镇", "横街镇", "金清镇", "蓬街镇"]
SLOW = pytest.mark.skipif(not os.environ.get("GRIDDESK_SLOW_TESTS"), reason="set GRIDDESK_SLOW_TESTS=1")


@pytest.fixture(scope="module")
def luqiao() -> District:
    return generate_district(seed=11)


def overlap_areas_m2(geoms) -> np.ndarray:
    """Areas in m² of the pairwise intersections of the polygons (STR-tree candidates)."""
    arr = np.asarray(geoms, dtype=object)
    a, b = shapely.STRtree(arr).query(arr, predicate="intersects")
    keep = a < b
    inter = shapely.intersection(arr[a[keep]], arr[b[keep]])
    return areas_km2(inter) * 1e6


def test_size_and_towns(luqiao):
    assert 600 <= len(luqiao.grids) <= 640
    assert luqiao.code == "331004" and "演示" in luqiao.name
    assert [t.name for t in luqiao.towns] == TOWN_NAMES
    assert [t.code for t in luqiao.towns] == [f"331004{i:03d}" for i in range(1, 11)]
    assert luqiao.area_km2 == pytest.approx(275, rel=0.02)
    centre = luqiao.polygon.centroid
    assert haversine_m(centre.x, centre.y, 121.37, 28.58) < 3000
    assert {g.town_code for g in luqiao.grids} == {t.code for t in luqiao.towns}
    assert 150 <= len(luqiao.villages) <= 450


def test_district_is_irregular_not_a_rectangle(luqiao):
    poly = luqiao.polygon
    assert poly.geom_type == "Polygon" and len(poly.exterior.coords) > 50
    assert poly.area / poly.envelope.area < 0.85
    assert poly.area / poly.convex_hull.area < 0.995  # some concave stretches of boundary


def test_codes_unique_well_formed_and_hierarchical(luqiao):
    codes = [g.code for g in luqiao.grids]
    assert len(set(codes)) == len(codes)
    villages = {v.code: v for v in luqiao.villages}
    assert len(villages) == len(luqiao.villages)
    for g in luqiao.grids:
        gc = parse_grid_code(g.code)
        assert gc.code == g.code and gc.district_code == "331004"
        assert gc.town_code == g.town_code and gc.village_code == g.village_code
        assert villages[g.village_code].town_code == g.town_code
    # serials run 1..k within each village; every village has a grid
    serials = collections.defaultdict(list)
    for g in luqiao.grids:
        serials[g.village_code].append(int(g.code[-3:]))
    assert set(serials) == set(villages)
    assert all(sorted(s) == list(range(1, len(s) + 1)) for s in serials.values())
    # village names unique within a town, each a 村 or a 社区
    for t in luqiao.towns:
        names = [v.name for v in luqiao.villages if v.town_code == t.code]
        assert len(set(names)) == len(names)
        assert all(n.endswith(("村", "社区")) for n in names)


def test_all_polygons_valid(luqiao):
    for level in (luqiao.grids, luqiao.villages, luqiao.towns):
        geoms = [x.polygon for x in level]
        assert shapely.is_valid(geoms).all()
        assert all(not g.is_empty and g.area > 0 for g in geoms)
    assert luqiao.polygon.is_valid
    assert all(g.polygon.geom_type == "Polygon" for g in luqiao.grids)


def test_grids_do_not_overlap(luqiao):
    areas = overlap_areas_m2([g.polygon for g in luqiao.grids])
    assert len(areas) > len(luqiao.grids)  # neighbours were compared
    assert areas.max() <= 1.0


def test_grids_tile_the_district_without_gaps(luqiao):
    union = shapely.union_all([g.polygon for g in luqiao.grids])
    district = luqiao.polygon
    gap = areas_km2([shapely.difference(district, union)])[0]
    spill = areas_km2([shapely.difference(union, district)])[0]
    assert gap / luqiao.area_km2 < 0.001
    assert spill / luqiao.area_km2 < 0.001
    assert sum(g.area_km2 for g in luqiao.grids) == pytest.approx(luqiao.area_km2, rel=0.001)


def test_levels_nest(luqiao):
    by_village = collections.defaultdict(float)
    for g in luqiao.grids:
        by_village[g.village_code] += g.area_km2
    for v in luqiao.villages:
        assert by_village[v.code] == pytest.approx(v.area_km2, rel=1e-9)
    by_town = collections.defaultdict(float)
    for v in luqiao.villages:
        by_town[v.town_code] += v.area_km2
    for t in luqiao.towns:
        assert by_town[t.code] == pytest.approx(t.area_km2, rel=1e-9)
    assert overlap_areas_m2([t.polygon for t in luqiao.towns]).max() <= 1.0


def test_grid_fields_are_consistent(luqiao):
    for g in luqiao.grids[::11]:
        assert g.area_km2 == pytest.approx(areas_km2([g.polygon])[0], rel=1e-12)
        assert g.bbox == pytest.approx(g.polygon.bounds)
        assert g.centroid == pytest.approx((g.polygon.centroid.x, g.polygon.centroid.y))
        assert shapely.equals(shapely.from_geojson(json.dumps(g.geojson)), g.polygon)
        assert g.name.startswith(luqiao.village(g.village_code).name)


def test_kinds_households_population_follow_the_domain(luqiao):
    kinds = collections.Counter(g.kind for g in luqiao.grids)
    assert set(kinds) == set(GridKind)
    assert 3 <= kinds[GridKind.SPECIAL] <= 0.08 * len(luqiao.grids)
    assert kinds[GridKind.RESIDENTIAL] > 0.7 * len(luqiao.grids)
    specials = [g for g in luqiao.grids if g.kind is GridKind.SPECIAL]
    assert all("专属网格" in g.name for g in specials)
    villages = {v.code: v for v in luqiao.villages}

    def mean_households(pred):
        return statistics.mean(
            g.households for g in luqiao.grids
            if g.kind is GridKind.RESIDENTIAL and pred(villages[g.village_code])
        )

    assert mean_households(lambda v: v.kind == "rural") == pytest.approx(500, rel=0.1)
    assert mean_households(lambda v: v.kind == "urban" and v.is_community) == pytest.approx(300, rel=0.1)
    assert mean_households(lambda v: v.kind == "urban" and not v.is_community) == pytest.approx(400, rel=0.1)
    residential = [g for g in luqiao.grids if g.kind is GridKind.RESIDENTIAL]
    ratio = sum(g.population for g in residential) / sum(g.households for g in residential)
    assert ratio == pytest.approx(2.7, abs=0.05)
    # streets are urban, towns (镇) mostly rural
    assert all(villages[g.village_code].kind == "urban" for g in luqiao.grids if g.town_code <= "331004006")
    # the urban core is denser in grids than the rural towns
    density = {t.code: sum(g.town_code == t.code for g in luqiao.grids) / t.area_km2 for t in luqiao.towns}
    assert density["331004001"] > 2 * density["331004010"]


def test_the_validator_finds_no_problem(luqiao):
    result = validate_grids(feature_collection(luqiao), district_code="331004",
                            known_towns={t.code: t.name for t in luqiao.towns})
    assert result.problems == ()
    assert len(result.records) == len(luqiao.grids)
    assert [r.code for r in result.records] == [g.code for g in luqiao.grids]


def test_deterministic_for_a_seed_different_for_another(luqiao):
    again = generate_district(seed=11)
    assert again == luqiao  # codes, names, numbers (geometry is excluded from ==)
    assert [g.polygon.wkb for g in again.grids] == [g.polygon.wkb for g in luqiao.grids]
    assert again.polygon.wkb == luqiao.polygon.wkb
    other = generate_district(seed=12)
    assert other.polygon.wkb != luqiao.polygon.wkb
    assert [g.households for g in other.grids] != [g.households for g in luqiao.grids]


def test_random_point_in_is_inside_and_seeded(luqiao):
    rng = random.Random(4)
    for g in luqiao.grids[::5]:
        x, y = random_point_in(g.polygon, rng)
        assert shapely.contains_xy(g.polygon, x, y)
    a = [random_point_in(luqiao.grids[0].polygon, random.Random(9)) for _ in range(2)]
    assert a[0] == a[1]
    # a hair-thin sliver falls back to an interior point
    sliver = Polygon([(0, 0), (1, 0), (1, 1e-12), (0, 0)])
    x, y = random_point_in(sliver, random.Random(1))
    assert shapely.intersects_xy(sliver, x, y)


def test_tiling_a_concave_parent_gives_single_polygons_without_gaps():
    """A C-shaped parent: clipped Voronoi cells can fall apart; pieces must be re-homed."""
    c_shape = shapely.difference(shapely.box(0, 0, 1000, 1000), shapely.box(200, 200, 1000, 800))
    rng = np.random.default_rng(1)
    for k in (2, 3, 5, 9, 20):
        cells, _ = _tile(c_shape, k, rng, lloyd=0)
        assert len(cells) == k
        assert all(c.is_valid and c.geom_type == "Polygon" for c in cells), [c.geom_type for c in cells]
        assert shapely.union_all(cells).symmetric_difference(c_shape).area < 1e-6
        assert sum(c.area for c in cells) == pytest.approx(c_shape.area, rel=1e-9)


def test_city_scale_spec():
    from models.geo.demo_geography import SCALES

    lo, hi = SCALES["city"].grids
    assert 24_000 <= lo <= hi <= 26_000
    with pytest.raises(KeyError):
        generate_district(seed=1, scale="planet")  # type: ignore[arg-type]


@SLOW
def test_city_scale():
    import time

    start = time.perf_counter()
    city = generate_district(seed=1, scale="city")
    assert time.perf_counter() - start < 60
    assert 24_000 <= len(city.grids) <= 26_000
    assert len({g.code for g in city.grids}) == len(city.grids)
    assert shapely.is_valid([g.polygon for g in city.grids]).all()
    assert overlap_areas_m2([g.polygon for g in city.grids]).max() <= 1.0
    union = shapely.union_all([g.polygon for g in city.grids])
    assert abs(areas_km2([union])[0] - city.area_km2) / city.area_km2 < 0.001
    start = time.perf_counter()
    result = validate_grids(feature_collection(city))
    assert result.problems == () and time.perf_counter() - start < 10
