"""Benchmark of the KPI dashboard refresh (issue 6). Not a test: run it and read the numbers.

    .venv/bin/python bench/bench_dashboard.py [--sizes 50000,5000000] [--per-day 1370] [--repeat 5]
                                              [--dir /tmp/griddesk-bench] [--keep]

For each size it builds (or, with --keep, reuses) a SQLite database holding that many cases at the
SAME daily rate — at 1,370 a day, 50 k cases are 5 weeks of history and 5 M cases 10 years. The
district (10 towns × 60 grids) and the cases come from bench/bench_kpi.py's generator (bulk
inserts in time order, each case with a plausible closed loop, the last days still open); this
script adds one full-time grid worker per grid patrolling twice on most days of the same
history, then the indicator rollups are rebuilt once. FAKE data throughout.

It then times `dashboard_snapshot()` — everything one refresh of the dashboard reads — for the
district and one town, over today / this week / this month with the 30-day trend, plus drawing the
snapshot into an offscreen `KpiDashboard`; median of --repeat runs after one warm-up. The goal is
a refresh cost flat in the length of the history: ratio largest/smallest ≤ 1.5.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench_kpi: the shared history generator

import sqlalchemy as sa  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from models.auth import SYSTEM  # noqa: E402
from models.db import make_engine  # noqa: E402
from models.enums import CaseStatus, StaffRole  # noqa: E402
from models.kpi.dashboard import dashboard_snapshot  # noqa: E402
from models.kpi.periods import period_of  # noqa: E402
from models.kpi.rollup import rebuild_rollups  # noqa: E402
from models.kpi.scope import KpiScope  # noqa: E402
from models.schema import Case, Grid, Patrol, Staff  # noqa: E402
from models.setup import init_database  # noqa: E402

BATCH = 20_000


# --- the fake history: bench/bench_kpi.py's district and cases, plus grid workers and their patrols -------------
def build(url: str, n_cases: int, per_day: float, now: dt.datetime) -> Engine:
    """A database with `n_cases` cases at `per_day` a day ending at `now` (bench_kpi's generator), one
    full-time worker per grid patrolling twice on most days of the same history, and rebuilt rollups."""
    import bench_kpi

    engine = make_engine(url)
    init_database(engine, years=tuple(range(now.year - int(n_cases / per_day / 365) - 1, now.year + 2)))
    grids = bench_kpi.build_geography(engine)
    t0 = time.perf_counter()
    loaded = bench_kpi.load(engine, bench_kpi.cases(n_cases, per_day, now, grids, bench_kpi.class_refs(engine)))
    t1 = time.perf_counter()
    n_patrols = _patrols(engine, now, dt.timedelta(days=n_cases / per_day))
    t2 = time.perf_counter()
    rebuild_rollups(engine)
    t3 = time.perf_counter()
    print(f"  built {loaded:,} cases over {n_cases / per_day:,.0f} days in {t1 - t0:.0f} s, {n_patrols:,} patrols "
          f"in {t2 - t1:.0f} s, rollups in {t3 - t2:.0f} s", flush=True)
    return engine


def _patrols(engine: Engine, now: dt.datetime, span: dt.timedelta, seed: int = 3) -> int:
    """One full-time worker per grid; two patrols of 1.6–3 h on 95 % of weekdays and 20 % of weekend days."""
    rng = random.Random(seed)
    with engine.begin() as c:
        grids = c.execute(sa.select(Grid.code, Grid.town_id).order_by(Grid.code)).all()
        c.execute(sa.insert(Staff), [dict(staff_no=f"B{i:05d}", name=f"假网格员{i}", role=StaffRole.FULL_TIME,
                                          grid_code=code, town_id=town, hire_date=dt.date(2000, 1, 1),
                                          probation_end=dt.date(2000, 4, 1)) for i, (code, town) in enumerate(grids)])
        staff = c.execute(sa.select(Staff.id, Staff.grid_code)).all()
    day, last = (now - span).date(), now.date()
    rows: list[dict] = []
    n = 0
    while day <= last:
        for sid, code in staff:
            if rng.random() < (0.2 if day.weekday() >= 5 else 0.95):
                for k in range(2):
                    start = dt.datetime.combine(day, dt.time(8 + 5 * k)) + dt.timedelta(minutes=rng.randrange(60))
                    end = (start + dt.timedelta(hours=rng.uniform(1.6, 3.0))).replace(microsecond=0)
                    if end < now:
                        rows.append(dict(staff_id=sid, grid_code=code, started_at=start, ended_at=end,
                                         distance_m=0.0, point_count=0))
        if len(rows) >= BATCH:
            with engine.begin() as c:
                c.execute(sa.insert(Patrol), rows)
            n += len(rows)
            rows = []
        day += dt.timedelta(days=1)
    if rows:
        with engine.begin() as c:
            c.execute(sa.insert(Patrol), rows)
        n += len(rows)
    return n


# --- measuring ------------------------------------------------------------------------------------------------------
CASES = [("district", "today"), ("district", "week"), ("district", "month"), ("town", "today"), ("town", "week")]


def measure(engine: Engine, repeat: int) -> dict[str, float]:
    out: dict[str, float] = {}
    today = dt.date.today()
    for scope_kind, period_kind in CASES:
        scope = KpiScope() if scope_kind == "district" else KpiScope("town", "331004003")
        period = period_of(period_kind, today)
        times = []
        for i in range(repeat + 1):
            with Session(engine) as s:
                t0 = time.perf_counter()
                snap = dashboard_snapshot(s, SYSTEM, scope, period, trend_days=30)
                t1 = time.perf_counter()
                s.commit()
            if i:  # the first run warms the caches
                times.append(t1 - t0)
        out[f"snapshot {scope_kind}/{period_kind}"] = statistics.median(times) * 1000
        out[f"  fastest {scope_kind}/{period_kind}"] = min(times) * 1000  # least disturbed by other load
    out["draw snapshot (offscreen)"] = _draw(snap, repeat) * 1000
    return out


def _draw(snap, repeat: int) -> float:
    from PySide6.QtWidgets import QApplication

    from widgets.kpi.dashboard import KpiDashboard

    app = QApplication.instance() or QApplication([])
    w = KpiDashboard(wall_mode=True)
    w.resize(1920, 1080)
    w.show()
    times = []
    for _ in range(repeat + 1):
        t0 = time.perf_counter()
        w.set_data(snap)
        w.flush()
        w.grab()
        times.append(time.perf_counter() - t0)
    w.close()
    app.processEvents()
    return statistics.median(times[1:])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="50000,5000000", help="case counts, comma-separated")
    ap.add_argument("--per-day", type=float, default=1370.0,
                    help="cases a day, the same for every size (1,370 ≈ Luqiao's 500,000 items a year)")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--dir", default="/tmp/griddesk-bench", help="where the databases are built")
    ap.add_argument("--keep", action="store_true", help="reuse databases built by an earlier run")
    opts = ap.parse_args()
    sizes = [int(x) for x in opts.sizes.split(",")]
    Path(opts.dir).mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now().replace(microsecond=0)
    results: dict[int, dict[str, float]] = {}
    for n in sizes:
        path = Path(opts.dir) / f"dashboard-{n}-{opts.per_day:g}.sqlite"
        print(f"\n== {n:,} cases at {opts.per_day:,g} a day ({path})", flush=True)
        if path.exists() and not opts.keep:
            for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
                p.unlink(missing_ok=True)
        if path.exists():
            engine = make_engine(f"sqlite:///{path}")
            print("  reusing the database of an earlier run (its history ends when it was built)")
        else:
            engine = build(f"sqlite:///{path}", n, opts.per_day, now)
        with engine.connect() as c:
            total = c.scalar(sa.select(sa.func.count()).select_from(Case))
            open_now = c.scalar(sa.select(sa.func.count()).select_from(Case).where(
                Case.status.not_in([CaseStatus.CLOSED, CaseStatus.VOIDED])))
        print(f"  {total:,} cases, {open_now:,} open", flush=True)
        results[n] = measure(engine, opts.repeat)
        engine.dispose()
    small, large = min(sizes), max(sizes)
    head = f"ms, median of {opts.repeat} runs"
    print(f"\n{head:<34}" + "".join(f"{n:>12,}" for n in sizes) + "   ratio")
    for key in results[small]:
        ratio = results[large][key] / results[small][key] if results[small][key] else float("nan")
        print(f"{key:<34}" + "".join(f"{results[n][key]:>12.1f}" for n in sizes) + f"{ratio:>8.2f}")
    worst = max(results[large][k] / results[small][k] for k in results[small] if k.startswith("snapshot district"))
    print(f"\nworst district ratio {worst:.2f} (goal ≤ 1.5): {'met' if worst <= 1.5 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
