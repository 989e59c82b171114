"""Demo patrols (巡查) with GPS tracks, and quarterly worker metrics.

Full-time workers patrol their grid: most meet the duty rule (≥ 5 field days a
week, ≥ 2 patrols a day, each ≥ 2 h), some fall short. Patrol summaries cover
the demo year; GPS track points (every 10 minutes, a walk inside the grid) are
kept for the most recent `track_days` days.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
from decimal import Decimal

import shapely
import sqlalchemy as sa
from shapely.geometry import shape
from sqlalchemy.engine import Connection

from models.enums import StaffRole
from models.geo.demo_geography import random_point_in
from models.schema import Grid, Patrol, Staff, TrackPoint, WorkerMetrics

BATCH = 20_000
STEP_M = 80.0


def _walk(poly, start: tuple[float, float], n: int, rng: random.Random) -> list[tuple[float, float]]:
    pts = [start]
    lon, lat = start
    k = 1 / (111_320 * math.cos(math.radians(lat)))
    for _ in range(n - 1):
        for _try in range(8):
            a = rng.uniform(0, 2 * math.pi)
            nlon, nlat = lon + STEP_M * math.cos(a) * k, lat + STEP_M * math.sin(a) / 110_540
            if shapely.contains_xy(poly, nlon, nlat):
                lon, lat = nlon, nlat
                break
        pts.append((round(lon, 6), round(lat, 6)))
    return pts


def seed_patrols(conn: Connection, now: dt.datetime, rng: random.Random, track_days: int = 14,
                 summary_days: int = 365) -> tuple[int, int]:
    workers = conn.execute(sa.select(Staff.id, Staff.grid_code, Staff.hire_date)
                           .where(Staff.role == StaffRole.FULL_TIME)).all()
    polys = {code: shape(json.loads(geom)) for code, geom in
             conn.execute(sa.select(Grid.code, Grid.geometry).where(Grid.valid_to.is_(None)))}
    for p in polys.values():
        shapely.prepare(p)
    next_id = (conn.scalar(sa.select(sa.func.max(Patrol.id))) or 0) + 1
    patrols: list[dict] = []
    points: list[dict] = []
    n_patrols = n_points = 0
    first_day = now.date() - dt.timedelta(days=summary_days)
    track_from = now.date() - dt.timedelta(days=track_days)
    for staff_id, grid_code, hire in workers:
        diligence = rng.betavariate(8, 1.6)  # most workers keep the rule, a few do not
        poly = polys[grid_code]
        day = max(first_day, hire)
        while day < now.date():
            weekday = day.weekday() < 5
            if rng.random() < (0.97 if weekday else 0.2) * (0.75 + 0.25 * diligence):
                n = 2 if rng.random() < 0.85 * diligence + 0.1 else rng.choice([1, 3])
                for k in range(n):
                    start = dt.datetime.combine(day, dt.time(8 + 5 * k, 0)) + dt.timedelta(minutes=rng.randrange(60))
                    hours = rng.uniform(2.0, 3.0) if rng.random() < 0.9 * diligence + 0.08 else rng.uniform(1.0, 1.95)
                    end = start + dt.timedelta(hours=hours)
                    if end >= now:
                        continue
                    count = int(hours * 6) + 1
                    row = dict(id=next_id, staff_id=staff_id, grid_code=grid_code, started_at=start.replace(second=0),
                               ended_at=end.replace(second=0, microsecond=0), distance_m=round(STEP_M * (count - 1), 1),
                               point_count=count)
                    patrols.append(row)
                    if day >= track_from:
                        walk = _walk(poly, random_point_in(poly, rng), count, rng)
                        points.extend(dict(patrol_id=next_id, t=start.replace(second=0) + dt.timedelta(minutes=10 * i),
                                           lon=lon, lat=lat) for i, (lon, lat) in enumerate(walk))
                    next_id += 1
            day += dt.timedelta(days=1)
            if (len(patrols) >= BATCH or len(points) >= BATCH) and patrols:  # patrols first: points refer to them
                conn.execute(sa.insert(Patrol), patrols)
                n_patrols += len(patrols)
                patrols = []
            if len(points) >= BATCH:
                conn.execute(sa.insert(TrackPoint), points)
                n_points += len(points)
                points = []
    if patrols:
        conn.execute(sa.insert(Patrol), patrols)
        n_patrols += len(patrols)
    if points:
        conn.execute(sa.insert(TrackPoint), points)
        n_points += len(points)
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT setval(pg_get_serial_sequence('patrol', 'id'), "
                             "(SELECT COALESCE(MAX(id), 1) FROM patrol))"))
    return n_patrols, n_points


def quarters_between(start: dt.date, end: dt.date) -> list[str]:
    """Quarters whose last day lies in [start, end]."""
    out = []
    y, q = start.year, (start.month - 1) // 3 + 1
    while True:
        last = dt.date(y, 3 * q, 1) + dt.timedelta(days=32)
        last = last.replace(day=1) - dt.timedelta(days=1)
        if last > end:
            break
        if last >= start:
            out.append(f"{y}Q{q}")
        y, q = (y + 1, 1) if q == 4 else (y, q + 1)
    return out


def seed_worker_metrics(conn: Connection, now: dt.datetime, rng: random.Random) -> int:
    """Quarterly rates (0–100) for every full-time worker, for the quarters the demo year has finished."""
    workers = conn.execute(sa.select(Staff.id).where(Staff.role == StaffRole.FULL_TIME)).scalars().all()
    quarters = quarters_between(now.date() - dt.timedelta(days=365), now.date())
    rows = []
    for staff_id in workers:
        base = rng.gauss(88, 5)
        for q in quarters:
            def rate(spread: float) -> Decimal:
                return Decimal(str(round(min(100.0, max(40.0, rng.gauss(base, spread))), 2)))

            rows.append(dict(staff_id=staff_id, quarter=q, basic_info_rate=rate(4), dynamic_info_rate=rate(6),
                             knowledge_rate=rate(5), satisfaction_rate=rate(3), source="演示数据"))
    for i in range(0, len(rows), BATCH):
        conn.execute(sa.insert(WorkerMetrics), rows[i:i + BATCH])
    return len(rows)
