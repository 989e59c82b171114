"""The demo district's map: a seeded, Luqiao-like district cut into towns, villages, grids.

Modelled on 台州路桥区 (admin code 331004, ≈ 275 km², 10 towns/streets, 615–622
grids; DOMAIN §1–§2). `scale="city"` makes a much bigger area with ≈ 25,000 grids
(Guangzhou-sized) for benchmarks. Everything is deterministic for a seed.

How the map is cut: an irregular star-shaped district outline (an ellipse with
random harmonics, scaled to the target area) is split by a Voronoi diagram of ten
hand-placed town seeds; each town by a Voronoi diagram of random, Lloyd-relaxed
village seeds; each village likewise into its grids. Every level is clipped to
its parent, so grids tile villages, villages tile towns and towns tile the
district without gaps or overlaps (up to floating-point noise far below 1 m²).
The work is done in local metres and mapped to lon/lat by one affine map, which
keeps shared vertices shared.

Plain frozen dataclasses come out; nothing here touches a database.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from models.enums import GridKind
from models.geo.locate import METRES_PER_DEGREE, areas_km2

__all__ = [
    "DISTRICT_CODE",
    "SCALES",
    "District",
    "GridShape",
    "ScaleSpec",
    "Town",
    "Village",
    "feature_collection",
    "generate_district",
    "geojson_geometry",
    "random_point_in",
]

DISTRICT_CODE = "331004"
CENTRE = (121.37, 28.58)  # lon, lat of the district centre

Scale = Literal["luqiao", "city"]


@dataclass(frozen=True, slots=True)
class ScaleSpec:
    """Size of a generated district."""

    area_km2: float
    grids: tuple[int, int]  # inclusive range the seeded grid count is drawn from
    grids_per_village: float
    lloyd: int  # Lloyd relaxation rounds for villages and grids
    name: str


SCALES: dict[str, ScaleSpec] = {
    # Luqiao: 274 km², 10 towns/streets, 615–622 grids (DOMAIN §1).
    "luqiao": ScaleSpec(275.0, (615, 622), 2.2, 2, "路桥区（演示）"),
    # Guangzhou plan: ~25,000 grids over ~7,400 km².
    "city": ScaleSpec(7400.0, (24_900, 25_100), 4.0, 1, "路桥区（演示·城市规模）"),
}

# code, name, is a street (街道, urban), seed position in units of the semi-axes,
# grid density weight (grids per km² relative to a rural town)
_TOWNS = (
    ("001", "路桥街道", True, (0.02, 0.05), 4.0),
    ("002", "路南街道", True, (0.06, -0.30), 3.0),
    ("003", "路北街道", True, (0.00, 0.38), 3.0),
    ("004", "螺洋街道", True, (-0.35, 0.50), 1.8),
    ("005", "桐屿街道", True, (-0.56, 0.10), 1.8),
    ("006", "峰江街道", True, (-0.35, -0.40), 1.6),
    ("007", "新桥镇", False, (-0.70, -0.52), 1.0),
    ("008", "横街镇", False, (-0.05, -0.72), 1.0),
    ("009", "金清镇", False, (0.45, -0.35), 1.0),
    ("010", "蓬街镇", False, (0.63, 0.33), 0.9),
)
_INDUSTRIAL_TOWNS = frozenset({"005", "006", "007", "008", "009"})

_FIRST = "东西南北新前后上下大小金石河山洋桥塘岙湾浦林杨王陈方蔡卢郑黄李张周吴徐朱胡梁池泉溪横竹松柏梅桃花云凤龙马鹿白青蒋洪应"
_SECOND = "家头岸桥塘洋山湾浦里墩园庄屿岭田垟坦门店埠港宅岗沙洲汇坑阳亭堰"
_MIDDLE = "家王陈新下上"
_FACILITIES = ("农贸市场", "中学", "小学", "医院", "公园", "商贸城", "汽车站", "工业园区")


@dataclass(frozen=True, slots=True)
class Town:
    """A town (镇) or street (街道); `code` is 9 digits (district + 3)."""

    code: str
    name: str
    polygon: BaseGeometry = field(compare=False)
    is_street: bool = True
    area_km2: float = 0.0


@dataclass(frozen=True, slots=True)
class Village:
    """A village (村) or community (社区); `code` is 12 digits. `kind` is 'urban' or 'rural'."""

    code: str
    name: str
    town_code: str
    kind: str
    polygon: BaseGeometry = field(compare=False)
    is_community: bool = False
    area_km2: float = 0.0


@dataclass(frozen=True, slots=True)
class GridShape:
    """One grid: 15-digit code, hierarchy codes, kind, households, geometry."""

    code: str
    name: str
    town_code: str  # 9 digits
    village_code: str  # 12 digits
    kind: GridKind
    households: int
    population: int
    polygon: BaseGeometry = field(compare=False)
    geojson: dict[str, Any] = field(compare=False, hash=False, repr=False)
    centroid: tuple[float, float]
    bbox: tuple[float, float, float, float]
    area_km2: float


@dataclass(frozen=True, slots=True)
class District:
    """The whole generated district. Demo data: the name says 演示."""

    code: str
    name: str
    scale: str
    seed: int
    polygon: BaseGeometry = field(compare=False)
    area_km2: float
    towns: tuple[Town, ...]
    villages: tuple[Village, ...]
    grids: tuple[GridShape, ...]

    def town(self, code: str) -> Town:
        return next(t for t in self.towns if t.code == code)

    def village(self, code: str) -> Village:
        return next(v for v in self.villages if v.code == code)


# ---------------------------------------------------------------------------
# geometry helpers (all in local metres until the end)


def _sample_points(poly: BaseGeometry, k: int, rng: np.random.Generator) -> np.ndarray:
    """k uniform random points strictly inside `poly`."""
    minx, miny, maxx, maxy = poly.bounds
    shapely.prepare(poly)
    out: list[np.ndarray] = []
    have = 0
    while have < k:
        xy = rng.uniform((minx, miny), (maxx, maxy), size=(max(16, 3 * k), 2))
        xy = xy[shapely.contains_xy(poly, xy[:, 0], xy[:, 1])]
        out.append(xy)
        have += len(xy)
    return np.concatenate(out)[:k]


def _polygon_parts(geom: BaseGeometry) -> list[Polygon]:
    parts = shapely.get_parts(geom) if not isinstance(geom, Polygon) else [geom]
    polys: list[Polygon] = []
    for p in parts:
        if isinstance(p, Polygon):
            if not p.is_empty and p.area > 0:
                polys.append(p)
        elif isinstance(p, (MultiPolygon, shapely.GeometryCollection)):
            polys.extend(_polygon_parts(p))
    return polys


def _single(geom: BaseGeometry) -> BaseGeometry:
    """A one-part MultiPolygon as a Polygon; anything else unchanged."""
    parts = _polygon_parts(geom)
    return parts[0] if len(parts) == 1 else MultiPolygon(parts) if parts else geom


def _resolve_fragments(cells: list[BaseGeometry]) -> list[BaseGeometry]:
    """Give every stray piece of a clipped Voronoi cell to the neighbour it shares
    the longest border with, so each cell is one polygon where possible.

    Clipping a convex cell by a concave parent can cut it in two; the smaller piece
    would make an odd two-part grid. Coverage is unchanged: pieces only move.
    """
    mains: list[BaseGeometry] = []
    strays: list[tuple[int, Polygon]] = []
    for i, cell in enumerate(cells):
        parts = _polygon_parts(cell)
        parts.sort(key=lambda p: -p.area)
        mains.append(parts[0])
        strays.extend((i, p) for p in parts[1:])
    if not strays:
        return mains
    tree = shapely.STRtree(mains)
    merged: dict[int, list[Polygon]] = {}
    for owner, piece in strays:
        tol = max(1e-6, math.sqrt(piece.area) * 1e-6)
        cand = [int(j) for j in tree.query(piece, predicate="dwithin", distance=tol) if j != owner]
        if not cand:
            cand = [owner]
        border = piece.boundary
        shared = [shapely.length(shapely.intersection(border, mains[j].buffer(tol))) for j in cand]
        merged.setdefault(cand[int(np.argmax(shared))], []).append(piece)
    out = list(mains)
    for j, pieces in merged.items():
        out[j] = _single(shapely.union_all([mains[j], *pieces]))
    return out


def _tile(
    parent: BaseGeometry, k: int, rng: np.random.Generator, lloyd: int, seeds: np.ndarray | None = None
) -> tuple[list[BaseGeometry], np.ndarray]:
    """Cut `parent` into k cells (Voronoi of seeds, clipped); returns cells and seeds.

    Seeds are sampled inside `parent` unless given, then moved to their cells'
    centroids `lloyd` times for evenly sized cells.
    """
    if k <= 1:
        return [parent], np.asarray(shapely.get_coordinates(parent.representative_point()))
    if seeds is None:
        seeds = _sample_points(parent, k, rng)
    rounds = 0
    while True:
        diagram = shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=parent, ordered=True)
        cells = shapely.get_parts(diagram)
        if len(cells) != k:  # coincident seeds (practically never): draw again
            seeds = _sample_points(parent, k, rng)
            continue
        clipped = shapely.intersection(cells, parent)
        if rounds == lloyd:
            break
        rounds += 1
        centres = shapely.centroid(clipped)
        outside = ~shapely.contains(parent, centres)
        if outside.any():
            centres[outside] = shapely.point_on_surface(clipped[outside])
        seeds = shapely.get_coordinates(centres)
    return _resolve_fragments(list(clipped)), seeds


def _outline(rng: random.Random, area_m2: float) -> Polygon:
    """An irregular, star-shaped district outline centred on (0, 0), in metres."""
    n = 120
    theta = np.linspace(0.0, 2 * math.pi, n, endpoint=False)
    aspect = 1.45  # Luqiao is wider east–west than north–south
    # ellipse radius with semi-axes (aspect, 1)
    base = aspect / np.sqrt((np.cos(theta)) ** 2 + (aspect * np.sin(theta)) ** 2)
    wobble = np.ones(n)
    for k in range(2, 8):
        wobble += rng.uniform(0.03, 0.09) / (k / 2) * np.cos(k * theta + rng.uniform(0, 2 * math.pi))
    jitter = np.array([rng.uniform(-0.02, 0.02) for _ in range(n)])
    r = base * (wobble + jitter)
    xy = np.column_stack([r * np.cos(theta), r * np.sin(theta)])
    poly = Polygon(xy)
    scale = math.sqrt(area_m2 / poly.area)
    return Polygon(xy * scale)


def _to_lonlat(geoms: list[BaseGeometry]) -> np.ndarray:
    """Local metres → lon/lat around CENTRE (one affine map for everything)."""
    lon0, lat0 = CENTRE
    kx = METRES_PER_DEGREE * math.cos(math.radians(lat0))
    ky = METRES_PER_DEGREE

    def f(xy: np.ndarray) -> np.ndarray:
        out = np.empty_like(xy)
        out[:, 0] = lon0 + xy[:, 0] / kx
        out[:, 1] = lat0 + xy[:, 1] / ky
        return out

    return shapely.transform(np.asarray(geoms, dtype=object), f)


def geojson_geometry(geom: BaseGeometry) -> dict[str, Any]:
    """A GeoJSON geometry dict (lists, full precision) of a Polygon or MultiPolygon."""

    def rings(p: Polygon) -> list[list[list[float]]]:
        return [shapely.get_coordinates(p.exterior).tolist()] + [
            shapely.get_coordinates(r).tolist() for r in p.interiors
        ]

    if isinstance(geom, Polygon):
        return {"type": "Polygon", "coordinates": rings(geom)}
    if isinstance(geom, MultiPolygon):
        return {"type": "MultiPolygon", "coordinates": [rings(p) for p in geom.geoms]}
    raise TypeError(f"not a polygon: {geom.geom_type}")


def random_point_in(polygon: BaseGeometry, rng: random.Random) -> tuple[float, float]:
    """A uniformly random (lon, lat) strictly inside `polygon` (for placing cases)."""
    minx, miny, maxx, maxy = polygon.bounds
    for _ in range(1000):
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if shapely.contains_xy(polygon, x, y):
            return x, y
    p = polygon.representative_point()  # a sliver: give up on uniformity
    return p.x, p.y


# ---------------------------------------------------------------------------
# names and numbers


def _village_names(n: int, rng: random.Random) -> list[str]:
    """n distinct village stems (two characters, three when two run out)."""
    stems = [a + b for a in _FIRST for b in _SECOND if a != b]
    rng.shuffle(stems)
    if n > len(stems):
        extra = [a + m + b for a in _FIRST for m in _MIDDLE for b in _SECOND if len({a, m, b}) == 3]
        rng.shuffle(extra)
        stems += extra
    return stems[:n]


def _apportion(total: int, weights: np.ndarray, minimum: int = 0) -> list[int]:
    """Split `total` into integers proportional to `weights` (largest remainder)."""
    n = len(weights)
    rest = total - minimum * n
    share = weights / weights.sum() * rest
    base = np.floor(share).astype(int)
    short = rest - int(base.sum())
    for i in np.argsort(-(share - base), kind="stable")[:short]:
        base[i] += 1
    return [int(b) + minimum for b in base]


def _grid_kind(village: Village, town_code: str, k: int, rng: random.Random) -> GridKind:
    if k > 1 and rng.random() < 0.035:
        return GridKind.SPECIAL
    t = town_code[-3:]
    if k > 1 and t in _INDUSTRIAL_TOWNS and rng.random() < 0.12:
        return GridKind.INDUSTRIAL
    if village.kind == "urban" and rng.random() < (0.16 if village.is_community else 0.07):
        return GridKind.COMMERCIAL
    return GridKind.RESIDENTIAL


def _households(village: Village, kind: GridKind, rng: random.Random) -> int:
    # DOMAIN §1: rural ~500 households a grid, urban community ~300, urban village ~400.
    if village.kind == "rural":
        base = 500
    else:
        base = 300 if village.is_community else 400
    if kind is GridKind.SPECIAL:
        return rng.randint(0, 80)
    if kind is GridKind.INDUSTRIAL:
        return rng.randint(60, 220)
    if kind is GridKind.COMMERCIAL:
        return round(base * rng.uniform(0.5, 0.85))
    return round(base * rng.uniform(0.8, 1.2))


# ---------------------------------------------------------------------------


def generate_district(seed: int = 2017, scale: Scale = "luqiao") -> District:
    """Generate the demo district's map. Same seed and scale → the same district."""
    spec = SCALES[scale]
    rng = random.Random(f"griddesk-geo:{scale}:{seed}")
    nprng = np.random.default_rng(rng.getrandbits(64))

    outline = _outline(rng, spec.area_km2 * 1e6)
    minx, miny, maxx, maxy = outline.bounds
    half_w, half_h = (maxx - minx) / 2, (maxy - miny) / 2

    # towns: hand-placed seeds (jittered) so the layout resembles Luqiao's
    town_seeds = np.array(
        [
            (
                (u + rng.uniform(-0.04, 0.04)) * half_w,
                (v + rng.uniform(-0.04, 0.04)) * half_h,
            )
            for _, _, _, (u, v), _ in _TOWNS
        ]
    )
    shapely.prepare(outline)
    for i, (x, y) in enumerate(town_seeds):  # pull any seed outside the outline inwards
        while not shapely.contains_xy(outline, x, y):
            x, y = x * 0.9, y * 0.9
        town_seeds[i] = (x, y)
    town_cells, _ = _tile(outline, len(_TOWNS), nprng, 0, seeds=town_seeds)

    n_grids = rng.randint(*spec.grids)
    town_area = np.array([c.area for c in town_cells])
    weights = town_area * np.array([t[4] for t in _TOWNS])
    grids_per_town = _apportion(n_grids, weights, minimum=1)

    town_polys_m: list[BaseGeometry] = []
    village_polys_m: list[BaseGeometry] = []
    grid_polys_m: list[BaseGeometry] = []
    town_rows: list[tuple[str, str, bool]] = []
    village_rows: list[tuple[str, str, str, str, bool]] = []
    grid_rows: list[tuple[str, str, str, str, GridKind, int, int]] = []

    for (tnum, tname, street, _, _), tpoly, tseed, g_total in zip(
        _TOWNS, town_cells, town_seeds, grids_per_town
    ):
        town_code = DISTRICT_CODE + tnum
        town_polys_m.append(tpoly)
        town_rows.append((town_code, tname, street))

        n_vill = round(g_total / spec.grids_per_village * rng.uniform(0.9, 1.1))
        n_vill = max(1, min(999, g_total, n_vill))
        vcells, vseeds = _tile(tpoly, n_vill, nprng, spec.lloyd)
        # communities at the core, villages at the fringe; codes numbered core outwards
        dist = np.hypot(vseeds[:, 0] - tseed[0], vseeds[:, 1] - tseed[1])
        order = np.argsort(dist, kind="stable")
        n_comm = round(n_vill * 0.45) if street else max(1, round(n_vill * 0.08))
        stems = _village_names(n_vill, rng)
        vweights = np.array([vcells[i].area for i in order]) * np.array(
            [rng.lognormvariate(0, 0.35) for _ in order]
        )
        grids_per_village = _apportion(g_total, vweights, minimum=1)

        for rank, (vi, k) in enumerate(zip(order, grids_per_village)):
            vpoly = vcells[vi]
            community = rank < n_comm
            vcode = f"{town_code}{rank + 1:03d}"
            vname = stems[rank] + ("社区" if community else "村")
            vkind = "urban" if street or community else "rural"
            village = Village(vcode, vname, town_code, vkind, vpoly, community)
            village_polys_m.append(vpoly)
            village_rows.append((vcode, vname, town_code, village.kind, community))

            gcells, _ = _tile(vpoly, k, nprng, spec.lloyd)
            # serials run north to south, west to east
            cents = shapely.get_coordinates(shapely.centroid(np.asarray(gcells, dtype=object)))
            gorder = np.lexsort((cents[:, 0], -cents[:, 1]))
            used_facilities: set[str] = set()
            for serial, gi in enumerate(gorder, start=1):
                kind = _grid_kind(village, town_code, k, rng)
                code = f"{vcode}{serial:03d}"  # 331004 + town + village + serial
                if kind is GridKind.SPECIAL:
                    facility = rng.choice([f for f in _FACILITIES if f not in used_facilities] or _FACILITIES)
                    used_facilities.add(facility)
                    name = f"{vname}{facility}专属网格"
                else:
                    name = f"{vname}第{serial}网格"
                hh = _households(village, kind, rng)
                pop = round(hh * rng.uniform(2.5, 2.9))  # ~2.7 people a household
                if kind is GridKind.SPECIAL:  # pupils, patients, traders counted where they are
                    pop += rng.randint(50, 800)
                grid_polys_m.append(gcells[gi])
                grid_rows.append((code, name, town_code, vcode, kind, hh, pop))

    # one affine map to lon/lat for every level
    district_ll = _to_lonlat([outline])[0]
    towns_ll = _to_lonlat(town_polys_m)
    villages_ll = _to_lonlat(village_polys_m)
    grids_ll = _to_lonlat(grid_polys_m)
    town_areas = areas_km2(towns_ll)
    village_areas = areas_km2(villages_ll)
    grid_areas = areas_km2(grids_ll)
    grid_cents = shapely.get_coordinates(shapely.centroid(grids_ll))
    grid_bounds = shapely.bounds(grids_ll)

    towns = tuple(
        Town(code, name, poly, street, float(a))
        for (code, name, street), poly, a in zip(town_rows, towns_ll, town_areas)
    )
    villages = tuple(
        Village(code, name, tcode, kind, poly, comm, float(a))
        for (code, name, tcode, kind, comm), poly, a in zip(village_rows, villages_ll, village_areas)
    )
    grids = tuple(
        GridShape(
            code=code,
            name=name,
            town_code=tcode,
            village_code=vcode,
            kind=kind,
            households=hh,
            population=pop,
            polygon=poly,
            geojson=geojson_geometry(poly),
            centroid=(float(c[0]), float(c[1])),
            bbox=(float(b[0]), float(b[1]), float(b[2]), float(b[3])),
            area_km2=float(a),
        )
        for (code, name, tcode, vcode, kind, hh, pop), poly, a, c, b in zip(
            grid_rows, grids_ll, grid_areas, grid_cents, grid_bounds
        )
    )
    return District(
        code=DISTRICT_CODE,
        name=spec.name,
        scale=scale,
        seed=seed,
        polygon=district_ll,
        area_km2=float(areas_km2([district_ll])[0]),
        towns=towns,
        villages=villages,
        grids=grids,
    )


def feature_collection(district: District, grids: tuple[GridShape, ...] | None = None) -> dict[str, Any]:
    """The district's grids as a GeoJSON FeatureCollection in the importer's format."""
    towns = {t.code: t.name for t in district.towns}
    villages = {v.code: v.name for v in district.villages}
    return {
        "type": "FeatureCollection",
        "name": district.name,
        "features": [
            {
                "type": "Feature",
                "properties": {
                    "code": g.code,
                    "name": g.name,
                    "town": towns[g.town_code],
                    "village": villages[g.village_code],
                    "households": g.households,
                    "population": g.population,
                    "kind": g.kind.value,
                },
                "geometry": g.geojson,
            }
            for g in (district.grids if grids is None else grids)
        ],
    }
