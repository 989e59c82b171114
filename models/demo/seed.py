"""`griddesk demo seed`: write the demo district into a database.

Geography, grid teams, users (one per role), auto-dispatch rules, a year of
cases run through the real engine, patrols with GPS tracks, quarterly worker
metrics and cameras. Deterministic for a seed (times are relative to `now`).
Large volumes are written in batches with Core inserts so memory stays flat.
The cameras play generated demo clips (models/demo/footage.py) when ffmpeg is
available, else they keep a placeholder stream that no server answers.
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
import logging
import random
import time
from dataclasses import dataclass
from typing import Callable, Iterator

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from models.calendar_store import load_calendar
from models.defaults.dictionary import DEMO_WEIGHTS
from models.demo.patrols import seed_patrols, seed_worker_metrics
from models.demo.people import grid_team
from models.demo.simulate import CaseSeed, Simulator
from models.enums import Level, StaffRole, UserRole
from models.geo.demo_geography import generate_district, random_point_in
from models.lifecycle.limits import ClassRule
from models.policy_store import load_policy
from models.schema import (AuditLog, Camera, Case, DictionaryVersion, DispatchRule, District, FlowLog, Grid,
                           MinorClass, Staff, Town, User, Village)
from models.setup import insert_calendar

DEMO_PASSWORD = "griddesk"  # documented in the README; demo databases only
DEMO_USERS = [
    ("duty", "值班员(演示)", UserRole.DUTY_OFFICER),
    ("leader", "值班长(演示)", UserRole.SHIFT_LEADER),
    ("dispatch", "派遣员(演示)", UserRole.DISPATCHER),
    ("town", "路桥街道镇街专员(演示)", UserRole.TOWN_OFFICER),
    ("finance", "财务(演示)", UserRole.FINANCE),
    ("admin", "系统管理员(演示)", UserRole.ADMIN),
    ("grid", "网格员(演示)", UserRole.GRID_WORKER),
    ("dept", "综合行政执法局(演示)", UserRole.DEPARTMENT),
]
CASES_PER_YEAR = {"luqiao": 48_000, "city": 2_500_000}
BATCH = 5_000
log = logging.getLogger(__name__)


class DemoSeedError(Exception):
    pass


@dataclass
class SeedReport:
    scale: str
    grids: int
    staff: int
    cases: int
    flow_rows: int
    patrols: int
    track_points: int
    seconds: float

    def __str__(self) -> str:
        rate = self.cases / self.seconds if self.seconds else 0
        return (f"演示区已生成 / demo district seeded ({self.scale}): {self.grids:,} grids, {self.staff:,} staff, "
                f"{self.cases:,} cases, {self.flow_rows:,} flow rows, {self.patrols:,} patrols, "
                f"{self.track_points:,} track points in {self.seconds:.1f} s ({rate:,.0f} cases/s)")


def seed_demo(engine: Engine, *, scale: str = "luqiao", seed: int = 2026, year: int | None = None,
              cases: int | None = None, now: dt.datetime | None = None, patrol_days: int | None = None,
              progress: Callable[[str], None] = lambda m: None) -> SeedReport:
    """Seed the demo district into an initialised database with no district yet."""
    t0 = time.perf_counter()
    if now is None:
        now = (dt.datetime(year, 12, 31, 18, 0) if year else dt.datetime.now()).replace(second=0, microsecond=0)
    start = now - dt.timedelta(days=365)
    with Session(engine, info={"actor": "demo-seed"}) as s:
        if s.scalar(sa.select(sa.func.count()).select_from(District)):
            raise DemoSeedError("数据库中已有行政区, 不能再生成演示区 / the database already has a district")
        insert_calendar(s, tuple(range(start.year, now.year + 2)))
        s.commit()
    rng = random.Random(f"griddesk-demo:{scale}:{seed}")
    progress(f"生成地理数据 / generating geography ({scale}) …")
    geo = generate_district(seed, scale)  # type: ignore[arg-type]
    footage = _demo_footage(progress)  # before the transaction: ffmpeg takes seconds
    with engine.begin() as conn:
        ids = _write_geography(conn, geo, now.date())
        staff_count = _write_staff(conn, geo, ids, now.date(), rng)
        _write_users(conn, ids)
        _write_dispatch_rules(conn)
        _write_cameras(conn, geo, ids, rng, footage)
    with Session(engine) as s:
        policy = load_policy(s)
        calendar = load_calendar(s, policy)
        rules, names = _class_rules(s)
    total = cases if cases is not None else CASES_PER_YEAR[scale]
    progress(f"模拟 {total:,} 件案件 / simulating {total:,} cases …")
    n_cases, n_flow = _write_cases(engine, geo, ids, rules, names, calendar, policy, start, now, total, rng, progress)
    progress("巡查轨迹与季度指标 / patrols and quarterly metrics …")
    with engine.begin() as conn:
        n_patrols, n_points = seed_patrols(conn, now, rng, track_days=14 if scale == "luqiao" else 2,
                                           summary_days=patrol_days or (365 if scale == "luqiao" else 14))
        seed_worker_metrics(conn, now, rng)
        conn.execute(sa.insert(AuditLog), [dict(
            at=now, actor="demo-seed", action="insert", entity="demo", entity_id=str(seed),
            changes=json.dumps({"scale": scale, "cases": n_cases, "note": "演示数据批量生成"}, ensure_ascii=False))])
        _fix_sequences(conn)
    from models.kpi.rollup import rebuild_rollups

    progress("指标汇总 / building indicator rollups …")
    rebuild_rollups(engine)
    return SeedReport(scale, len(geo.grids), staff_count, n_cases, n_flow, n_patrols, n_points,
                      time.perf_counter() - t0)


# --- geography and people -----------------------------------------------------


@dataclass
class _Ids:
    district: int
    towns: dict[str, int]
    villages: dict[str, int]
    grids: dict[str, int]


def _gj(geom) -> str:
    from models.geo.demo_geography import geojson_geometry

    return json.dumps(geojson_geometry(geom), separators=(",", ":"))


def _write_geography(conn: Connection, geo, today: dt.date) -> _Ids:
    district = conn.execute(sa.insert(District).returning(District.id), [dict(
        code=geo.code, name=geo.name, boundary=_gj(geo.polygon), is_demo=True)]).scalar_one()
    towns = {}
    for t in geo.towns:
        towns[t.code] = conn.execute(sa.insert(Town).returning(Town.id), [dict(
            district_id=district, code=t.code, name=t.name, boundary=_gj(t.polygon))]).scalar_one()
    conn.execute(sa.insert(Village), [dict(town_id=towns[v.town_code], code=v.code, name=v.name,
                                           urban=v.kind != "rural", boundary=_gj(v.polygon)) for v in geo.villages])
    villages = dict(conn.execute(sa.select(Village.code, Village.id)).all())
    valid_from = dt.date(today.year - 3, 1, 1)
    rows = []
    for g in geo.grids:
        rows.append(dict(code=g.code, name=g.name, town_id=towns[g.town_code], village_id=villages[g.village_code],
                         kind=g.kind, households=g.households, population=g.population,
                         area_km2=round(g.area_km2, 4),
                         geometry=json.dumps(g.geojson, separators=(",", ":")), centroid_lon=g.centroid[0],
                         centroid_lat=g.centroid[1], min_lon=g.bbox[0], min_lat=g.bbox[1], max_lon=g.bbox[2],
                         max_lat=g.bbox[3], valid_from=valid_from))
    for i in range(0, len(rows), BATCH):
        conn.execute(sa.insert(Grid), rows[i:i + BATCH])
    grids = dict(conn.execute(sa.select(Grid.code, Grid.id)).all())
    return _Ids(district, towns, villages, grids)


def _write_staff(conn: Connection, geo, ids: _Ids, today: dt.date, rng: random.Random) -> int:
    from models.assessment.stars import add_months

    rows = []
    count = 0
    for serial, g in enumerate(geo.grids, start=1):
        for p in grid_team(g.code, g.town_code, serial, today, rng):
            rows.append(dict(staff_no=p.staff_no, name=p.name, role=p.role, grid_code=p.grid_code,
                             town_id=ids.towns[p.town_code], hire_date=p.hire_date,
                             probation_end=add_months(p.hire_date, 3), phone=p.phone))
        if len(rows) >= BATCH:
            conn.execute(sa.insert(Staff), rows)
            count += len(rows)
            rows = []
    if rows:
        conn.execute(sa.insert(Staff), rows)
        count += len(rows)
    return count


def _write_users(conn: Connection, ids: _Ids) -> None:
    from models.auth import hash_password

    town = ids.towns[min(ids.towns)]  # the first town (路桥街道)
    dept = conn.execute(sa.text("SELECT id FROM department WHERE code = 'D01'")).scalar_one()
    pw = hash_password(DEMO_PASSWORD)
    conn.execute(sa.insert(User), [dict(
        username=u, display_name=name, role=role, password_hash=pw, failed_logins=0, active=True,
        town_id=town if role is UserRole.TOWN_OFFICER else None,
        department_id=dept if role is UserRole.DEPARTMENT else None) for u, name, role in DEMO_USERS])


def _write_dispatch_rules(conn: Connection) -> None:
    """District-wide rules for the frequent street-order classes (Dongcheng: > 70 % automatic)."""
    rows = conn.execute(sa.select(MinorClass.code, MinorClass.department_id)
                        .join(DictionaryVersion, MinorClass.version_id == DictionaryVersion.id)
                        .where(DictionaryVersion.active.is_(True))).all()
    auto = {"1102": Level.VILLAGE, "1103": Level.VILLAGE, "1201": Level.GRID, "1502": Level.GRID,
            "1503": Level.GRID, "1501": Level.VILLAGE, "2103": Level.GRID, "2102": Level.GRID, "2101": Level.GRID,
            "0302": Level.VILLAGE, "1105": Level.VILLAGE, "1104": Level.VILLAGE, "2201": Level.VILLAGE,
            "2401": Level.VILLAGE, "2301": Level.VILLAGE, "0104": Level.VILLAGE}
    conn.execute(sa.insert(DispatchRule), [dict(minor_class_code=code, department_id=dept, level=auto[code],
                                                priority=100, active=True, note="演示规则")
                                           for code, dept in rows if code in auto])


def _demo_footage(progress: Callable[[str], None]) -> list:
    """The demo clips (made now if needed), or [] with a warning when ffmpeg is unavailable."""
    from models.demo.footage import FootageUnavailable, ensure_footage

    progress("演示监控画面 / demo camera footage …")
    try:
        report = ensure_footage()
    except Exception as exc:  # noqa: BLE001 - the district is seeded even when no clip can be made
        log.warning("demo cameras get no footage (%s); they will show 视频流连接失败. "
                    "Install imageio-ffmpeg and run `griddesk demo cameras`.", exc,
                    exc_info=not isinstance(exc, (FootageUnavailable, OSError)))
        progress(f"  演示监控画面未生成 / no demo footage: {exc}")
        return []
    progress(f"  {report}")
    return report.paths


def _write_cameras(conn: Connection, geo, ids: _Ids, rng: random.Random, footage: list) -> None:
    """Demo cameras play the clips in turn (kind "file"); without clips, a placeholder RTSP URL."""
    from models.demo.footage import DEMO_CAMERA_SUFFIX, PLACEHOLDER_PREFIX, footage_for

    rows = []
    for i, g in enumerate(geo.grids):
        if g.kind.value != "residential" or rng.random() < 0.5:
            lon, lat = random_point_in(g.polygon, rng)
            url, kind = ((footage_for(len(rows), footage), "file") if footage
                         else (f"{PLACEHOLDER_PREFIX}{g.code}", "rtsp"))
            rows.append(dict(name=f"{g.name}监控点{i + 1:05d}{DEMO_CAMERA_SUFFIX}", lon=lon, lat=lat, grid_code=g.code,
                             town_id=ids.towns[g.town_code], stream_url=url, kind=kind))
    for i in range(0, len(rows), BATCH):
        conn.execute(sa.insert(Camera), rows[i:i + BATCH])


def _class_rules(s: Session) -> tuple[dict[str, ClassRule], dict[str, str]]:
    rows = s.scalars(sa.select(MinorClass).join(DictionaryVersion, MinorClass.version_id == DictionaryVersion.id)
                     .where(DictionaryVersion.active.is_(True))).all()
    rules = {m.code: ClassRule(m.id, m.code, m.time_limit, m.time_unit, m.department_id, m.level) for m in rows}
    return rules, {m.code: m.name for m in rows}


# --- cases ---------------------------------------------------------------------


def _arrivals(start: dt.datetime, now: dt.datetime, total: int, rng: random.Random) -> Iterator[dt.datetime]:
    """`total` report times in [start, now), in order: weekdays busier, days peaking 8–18 h."""
    days = (now - start).days
    hour_w = [1, 0.5, 0.3, 0.3, 0.4, 1, 3, 7, 10, 11, 10, 8, 5, 7, 9, 10, 9, 8, 5, 3, 2, 2, 1.5, 1]
    day_w = [(0.65 if (start + dt.timedelta(days=d)).weekday() >= 5 else 1.0) * (0.85 + 0.3 * d / days)
             for d in range(days + 1)]
    cum_d = _cumulative(day_w)
    cum_h = _cumulative(hour_w)
    remaining = total
    for d in range(days + 1):
        share = day_w[d] / cum_d[-1]
        n = min(remaining, round(total * share) if d < days else remaining)
        remaining -= n
        moments = sorted(start.replace(hour=0, minute=0) + dt.timedelta(days=d, hours=bisect.bisect(cum_h, rng.random() * cum_h[-1]),
                                                                         minutes=rng.randrange(60))
                         for _ in range(n))
        for t in moments:
            if start <= t < now:
                yield t


def _cumulative(weights: list[float]) -> list[float]:
    out, acc = [], 0.0
    for w in weights:
        acc += w
        out.append(acc)
    return out


def _write_cases(engine, geo, ids: _Ids, rules, names, calendar, policy, start, now, total, rng, progress):
    classes = [c for c in DEMO_WEIGHTS if c in rules]
    cum_c = _cumulative([DEMO_WEIGHTS[c] for c in classes])
    grids = geo.grids
    cum_g = _cumulative([g.households for g in grids])
    with engine.connect() as conn:
        auto = {code: (dept, Level(level)) for code, dept, level in conn.execute(
            sa.select(DispatchRule.minor_class_code, DispatchRule.department_id, DispatchRule.level)
            .where(DispatchRule.town_id.is_(None), DispatchRule.grid_code.is_(None)))}
        next_id = (conn.scalar(sa.select(sa.func.max(Case.id))) or 0) + 1
    sim = Simulator(calendar, policy, now, rng)
    serial: dict[dt.date, int] = {}
    case_rows: list[dict] = []
    flow_rows: list[dict] = []
    n_cases = n_flow = 0
    last_report = time.perf_counter()

    def flush() -> None:
        nonlocal n_cases, n_flow, case_rows, flow_rows
        with engine.begin() as conn:
            conn.execute(sa.insert(Case), case_rows)
            conn.execute(sa.insert(FlowLog), flow_rows)
        n_cases += len(case_rows)
        n_flow += len(flow_rows)
        case_rows, flow_rows = [], []

    for t in _arrivals(start, now, total, rng):
        code = classes[bisect.bisect(cum_c, rng.random() * cum_c[-1])]
        g = grids[min(bisect.bisect(cum_g, rng.random() * cum_g[-1]), len(grids) - 1)]
        lon, lat = random_point_in(g.polygon, rng)
        day = t.date()
        serial[day] = serial.get(day, 0) + 1
        seed = CaseSeed(next_id, f"AJ{day:%Y%m%d}{serial[day]:05d}", t, rules[code], names[code], lon, lat,
                        ids.grids[g.code], ids.villages[g.village_code], ids.towns[g.town_code], g.name,
                        auto.get(code))
        row, flow = sim.run(seed)
        case_rows.append(row)
        flow_rows.extend(flow)
        next_id += 1
        if len(case_rows) >= BATCH:
            flush()
            if time.perf_counter() - last_report > 2:
                progress(f"  {n_cases:,} / {total:,}")
                last_report = time.perf_counter()
    if case_rows:
        flush()
    return n_cases, n_flow


def _fix_sequences(conn: Connection) -> None:
    """Explicit ids were inserted: move PostgreSQL's sequences past them."""
    if conn.dialect.name != "postgresql":
        return
    for table in ("case_", "flow_log"):
        conn.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                             f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"))


__all__ = ["seed_demo", "DemoSeedError", "DEMO_USERS", "DEMO_PASSWORD", "StaffRole"]
