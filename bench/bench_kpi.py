"""Indicator refresh time against the length of history (issue 3, "Done when").

    .venv/bin/python bench/bench_kpi.py [--sizes 50000 5000000] [--rate 1370] [--engines sqlite postgresql]

For each size N a database gets N cases of plausible history ending now, at the
same daily rate (default 1,370 a day ≈ Luqiao's 500,000 items a year: 50 k ≈ 5
weeks, 5 M ≈ 10 years), loaded in batches with bulk inserts (COPY on
PostgreSQL), then the rollups are built once. Then, five times: a handful of
cases change (through the ORM, so the change feed sees them) and the dashboard
refresh is timed — `compute()` with rollups for the district and for one town,
period the last 30 days. Prints the median times per size and the ratio of the
largest to the smallest (goal ≤ 1.5: the refresh must not grow with history).

SQLite files go to /tmp; PostgreSQL runs when $GRIDDESK_TEST_PG is set or the
server binaries are installed (a throwaway cluster, as the tests use).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Iterator

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from models.auth import SYSTEM  # noqa: E402
from models.db import make_engine  # noqa: E402
from models.enums import CaseSource, CaseStatus, CloseType, Level, Step  # noqa: E402
from models.kpi.api import compute  # noqa: E402
from models.kpi.rollup import rebuild_rollups  # noqa: E402
from models.kpi.scope import KpiScope  # noqa: E402
from models.schema import Case, DictionaryVersion, District, Grid, MinorClass, Town, Village  # noqa: E402
from models.setup import init_database  # noqa: E402

BATCH = 20_000
TOWNS, VILLAGES, GRIDS = 10, 6, 10  # per district / town / village: 600 grids
SOURCES = [CaseSource.GRID_WORKER] * 70 + [CaseSource.HOTLINE] * 14 + [CaseSource.CAMERA] * 5 + \
          [CaseSource.PUBLIC] * 6 + [CaseSource.WECHAT] * 5
HOURS = {"urgent_hours": 1.0, "work_hours": 3.0, "work_days": 24 * 1.4, "calendar_days": 24.0}  # rough wall-clock
COLUMNS = [c.key for c in Case.__table__.columns if c.key != "id"]


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- the district ---------------------------------------------------------------------


def build_geography(engine) -> list[tuple[int, int, int, float, float]]:
    """10 towns × 6 villages × 10 grids of 0.01° squares; returns (grid, village, town, lon, lat)."""
    out = []
    with engine.begin() as conn:
        did = conn.execute(sa.insert(District).returning(District.id), [dict(code="331004", name="基准区")]).scalar()
        k = 0
        for t in range(1, TOWNS + 1):
            tid = conn.execute(sa.insert(Town).returning(Town.id),
                               [dict(district_id=did, code=f"331004{t:03d}", name=f"镇{t}")]).scalar()
            for v in range(1, VILLAGES + 1):
                vid = conn.execute(sa.insert(Village).returning(Village.id),
                                   [dict(town_id=tid, code=f"331004{t:03d}{v:03d}", name=f"村{t}-{v}")]).scalar()
                rows = []
                for g in range(1, GRIDS + 1):
                    x0, y0 = 121.0 + (k % 30) * 0.01, 28.3 + (k // 30) * 0.01
                    ring = [[x0, y0], [x0 + .01, y0], [x0 + .01, y0 + .01], [x0, y0 + .01], [x0, y0]]
                    rows.append(dict(code=f"331004{t:03d}{v:03d}{g:03d}", name=f"网格{k}", town_id=tid, village_id=vid,
                                     households=400, population=1100, area_km2=1.1,
                                     geometry=json.dumps({"type": "Polygon", "coordinates": [ring]}),
                                     centroid_lon=x0 + .005, centroid_lat=y0 + .005, min_lon=x0, min_lat=y0,
                                     max_lon=x0 + .01, max_lat=y0 + .01, valid_from=dt.date(2000, 1, 1)))
                    k += 1
                for gid, row in zip(conn.execute(sa.insert(Grid).returning(Grid.id), rows).scalars(), rows):
                    out.append((gid, vid, tid, row["centroid_lon"], row["centroid_lat"]))
    return out


def class_refs(engine) -> list[tuple[int, float, int, Level]]:
    with Session(engine) as s:
        rows = s.scalars(sa.select(MinorClass).join(DictionaryVersion, MinorClass.version_id == DictionaryVersion.id)
                         .where(DictionaryVersion.active.is_(True))).all()
        return [(mc.id, mc.time_limit * HOURS[mc.time_unit.value], mc.department_id, mc.level) for mc in rows]


# --- plausible history -----------------------------------------------------------------


def cases(n: int, rate: float, now: dt.datetime, grids, classes, seed: int = 1) -> Iterator[list[dict]]:
    """n cases reported at `rate` a day up to `now`, as column dicts, in batches."""
    rng = random.Random(seed)
    span = dt.timedelta(days=n / rate)
    start = now - span
    batch: list[dict] = []
    for i in range(n):
        reported = (start + span * (i / n) + dt.timedelta(minutes=rng.uniform(-20, 0))).replace(microsecond=0)
        batch.append(one_case(i, reported, now, rng, grids, classes))
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def one_case(i, reported, now, rng, grids, classes) -> dict:
    gid, vid, tid, lon, lat = grids[rng.randrange(len(grids))]
    cid, limit_h, dept, level = classes[rng.randrange(len(classes))]
    m = lambda a, b: dt.timedelta(minutes=rng.uniform(a, b))  # noqa: E731
    row = dict.fromkeys(COLUMNS)
    row.update(code=f"B{i:010d}", minor_class_id=cid, description="基准数据", address="", source=rng.choice(SOURCES),
               reporter_name="", reporter_phone="", lon=lon + rng.uniform(-.004, .004), lat=lat + rng.uniform(-.004, .004),
               grid_id=gid, village_id=vid, town_id=tid, level=Level.GRID, status=CaseStatus.REPORTED,
               self_handled=False, auto_dispatched=False, is_demo=True, reported_at=reported,
               card="none", card_points=0.0, suspended_seconds=0, extension_count=0, rework_count=0, return_count=0,
               appeal_pending=False, version=1, updated_at=reported,
               verify_deadline=reported + dt.timedelta(minutes=30), accept_deadline=reported + dt.timedelta(days=1))
    x = rng.random()
    if x < 0.05:  # voided
        voided = reported + m(10, 90)
        if voided <= now:
            row.update(voided_at=voided, status=CaseStatus.VOIDED, updated_at=voided)
        return _open_step(row, Step.ACCEPT, reported, row["accept_deadline"])
    if row["source"] is CaseSource.GRID_WORKER and x < 0.30:  # self-handled
        row.update(filed_at=reported, handled_at=reported, checked_at=reported, closed_at=reported,
                   accept_on_time=True, self_handled=True, status=CaseStatus.CLOSED, closed_level=Level.GRID,
                   close_type=CloseType.SELF_HANDLED,
                   close_deadline=reported + dt.timedelta(hours=limit_h + 2.5))
        return row
    filed = reported + m(5, 70)
    if filed > now:
        return _open_step(row, Step.ACCEPT, reported, row["accept_deadline"])
    close_dl = filed + dt.timedelta(hours=limit_h + 2.5)
    row.update(filed_at=filed, accept_on_time=filed <= row["accept_deadline"], status=CaseStatus.FILED,
               close_deadline=close_dl, dispatch_deadline=filed + dt.timedelta(minutes=30), updated_at=filed)
    dispatched = filed + m(1, 45)
    if dispatched > now:
        return _open_step(row, Step.DISPATCH, filed, row["dispatch_deadline"])
    rework = 1 if rng.random() < 0.03 else 0
    auto = rng.random() < 0.6
    row.update(dispatched_at=dispatched, first_dispatched_at=dispatched - dt.timedelta(hours=rework * 5),
               dispatch_on_time=dispatched <= row["dispatch_deadline"], department_id=dept, level=level,
               auto_dispatched=auto, rework_count=rework, status=CaseStatus.DISPATCHED,
               handle_deadline=dispatched + dt.timedelta(hours=limit_h), updated_at=dispatched)
    handled = dispatched + dt.timedelta(hours=limit_h * (rng.uniform(1.05, 2.5) if rng.random() < 0.07
                                                         else rng.betavariate(2.2, 2.8)))
    if handled > now:
        return _open_step(row, Step.HANDLE, dispatched, row["handle_deadline"])
    row.update(handled_at=handled, handle_on_time=handled <= row["handle_deadline"], status=CaseStatus.HANDLED,
               check_deadline=handled + dt.timedelta(hours=2), updated_at=handled)
    checked = handled + m(10, 180)
    if checked > now:
        return _open_step(row, Step.CHECK, handled, row["check_deadline"])
    row.update(checked_at=checked, check_on_time=checked <= row["check_deadline"], status=CaseStatus.CHECKED,
               updated_at=checked)
    closed = checked + m(5, 120)
    if closed > now:
        return _open_step(row, Step.CLOSE, checked, close_dl)
    row.update(closed_at=closed, status=CaseStatus.CLOSED, closed_level=level, updated_at=closed,
               close_type=CloseType.OVERDUE if closed > close_dl else CloseType.NORMAL)
    return row


def _open_step(row, step, started, deadline):
    if row["status"] in (CaseStatus.CLOSED, CaseStatus.VOIDED):
        return row
    row.update(step=step, step_started_at=started, step_deadline=deadline,
               step_yellow_at=started + (deadline - started) * 0.8)
    return row


# --- loading ---------------------------------------------------------------------------------


def _sqlite_value(v):
    if isinstance(v, dt.datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S.%f")  # SQLAlchemy's own storage format
    if hasattr(v, "value"):
        return v.value
    return v


def load(engine, batches: Iterator[list[dict]]) -> int:
    n = 0
    raw = engine.raw_connection()
    try:
        if engine.dialect.name == "sqlite":
            sql = f"INSERT INTO case_ ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
            cur = raw.cursor()
            for batch in batches:
                cur.executemany(sql, [tuple(_sqlite_value(r[c]) for c in COLUMNS) for r in batch])
                raw.commit()
                n += len(batch)
                _progress(n)
        else:
            with raw.cursor() as cur:
                for batch in batches:
                    with cur.copy(f"COPY case_ ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                        for r in batch:
                            copy.write_row([v.value if hasattr(v, "value") else v for v in (r[c] for c in COLUMNS)])
                    raw.commit()
                    n += len(batch)
                    _progress(n)
            with raw.cursor() as cur:
                cur.execute("ANALYZE")
            raw.commit()
    finally:
        raw.close()
    print(file=sys.stderr)
    return n


def _progress(n: int) -> None:
    if n % 500_000 == 0 or n < 500_000 and n % 100_000 == 0:
        print(f"\r  {n:>10,} cases, peak RSS {rss_mb():.0f} MB", end="", file=sys.stderr, flush=True)


# --- measuring -----------------------------------------------------------------------------


def touch(engine, now: dt.datetime, rng: random.Random, k: int = 5) -> None:
    """A handful of recent cases change (through the ORM: audit log and change feed)."""
    with Session(engine, info={"actor": "bench"}) as s:
        recent = s.scalars(sa.select(Case).where(
            Case.reported_at >= now - dt.timedelta(days=10),
            Case.status.in_([CaseStatus.DISPATCHED, CaseStatus.HANDLED, CaseStatus.CHECKED])).limit(500)).all()
        for case in rng.sample(recent, min(k, len(recent))):
            case.handled_at = case.handled_at or now
            case.checked_at = case.checked_at or now
            case.closed_at = now
            case.closed_level = case.level
            case.close_type = CloseType.NORMAL
            case.status = CaseStatus.CLOSED
            case.updated_at = now
        s.commit()


def refresh_times(engine, now: dt.datetime, town_code: str, rounds: int = 5) -> tuple[float, float, dict]:
    today = now.date()
    period = (today - dt.timedelta(days=30), today)
    rng = random.Random(7)
    with Session(engine) as s:  # warm up: bring the rollups level with the feed
        compute(s, SYSTEM, KpiScope(), *period)
        s.commit()
    d_times, t_times = [], []
    result = {}
    for _ in range(rounds):
        touch(engine, now, rng)
        with Session(engine) as s:
            t0 = time.perf_counter()
            result = compute(s, SYSTEM, KpiScope(), *period)
            s.commit()
            d_times.append(time.perf_counter() - t0)
        touch(engine, now, rng)
        with Session(engine) as s:
            t0 = time.perf_counter()
            compute(s, SYSTEM, KpiScope("town", town_code), *period)
            s.commit()
            t_times.append(time.perf_counter() - t0)
    return statistics.median(d_times), statistics.median(t_times), result


def run(kind: str, n: int, rate: float, now: dt.datetime) -> tuple[float, float]:
    if kind == "sqlite":
        path = Path(f"/tmp/griddesk-bench-kpi-{n}.sqlite")
        for p in (path, Path(str(path) + "-wal"), Path(str(path) + "-shm")):
            p.unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    else:
        from tests.pgserver import fresh_database, postgres_url

        url = fresh_database(postgres_url())
    engine = make_engine(url)
    init_database(engine, years=tuple(range(now.year - int(n / rate / 365) - 1, now.year + 2)))
    grids = build_geography(engine)
    classes = class_refs(engine)
    t0 = time.perf_counter()
    loaded = load(engine, cases(n, rate, now, grids, classes))
    t_load = time.perf_counter() - t0
    t0 = time.perf_counter()
    rebuild_rollups(engine)
    t_rollup = time.perf_counter() - t0
    district, town, result = refresh_times(engine, now, "331004001")
    print(f"{kind:<10} {loaded:>10,} cases ({n / rate:,.0f} days): load {t_load:7.1f} s, rollup rebuild "
          f"{t_rollup:6.1f} s | refresh district {district * 1000:7.1f} ms, town {town * 1000:7.1f} ms "
          f"| filed {result['filed']:,}, closure {result['closure_rate']} | peak RSS {rss_mb():.0f} MB", flush=True)
    engine.dispose()
    if os.environ.get("GRIDDESK_BENCH_KEEP"):
        print(f"  kept: {url}")
    elif kind == "sqlite":
        for p in (path, Path(str(path) + "-wal"), Path(str(path) + "-shm")):
            p.unlink(missing_ok=True)
    else:
        base, name = url.rsplit("/", 1)
        admin = sa.create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE "{name}"')
        admin.dispose()
    return district, town


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[50_000, 5_000_000])
    ap.add_argument("--rate", type=float, default=1370.0, help="cases reported per day")
    ap.add_argument("--engines", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"])
    args = ap.parse_args()
    now = dt.datetime.now().replace(second=0, microsecond=0)
    engines = list(args.engines)
    if "postgresql" in engines:
        from tests.pgserver import postgres_url

        if postgres_url() is None:
            print("postgresql: skipped (no $GRIDDESK_TEST_PG and no server binaries)")
            engines.remove("postgresql")
    for kind in engines:
        times = {n: run(kind, n, args.rate, now) for n in args.sizes}
        small, large = min(args.sizes), max(args.sizes)
        for i, label in enumerate(("district", "town")):
            ratio = times[large][i] / times[small][i]
            verdict = "ok" if ratio <= 1.5 else "MISSES the goal"
            print(f"{kind:<10} {label:<8} refresh {times[small][i] * 1000:7.1f} ms at {small:,} → "
                  f"{times[large][i] * 1000:7.1f} ms at {large:,}: ratio {ratio:.2f} (goal ≤ 1.5: {verdict})",
                  flush=True)


if __name__ == "__main__":
    main()
