"""Live refresh (issue 4 item 6): the background runner, the connection light and
the live feed — a change written by a second process shows up within 2 s (by
polling on SQLite, by NOTIFY on PostgreSQL), the light goes red while the
database is away and the window keeps running, and every change made meanwhile
arrives after it comes back.

Outages: SQLite — the folder holding the database file is renamed away (new
connections cannot open it; other seats keep writing to it at its new place)
and renamed back. PostgreSQL — a dedicated throwaway cluster (never the shared
test server) is stopped with `pg_ctl -m fast stop` and started again. A third
test points the feed at a socket that accepts and never answers (a hung server).
"""

from __future__ import annotations

import itertools
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QThread, QTimer
from sqlalchemy.orm import Session

from desktop.live import GREEN, RED, YELLOW, LiveFeed
from desktop.workers import Cancelled, TaskRunner
from models.enums import UserRole
from models.lifecycle import Action, Params
from models.lifecycle.service import CaseService
from tests.factories import grid_centre, identity, make_db, town_id
from widgets.status_light import ConnectionLight, refresh_text, state_text

ROOT = Path(__file__).resolve().parents[2]
DUTY = identity(UserRole.DUTY_OFFICER)

# A second seat: reports `n` cases `gap` s apart, printing each id and its commit time.
WRITER = r"""
import json, sys, time
from sqlalchemy.orm import Session
from models.db import make_engine
from models.enums import UserRole
from models.lifecycle.service import CaseService
from tests.factories import grid_centre, identity

url, n, gap = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
engine = make_engine(url)
duty = identity(UserRole.DUTY_OFFICER)
for i in range(n):
    if i:
        time.sleep(gap)
    with Session(engine) as s:
        lon, lat = grid_centre(i % 4)
        case = CaseService(s, duty).report(minor_code="1102", lon=lon, lat=lat, description=f"second seat {i}")
        s.commit()
        print(json.dumps({"id": case.id, "t": time.time()}), flush=True)
"""


def start_writer(url: str, n: int = 1, gap: float = 0.0) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-c", WRITER, url, str(n), str(gap)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def writes_of(proc: subprocess.Popen) -> list[tuple[int, float]]:
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err[-3000:]
    return [(d["id"], d["t"]) for d in map(json.loads, out.splitlines())]


def write_in_process(qtbot, url: str, n: int = 1, gap: float = 0.0) -> list[tuple[int, float]]:
    """Another process writes while this one's event loop keeps running."""
    proc = start_writer(url, n, gap)
    qtbot.waitUntil(lambda: proc.poll() is not None, timeout=120_000)
    return writes_of(proc)


def write_blocking(url: str, n: int = 1) -> list[tuple[int, float]]:
    """Another process writes while this window's event loop is *not* running (it cannot react)."""
    return writes_of(start_writer(url, n))


class Recorder:
    """What a feed said: first arrival time of each case id, the states in order."""

    def __init__(self, feed: LiveFeed) -> None:
        self.seen: dict[int, float] = {}
        self.states: list[str] = []
        self.refreshes = 0
        feed.casesChanged.connect(self._on_cases)
        feed.connectionState.connect(self.states.append)
        feed.lastRefresh.connect(self._on_refresh)

    def _on_cases(self, ids: list) -> None:
        now = time.time()
        for i in ids:
            self.seen.setdefault(i, now)

    def _on_refresh(self, _when) -> None:
        self.refreshes += 1


class Ticker:
    """A QTimer on the GUI thread: the largest gap between its ticks shows whether the window froze."""

    def __init__(self, interval_ms: int = 50) -> None:
        self.times: list[float] = []
        self.timer = QTimer()
        self.timer.timeout.connect(lambda: self.times.append(time.monotonic()))
        self.timer.start(interval_ms)

    def max_gap(self, since: float = 0.0, until: float = float("inf")) -> float:
        t = [x for x in self.times if since <= x <= until]
        return max((b - a for a, b in itertools.pairwise(t)), default=float("inf"))

    def stop(self) -> None:
        self.timer.stop()


@pytest.fixture
def feeds():
    made: list[LiveFeed] = []

    def make(url, who=DUTY, **kw) -> tuple[LiveFeed, Recorder]:
        feed = LiveFeed(url, who, **kw)
        made.append(feed)
        return feed, Recorder(feed)

    yield make
    for feed in made:
        feed.stop()


def wait_ready(qtbot, feed: LiveFeed, rec: Recorder, listen: bool = False) -> None:
    feed.start()
    qtbot.waitUntil(lambda: feed.state() == GREEN and rec.refreshes > 0, timeout=15_000)
    if listen:
        qtbot.waitUntil(lambda: feed.listening, timeout=15_000)
        qtbot.wait(300)  # the catch-up poll after LISTEN


# --- the runner ------------------------------------------------------------------------


def _where_am_i(x):
    return x * 2, QThread.currentThread()


def _slow(x, delay):
    time.sleep(delay)
    return x


def _fails():
    raise ValueError("broken on purpose")


def _steps(n, task):
    for i in range(n):
        task.check()
        task.progress((i + 1) / n, f"step {i + 1}")
        time.sleep(0.02)
    return n


def test_runner_runs_off_the_gui_thread_and_answers_on_it(qtbot, qapp):
    runner = TaskRunner()
    got = []
    runner.submit("k", _where_am_i, 21, on_done=lambda r: got.append((r, QThread.currentThread())))
    qtbot.waitUntil(lambda: bool(got), timeout=5000)
    (value, worker_thread), callback_thread = got[0]
    assert value == 42
    assert worker_thread is not qapp.thread() and callback_thread is qapp.thread()
    assert not runner.is_running("k")
    runner.shutdown()


def test_runner_delivers_errors_and_cancels_the_previous_run_of_a_key(qtbot):
    runner = TaskRunner(max_threads=2)
    done, errors = [], []
    runner.done.connect(lambda key, r: done.append((key, r)))
    runner.error.connect(lambda key, e: errors.append((key, e)))
    first = runner.submit("detail", _slow, "old", 0.4)
    runner.submit("detail", _slow, "new", 0.05)  # supersedes the first
    runner.submit("export", _fails)
    qtbot.waitUntil(lambda: len(done) == 1 and len(errors) == 1, timeout=5000)
    qtbot.wait(600)  # the old run returns meanwhile: dropped
    assert done == [("detail", "new")] and first.cancelled
    assert errors[0][0] == "export" and isinstance(errors[0][1], ValueError)
    assert runner.active_count() == 0
    runner.shutdown()


def test_runner_progress_and_cooperative_cancel(qtbot):
    runner = TaskRunner()
    progress, done = [], []
    runner.submit("p", _steps, 5, with_task=True, on_progress=lambda f, t: progress.append((f, t)),
                  on_done=done.append)
    qtbot.waitUntil(lambda: done == [5], timeout=5000)
    assert progress[-1] == (1.0, "step 5")
    errors = []
    task = runner.submit("p", _steps, 200, with_task=True, on_done=done.append, on_error=errors.append)
    qtbot.wait(100)
    runner.cancel("p")
    assert runner.shutdown(3000)  # the run noticed and stopped early
    assert task.cancelled and done == [5] and errors == []
    with pytest.raises(Cancelled):
        task.check()


# --- the light --------------------------------------------------------------------------


def test_light_texts():
    import datetime as dt

    assert state_text("green") == "数据库连接正常"
    assert state_text("yellow") == "响应缓慢"
    assert state_text("red") == "连接中断, 重试中…"
    assert state_text("red", "en") == "Connection lost, retrying…"
    now = dt.datetime(2026, 11, 23, 14, 3, 30)
    assert refresh_text(now - dt.timedelta(seconds=1), now) == "最后刷新 14:03:29"
    assert refresh_text(now - dt.timedelta(minutes=3), now) == "最后刷新 14:00:30 (3 分钟前)"
    assert refresh_text(now - dt.timedelta(days=1), now, "en").startswith("Last refresh 2026-11-22")
    assert refresh_text(None, now) == "尚未刷新"


def test_light_widget_shows_state_and_time(qtbot):
    import datetime as dt

    now = dt.datetime(2026, 11, 23, 14, 3, 30)
    light = ConnectionLight(clock=lambda: now)
    qtbot.addWidget(light)
    assert light.state() == "unknown" and "正在连接" in light.text()
    light.set_state(GREEN)
    light.set_last_refresh(now)
    assert light.text() == "数据库连接正常 最后刷新 14:03:30"
    assert light.dot.colour.name() == "#2e7d32"
    light.set_state(RED)
    assert light.text().startswith("连接中断, 重试中…") and light.dot.colour.name() == "#c62828"
    office = light.sizeHint().height()
    light.set_wall_mode(True)
    assert light.sizeHint().height() > office * 1.4 and light.dot.diameter >= 18


def test_light_demo_runs_alone():
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-m", "widgets.status_light", "--wall", "--quit-after", "2500"],
                          check=False, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert "连接中断" in proc.stdout


# --- the live feed ----------------------------------------------------------------------


@pytest.fixture
def district(db_url):
    engine = make_db(db_url)
    engine.dispose()
    return db_url


def test_second_process_change_arrives_within_2s(qtbot, district, feeds):
    feed, rec = feeds(district)
    wait_ready(qtbot, feed, rec, listen=district.startswith("postgresql"))
    writes = write_in_process(qtbot, district, n=5, gap=0.37)
    qtbot.waitUntil(lambda: all(i in rec.seen for i, _ in writes), timeout=5000)
    latency = [rec.seen[i] - t for i, t in writes]
    print(f"\n{district.split(':')[0]} change -> casesChanged latency: median {statistics.median(latency) * 1000:.0f} ms,"
          f" max {max(latency) * 1000:.0f} ms")
    assert max(latency) < 2.0, latency
    assert feed.state() == GREEN and feed.healthy()


@pytest.fixture
def pg_url():
    """An empty database on the shared test server (PostgreSQL-only tests)."""
    from tests.pgserver import fresh_database, postgres_url

    base = postgres_url()
    if base is None:
        pytest.skip("no PostgreSQL server (set GRIDDESK_TEST_PG or install the server binaries)")
    return fresh_database(base)


def test_postgres_notify_fast_path(qtbot, pg_url, feeds):
    db_url = pg_url
    make_db(db_url).dispose()
    # polling once a minute: only the NOTIFY path can deliver within the test's bounds
    feed, rec = feeds(db_url, interval_ms=60_000)
    wait_ready(qtbot, feed, rec, listen=True)
    polls_before = feed.polls
    writes = write_in_process(qtbot, db_url, n=5, gap=0.23)
    qtbot.waitUntil(lambda: all(i in rec.seen for i, _ in writes), timeout=5000)
    latency = [rec.seen[i] - t for i, t in writes]
    print(f"\nNOTIFY change -> casesChanged latency: median {statistics.median(latency) * 1000:.1f} ms, "
          f"max {max(latency) * 1000:.1f} ms")
    assert feed.notify_count >= 5 and feed.fast_polls >= 1 and feed.last_trigger == "notify"
    assert feed.polls > polls_before
    assert max(latency) < 0.5, latency


def test_scope_and_resync(qtbot, tmp_path, feeds):
    url = f"sqlite:///{tmp_path / 'scope.sqlite'}"
    engine = make_db(url)
    with Session(engine) as s:
        t1 = town_id(s, 1)
    town_feed, town_rec = feeds(url, identity(UserRole.TOWN_OFFICER, t1))
    wait_ready(qtbot, town_feed, town_rec)
    ids = {}
    with Session(engine) as s:
        for ix in (0, 2):  # grid 0 is in town 1, grid 2 in town 2
            lon, lat = grid_centre(ix)
            ids[ix] = CaseService(s, DUTY).report(minor_code="1102", lon=lon, lat=lat).id
        s.commit()
    qtbot.waitUntil(lambda: ids[0] in town_rec.seen, timeout=5000)
    qtbot.wait(1500)
    assert ids[2] not in town_rec.seen  # the other town's case never reaches a town officer
    engine.dispose()
    # a feed far ahead of the database (a database replaced under it) asks for a reload
    ahead, _ = feeds(url, since=10**9)
    resync = []
    ahead.resyncNeeded.connect(lambda: resync.append(1))
    ahead.start()
    qtbot.waitUntil(lambda: bool(resync), timeout=5000)
    assert ahead.last_feed_id < 10**9


def test_postgres_late_commit_below_the_mark_is_not_lost(qtbot, pg_url, feeds):
    """Feed ids come from a sequence: a transaction may commit after a later id was read.

    (PostgreSQL only: SQLite has one writer at a time, so its ids commit in order.)
    """
    db_url = pg_url
    engine = make_db(db_url)
    with Session(engine) as s:
        a, b = (CaseService(s, DUTY).report(minor_code="1102", lon=grid_centre(i)[0], lat=grid_centre(i)[1])
                for i in (0, 1))
        s.commit()
        a_id, b_id, a_v, b_v = a.id, b.id, a.version, b.version
    feed, rec = feeds(db_url)
    wait_ready(qtbot, feed, rec)
    slow = Session(engine)
    try:
        CaseService(slow, DUTY).act(a_id, a_v, Action.FILE, Params())  # flushed: feed id n, not committed
        with Session(engine) as s:
            CaseService(s, DUTY).act(b_id, b_v, Action.FILE, Params())  # feed id n + 1, committed first
            s.commit()
        qtbot.waitUntil(lambda: b_id in rec.seen, timeout=5000)
        qtbot.wait(1200)  # a poll or two read past id n
        assert a_id not in rec.seen and feed.pending_gaps >= 1
        slow.commit()
    finally:
        slow.close()
    qtbot.waitUntil(lambda: a_id in rec.seen, timeout=5000)
    qtbot.waitUntil(lambda: feed.pending_gaps == 0, timeout=3000)
    engine.dispose()


def test_sqlite_outage_red_light_and_catch_up(qtbot, tmp_path, feeds):
    seat = tmp_path / "seat"
    seat.mkdir()
    url = f"sqlite:///{seat / 'griddesk.sqlite'}"
    make_db(url).dispose()
    feed, rec = feeds(url, max_backoff_s=2)
    light = ConnectionLight()
    qtbot.addWidget(light)
    feed.connectionState.connect(light.set_state)
    feed.lastRefresh.connect(light.set_last_refresh)
    wait_ready(qtbot, feed, rec)
    first = write_in_process(qtbot, url)
    qtbot.waitUntil(lambda: first[0][0] in rec.seen, timeout=5000)
    ticker = Ticker()
    away = tmp_path / "away"
    t_out = time.monotonic()
    os.rename(seat, away)  # the file is gone for this seat
    qtbot.waitUntil(lambda: feed.state() == RED, timeout=15_000)
    assert light.state() == RED and "连接中断" in light.text() and not feed.healthy()
    assert rec.states[-2:] == [YELLOW, RED]
    # other seats keep working on the database at its new place meanwhile
    during = write_in_process(qtbot, f"sqlite:///{away / 'griddesk.sqlite'}", n=3, gap=0.2)
    assert feed.state() == RED and not any(i in rec.seen for i, _ in during)
    qtbot.wait(1500)
    assert feed.state() == RED
    os.rename(away, seat)
    qtbot.waitUntil(lambda: feed.state() == GREEN, timeout=15_000)
    qtbot.waitUntil(lambda: all(i in rec.seen for i, _ in during), timeout=5000)
    assert light.state() == GREEN
    ticker.stop()
    assert len(ticker.times) > 20 and ticker.max_gap(t_out) < 1.0, ticker.max_gap(t_out)


def test_postgres_outage_red_light_and_catch_up(qtbot, feeds):
    from tests.pgserver import dedicated_cluster, fresh_database

    if not os.environ.get("GRIDDESK_TEST_PG_CTL") and not any(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl")):
        pytest.skip("no PostgreSQL server binaries")
    cluster = dedicated_cluster()
    assert cluster is not None
    try:
        url = fresh_database(cluster.url)
        make_db(url).dispose()
        feed, rec = feeds(url, max_backoff_s=2)
        wait_ready(qtbot, feed, rec, listen=True)
        ticker = Ticker()
        before = write_in_process(qtbot, url)
        qtbot.waitUntil(lambda: before[0][0] in rec.seen, timeout=5000)
        unseen = write_blocking(url)  # committed, and the server goes down before the window looks again
        cluster.stop()
        t_down = time.monotonic()  # (the test itself blocked the event loop until here)
        qtbot.waitUntil(lambda: feed.state() == RED, timeout=20_000)
        assert not feed.listening and not feed.healthy()
        qtbot.wait(2500)  # retrying with backoff, the window keeps running
        assert feed.state() == RED
        t_up = time.monotonic()
        cluster.start()
        during = write_blocking(url, n=3)  # written before the window has seen the database again
        assert feed.state() == RED
        t_back = time.monotonic()
        qtbot.waitUntil(lambda: feed.state() == GREEN, timeout=20_000)
        qtbot.waitUntil(lambda: all(i in rec.seen for i, _ in unseen + during), timeout=5000)
        qtbot.waitUntil(lambda: feed.listening, timeout=15_000)  # the fast path is back too
        after = write_in_process(qtbot, url)
        qtbot.waitUntil(lambda: after[0][0] in rec.seen, timeout=3000)
        ticker.stop()
        # the GUI thread never stalled while the database was down or coming back
        assert ticker.max_gap(t_down, t_up) < 1.0, ticker.max_gap(t_down, t_up)
        assert ticker.max_gap(t_back) < 1.0, ticker.max_gap(t_back)
    finally:
        if "feed" in locals():
            feed.stop()
        cluster.destroy()


def test_hung_server_turns_yellow_then_red_without_freezing(qtbot, feeds):
    """A server that accepts connections and never answers (a hung host, a half-open network)."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:  # accept and say nothing
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(srv.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        url = f"postgresql+psycopg://postgres@127.0.0.1:{srv.getsockname()[1]}/griddesk"
        feed, rec = feeds(url, interval_ms=500, since=0)
        ticker = Ticker()
        t0 = time.monotonic()
        feed.start()
        qtbot.waitUntil(lambda: feed.state() == YELLOW, timeout=10_000)
        qtbot.waitUntil(lambda: feed.state() == RED, timeout=20_000)
        ticker.stop()
        assert rec.states[:2] == [YELLOW, RED] and rec.refreshes == 0 and not rec.seen
        assert ticker.max_gap(t0) < 1.0, ticker.max_gap(t0)
        assert "timeout" in feed.last_error.lower() or "expired" in feed.last_error.lower(), feed.last_error
    finally:
        stop.set()
        thread.join(2)
        for c in held:
            c.close()
        srv.close()


# --- demo life through the window -------------------------------------------------------------


def test_demo_live_driver_feeds_the_window(qtbot, qapp, tmp_path, feeds, monkeypatch):
    import datetime as dt

    from desktop import demo_live
    from desktop.demo_live import DemoLiveDriver
    from models.db import make_engine
    from models.demo.seed import seed_demo
    from models.setup import init_database

    url = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    engine = make_engine(url)
    init_database(engine)
    seeded_at = dt.datetime(2026, 11, 23, 10, 0)  # a Monday morning: the busy hours
    seed_demo(engine, seed=5, cases=200, now=seeded_at, patrol_days=1)
    engine.dispose()
    threads = []
    real_tick = demo_live.run_tick

    def spy(holder, now):
        threads.append(QThread.currentThread())
        return real_tick(holder, now)

    monkeypatch.setattr(demo_live, "run_tick", spy)
    feed, rec = feeds(url)
    wait_ready(qtbot, feed, rec)
    t0 = time.monotonic()
    driver = DemoLiveDriver(url, speed=600, interval_ms=300, seed=1,
                            clock=lambda: seeded_at + dt.timedelta(seconds=time.monotonic() - t0))
    ticks = []
    driver.ticked.connect(ticks.append)
    ticker = Ticker()
    driver.start()
    try:
        qtbot.waitUntil(lambda: sum(t["reported"] for t in ticks) >= 3, timeout=30_000)
        new = set().union(*(set(t["case_ids"]) for t in ticks))
        qtbot.waitUntil(lambda: new <= set(rec.seen), timeout=5000)  # the window saw the simulator's work
    finally:
        driver.stop()
        ticker.stop()
    assert driver.failures == 0 and driver.ticks >= 2 and driver.totals["reported"] >= 3
    assert threads and all(t is not qapp.thread() for t in threads)
    assert ticker.max_gap(t0) < 1.0
