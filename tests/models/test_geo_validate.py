"""The grid-file validator: good files pass, every kind of bad input is named."""

from __future__ import annotations

import copy
import json
import math
import re

import pytest
import shapely

from models.geo.locate import METRES_PER_DEGREE
from models.geo.validate import (
    PROBLEM_KINDS,
    GridValidation,
    Problem,
    read_geojson,
    validate_geojson_bytes,
    validate_geojson_file,
    validate_grids,
)

LON, LAT = 121.37, 28.58
KX = METRES_PER_DEGREE * math.cos(math.radians(LAT))
KY = METRES_PER_DEGREE


def pt(x: float, y: float) -> list[float]:
    """Position `x` m east and `y` m north of (LON, LAT)."""
    return [LON + x / KX, LAT + y / KY]


def ring(x0: float, y0: float, x1: float, y1: float) -> list[list[float]]:
    """A closed counter-clockwise rectangle in metres around (LON, LAT)."""
    return [pt(x0, y0), pt(x1, y0), pt(x1, y1), pt(x0, y1), pt(x0, y0)]


def feature(code, rings, **props) -> dict:
    return {
        "type": "Feature",
        "properties": {"code": code, **props},
        "geometry": {"type": "Polygon", "coordinates": rings},
    }


def good_collection() -> dict:
    """Two villages of 路桥街道, three 200 m square grids each, edge to edge."""
    features = []
    for v, village in ((1, "卢堰社区"), (2, "洋屿村")):
        for s in range(1, 4):
            x0, y0 = (s - 1) * 200, (v - 1) * 200
            features.append(
                feature(
                    f"331004001{v:03d}{s:03d}",
                    [ring(x0, y0, x0 + 200, y0 + 200)],
                    name=f"{village}第{s}网格",
                    town="路桥街道",
                    village=village,
                    households=300 + s,
                )
            )
    return {"type": "FeatureCollection", "features": features}


def kinds(result: GridValidation, index: int | None) -> list[str]:
    return [p.kind for p in result.problems if p.index == index]


# --- good files ------------------------------------------------------------------------


def test_good_file_has_no_problems_and_gives_records():
    result = validate_grids(good_collection(), district_code="331004")
    assert result.ok, result.problems
    assert result.feature_count == 6 and len(result.records) == 6
    r = result.records[4]
    assert (r.index, r.code, r.name, r.town, r.village, r.households) == (
        4, "331004001002002", "洋屿村第2网格", "路桥街道", "洋屿村", 302,
    )
    assert (r.district_code, r.town_code, r.village_code, r.serial) == (
        "331004", "331004001", "331004001002", 2,
    )
    assert r.area_km2 == pytest.approx(0.04, rel=1e-3)
    cx, cy = r.centroid
    assert r.bbox[0] < cx < r.bbox[2] and r.bbox[1] < cy < r.bbox[3]
    assert cx == pytest.approx(pt(300, 300)[0]) and cy == pytest.approx(pt(300, 300)[1])
    assert r.geometry.is_valid and r.geometry.geom_type == "Polygon"
    assert r.geojson["type"] == "Polygon" and len(r.geojson["coordinates"][0]) == 5
    assert r.legacy_code is False


def test_chinese_keys_legacy_codes_multipolygons_and_holes_are_accepted():
    data = good_collection()
    # Chinese keys and a legacy 14-digit code
    data["features"][0]["properties"] = {
        "网格编码": "33100400100101", "网格名称": "卢堰社区第1网格", "镇街": "路桥街道",
        "村社": "卢堰社区", "户数": "301",
    }
    # a grid with a hole, and an island grid filling the hole
    data["features"].append(feature(
        "331004001003001", [ring(0, 400, 300, 700), ring(100, 500, 200, 600)], name="带洞网格",
        town="路桥街道", village="蔡家洋村", households=400.0,
    ))
    data["features"].append(feature(
        "331004001003002", [ring(100, 500, 200, 600)], name="岛网格", town="331004001", village="003",
    ))
    # a two-part grid
    multi = feature("331004001003003", None, name="飞地网格", town="路桥街道", village="蔡家洋村")
    multi["geometry"] = {"type": "MultiPolygon",
                         "coordinates": [[ring(300, 400, 400, 500)], [ring(300, 600, 400, 700)]]}
    data["features"].append(multi)
    result = validate_grids(data)
    assert result.ok, result.problems
    first = result.records[0]
    assert first.code == "331004001001001" and first.legacy_code and first.households == 301
    holed = result.records[6]
    assert holed.households == 400 and len(holed.geometry.interiors) == 1
    assert holed.area_km2 == pytest.approx(0.09 - 0.01, rel=1e-3)
    assert result.records[8].geometry.geom_type == "MultiPolygon"
    assert result.records[8].area_km2 == pytest.approx(0.02, rel=1e-3)


@pytest.mark.parametrize(
    "name",
    [
        "urn:ogc:def:crs:OGC:1.3:CRS84",
        "urn:ogc:def:crs:OGC::CRS84",
        "EPSG:4326",
        "urn:ogc:def:crs:EPSG::4326",
        "http://www.opengis.net/def/crs/EPSG/0/4326",
        "EPSG:4490",  # CGCS2000
    ],
)
def test_wgs84_crs_members_are_accepted(name):
    data = good_collection()
    data["crs"] = {"type": "name", "properties": {"name": name}}
    assert validate_grids(data).ok


@pytest.mark.parametrize(
    "crs",
    [
        {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}},
        {"type": "name", "properties": {"name": "EPSG:4549"}},  # CGCS2000 / 3-degree Gauss-Kruger
        {"type": "link", "properties": {"href": "http://example.com/crs"}},
    ],
)
def test_other_crs_is_a_file_problem(crs):
    data = good_collection()
    data["crs"] = crs
    result = validate_grids(data)
    assert not result.ok
    assert [(p.index, p.kind) for p in result.problems] == [(None, "bad_crs")]
    assert "not WGS-84" in result.problems[0].reason


# --- one broken feature at a time ------------------------------------------------------


def set_geometry(gtype, coordinates):
    def mutate(f):
        f["geometry"] = {"type": gtype, "coordinates": coordinates}
    return mutate


def set_rings(rings):
    return set_geometry("Polygon", rings)


def set_prop(key, value):
    def mutate(f):
        f["properties"][key] = value
    return mutate


def drop_prop(key):
    def mutate(f):
        f["properties"].pop(key)
    return mutate


def _nan_ring():
    r = ring(200, 0, 400, 200)
    r[1] = [float("nan"), LAT]
    return r


BOWTIE = [[pt(200, 0), pt(400, 200), pt(400, 0), pt(200, 200), pt(200, 0)]]
METRES = [[[500200.0, 3162000.0], [500400.0, 3162000.0], [500400.0, 3162200.0], [500200.0, 3162200.0],
           [500200.0, 3162000.0]]]
SWAPPED = [[[y, x] for x, y in ring(200, 0, 400, 200)]]
FAR_EAST = [[[x + 100, y] for x, y in ring(200, 0, 400, 200)]]

BROKEN = {
    "point": (set_geometry("Point", pt(300, 100)), ["not_polygon"], "got 'Point'"),
    "linestring": (set_geometry("LineString", [pt(200, 0), pt(400, 0)]), ["not_polygon"], "LineString"),
    "no geometry": (lambda f: f.update(geometry=None), ["no_geometry"], "no geometry"),
    "empty coordinates": (set_rings([]), ["no_coordinates"], "no coordinates"),
    "not closed": (set_rings([ring(200, 0, 400, 200)[:-1]]), ["ring_not_closed"], "outer ring is not closed"),
    "three positions": (set_rings([[pt(200, 0), pt(400, 0), pt(200, 0)]]), ["too_few_points"],
                        "has 3 positions; a closed ring needs at least 4"),
    "self-intersection": (set_rings(BOWTIE), ["self_intersection"], "self-intersection at (121.37"),
    "out of range": (set_rings(FAR_EAST), ["out_of_range"], "out of WGS-84 range"),
    "projected metres": (set_rings(METRES), ["projected_coordinates"], "projected metres"),
    "lat/lon swapped": (set_rings(SWAPPED), ["swapped_lat_lon"], "[lat, lon]"),
    "hole outside": (set_rings([ring(200, 0, 400, 200), ring(250, 300, 300, 350)]), ["hole_outside_shell"],
                     "hole 1 lies outside its outer ring"),
    "hole crossing": (set_rings([ring(200, 0, 400, 200), ring(350, 50, 450, 100)]),
                      ["hole_outside_shell", "self_intersection"], "hole 1 crosses its outer ring"),
    "text positions": (set_rings([[[str(x), str(y)] for x, y in ring(200, 0, 400, 200)]]), ["bad_positions"],
                       "not [lon, lat] number pairs"),
    "nan": (set_rings([_nan_ring()]), ["bad_positions"], "non-finite"),
    "missing code": (drop_prop("code"), ["missing_code"], "missing grid code"),
    "empty code": (set_prop("code", "  "), ["missing_code"], "grid code is empty"),
    "short code": (set_prop("code", "3310040010010"), ["bad_code"],
                   "grid code must be 15 digits (or legacy 14), got 13"),
    "letters in code": (set_prop("code", "33100400100100X"), ["bad_code"], "digits only"),
    "duplicate code": (set_prop("code", "331004001001001"), ["duplicate_code"],
                       "duplicate grid code 331004001001001 (first used by feature 0)"),
    "duplicate legacy code": (set_prop("code", "33100400100101"), ["duplicate_code"], "first used by feature 0"),
    # the town name now also stands for two town codes
    "other district": (set_prop("code", "331005001001002"), ["district_mismatch", "town_mismatch"],
                       "belongs to district 331005, not 331004"),
    "town name vs code": (set_prop("town", "路南街道"), ["town_mismatch"], "calls '路桥街道', not '路南街道'"),
    "town digits vs code": (set_prop("town", "002"), ["town_mismatch"], "does not match the grid code's town"),
    "village name vs code": (set_prop("village", "洋屿村"), ["village_mismatch"],
                             "the grid code says village 331004001001, which feature 0 calls '卢堰社区'"),
    "missing name": (drop_prop("name"), ["missing_name"], "missing grid name"),
    "long name": (set_prop("name", "网" * 201), ["name_too_long"], "longer than 200"),
    "households text": (set_prop("households", "很多"), ["bad_households"], "got '很多'"),
    "households negative": (set_prop("households", -3), ["bad_households"], "got -3"),
    "households fraction": (set_prop("households", 12.5), ["bad_households"], "got 12.5"),
    "keys disagree": (set_prop("网格编码", "331004001001009"), ["property_conflict"],
                      "properties 'code' and '网格编码' disagree"),
    "no properties": (lambda f: f.update(properties=None), ["no_properties"], "no properties"),
    "not a feature": (lambda f: f.update(type="Polygon"), ["not_feature"], "not a GeoJSON Feature"),
}


@pytest.mark.parametrize("case", list(BROKEN), ids=list(BROKEN))
def test_each_kind_of_broken_feature_is_named(case):
    mutate, expected, fragment = BROKEN[case]
    data = good_collection()
    # feature 1 sits in the bottom row, between features 0 and 2
    mutate(data["features"][1])
    result = validate_grids(data, district_code="331004")
    assert not result.ok
    assert sorted(kinds(result, 1)) == sorted(expected), result.problems
    assert all(p.index == 1 for p in result.problems), result.problems
    assert any(fragment in p.reason for p in result.problems), [p.reason for p in result.problems]
    assert len(result.records) == 5 and 1 not in [r.index for r in result.records]
    assert all(p.kind in PROBLEM_KINDS for p in result.problems)


def test_names_known_from_the_database_are_checked():
    result = validate_grids(
        good_collection(),
        known_towns={"331004001": "路北街道"},
        known_villages={"331004001002": "洋屿村", "331004001009": "卢堰社区"},
    )
    towns = [p for p in result.problems if p.kind == "town_mismatch"]
    assert [p.index for p in towns] == [0, 1, 2, 3, 4, 5]
    assert "does not match the grid code's town 331004001 (路北街道)" in towns[0].reason
    villages = [p for p in result.problems if p.kind == "village_mismatch"]
    assert [p.index for p in villages] == [0, 1, 2]
    assert "'卢堰社区' is village 331004001009, but the grid code says village 331004001001" in villages[0].reason


def test_one_village_name_for_two_village_codes():
    data = good_collection()
    data["features"][3]["properties"]["village"] = "卢堰社区"
    result = validate_grids(data)
    assert [(p.index, p.kind) for p in result.problems] == [(3, "village_mismatch")]
    assert result.problems[0].reason == (
        "village '卢堰社区' has code 331004001001 in feature 0, but this grid's code says 331004001002"
    )


def test_same_village_name_in_two_towns_is_fine():
    data = good_collection()
    for f in data["features"][3:]:
        f["properties"]["code"] = "331004002001" + f["properties"]["code"][-3:]
        f["properties"]["town"] = "路南街道"
        f["properties"]["village"] = "卢堰社区"
    assert validate_grids(data).ok


# --- overlaps ---------------------------------------------------------------------------


def two(r0, r1) -> dict:
    return {"type": "FeatureCollection", "features": [
        feature("331004001001001", [r0], name="甲", households=1),
        feature("331004001001002", [r1], name="乙", households=2),
    ]}


def test_two_overlapping_grids_are_both_told_by_how_much():
    result = validate_grids(two(ring(0, 0, 200, 200), ring(150, 0, 350, 200)))
    assert [(p.index, p.kind) for p in result.problems] == [(0, "overlap"), (1, "overlap")]
    assert "overlaps feature 1 (331004001001002)" in result.problems[0].reason
    assert "overlaps feature 0 (331004001001001)" in result.problems[1].reason
    area = float(re.search(r"by ([\d,.]+) m²", result.problems[0].reason)[1].replace(",", ""))
    assert area == pytest.approx(50 * 200, rel=0.01)
    assert result.records == ()


def test_touching_grids_and_slivers_under_the_tolerance_pass():
    assert validate_grids(two(ring(0, 0, 200, 200), ring(200, 0, 400, 200))).ok
    sliver = two(ring(0, 0, 200, 200), ring(199.998, 0, 400, 200))  # 0.002 m x 200 m = 0.4 m²
    assert validate_grids(sliver).ok
    strict = validate_grids(sliver, overlap_tolerance_m2=0.1)
    assert [p.kind for p in strict.problems] == ["overlap", "overlap"]


@pytest.mark.parametrize(
    "inner", [ring(50, 50, 100, 100), ring(0, 0, 200, 200)], ids=["contained", "identical"]
)
def test_contained_and_identical_grids_overlap(inner):
    result = validate_grids(two(ring(0, 0, 200, 200), inner))
    assert [p.kind for p in result.problems] == ["overlap", "overlap"]


def test_overlap_is_found_even_when_the_feature_has_other_problems():
    data = two(ring(0, 0, 200, 200), ring(100, 0, 300, 200))
    data["features"][1]["properties"]["households"] = "?"
    assert sorted(kinds(validate_grids(data), 1)) == ["bad_households", "overlap"]


# --- many problems at once --------------------------------------------------------------


def test_many_problems_are_listed_at_once_in_file_order():
    data = good_collection()
    f = data["features"]
    f[0]["properties"].pop("code")  # missing code ...
    f[0]["geometry"]["coordinates"][0].pop()  # ... and the ring is not closed ...
    f[0]["properties"]["households"] = "x"  # ... and households is no number
    f[2]["geometry"] = {"type": "Point", "coordinates": pt(500, 100)}
    f[3]["properties"]["code"] = "331004001001002"  # duplicate of feature 1 ...
    f[3]["properties"]["town"] = "路北街道"  # ... whose town is 路桥街道
    f[4]["geometry"]["coordinates"] = [ring(250, 150, 450, 350)]  # overlaps 1 and 5
    f.append("not a feature")
    data["crs"] = {"type": "name", "properties": {"name": "EPSG:3857"}}
    result = validate_grids(data)
    got = [(p.index, p.kind) for p in result.problems]
    assert got == [
        (None, "bad_crs"),
        (0, "missing_code"),
        (0, "bad_households"),
        (0, "ring_not_closed"),
        (1, "overlap"),
        (2, "not_polygon"),
        (3, "duplicate_code"),
        (3, "town_mismatch"),
        (3, "village_mismatch"),
        (4, "overlap"),
        (4, "overlap"),
        (5, "overlap"),
        (6, "not_feature"),
    ]
    assert [r.index for r in result.records] == []
    assert str(result.problems[0]).startswith("file: crs EPSG:3857 is not WGS-84")
    assert str(result.problems[6]) == (
        "feature 3 [331004001001002]: duplicate grid code 331004001001002 (first used by feature 1)"
    )
    assert result.problems_of(2)[0].reason == "geometry must be a Polygon or MultiPolygon, got 'Point'"


# --- the file itself -----------------------------------------------------------------------


def test_bytes_utf8_with_or_without_bom():
    raw = json.dumps(good_collection(), ensure_ascii=False).encode("utf-8")
    assert validate_geojson_bytes(raw).ok
    assert validate_geojson_bytes(b"\xef\xbb\xbf" + raw).ok


def test_gbk_file_is_refused_with_a_hint():
    raw = json.dumps(good_collection(), ensure_ascii=False).encode("gbk")
    result = validate_geojson_bytes(raw)
    assert [(p.index, p.kind) for p in result.problems] == [(None, "not_utf8")]
    assert "GBK" in result.problems[0].reason and not result.ok


def test_utf16_and_bad_json_are_refused():
    data = json.dumps(good_collection(), ensure_ascii=False)
    assert validate_geojson_bytes(data.encode("utf-16")).problems[0].kind == "not_utf8"
    broken = validate_geojson_bytes(data[:-5].encode())
    assert broken.problems[0].kind == "bad_json" and "line 1" in broken.problems[0].reason
    assert read_geojson(b"[1, 2")[0] is None


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        ([1, 2], "not_feature_collection"),
        ({"type": "Feature", "features": []}, "not_feature_collection"),
        ({"type": "FeatureCollection"}, "not_feature_collection"),
        ({"type": "FeatureCollection", "features": []}, "no_features"),
    ],
)
def test_not_a_feature_collection(data, kind):
    result = validate_grids(data)
    assert not result.ok and kind in [p.kind for p in result.problems]
    assert all(p.index is None for p in result.problems)


def test_validate_file(tmp_path):
    path = tmp_path / "grids.geojson"
    path.write_text(json.dumps(good_collection(), ensure_ascii=False), encoding="utf-8")
    assert validate_geojson_file(path).ok
    with pytest.raises(OSError):
        validate_geojson_file(tmp_path / "missing.geojson")


def test_input_is_not_modified():
    data = good_collection()
    data["features"][1]["geometry"]["coordinates"][0].pop()
    before = copy.deepcopy(data)
    validate_grids(data)
    assert data == before


def test_problem_kinds_have_both_languages():
    assert all(len(v) == 2 and all(v) for v in PROBLEM_KINDS.values())
    assert Problem(None, None, "x").kind in PROBLEM_KINDS


def test_validation_of_many_grids_is_quick():
    """A 60 x 60 lattice of 100 m squares with one overlap planted."""
    import time

    features = []
    for i in range(60):
        for j in range(60):
            code = f"331004{i // 20 + 1:03d}{j + 1:03d}{i % 20 + 1:03d}"
            features.append(feature(code, [ring(i * 100, j * 100, i * 100 + 100, j * 100 + 100)], name="g"))
    features[1234]["geometry"]["coordinates"] = [ring(1010, 3010, 1150, 3150)]
    start = time.perf_counter()
    result = validate_grids({"type": "FeatureCollection", "features": features})
    assert time.perf_counter() - start < 5
    overlapping = sorted({p.index for p in result.problems})
    assert 1234 in overlapping and len(overlapping) == 5  # the planted one and its 4 neighbours
    assert {p.kind for p in result.problems} == {"overlap"}
    assert shapely.is_valid(result.records[0].geometry)
