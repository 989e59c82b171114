"""Check a GeoJSON FeatureCollection of grids before import, listing every problem.

The importer (``griddesk import grids FILE.geojson [--dry-run]``) calls
`validate_geojson_bytes` / `validate_grids` and imports only when `ok`. Each
`Problem` names the feature index (0-based, as in the file), the grid code when
known and the reason in plain English; file-level problems have index None.

Properties read: ``code``, ``name``, ``town``, ``village``, ``households`` — or the
Chinese keys 网格编码, 网格名称, 镇街, 村社, 户数. ``town`` and ``village`` are
names (or their 3/9- and 3/12-digit codes); the codes proper come from the grid
code's digits, and names that contradict them are problems.

Checks, per feature: a Feature object; Polygon or MultiPolygon; rings of number
pairs, closed, with at least 4 positions; WGS-84 lon/lat range (recognising
projected metres and swapped lat/lon); holes inside their outer ring; OGC validity
(self-intersection etc., via GEOS's reason); code present, 15 digits or legacy 14,
of the expected district, unique; town/village names consistent with the code;
name present; households a whole number ≥ 0. Across features: overlaps with an
intersection above a tolerance (1 m² by default), found with an STR-tree. For the
file: UTF-8, JSON, FeatureCollection, and a ``crs`` member, when present, naming
WGS-84 (CRS84 / EPSG:4326) or CGCS2000 (EPSG:4490, the same to within centimetres).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from models.geo.codes import CodeError, GridCode, parse_grid_code
from models.geo.locate import areas_km2

__all__ = [
    "PROBLEM_KINDS",
    "PROPERTY_KEYS",
    "GridRecord",
    "GridValidation",
    "Problem",
    "read_geojson",
    "validate_geojson_bytes",
    "validate_geojson_file",
    "validate_grids",
]

# canonical key -> accepted property names (English first)
PROPERTY_KEYS: dict[str, tuple[str, ...]] = {
    "code": ("code", "网格编码"),
    "name": ("name", "网格名称"),
    "town": ("town", "镇街"),
    "village": ("village", "村社"),
    "households": ("households", "户数"),
}
MAX_NAME_LENGTH = 200  # the schema's name columns

# Problem.kind -> (中文, English): stable keys for the importer, the CLI and the GUI.
PROBLEM_KINDS: dict[str, tuple[str, str]] = {
    # the file
    "not_utf8": ("文件不是 UTF-8 编码", "file is not UTF-8"),
    "bad_json": ("不是有效的 JSON", "not valid JSON"),
    "not_feature_collection": ("不是 GeoJSON FeatureCollection", "not a GeoJSON FeatureCollection"),
    "no_features": ("文件中没有网格", "no grids in the file"),
    "bad_crs": ("坐标系不是 WGS-84", "coordinate reference system is not WGS-84"),
    # a feature's shape
    "not_feature": ("不是 GeoJSON 要素", "not a GeoJSON Feature"),
    "no_geometry": ("缺少几何图形", "no geometry"),
    "not_polygon": ("几何类型应为 Polygon 或 MultiPolygon", "geometry must be Polygon or MultiPolygon"),
    "no_coordinates": ("几何图形没有坐标", "geometry has no coordinates"),
    "bad_positions": ("坐标不是经纬度数值对", "positions are not [lon, lat] numbers"),
    "too_few_points": ("环的点数少于 4", "ring has fewer than 4 positions"),
    "ring_not_closed": ("环未闭合", "ring is not closed"),
    "projected_coordinates": ("坐标像是投影坐标(米), 不是经纬度", "coordinates look projected (metres), not lon/lat"),
    "swapped_lat_lon": ("经纬度顺序颠倒", "latitude and longitude swapped"),
    "out_of_range": ("坐标超出 WGS-84 范围", "coordinates out of WGS-84 range"),
    "hole_outside_shell": ("内环(洞)在外环之外", "hole outside its outer ring"),
    "self_intersection": ("边界自相交", "self-intersection"),
    "invalid_geometry": ("几何图形无效", "invalid geometry"),
    "invalid_feature": ("要素无效", "invalid feature"),
    "overlap": ("与其他网格重叠", "overlaps another grid"),
    # a feature's properties
    "no_properties": ("缺少属性", "no properties"),
    "property_conflict": ("中英文属性值不一致", "English and Chinese properties disagree"),
    "missing_code": ("缺少网格编码", "grid code missing"),
    "bad_code": ("网格编码格式错误", "malformed grid code"),
    "district_mismatch": ("网格编码不属于本区县", "grid code of another district"),
    "duplicate_code": ("网格编码重复", "duplicate grid code"),
    "town_mismatch": ("镇街与网格编码不符", "town does not match the grid code"),
    "village_mismatch": ("村社与网格编码不符", "village does not match the grid code"),
    "missing_name": ("缺少网格名称", "grid name missing"),
    "name_too_long": ("网格名称过长", "grid name too long"),
    "bad_households": ("户数应为非负整数", "households must be a whole number ≥ 0"),
}

_WGS84_CRS = re.compile(
    r"(?:^|[:/])(?:CRS84|CRS:84|OGC:1\.3:CRS84|EPSG:{1,2}(?:4326|4490)|EPSG/0/(?:4326|4490))$",
    re.IGNORECASE,
)
_ASCII_DIGITS = re.compile(r"[0-9]+")
_GEOS_REASON = re.compile(r"^(?P<what>[^\[]+)\[(?P<x>[-+0-9.eE]+) (?P<y>[-+0-9.eE]+)\]$")


@dataclass(frozen=True, slots=True)
class Problem:
    """One reason a grid file cannot be imported as it is."""

    index: int | None  # feature index in the file; None for the file itself
    code: str | None  # the feature's grid code as given, when there is one
    reason: str  # English, for people
    kind: str = "invalid_feature"  # stable key of PROBLEM_KINDS, for programs and translation

    def __str__(self) -> str:
        where = "file" if self.index is None else f"feature {self.index}"
        if self.code:
            where += f" [{self.code}]"
        return f"{where}: {self.reason}"


@dataclass(frozen=True, slots=True)
class GridRecord:
    """A grid feature that passed every check, ready to be written."""

    index: int
    code: str  # normalised, 15 digits
    name: str
    town: str | None  # town/street name as given
    village: str | None  # village/community name as given
    households: int | None
    geometry: BaseGeometry = field(compare=False)
    geojson: dict[str, Any] = field(compare=False, hash=False, repr=False)
    area_km2: float
    centroid: tuple[float, float]
    bbox: tuple[float, float, float, float]
    legacy_code: bool = False  # the file gave the 14-digit layout
    properties: dict[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    @property
    def district_code(self) -> str:
        return self.code[:6]

    @property
    def town_code(self) -> str:
        return self.code[:9]

    @property
    def village_code(self) -> str:
        return self.code[:12]

    @property
    def serial(self) -> int:
        return int(self.code[12:])


@dataclass(frozen=True, slots=True)
class GridValidation:
    """Result of a check: the clean records and every problem found."""

    records: tuple[GridRecord, ...]
    problems: tuple[Problem, ...]
    feature_count: int

    @property
    def ok(self) -> bool:
        return not self.problems and self.feature_count > 0

    def problems_of(self, index: int | None) -> list[Problem]:
        return [p for p in self.problems if p.index == index]


# ---------------------------------------------------------------------------
# reading


def read_geojson(raw: bytes) -> tuple[Any, Problem | None]:
    """Decode UTF-8 JSON; on failure (None, the problem)."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None, Problem(None, None, "file is UTF-16; save it as UTF-8", "not_utf8")
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        hint = ""
        try:
            raw.decode("gb18030")
            hint = "; it looks like GBK/GB18030 — save it as UTF-8"
        except UnicodeDecodeError:
            pass
        bad = raw[exc.start : exc.start + 1].hex()
        return None, Problem(
            None, None, f"file is not UTF-8 (byte 0x{bad} at offset {exc.start}){hint}", "not_utf8"
        )
    try:
        return json.loads(text), None
    except json.JSONDecodeError as exc:
        return None, Problem(
            None, None, f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}", "bad_json"
        )


def validate_geojson_bytes(raw: bytes, **options: Any) -> GridValidation:
    """`validate_grids` over the bytes of a file (checks UTF-8 and JSON first)."""
    data, problem = read_geojson(raw)
    if problem is not None:
        return GridValidation((), (problem,), 0)
    return validate_grids(data, **options)


def validate_geojson_file(path: str | os.PathLike[str], **options: Any) -> GridValidation:
    """`validate_grids` over a file; OSError when it cannot be read."""
    with open(path, "rb") as fh:
        return validate_geojson_bytes(fh.read(), **options)


# ---------------------------------------------------------------------------
# one feature


@dataclass(slots=True)
class _Feature:
    index: int
    raw_code: str | None = None
    code: GridCode | None = None
    name: str | None = None
    town: str | None = None
    village: str | None = None
    households: int | None = None
    geometry: BaseGeometry | None = None
    geojson: dict[str, Any] | None = None
    properties: dict[str, Any] = field(default_factory=dict)
    reasons: list[tuple[str, str]] = field(default_factory=list)  # (kind, reason)
    hole_reported: bool = False
    shell: np.ndarray | None = None

    def add(self, kind: str, reason: str) -> None:
        self.reasons.append((kind, reason))


def _prop(props: Mapping[str, Any], key: str, f: _Feature) -> Any:
    """The value of a canonical property under its English or Chinese key."""
    en, zh = PROPERTY_KEYS[key]
    a, b = props.get(en), props.get(zh)
    if a is None or a == "":
        return b
    if b is not None and b != "" and str(a).strip() != str(b).strip():
        f.add("property_conflict", f"properties '{en}' and '{zh}' disagree: {a!r} vs {b!r}")
    return a


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _check_properties(props: Any, f: _Feature) -> None:
    if not isinstance(props, Mapping):
        f.add("no_properties", "feature has no properties (code, name, town, village, households)")
        return
    f.properties = dict(props)
    code = _prop(props, "code", f)
    f.raw_code = _text(code)
    if f.raw_code is None:
        what = "missing grid code" if code is None else "grid code is empty"
        f.add("missing_code", f"{what} (property 'code' or '网格编码')")
    else:
        try:
            f.code = parse_grid_code(code)
        except CodeError as exc:
            f.add("bad_code", str(exc))
    f.name = _text(_prop(props, "name", f))
    if f.name is None:
        f.add("missing_name", "missing grid name (property 'name' or '网格名称')")
    elif len(f.name) > MAX_NAME_LENGTH:
        f.add("name_too_long", f"grid name is longer than {MAX_NAME_LENGTH} characters")
    f.town = _text(_prop(props, "town", f))
    f.village = _text(_prop(props, "village", f))
    hh = _prop(props, "households", f)
    if hh is not None and hh != "":
        value: int | None = None
        if isinstance(hh, bool):
            value = None
        elif isinstance(hh, int):
            value = hh
        elif isinstance(hh, float) and hh.is_integer():
            value = int(hh)
        elif isinstance(hh, str) and hh.strip().isdigit():
            value = int(hh.strip())
        if value is None or value < 0:
            f.add("bad_households", f"households must be a whole number ≥ 0, got {hh!r}")
        else:
            f.households = value


def _ring_array(ring: Any, label: str, f: _Feature) -> np.ndarray | None:
    if not isinstance(ring, list):
        f.add("bad_positions", f"{label} is not a list of positions")
        return None
    if not ring:
        f.add("too_few_points", f"{label} has no positions; a closed ring needs at least 4")
        return None
    try:
        arr = np.asarray(ring)
    except (ValueError, TypeError):
        arr = None
    if arr is None or arr.ndim != 2 or arr.shape[1] < 2 or arr.dtype.kind not in "iuf":
        f.add("bad_positions", f"{label} has positions that are not [lon, lat] number pairs")
        return None
    arr = arr[:, :2].astype(float)
    if not np.isfinite(arr).all():
        f.add("bad_positions", f"{label} has a non-finite coordinate (NaN or infinity)")
        return None
    n = len(arr)
    if n < 4:
        f.add("too_few_points", f"{label} has {n} positions; a closed ring needs at least 4")
    if n >= 1 and not np.array_equal(arr[0], arr[-1]):
        f.add(
            "ring_not_closed",
            f"{label} is not closed: first position ({arr[0, 0]:g}, {arr[0, 1]:g}) "
            f"≠ last ({arr[-1, 0]:g}, {arr[-1, 1]:g})",
        )
    return arr


def _check_range(arrays: list[np.ndarray], f: _Feature) -> bool:
    xy = np.concatenate(arrays)
    x, y = xy[:, 0], xy[:, 1]
    if (np.abs(x) <= 180).all() and (np.abs(y) <= 90).all():
        return True
    i = int(np.argmax(np.maximum(np.abs(x) / 180, np.abs(y) / 90)))
    sample = f"({x[i]:.6g}, {y[i]:.6g})"
    if np.abs(xy).max() > 1000:
        f.add(
            "projected_coordinates",
            f"coordinates look like projected metres, e.g. {sample}, not WGS-84 lon/lat degrees; "
            "reproject the file to WGS-84 (EPSG:4326)",
        )
    elif (np.abs(x) <= 90).all() and (np.abs(y) <= 180).all():
        f.add(
            "swapped_lat_lon",
            f"coordinates look like [lat, lon], e.g. {sample}; GeoJSON positions are [lon, lat]",
        )
    else:
        f.add(
            "out_of_range",
            f"coordinates out of WGS-84 range (lon -180..180, lat -90..90), e.g. {sample}",
        )
    return False


def _check_geometry(geom: Any, f: _Feature) -> None:
    if not isinstance(geom, Mapping):
        f.add("no_geometry", "feature has no geometry")
        return
    gtype = geom.get("type")
    if gtype not in ("Polygon", "MultiPolygon"):
        f.add("not_polygon", f"geometry must be a Polygon or MultiPolygon, got {gtype!r}")
        return
    coords = geom.get("coordinates")
    if not isinstance(coords, list) or not coords:
        f.add("no_coordinates", "geometry has no coordinates")
        return
    polys = [coords] if gtype == "Polygon" else coords
    shaped: list[list[np.ndarray]] = []
    ok = True
    for pi, rings in enumerate(polys):
        prefix = "" if gtype == "Polygon" else f"polygon {pi}: "
        if not isinstance(rings, list) or not rings:
            f.add("no_coordinates", f"{prefix}polygon has no rings")
            ok = False
            continue
        arrays = []
        for ri, ring in enumerate(rings):
            label = prefix + ("outer ring" if ri == 0 else f"hole {ri}")
            arr = _ring_array(ring, label, f)
            if arr is None:
                ok = False
            else:
                arrays.append(arr)
        shaped.append(arrays)
    if not ok:
        return
    if not _check_range([a for arrays in shaped for a in arrays], f):
        return
    if any(len(a) < 4 for arrays in shaped for a in arrays):
        return  # too few positions, said above: no shape to check further
    f.geojson = {"type": gtype, "coordinates": coords}
    if gtype == "Polygon" and len(shaped[0]) == 1 and len(shaped[0][0]) >= 4:
        f.shell = shaped[0][0]  # the common case: built in bulk by _build_simple
        return
    try:
        parts = [Polygon(arrays[0], arrays[1:]) for arrays in shaped]
    except (ValueError, shapely.errors.GEOSException) as exc:
        f.add("invalid_geometry", f"geometry cannot be built: {exc}")
        return
    for pi, (arrays, part) in enumerate(zip(shaped, parts)):
        if len(arrays) < 2:
            continue
        shell = Polygon(part.exterior)
        for hi, ring in enumerate(part.interiors, start=1):
            hole = Polygon(ring)
            try:
                inside = shell.covers(hole)
                apart = not inside and not shell.intersects(hole)
            except shapely.errors.GEOSException:
                continue
            if not inside:
                prefix = "" if gtype == "Polygon" else f"polygon {pi}: "
                where = "lies outside" if apart else "crosses"
                f.add("hole_outside_shell", f"{prefix}hole {hi} {where} its outer ring")
                f.hole_reported = True
    f.geometry = parts[0] if gtype == "Polygon" else MultiPolygon(parts)


def _build_simple(feats: list[_Feature]) -> None:
    """Build the hole-less single polygons of all features in one vectorised call."""
    simple = [f for f in feats if f.shell is not None]
    if not simple:
        return
    coords = np.concatenate([f.shell for f in simple])
    counts = [len(f.shell) for f in simple]
    try:
        rings = shapely.linearrings(coords, indices=np.repeat(np.arange(len(simple)), counts))
        polys = list(shapely.polygons(rings))
    except (ValueError, shapely.errors.GEOSException):  # one by one, to blame the right one
        polys = []
        for f in simple:
            try:
                polys.append(Polygon(f.shell))
            except (ValueError, shapely.errors.GEOSException) as exc:
                f.add("invalid_geometry", f"geometry cannot be built: {exc}")
                polys.append(None)
    for f, poly in zip(simple, polys):
        f.geometry = poly
        f.shell = None


def _geos_reason(reason: str) -> tuple[str, str]:
    """(kind, reason) from GEOS's explanation, e.g. 'Self-intersection[121.3 28.5]'."""
    kind = "self_intersection" if "self-intersection" in reason.lower() else "invalid_geometry"
    m = _GEOS_REASON.match(reason)
    if not m:
        return kind, f"geometry is not valid: {reason}"
    what = m["what"].strip().lower()
    return kind, f"geometry is not valid: {what} at ({float(m['x']):.7f}, {float(m['y']):.7f})"


# ---------------------------------------------------------------------------
# the whole file


def _check_crs(data: Mapping[str, Any]) -> Problem | None:
    crs = data.get("crs")
    if crs is None:
        return None
    name = None
    if isinstance(crs, Mapping) and crs.get("type") == "name" and isinstance(crs.get("properties"), Mapping):
        name = crs["properties"].get("name")
    if isinstance(name, str) and _WGS84_CRS.search(name.strip()):
        return None
    shown = name if isinstance(name, str) else json.dumps(crs, ensure_ascii=False)[:80]
    return Problem(
        None,
        None,
        f"crs {shown} is not WGS-84; reproject the file to WGS-84 lon/lat (EPSG:4326 / CRS84)",
        "bad_crs",
    )


class _Names:
    """First-seen code ↔ name pairs of one level, to flag contradictions."""

    def __init__(self, level: str, known: Mapping[str, str] | None):
        self.level = level
        self.known = dict(known or {})
        self.known_by_name: dict[Any, str] = {}
        for code, name in self.known.items():
            self.known_by_name.setdefault(self._name_key(code, name), code)
        self.by_code: dict[str, tuple[str, int]] = {}
        self.by_name: dict[Any, tuple[str, int]] = {}

    def _name_key(self, code: str, name: str) -> Any:
        # village names repeat across towns: key them by town
        return (code[:9], name) if self.level == "village" else name

    def check(self, code: str, given: str, index: int) -> str | None:
        lvl = self.level
        width = len(code)
        if _ASCII_DIGITS.fullmatch(given):
            if len(given) == 3 and given == code[-3:] or len(given) == width and given == code:
                return None
            return f"{lvl} {given!r} does not match the grid code's {lvl} {code}"
        if code in self.known and self.known[code] != given:
            return f"{lvl} {given!r} does not match the grid code's {lvl} {code} ({self.known[code]})"
        key = self._name_key(code, given)
        other = self.known_by_name.get(key)
        if other is not None and other != code:
            return f"{lvl} {given!r} is {lvl} {other}, but the grid code says {lvl} {code}"
        seen = self.by_code.get(code)
        if seen is not None and seen[0] != given:
            return (
                f"the grid code says {lvl} {code}, which feature {seen[1]} calls {seen[0]!r}, not {given!r}"
            )
        seen_name = self.by_name.get(key)
        if seen_name is not None and seen_name[0] != code:
            return (
                f"{lvl} {given!r} has code {seen_name[0]} in feature {seen_name[1]}, "
                f"but this grid's code says {code}"
            )
        self.by_code.setdefault(code, (given, index))
        self.by_name.setdefault(key, (code, index))
        return None


def _overlaps(feats: list[_Feature], tolerance_m2: float) -> None:
    """Flag every pair of valid grids whose interiors share more than `tolerance_m2`."""
    usable = [f for f in feats if f.geometry is not None]  # valid shapes, other problems or not
    if len(usable) < 2:
        return
    geoms = np.asarray([f.geometry for f in usable], dtype=object)
    tree = shapely.STRtree(geoms)
    # Polygons' interiors meet iff one overlaps, contains or lies within the other.
    a1, b1 = tree.query(geoms, predicate="overlaps")
    # Containment (or a duplicated shape): a grid's interior point lies in the other.
    # A point query is much cheaper than a polygon "contains" query.
    a2, b2 = tree.query(shapely.point_on_surface(geoms), predicate="intersects")
    a = np.concatenate([a1, a2, b2])
    b = np.concatenate([b1, b2, a2])
    keep = a < b
    pairs = np.unique(np.column_stack([a[keep], b[keep]]), axis=0)
    if len(pairs) == 0:
        return
    inter = shapely.intersection(geoms[pairs[:, 0]], geoms[pairs[:, 1]])
    area_m2 = areas_km2(inter) * 1e6
    for (i, j), area in zip(pairs.tolist(), area_m2.tolist()):
        if area <= tolerance_m2:
            continue
        fi, fj = usable[i], usable[j]
        fi.add("overlap", f"overlaps feature {fj.index}{_code_note(fj)} by {area:,.1f} m²")
        fj.add("overlap", f"overlaps feature {fi.index}{_code_note(fi)} by {area:,.1f} m²")


def _code_note(f: _Feature) -> str:
    return f" ({f.code.code})" if f.code else ""


def validate_grids(
    data: Any,
    *,
    district_code: str | None = None,
    known_towns: Mapping[str, str] | None = None,
    known_villages: Mapping[str, str] | None = None,
    overlap_tolerance_m2: float = 1.0,
) -> GridValidation:
    """Check a parsed GeoJSON FeatureCollection of grids; see the module docstring.

    `district_code` (6 digits) requires every grid code to belong to it.
    `known_towns` (9-digit code → name) and `known_villages` (12-digit code → name),
    e.g. from the database, make names that contradict them problems too.
    """
    head: list[Problem] = []
    if not isinstance(data, Mapping):
        problem = Problem(None, None, "file is not a GeoJSON object", "not_feature_collection")
        return GridValidation((), (problem,), 0)
    if data.get("type") != "FeatureCollection":
        got = data.get("type")
        reason = f"GeoJSON type must be 'FeatureCollection', got {got!r}"
        head.append(Problem(None, None, reason, "not_feature_collection"))
    crs = _check_crs(data)
    if crs is not None:
        head.append(crs)
    features = data.get("features")
    if not isinstance(features, list):
        head.append(Problem(None, None, "FeatureCollection has no 'features' list", "not_feature_collection"))
        return GridValidation((), tuple(head), 0)
    if not features:
        head.append(Problem(None, None, "the file has no grids (no features)", "no_features"))

    feats: list[_Feature] = []
    for i, raw in enumerate(features):
        f = _Feature(i)
        feats.append(f)
        if not isinstance(raw, Mapping) or raw.get("type") != "Feature":
            f.add("not_feature", "not a GeoJSON Feature object")
            continue
        _check_properties(raw.get("properties"), f)
        _check_geometry(raw.get("geometry"), f)
    _build_simple(feats)

    # OGC validity, vectorised; GEOS's reason only for the invalid ones
    built = [f for f in feats if f.geometry is not None]
    if built:
        valid = shapely.is_valid(np.asarray([f.geometry for f in built], dtype=object))
        for f, ok in zip(built, valid.tolist()):
            if ok:
                continue
            reason = shapely.is_valid_reason(f.geometry)
            if not (f.hole_reported and reason.startswith("Hole lies outside shell")):
                f.add(*_geos_reason(reason))
            f.geometry = None  # no overlap test on an invalid shape

    # codes: district, duplicates, names of the levels
    towns, villages = _Names("town", known_towns), _Names("village", known_villages)
    first_use: dict[str, int] = {}
    for f in feats:
        gc = f.code
        if gc is None:
            continue
        if district_code is not None and gc.admin != district_code:
            f.add("district_mismatch",
                  f"grid code {gc.code} belongs to district {gc.admin}, not {district_code}")
        if gc.code in first_use:
            f.add("duplicate_code",
                  f"duplicate grid code {gc.code} (first used by feature {first_use[gc.code]})")
        else:
            first_use[gc.code] = f.index
        if f.town is not None:
            reason = towns.check(gc.town_code, f.town, f.index)
            if reason:
                f.add("town_mismatch", reason)
        if f.village is not None:
            reason = villages.check(gc.village_code, f.village, f.index)
            if reason:
                f.add("village_mismatch", reason)

    _overlaps(feats, overlap_tolerance_m2)

    problems = list(head)
    for f in feats:
        problems.extend(Problem(f.index, f.raw_code, reason, kind) for kind, reason in f.reasons)
    clean = [f for f in feats if not f.reasons and f.geometry is not None and f.code is not None]
    records: list[GridRecord] = []
    if clean:
        geoms = np.asarray([f.geometry for f in clean], dtype=object)
        areas = areas_km2(geoms)
        cents = shapely.get_coordinates(shapely.centroid(geoms))
        bounds = shapely.bounds(geoms)
        for f, area, c, b in zip(clean, areas.tolist(), cents.tolist(), bounds.tolist()):
            assert f.code is not None and f.geometry is not None and f.geojson is not None
            records.append(
                GridRecord(
                    index=f.index,
                    code=f.code.code,
                    name=f.name or "",
                    town=f.town,
                    village=f.village,
                    households=f.households,
                    geometry=f.geometry,
                    geojson=f.geojson,
                    area_km2=area,
                    centroid=(c[0], c[1]),
                    bbox=(b[0], b[1], b[2], b[3]),
                    legacy_code=f.code.legacy,
                    properties=f.properties,
                )
            )
    return GridValidation(tuple(records), tuple(problems), len(feats))

