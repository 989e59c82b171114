"""Benchmark of the live incident queue (not a test): pages per sort order, open, scroll, refresh.

    .venv/bin/python bench/bench_queue.py [--sizes 1000,100000] [--pg] [--analyze] [--repeat 5]
                                          [--towns 12] [--no-widget] [--plans]

Builds a /tmp SQLite database (or, with --pg, a fresh PostgreSQL database on the
server tests/pgserver.py finds) with the test district grown to `--towns` towns
(3 villages of 8 grids each, besides the two small towns of the test district) and
N plausible open cases bulk-inserted with Core (plus 10 % closed ones), then measures:

- pages: `SessionQueueSource.page` (one Session per call, as the window does) for
  every sort key of models/queue.py, ascending and descending: the first page and a
  page deep in the list (row 5,000, or half the list when it is shorter), for the
  duty officer and for a town officer (scope in SQL); the deep page is fetched the
  way the model fetches it (after the last loaded row when the source pages by key,
  else by OFFSET);
- filters: the first page and the count with each filter of the filter bar (and the
  drill-down ones: grid, case ids) under two sort orders;
- widget (unless --no-widget), on an offscreen `QueueWidget` over the same source:
  open (count + first page, first paint), sort (header click per sortable column),
  scroll (`fetchMore` to 5,000 rows + paint), refresh (50 changes by another seat),
  tick (countdowns of the visible rows).

Prints median milliseconds per size, then each measurement at the smallest and the
largest size and their ratio, all measured in the same run. `--plans` prints the
query plans (EXPLAIN QUERY PLAN / EXPLAIN) of the first page of each sort key.
"""

from __future__ import annotations

import argparse
import datetime as dt
import inspect
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402
from PySide6.QtCore import QModelIndex  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

from models.enums import Card, CaseSource, CaseStatus, GridKind, Level, Light, Step, UserRole  # noqa: E402
from models.queue import SORT_KEYS as QUERY_SORT_KEYS  # noqa: E402
from models.queue import QueueFilter, QueueQuery, QueueSort  # noqa: E402
from models.schema import Case, ChangeFeed, Department, District, Grid, MinorClass, Town, Village  # noqa: E402
from tests.factories import identity, make_db, square  # noqa: E402
from widgets.queue.model import COL, SORT_KEYS  # noqa: E402
from widgets.queue.source import SessionQueueSource  # noqa: E402
from widgets.queue.view import QueueWidget  # noqa: E402

NOW = dt.datetime(2026, 11, 23, 10, 0)
OPEN_MIX = [(CaseStatus.REPORTED, Step.ACCEPT, 10), (CaseStatus.FILED, Step.DISPATCH, 5),
            (CaseStatus.DISPATCHED, Step.HANDLE, 60), (CaseStatus.HANDLED, Step.CHECK, 15),
            (CaseStatus.CHECKED, Step.CLOSE, 8), (CaseStatus.SUSPENDED, None, 2)]
LIMITS_H = [2, 4, 8, 24, 72, 240]
PAGE = 200  # the model's page size
KEYSET = "after" in inspect.signature(SessionQueueSource.page).parameters  # pages by key (else OFFSET)


class World:
    """The fixed facts the generator draws from."""

    def __init__(self, engine) -> None:
        with engine.connect() as c:
            self.grids = c.execute(sa.select(Grid.id, Grid.village_id, Grid.town_id, Grid.centroid_lon,
                                             Grid.centroid_lat)).all()
            self.classes = c.execute(sa.select(MinorClass.id)).scalars().all()
            self.depts = c.execute(sa.select(Department.id)).scalars().all()
            self.towns = c.execute(sa.select(Town.id).order_by(Town.id)).scalars().all()
        self.serial = 0


def case_row(world: World, rng: random.Random, *, status=None, started=None) -> dict:
    world.serial += 1
    g = rng.choice(world.grids)
    if status is None:
        status, step, _ = rng.choices(OPEN_MIX, [w for *_, w in OPEN_MIX])[0]
    else:
        step = None
    limit = dt.timedelta(hours=rng.choice(LIMITS_H))
    started = started or (NOW - limit * rng.uniform(0.0, 1.3)).replace(microsecond=0)
    running = step is not None
    return dict(code=f"AJ{started:%Y%m%d}{world.serial:07d}", minor_class_id=rng.choice(world.classes),
                description=f"基准测试案件 {world.serial}", address="", source=rng.choice(list(CaseSource)),
                reporter_name="", reporter_phone="", lon=g.centroid_lon, lat=g.centroid_lat, grid_id=g.id,
                village_id=g.village_id, town_id=g.town_id, level=rng.choice(list(Level)),
                department_id=rng.choice(world.depts) if status in (CaseStatus.DISPATCHED, CaseStatus.HANDLED)
                else None, status=status, self_handled=False, auto_dispatched=False, is_demo=False,
                reported_at=started, updated_at=started, step=step, step_started_at=started if running else None,
                step_yellow_at=started + limit * 0.8 if running else None,
                step_deadline=started + limit if running else None, suspended_seconds=0, extension_count=0,
                rework_count=0, return_count=0, card=rng.choices(list(Card), [90, 6, 3, 1])[0], card_points=0.0,
                appeal_pending=False, version=1,
                closed_at=started + limit if status is CaseStatus.CLOSED else None)


def add_towns(engine, towns: int, villages: int = 3, grids: int = 8) -> None:
    """Grow the test district (two towns of two grids) to `towns` towns of `villages` × `grids` grids."""
    with Session(engine, info={"actor": "bench"}) as s:
        district = s.scalars(sa.select(District)).one()
        ix = 10
        for t in range(3, towns + 1):
            town = Town(district_id=district.id, code=f"331004{t:03d}", name=f"基准镇{t}")
            s.add(town)
            s.flush()
            for v in range(1, villages + 1):
                village = Village(town_id=town.id, code=f"{town.code}{v:03d}", name=f"基准村{t}-{v}")
                s.add(village)
                s.flush()
                for g in range(1, grids + 1):
                    geom = square(ix % 100, ix // 100)
                    ring = geom["coordinates"][0]
                    s.add(Grid(code=f"{village.code}{g:03d}", name=f"基准网格{t}-{v}-{g}", town_id=town.id,
                               village_id=village.id, kind=GridKind.RESIDENTIAL, households=300, population=800,
                               area_km2=1.0, geometry=json.dumps(geom), centroid_lon=(ring[0][0] + ring[2][0]) / 2,
                               centroid_lat=(ring[0][1] + ring[2][1]) / 2, min_lon=ring[0][0], min_lat=ring[0][1],
                               max_lon=ring[2][0], max_lat=ring[2][1], valid_from=dt.date(2020, 1, 1)))
                    ix += 1
        s.commit()


def build(url: str, n_open: int, analyze: bool, towns: int = 12, seed: int = 1):
    engine = make_db(url)
    add_towns(engine, towns)
    world = World(engine)
    rng = random.Random(seed)
    n_closed = n_open // 10
    rows: list[dict] = []
    t0 = time.perf_counter()
    for i in range(n_open + n_closed):
        rows.append(case_row(world, rng, status=CaseStatus.CLOSED if i % 11 == 10 else None))
        if len(rows) >= 10_000:
            with engine.begin() as c:
                c.execute(sa.insert(Case), rows)
            rows = []
    if rows:
        with engine.begin() as c:
            c.execute(sa.insert(Case), rows)
    if analyze:
        with engine.begin() as c:
            c.exec_driver_sql("ANALYZE")
    with engine.connect() as c:
        n = c.scalar(sa.select(sa.func.count()).select_from(Case).where(Case.status != CaseStatus.CLOSED))
    print(f"  built {n:,} open + {n_closed:,} closed cases in {time.perf_counter() - t0:.1f} s", flush=True)
    return engine, world, rng


def write_changes(engine, world: World, rng: random.Random, loaded: list) -> None:
    """50 changes by another seat: 20 new inside the loaded range, 20 changed, 10 closed."""
    feed = []
    with engine.begin() as c:
        timed = [r for r in loaded if r.step_deadline is not None]
        first_deadline, last_deadline = timed[0].step_deadline, timed[-1].step_deadline
        span = (last_deadline - first_deadline).total_seconds()
        new_rows = []
        for _ in range(20):
            deadline = first_deadline + dt.timedelta(seconds=rng.uniform(0, span))
            row = case_row(world, rng)
            row.update(status=CaseStatus.DISPATCHED, step=Step.HANDLE, step_deadline=deadline,
                       step_yellow_at=deadline - dt.timedelta(hours=1),
                       step_started_at=deadline - dt.timedelta(hours=5))
            new_rows.append(row)
        for row in new_rows:
            cid = c.execute(sa.insert(Case).returning(Case.id), row).scalar_one()
            feed.append(dict(at=NOW, entity="case", entity_id=cid, town_id=row["town_id"]))
        victims = rng.sample(loaded, 30)
        for r in victims[:20]:
            values = {"card": rng.choice(list(Card)), "version": r.version + 1}
            if rng.random() < 0.5 and r.step_deadline is not None:
                values["step_deadline"] = r.step_deadline + dt.timedelta(minutes=rng.randint(-600, 600))
            c.execute(sa.update(Case).where(Case.id == r.id).values(**values))
            feed.append(dict(at=NOW, entity="case", entity_id=r.id, town_id=r.town_id))
        for r in victims[20:]:
            c.execute(sa.update(Case).where(Case.id == r.id).values(status=CaseStatus.CLOSED, version=r.version + 1))
            feed.append(dict(at=NOW, entity="case", entity_id=r.id, town_id=r.town_id))
        c.execute(sa.insert(ChangeFeed), feed)


def ms(seconds: float) -> float:
    return seconds * 1000


def timed(fn, repeat: int) -> float:
    """Median milliseconds of `fn()` (after one untimed call that warms the statement caches)."""
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return ms(statistics.median(times))


def page_at(source, flt: QueueFilter, sort: QueueSort, depth: int):
    """A call fetching the page at row `depth` as the model does; checks it against the OFFSET page."""
    if depth == 0:
        return lambda: source.page(flt, sort, NOW, 0, PAGE)
    by_offset = source.page(flt, sort, NOW, depth, PAGE)
    if not KEYSET:
        return lambda: source.page(flt, sort, NOW, depth, PAGE)
    cursor = source.page(flt, sort, NOW, depth - 1, 1)[0]
    by_key = source.page(flt, sort, NOW, depth, PAGE, after=cursor)
    assert [r.id for r in by_key] == [r.id for r in by_offset], (sort, depth)
    return lambda: source.page(flt, sort, NOW, depth, PAGE, after=cursor)


def measure_pages(engine, world: World, repeat: int, record, plans: bool) -> None:
    factory = sessionmaker(engine, expire_on_commit=False)
    duty = SessionQueueSource(factory, identity(UserRole.DUTY_OFFICER))
    town = world.towns[len(world.towns) // 2]
    officer = SessionQueueSource(factory, identity(UserRole.TOWN_OFFICER, town))
    for who, source in (("", duty), ("town officer: ", officer)):
        total = source.count(QueueFilter(), QueueSort(), NOW)
        deep = min(5000, total // 2)
        print(f"  {who or 'duty officer: '}{total:,} open cases, deep page at row {deep:,}", flush=True)
        for key in QUERY_SORT_KEYS:
            for descending in (False, True):
                sort = QueueSort(key, descending)
                d = "desc" if descending else "asc"
                record(f"{who}page {key} {d}, first", timed(page_at(source, QueueFilter(), sort, 0), repeat))
                record(f"{who}page {key} {d}, deep",
                       timed(page_at(source, QueueFilter(), sort, deep), repeat))
    with engine.connect() as c:
        some_ids = c.scalars(sa.select(Case.id).where(Case.status != CaseStatus.CLOSED)
                             .order_by(Case.id).limit(50 * 37)).all()[::37]
        class_code = c.scalar(sa.select(MinorClass.code).where(MinorClass.id == world.classes[3]))
    filters = {"source": QueueFilter(sources=(CaseSource.HOTLINE,)), "class": QueueFilter(class_codes=(class_code,)),
               "text": QueueFilter(text="基准测试案件 123"), "light red": QueueFilter(lights=(Light.RED,)),
               "2 towns": QueueFilter(town_ids=tuple(world.towns[:2])),
               "1 grid": QueueFilter(grid_ids=(world.grids[len(world.grids) // 3].id,)),
               "status filed": QueueFilter(statuses=(CaseStatus.FILED,)),
               "50 case ids": QueueFilter(case_ids=tuple(some_ids))}
    for name, flt in filters.items():
        record(f"filter {name}: count", timed(lambda flt=flt: duty.count(flt, QueueSort(), NOW), repeat))
        for key in ("deadline", "level"):
            record(f"filter {name}: first page by {key}",
                   timed(page_at(duty, flt, QueueSort(key), 0), repeat))
    if plans:
        print_plans(engine)


def print_plans(engine) -> None:
    """The plans of the first page's statements of each sort key (as the SQL log shows them)."""
    statements: list[tuple] = []

    def log(_conn, _cursor, statement, params, _context, _many):
        statements.append((statement, params))

    explain = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
    for key in QUERY_SORT_KEYS:
        statements.clear()
        sa.event.listen(engine, "before_cursor_execute", log)
        try:
            with Session(engine) as s:
                QueueQuery(identity(UserRole.DUTY_OFFICER), QueueFilter(), QueueSort(key)).page(s, NOW, 0, PAGE)
        finally:
            sa.event.remove(engine, "before_cursor_execute", log)
        with engine.connect() as c:
            for statement, params in statements:
                if not statement.lstrip().upper().startswith("SELECT"):  # the planner setting on PostgreSQL
                    continue
                rows = c.exec_driver_sql(explain + statement, params).all()
                print(f"  -- {key}: " + " | ".join(str(r[-1]).strip() for r in rows))


def run_size(app: QApplication, url: str, n: int, args) -> dict[str, float]:
    print(f"\n== {n:,} open cases ({url.split(':')[0]}, {'keyset' if KEYSET else 'OFFSET'} paging)", flush=True)
    engine, world, rng = build(url, n, args.analyze, args.towns)
    out: dict[str, list[float]] = {}

    def record(name: str, value: float) -> None:
        out.setdefault(name, []).append(value)

    measure_pages(engine, world, args.repeat, record, args.plans)
    if args.widget:
        run_widget(app, engine, world, rng, args.repeat, record)
    engine.dispose()
    result = {name: statistics.median(v) for name, v in out.items()}
    for name, value in result.items():
        print(f"  {name:<52} {value:9.1f} ms", flush=True)
    return result


def run_widget(app: QApplication, engine, world: World, rng: random.Random, repeat: int, record) -> None:
    source = SessionQueueSource(sessionmaker(engine, expire_on_commit=False), identity(UserRole.DUTY_OFFICER))
    clock = lambda: NOW  # noqa: E731

    widgets = []
    for _ in range(repeat):  # open
        t0 = time.perf_counter()
        w = QueueWidget(source, clock=clock, tick_ms=0)
        t1 = time.perf_counter()
        w.resize(1600, 900)
        w.show()
        w.grab()
        t2 = time.perf_counter()
        record("widget: open: count + first page", ms(t1 - t0))
        record("widget: open: to first paint", ms(t2 - t0))
        widgets.append(w)
    w = widgets[-1]
    for other in widgets[:-1]:
        other.close()
        other.deleteLater()
    app.processEvents()

    for _ in range(repeat):  # sort by each column, back to the deadline
        for key in sorted(set(SORT_KEYS.values())):
            t0 = time.perf_counter()
            w.set_sort(type(w.sort_order())(key, False))
            w.grab()
            record(f"widget: sort by {key}: re-query + paint", ms(time.perf_counter() - t0))
        w.set_sort(type(w.sort_order())("deadline", False))

    model = w.model()
    page_times = []
    t0 = time.perf_counter()  # scroll: load to 5,000 rows and go to the bottom
    while model.loaded() < 5000 and model.canFetchMore(QModelIndex()):
        p0 = time.perf_counter()
        model.fetchMore(QModelIndex())
        page_times.append(time.perf_counter() - p0)
    w.table().scrollToBottom()
    w.grab()
    record("widget: scroll: fetchMore to 5,000 + bottom + paint", ms(time.perf_counter() - t0))
    record("widget: scroll: one page (median)", ms(statistics.median(page_times)) if page_times else 0.0)
    record("widget: scroll: one page (max)", ms(max(page_times)) if page_times else 0.0)
    w.table().scrollToTop()

    for _ in range(repeat):  # refresh with 50 changes
        write_changes(engine, world, rng, model.rows())
        t0 = time.perf_counter()
        delta = model.refresh()
        t1 = time.perf_counter()
        w.grab()
        t2 = time.perf_counter()
        assert delta.changed, delta
        record("widget: refresh 50 changes: apply", ms(t1 - t0))
        record("widget: refresh 50 changes: apply + paint", ms(t2 - t0))
        t0 = time.perf_counter()
        assert not model.refresh().changed
        record("widget: refresh, nothing new", ms(time.perf_counter() - t0))

    for _ in range(repeat):
        t0 = time.perf_counter()
        w._on_tick()
        w.grab()
        record("widget: tick (countdowns of visible rows) + paint", ms(time.perf_counter() - t0))

    col = COL["deadline"]
    assert model.data(model.index(0, col))
    print(f"  widget: loaded {model.loaded():,} of {model.total():,}")
    w.close()
    w.deleteLater()
    app.processEvents()


def drop_database(base_url: str, url: str) -> None:
    engine = sa.create_engine(base_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    engine.dispose()


def warm_up(app: QApplication) -> None:
    """Load fonts, styles and lazy imports once, outside the measurements."""
    from widgets.queue.source import FakeQueueSource, fake_rows

    w = QueueWidget(FakeQueueSource(fake_rows(50, NOW)), clock=lambda: NOW, tick_ms=0)
    w.resize(1600, 900)
    w.show()
    w.grab()
    w.close()
    w.deleteLater()
    app.processEvents()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,100000")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--towns", type=int, default=12, help="towns of the district (2 small + the rest)")
    ap.add_argument("--no-widget", dest="widget", action="store_false", help="only the page measurements")
    ap.add_argument("--plans", action="store_true", help="print the query plans of each sort key's first page")
    ap.add_argument("--pg", action="store_true", help="PostgreSQL (GRIDDESK_TEST_PG or a throwaway server)")
    ap.add_argument("--analyze", action="store_true", help="run ANALYZE after the bulk load")
    args = ap.parse_args()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    warm_up(app)
    sizes = [int(s) for s in args.sizes.split(",")]
    results = {}
    tmp = Path(tempfile.mkdtemp(prefix="griddesk-bench-queue-"))
    try:
        for n in sizes:
            if args.pg:
                from tests.pgserver import fresh_database, postgres_url

                base = postgres_url()
                if base is None:
                    raise SystemExit("no PostgreSQL server")
                url = fresh_database(base)
            else:
                url = f"sqlite:///{tmp / f'queue{n}.sqlite'}"
            try:
                results[n] = run_size(app, url, n, args)
            finally:
                if args.pg:
                    drop_database(base, url)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if len(sizes) > 1:
        lo, hi = min(sizes), max(sizes)
        print(f"\n== ratio {hi:,} / {lo:,} open cases")
        for name in results[lo]:
            a, b = results[lo][name], results[hi][name]
            print(f"  {name:<52} {a:9.1f} → {b:9.1f} ms   × {b / a if a else float('nan'):.1f}")


if __name__ == "__main__":
    main()
