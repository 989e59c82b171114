"""Grid import from GeoJSON, with the database rules, on SQLite and PostgreSQL.

The database starts with tests.factories' small district: grids 331004001001001,
…001002 (town 001 "测试镇1", village "测试村1") and 331004002001001, …002001002
(town 002) — 0.01° squares at x = 0..3, y = 0 (see `square`).
"""

from __future__ import annotations

import copy
import datetime as dt
import json

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from models.db import make_engine
from models.enums import GridKind
from models.importers.common import ImportFailed
from models.importers.grids import import_grids
from models.schema import District, Grid, Town, Village
from models.setup import init_database
from tests.factories import LAT0, LON0, STEP, square
from tests.models.import_helpers import populated_db, reasons, snapshot

TODAY = dt.date(2025, 6, 30)
G1 = "331004001001001"


@pytest.fixture
def engine(db_url):
    e = populated_db(db_url)
    yield e
    e.dispose()


def feature(grid_code, geometry, /, **props):
    properties = {"code": grid_code, "name": f"网格{grid_code[-3:]}", "town": "新镇", "village": "新村",
                  "households": 300}
    properties.update(props)
    properties = {k: v for k, v in properties.items() if v is not None}
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def fc(*features, **extra):
    return {"type": "FeatureCollection", "features": list(features), **extra}


def ring(x0, y0, x1, y1):
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]


def box(ix, iy, shrink=0.0):
    x0, y0 = LON0 + ix * STEP + shrink, LAT0 + iy * STEP + shrink
    return {"type": "Polygon", "coordinates": [ring(x0, y0, x0 + STEP - 2 * shrink, y0 + STEP - 2 * shrink)]}


def new(serial: int, ix: int, iy: int = 2, **props):
    """A grid of a new town 003 / village 001, away from the existing ones."""
    return feature(f"331004003001{serial:03d}", box(ix, iy), **props)


def existing(code=G1, ix=0, **props):
    base = dict(name="网格1-1", town="测试镇1", village="测试村1", households=300)
    base.update(props)
    return feature(code, square(ix), **base)


def run(engine, data, *, dry_run=False, today=TODAY):
    with Session(engine, info={"actor": "import"}, expire_on_commit=False) as s:
        try:
            summary = import_grids(s, data, dry_run=dry_run, today=today)
        except ImportFailed as exc:
            s.rollback()
            return None, exc.problems
        s.commit()
        return summary, []


def grids(engine, code):
    with Session(engine) as s:
        return s.scalars(sa.select(Grid).where(Grid.code == code).order_by(Grid.id)).all()


def test_new_grids_create_town_and_village(engine):
    hole = {"type": "Polygon", "coordinates": [
        ring(LON0, LAT0 + 2 * STEP, LON0 + STEP, LAT0 + 3 * STEP),
        ring(LON0 + 0.003, LAT0 + 2 * STEP + 0.003, LON0 + 0.006, LAT0 + 2 * STEP + 0.006)[::-1]]}
    multi = {"type": "MultiPolygon", "coordinates": [box(1, 2)["coordinates"], box(1, 4)["coordinates"]]}
    data = fc(feature("331004003001001", hole, households=420, population=1200, kind="商业"),
              feature("331004003001002", multi, name="双块网格"),
              {"type": "Feature", "geometry": box(2, 2),
               "properties": {"网格编码": "33100400300203", "网格名称": "旧编码", "镇街": "新镇", "村社": "二村",
                              "户数": "15"}})
    summary, problems = run(engine, data)
    assert problems == []
    assert (summary.inserted, summary.updated, summary.unchanged) == (3, 0, 0)
    assert summary.created == {"district": 0, "town": 1, "village": 2}
    with Session(engine) as s:
        town = s.scalar(sa.select(Town).where(Town.code == "331004003"))
        assert town.name == "新镇" and town.district.code == "331004"
        assert {v.code: v.name for v in town.villages} == {"331004003001": "新村", "331004003002": "二村"}
        g = s.scalar(sa.select(Grid).where(Grid.code == "331004003001001"))
        assert (g.households, g.population, g.kind, g.valid_from, g.valid_to) == (
            420, 1200, GridKind.COMMERCIAL, TODAY, None)
        assert g.town_id == town.id and g.village.code == "331004003001"
        assert len(json.loads(g.geometry)["coordinates"]) == 2  # the hole is kept
        assert g.area_km2 == pytest.approx(1.11 * 0.977 * (1 - 0.09), rel=0.02)
        assert (g.min_lon, g.max_lat) == pytest.approx((LON0, LAT0 + 3 * STEP))
        legacy = s.scalar(sa.select(Grid).where(Grid.code == "331004003002003"))
        assert legacy.name == "旧编码" and legacy.households == 15
        m = s.scalar(sa.select(Grid).where(Grid.code == "331004003001002"))
        assert json.loads(m.geometry)["type"] == "MultiPolygon" and m.households == 300


def test_identical_grid_is_unchanged_and_redrawn_grid_is_a_new_version(engine):
    summary, _ = run(engine, fc(existing(), existing("331004001001002", 1, name="网格1-2")))
    assert (summary.inserted, summary.updated, summary.unchanged) == (0, 0, 2)
    assert len(grids(engine, G1)) == 1
    # the boundary between grid 1 and 2 moves: both redrawn in one file
    left = existing()
    left["geometry"] = {"type": "Polygon", "coordinates": [ring(LON0, LAT0, LON0 + 0.015, LAT0 + STEP)]}
    right = existing("331004001001002", 1, name="网格1-2")
    right["geometry"] = {"type": "Polygon", "coordinates": [ring(LON0 + 0.015, LAT0, LON0 + 2 * STEP, LAT0 + STEP)]}
    summary, problems = run(engine, fc(left, right))
    assert problems == []
    assert (summary.inserted, summary.updated, summary.unchanged) == (0, 2, 0)
    old, new_ = grids(engine, G1)
    assert old.valid_to == TODAY and new_.valid_to is None and new_.valid_from == TODAY
    assert new_.supersedes_id == old.id and new_.max_lon == pytest.approx(LON0 + 0.015)
    assert old.max_lon == pytest.approx(LON0 + STEP)  # history keeps the old shape


def test_same_shape_other_vertex_order_is_unchanged_but_new_name_is_a_version(engine):
    f = existing()
    f["geometry"]["coordinates"][0] = f["geometry"]["coordinates"][0][2:] + f["geometry"]["coordinates"][0][1:3]
    summary, problems = run(engine, fc(f))
    assert problems == [] and summary.unchanged == 1
    summary, _ = run(engine, fc(existing(name="改名网格")))
    assert summary.updated == 1
    assert [g.name for g in grids(engine, G1)] == ["网格1-1", "改名网格"]


def test_second_redraw_on_the_same_day_corrects_in_place(engine):
    run(engine, fc(existing(households=310)))
    summary, _ = run(engine, fc(existing(households=320)))
    assert summary.updated == 1
    versions = grids(engine, G1)
    assert [(g.households, g.valid_to) for g in versions] == [(300, TODAY), (320, None)]


def test_dry_run_counts_and_writes_nothing(engine):
    before = snapshot(engine)
    summary, problems = run(engine, fc(existing(households=999), new(1, 0), new(2, 1)), dry_run=True)
    assert problems == []
    assert summary.dry_run and (summary.inserted, summary.updated, summary.unchanged) == (2, 1, 0)
    assert summary.created == {"district": 0, "town": 1, "village": 1}
    assert snapshot(engine) == before


def test_empty_database_gets_the_district(db_url):
    engine = make_engine(db_url)
    init_database(engine)
    try:
        summary, problems = run(engine, fc(new(1, 0, district="路桥区"), new(2, 1)))
        assert problems == [] and summary.created == {"district": 1, "town": 1, "village": 1}
        with Session(engine) as s:
            assert [(d.code, d.name) for d in s.scalars(sa.select(District))] == [("331004", "路桥区")]
        # a second district in the file is refused
        summary, problems = run(engine, fc(feature("331005001001001", box(5, 5), town="外区镇", village="外区村")))
        assert reasons(problems) == {(0, "code", "district_mismatch")}
    finally:
        engine.dispose()


def test_empty_database_file_with_two_districts(db_url):
    engine = make_engine(db_url)
    init_database(engine)
    try:
        _, problems = run(engine, fc(new(1, 0), feature("331005001001001", box(5, 5), town="外", village="外")))
        assert reasons(problems) == {(1, "code", "district_mismatch")}
    finally:
        engine.dispose()


def _bow_tie():
    x, y = LON0 + STEP, LAT0 + 2 * STEP
    return {"type": "Polygon", "coordinates": [[[x, y], [x + STEP, y + STEP], [x + STEP, y], [x, y + STEP], [x, y]]]}


def _with(f, **geometry):
    f = copy.deepcopy(f)
    f["geometry"] = geometry
    return f


GOOD = new(9, 0)  # feature 0 of every bad file

BAD = {
    "ring-not-closed": (_with(new(1, 1), type="Polygon", coordinates=[box(1, 2)["coordinates"][0][:-1]]),
                        {(1, "geometry", "ring_not_closed")}),
    "self-intersection": (_with(new(1, 1), **_bow_tie()), {(1, "geometry", "self_intersection")}),
    "too-few-points": (_with(new(1, 1), type="Polygon",
                             coordinates=[[[121.3, 28.52], [121.31, 28.52], [121.3, 28.52]]]),
                       {(1, "geometry", "too_few_points")}),
    "not-polygon": (_with(new(1, 1), type="Point", coordinates=[121.3, 28.5]), {(1, "geometry", "not_polygon")}),
    "out-of-range": (_with(new(1, 1), type="Polygon", coordinates=[ring(181, 28, 182, 29)]),
                     {(1, "geometry", "out_of_range")}),
    "projected-metres": (_with(new(1, 1), type="Polygon", coordinates=[ring(500000, 3160000, 501000, 3161000)]),
                         {(1, "geometry", "projected_coordinates")}),
    "swapped-lat-lon": (_with(new(1, 1), type="Polygon", coordinates=[ring(28.52, 121.31, 28.53, 121.32)]),
                        {(1, "geometry", "swapped_lat_lon")}),
    "hole-outside-shell": (_with(new(1, 1), type="Polygon", coordinates=[
        box(1, 2)["coordinates"][0], box(1, 4)["coordinates"][0]]), {(1, "geometry", "hole_outside_shell")}),
    "missing-code": (new(1, 1, code=None), {(1, "code", "missing_code")}),
    "bad-code": (feature("3310040030010", box(1, 2)), {(1, "code", "bad_code")}),
    "duplicate-code": (new(9, 1), {(1, "code", "duplicate_code")}),
    "overlap-in-file": (_with(new(1, 1), **box(0, 2, shrink=0.002)), {(0, "geometry", "overlap"),
                                                                      (1, "geometry", "overlap")}),
    "overlap-with-database": (_with(new(1, 1), **box(2, 0, shrink=0.002)), {(1, "geometry", "overlaps_existing")}),
    "other-district": (feature("331005003001001", box(1, 2), town="外镇", village="外村"),
                       {(1, "code", "district_mismatch")}),
    "town-name-mismatch": (feature("331004001001009", box(1, 2), town="别的镇", village="测试村1"),
                           {(1, "town", "town_mismatch")}),
    "new-town-without-name": (feature("331004004001001", box(1, 2), town=None, village="某村"),
                              {(1, "town", "missing_town_name")}),
    "new-village-code-only": (feature("331004003002001", box(1, 2), village="002"),
                              {(1, "village", "missing_village_name")}),
    "negative-households": (new(1, 1, households=-1), {(1, "households", "bad_households")}),
    "missing-name": (new(1, 1, name=""), {(1, "name", "missing_name")}),
    "bad-kind": (new(1, 1, kind="farm"), {(1, "kind", "bad_kind")}),
    "bad-population": (new(1, 1, 人口="many"), {(1, "population", "bad_population")}),
    "property-conflict": (new(1, 1, 网格编码="331004003001002"), {(1, None, "property_conflict")}),
    "not-a-feature": ({"type": "Polygon", "coordinates": []}, {(1, None, "not_feature")}),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_feature_is_refused_with_index_and_reason(engine, case):
    bad, expected = BAD[case]
    before = snapshot(engine)
    summary, problems = run(engine, fc(GOOD, bad))
    assert summary is None
    assert reasons(problems) == expected, [p.message() for p in problems]
    assert all(p.detail for p in problems)
    assert snapshot(engine) == before
    # a dry run lists the same problems
    summary, dry = run(engine, fc(GOOD, bad), dry_run=True)
    assert summary is None and reasons(dry) == expected


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ({"type": "Feature"}, "not_feature_collection"),
        ([], "not_feature_collection"),
        (fc(), "no_features"),
        (fc(GOOD, crs={"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}}), "bad_crs"),
    ],
    ids=["feature-not-collection", "array", "empty", "web-mercator-crs"],
)
def test_bad_file(engine, data, reason):
    before = snapshot(engine)
    summary, problems = run(engine, data)
    assert summary is None and (None, None, reason) in reasons(problems)
    assert snapshot(engine) == before


def test_every_problem_at_once(engine):
    data = fc(GOOD, new(9, 1), _with(new(2, 3), **_bow_tie()), new(3, 4, households="x"),
              _with(new(4, 5), **box(3, 0, shrink=0.001)))
    _, problems = run(engine, data)
    assert reasons(problems) == {(1, "code", "duplicate_code"), (2, "geometry", "self_intersection"),
                                 (3, "households", "bad_households"), (4, "geometry", "overlaps_existing")}
    assert [p.where for p in problems] == sorted(p.where for p in problems)


def test_replaced_grid_does_not_count_as_an_overlap(engine):
    # grid 1-1 grows over the old area of grid 1-2, which is redrawn smaller in the same file
    grow = existing()
    grow["geometry"] = {"type": "Polygon", "coordinates": [ring(LON0, LAT0, LON0 + 0.012, LAT0 + STEP)]}
    shrink = existing("331004001001002", 1, name="网格1-2")
    shrink["geometry"] = {"type": "Polygon", "coordinates": [ring(LON0 + 0.012, LAT0, LON0 + 2 * STEP, LAT0 + STEP)]}
    assert run(engine, fc(grow))[1]  # alone it overlaps the current 1-2
    summary, problems = run(engine, fc(grow, shrink))
    assert problems == [] and summary.updated == 2
    with Session(engine) as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Village)) == 2
