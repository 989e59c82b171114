"""Importing grids from GeoJSON (`griddesk import grids FILE.geojson [--dry-run]`).

The pure checks (shape, rings, WGS-84, codes, names, overlaps within the file)
are `models.geo.validate.validate_grids`; this module adds the database rules:

- District, town and village codes come from the grid code's digits (6/9/12).
  Missing District/Town/Village rows are created; a new town or village needs
  a name (properties town/镇街, village/村社; a bare code is not a name). The
  district's name comes from property district/区县 if given, else its code.
- GridDesk serves one district: a grid code of another district than the one in
  the database (or, in an empty database, than the file's first grid) is a problem.
- Names that contradict the database's town/village names are problems.
- A grid whose code has a current version: identical (same shape, name, kind,
  households, population) → unchanged; different → a new version (the old row gets
  `valid_to = today`, the new one `valid_from = today`, `supersedes_id = old id`).
  A current version created today is corrected in place instead (one version per
  code and day). Grids absent from the file are left alone (no retirement).
- Overlaps are also checked against current grids in the database that the file
  does not replace (tolerance 1 m², as in the file check).

Optional properties: kind/类型 (residential/commercial/industrial/special or
住宅/商业/工业/专属), population/人口 (whole number ≥ 0).

Problems: `where` = 0-based feature index (None: the file), `column` = the
property concerned ("geometry" for shapes), `reason` = a stable kind.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

import numpy as np
import shapely
import sqlalchemy as sa
from sqlalchemy.orm import Session

from models.enums import GridKind
from models.geo.locate import areas_km2
from models.geo.validate import PROBLEM_KINDS, GridRecord, validate_grids
from models.geo.validate import Problem as GeoProblem
from models.importers.common import REASONS, ImportFailed, ImportSummary, Problem, chunked
from models.schema import District, Grid, Town, Village

__all__ = ["GRID_PROPERTIES", "KIND_NAMES", "OVERLAP_TOLERANCE_M2", "import_grids"]

OVERLAP_TOLERANCE_M2 = 1.0

for _kind, _text in PROBLEM_KINDS.items():
    REASONS.setdefault(_kind, _text)
REASONS.setdefault("bad_kind", ("网格类型无效(住宅/商业/工业/专属)", "unknown grid kind"))
REASONS.setdefault("bad_population", ("人口应为非负整数", "population must be a whole number ≥ 0"))

# (property, Chinese key, required, format, example) — for the README
GRID_PROPERTIES: tuple[tuple[str, str, bool, str, str], ...] = (
    ("code", "网格编码", True, "15 位数字 (旧 14 位亦可) / 15 digits (legacy 14)", "331004001007006"),
    ("name", "网格名称", True, "≤ 200 字 / characters", "新安社区第6网格"),
    ("town", "镇街", False, "镇街名称; 新镇街必填 / town name, required for a new town", "路桥街道"),
    ("village", "村社", False, "村社名称; 新村社必填 / village name, required for a new village", "新安社区"),
    ("households", "户数", False, "非负整数 / whole number ≥ 0", "420"),
    ("population", "人口", False, "非负整数 / whole number ≥ 0", "1260"),
    ("kind", "类型", False, "住宅 / 商业 / 工业 / 专属 (residential …)", "住宅"),
    ("district", "区县", False, "区县名称, 仅新建区县时使用 / district name, used when creating it", "路桥区"),
)

KIND_NAMES: dict[str, GridKind] = {
    **{k.value: k for k in GridKind},
    "住宅": GridKind.RESIDENTIAL, "居住": GridKind.RESIDENTIAL,
    "商业": GridKind.COMMERCIAL, "商贸": GridKind.COMMERCIAL,
    "工业": GridKind.INDUSTRIAL, "园区": GridKind.INDUSTRIAL,
    "专属": GridKind.SPECIAL, "特殊": GridKind.SPECIAL,
}

_GEOMETRY_KINDS = {"no_geometry", "not_polygon", "no_coordinates", "bad_positions", "too_few_points",
                   "ring_not_closed", "projected_coordinates", "swapped_lat_lon", "out_of_range",
                   "hole_outside_shell", "self_intersection", "invalid_geometry", "overlap"}
_PROPERTY_OF_KIND = {"missing_code": "code", "bad_code": "code", "district_mismatch": "code",
                     "duplicate_code": "code", "town_mismatch": "town", "village_mismatch": "village",
                     "missing_name": "name", "name_too_long": "name", "bad_households": "households"}


def import_grids(session: Session, feature_collection: Any, *, dry_run: bool = False,
                 today: dt.date | None = None) -> ImportSummary:
    """Insert, re-version or keep the grids of a parsed GeoJSON FeatureCollection.

    Raises ImportFailed listing every problem (nothing written). With `dry_run`
    nothing is written either way and the summary says what would happen.
    Flushes, does not commit.
    """
    today = today or dt.date.today()
    districts = {d.code: d for d in session.scalars(sa.select(District))}
    towns = {t.code: t for t in session.scalars(sa.select(Town))}
    villages = {v.code: v for v in session.scalars(sa.select(Village))}
    check = validate_grids(
        feature_collection,
        district_code=next(iter(districts)) if len(districts) == 1 else None,
        known_towns={c: t.name for c, t in towns.items()},
        known_villages={c: v.name for c, v in villages.items()},
        overlap_tolerance_m2=OVERLAP_TOLERANCE_M2,
    )
    problems = [_convert(p) for p in check.problems]
    records = list(check.records)

    extras: dict[int, tuple[GridKind | None, int | None]] = {}
    for rec in records:
        extras[rec.index] = _extra_properties(rec, problems)
    _district_rules(records, districts, problems)
    _name_rules(records, towns, villages, problems)
    current = _current_grids(session, [r.code for r in records])
    _overlaps_with_database(session, records, set(current), problems)
    if problems or not check.ok:
        raise ImportFailed(problems)

    summary = ImportSummary(dry_run=dry_run)
    plans: list[tuple[str, GridRecord, Grid | None, GridKind | None, int | None]] = []
    for rec in records:
        kind, population = extras[rec.index]
        old = current.get(rec.code)
        if old is None:
            plans.append(("insert", rec, None, kind, population))
        elif _same(old, rec, kind, population):
            plans.append(("unchanged", rec, old, kind, population))
        else:
            plans.append(("update", rec, old, kind, population))
    summary.inserted = sum(p[0] == "insert" for p in plans)
    summary.updated = sum(p[0] == "update" for p in plans)
    summary.unchanged = sum(p[0] == "unchanged" for p in plans)
    summary.created = _count_new_units(records, districts, towns, villages)
    if dry_run:
        return summary

    names = _unit_names(records)
    for action, rec, old, kind, population in plans:
        if action == "unchanged":
            continue
        village = _ensure_units(session, rec, names, districts, towns, villages)
        values = _grid_values(rec, kind, population, old)
        values.update(town_id=village.town_id, village_id=village.id)
        if old is not None and old.valid_from >= today:
            for key, value in values.items():  # a same-day correction: one version per day
                setattr(old, key, value)
            continue
        if old is not None:
            old.valid_to = today
        session.add(Grid(code=rec.code, valid_from=today, supersedes_id=old.id if old else None, **values))
    session.flush()
    return summary


# --- checks -----------------------------------------------------------------


def _convert(p: GeoProblem) -> Problem:
    column = "geometry" if p.kind in _GEOMETRY_KINDS else _PROPERTY_OF_KIND.get(p.kind)
    detail = f"[{p.code}] {p.reason}" if p.code else p.reason
    return Problem(p.index, column, p.kind, detail)


def _prop(props: Mapping[str, Any], en: str, zh: str) -> Any:
    value = props.get(en)
    return props.get(zh) if value is None or value == "" else value


def _extra_properties(rec: GridRecord, problems: list[Problem]) -> tuple[GridKind | None, int | None]:
    kind = population = None
    raw_kind = _prop(rec.properties, "kind", "类型")
    if raw_kind is not None and raw_kind != "":
        kind = KIND_NAMES.get(str(raw_kind).strip().lower())
        if kind is None:
            problems.append(Problem(rec.index, "kind", "bad_kind", repr(raw_kind)))
    raw_pop = _prop(rec.properties, "population", "人口")
    if raw_pop is not None and raw_pop != "":
        if isinstance(raw_pop, bool):
            value = None
        elif isinstance(raw_pop, int):
            value = raw_pop
        elif isinstance(raw_pop, float) and raw_pop.is_integer():
            value = int(raw_pop)
        elif isinstance(raw_pop, str) and raw_pop.strip().isdigit():
            value = int(raw_pop.strip())
        else:
            value = None
        if value is None or value < 0:
            problems.append(Problem(rec.index, "population", "bad_population", repr(raw_pop)))
        else:
            population = value
    return kind, population


def _district_rules(records: list[GridRecord], districts: dict[str, District], problems: list[Problem]) -> None:
    if len(districts) == 1:
        return  # checked by the validator (district_code)
    allowed = set(districts) or ({records[0].district_code} if records else set())
    for rec in records:
        if rec.district_code not in allowed:
            problems.append(Problem(rec.index, "code", "district_mismatch",
                                    f"[{rec.code}] district {rec.district_code}, expected {'/'.join(sorted(allowed))}"))


def _is_name(text: str | None) -> bool:
    return bool(text) and not str(text).isdigit()


def _name_rules(records: list[GridRecord], towns: dict[str, Town], villages: dict[str, Village],
                problems: list[Problem]) -> None:
    town_named = {r.town_code for r in records if _is_name(r.town)}
    village_named = {r.village_code for r in records if _is_name(r.village)}
    for rec in records:
        if rec.town_code not in towns and rec.town_code not in town_named:
            problems.append(Problem(rec.index, "town", "missing_town_name", f"[{rec.code}] town {rec.town_code}"))
        if rec.village_code not in villages and rec.village_code not in village_named:
            problems.append(Problem(rec.index, "village", "missing_village_name",
                                    f"[{rec.code}] village {rec.village_code}"))


def _current_grids(session: Session, codes: list[str]) -> dict[str, Grid]:
    out: dict[str, Grid] = {}
    for part in chunked(sorted(set(codes))):
        for grid in session.scalars(sa.select(Grid).where(Grid.code.in_(part), Grid.valid_to.is_(None))):
            out[grid.code] = grid
    return out


def _overlaps_with_database(session: Session, records: list[GridRecord], replaced: set[str],
                            problems: list[Problem]) -> None:
    """Current database grids the file keeps (other codes) must not overlap the file's grids."""
    if not records:
        return
    minx = min(r.bbox[0] for r in records)
    miny = min(r.bbox[1] for r in records)
    maxx = max(r.bbox[2] for r in records)
    maxy = max(r.bbox[3] for r in records)
    file_codes = {r.code for r in records} | replaced
    q = sa.select(Grid.code, Grid.geometry).where(
        Grid.valid_to.is_(None), Grid.max_lon >= minx, Grid.min_lon <= maxx, Grid.max_lat >= miny,
        Grid.min_lat <= maxy)
    existing = [(code, geom) for code, geom in session.execute(q) if code not in file_codes]
    if not existing:
        return
    shapes = np.asarray([shapely.from_geojson(geom) for _, geom in existing], dtype=object)
    tree = shapely.STRtree(shapes)
    mine = np.asarray([r.geometry for r in records], dtype=object)
    ri, ei = tree.query(mine, predicate="intersects")
    if len(ri) == 0:
        return
    inter = shapely.intersection(mine[ri], shapes[ei])
    area_m2 = areas_km2(inter) * 1e6
    for i, e, area in zip(ri.tolist(), ei.tolist(), area_m2.tolist()):
        if area > OVERLAP_TOLERANCE_M2:
            rec = records[i]
            problems.append(Problem(rec.index, "geometry", "overlaps_existing",
                                    f"[{rec.code}] overlaps current grid {existing[e][0]} by {area:,.1f} m²"))


# --- writing ----------------------------------------------------------------


def _geometry_text(rec: GridRecord) -> str:
    return json.dumps(rec.geojson, ensure_ascii=False, separators=(",", ":"))


def _grid_values(rec: GridRecord, kind: GridKind | None, population: int | None,
                 old: Grid | None) -> dict[str, Any]:
    minx, miny, maxx, maxy = rec.bbox
    values: dict[str, Any] = dict(
        name=rec.name, geometry=_geometry_text(rec), area_km2=rec.area_km2, centroid_lon=rec.centroid[0],
        centroid_lat=rec.centroid[1], min_lon=minx, min_lat=miny, max_lon=maxx, max_lat=maxy,
        kind=kind or (old.kind if old else GridKind.RESIDENTIAL),
        households=rec.households if rec.households is not None else (old.households if old else 0),
        population=population if population is not None else (old.population if old else 0),
    )
    return values


def _same(old: Grid, rec: GridRecord, kind: GridKind | None, population: int | None) -> bool:
    if old.name != rec.name:
        return False
    if kind is not None and old.kind != kind:
        return False
    if rec.households is not None and old.households != rec.households:
        return False
    if population is not None and old.population != population:
        return False
    try:
        stored = shapely.from_geojson(old.geometry)
    except shapely.errors.GEOSException:
        return False
    return bool(shapely.equals(stored, rec.geometry))


def _count_new_units(records: list[GridRecord], districts: Mapping[str, District], towns: Mapping[str, Town],
                     villages: Mapping[str, Village]) -> dict[str, int]:
    return {
        "district": len({r.district_code for r in records} - set(districts)),
        "town": len({r.town_code for r in records} - set(towns)),
        "village": len({r.village_code for r in records} - set(villages)),
    }


def _unit_names(records: list[GridRecord]) -> dict[str, str]:
    """Code (6, 9 or 12 digits) -> the first name the file gives it."""
    names: dict[str, str] = {}
    for rec in records:
        district = _prop(rec.properties, "district", "区县")
        for code, name in ((rec.district_code, district), (rec.town_code, rec.town),
                           (rec.village_code, rec.village)):
            if name is not None and _is_name(str(name).strip()):
                names.setdefault(code, str(name).strip())
    return names


def _ensure_units(session: Session, rec: GridRecord, names: dict[str, str], districts: dict[str, District],
                  towns: dict[str, Town], villages: dict[str, Village]) -> Village:
    district = districts.get(rec.district_code)
    if district is None:
        district = District(code=rec.district_code, name=names.get(rec.district_code, rec.district_code))
        session.add(district)
        session.flush()
        districts[district.code] = district
    town = towns.get(rec.town_code)
    if town is None:
        town = Town(district_id=district.id, code=rec.town_code, name=names[rec.town_code])
        session.add(town)
        session.flush()
        towns[town.code] = town
    village = villages.get(rec.village_code)
    if village is None:
        village = Village(town_id=town.id, code=rec.village_code, name=names[rec.village_code])
        session.add(village)
        session.flush()
        villages[village.code] = village
    return village
