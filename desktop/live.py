"""Live refresh: changes made by other seats reach this window within a second.

`LiveFeed` polls the change feed (`change_feed`, written by every flush that
touches a case, see models/db.py) once a second on a worker thread and emits
`casesChanged(ids)` on the GUI thread. On PostgreSQL it also LISTENs on
`griddesk_changes` over its own AUTOCOMMIT connection, watched by a
`QSocketNotifier`; a NOTIFY triggers a poll at once (the fast path: a few
milliseconds instead of up to a second). Polling stays on as the safety net and
the health check, so nothing depends on the notification arriving.

The connection light: `connectionState` is 'green' (last poll fine and recent),
'yellow' (a poll slower than 2 s, or one failure) or 'red' (the database is
unreachable: failures in a row, or a poll hanging > 10 s). While red the feed
retries with backoff (1, 2, 4, 8 s); when the database is back it reads every
change after the last feed id it saw — nothing is lost — and turns green. A
stopped database never freezes the window: no database call runs on the GUI
thread (the NOTIFY socket is only read without waiting).

PostgreSQL hands out feed ids from a sequence, so a transaction that commits
late can show up *below* the high-water mark already read. The poll remembers
such holes for two minutes and reads them again, so those changes are not lost
either (a hole left by a rolled-back transaction simply expires).

Typical wiring (the shell)::

    with Session(engine) as s:
        head = feed_head(s)          # read before the queue loads its first page
    feed = LiveFeed(url, identity, since=head, parent=window)
    feed.casesChanged.connect(queue_model.refresh_ids)
    feed.resyncNeeded.connect(queue_model.reload)
    feed.connectionState.connect(light.set_state)
    feed.lastRefresh.connect(light.set_last_refresh)
    feed.start()
    ...
    feed.stop()
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from PySide6.QtCore import QObject, QSocketNotifier, QTimer, Signal
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from desktop.workers import TaskRunner
from models.auth import Identity
from models.db import NOTIFY_CHANNEL, make_engine, resolve_url
from models.schema import ChangeFeed

log = logging.getLogger(__name__)

GREEN, YELLOW, RED = "green", "yellow", "red"
UNKNOWN = "unknown"  # before the first poll
SLOW_S = 2.0  # a poll slower than this turns the light yellow
HUNG_S = 10.0  # a poll hanging longer than this turns it red
CONNECT_TIMEOUT_S = 3
STATEMENT_TIMEOUT_MS = 5000
LISTEN_RETRY_S = 5.0  # doubled after each failed LISTEN attempt, up to LISTEN_RETRY_MAX_S
LISTEN_RETRY_MAX_S = 60.0
GAP_WAIT_S = 120.0  # how long a hole in the feed ids is re-read
MAX_GAPS = 5000
BATCH = 5000  # feed rows per query
MAX_ROUNDS = 40  # queries per poll; a longer backlog continues in the next poll at once
EMIT_CHUNK = 5000  # ids per casesChanged emission

DbSource = str | Engine | Callable[[], Engine]


# --- the database side (worker threads) ----------------------------------------------


def feed_engine(url: str) -> Engine:
    """An engine for polling: fails fast when the database is gone, never creates one.

    SQLite: a fresh read-write (never create) connection per poll, so a file
    that went away shows as a failure instead of an empty new database.
    PostgreSQL: a small pre-pinged pool with connect and statement timeouts.
    """
    u = sa.engine.make_url(url)
    if u.get_backend_name() == "sqlite":
        db = u.database or ""
        if db and db != ":memory:" and not db.startswith("file:"):
            path = urllib.parse.quote(os.path.abspath(db))
            return make_engine(f"sqlite:///file:{path}?mode=rw&uri=true", poolclass=NullPool)
        return make_engine(url, poolclass=NullPool)
    connect_args: dict[str, Any] = {}
    if u.get_backend_name() == "postgresql":
        connect_args = {"connect_timeout": CONNECT_TIMEOUT_S,
                        "options": f"-c statement_timeout={STATEMENT_TIMEOUT_MS}"}
    return make_engine(url, pool_size=1, max_overflow=2, pool_recycle=600, connect_args=connect_args)


class EngineSource:
    """The feed's engine, made on first use (on a worker) and reset after a failure."""

    def __init__(self, db: DbSource) -> None:
        self._db = db
        self._engine: Engine | None = db if isinstance(db, Engine) else None
        self._lock = threading.Lock()
        if isinstance(db, str):
            self.dialect = sa.engine.make_url(db).get_backend_name()
        elif isinstance(db, Engine):
            self.dialect = db.dialect.name
        else:
            self.dialect = ""  # known after the first poll

    def get(self) -> Engine:
        with self._lock:
            if self._engine is None:
                self._engine = feed_engine(self._db) if isinstance(self._db, str) else self._db()
                self.dialect = self._engine.dialect.name
            return self._engine

    def url(self) -> str:
        return self.get().url.render_as_string(hide_password=False)

    def reset(self) -> None:
        """Drop pooled connections (they may be dead); the next poll connects afresh."""
        with self._lock:
            engine = self._engine
        if engine is not None:
            engine.dispose()


@dataclass(frozen=True)
class FeedCursor:
    """Where this seat stands in the feed: the high-water mark and the holes below it."""

    last_id: int | None  # None: not started (the first poll only reads the head)
    gaps: tuple[tuple[int, float], ...] = ()  # (feed id, monotonic time first missed)
    probe_below: bool = False  # first poll: holes just below the mark may be transactions still open


@dataclass(frozen=True)
class PollResult:
    cursor: FeedCursor
    case_ids: tuple[int, ...]
    seconds: float
    dialect: str
    more: bool = False  # a long backlog: poll again at once
    feed_reset: bool = False  # the feed is behind our mark: the database was replaced


@dataclass
class _Read:
    last: int
    ids: list[int] = field(default_factory=list)
    gaps: dict[int, float] = field(default_factory=dict)


def poll_feed(source: EngineSource, cursor: FeedCursor, identity: Identity) -> PollResult:
    """Read the changes after `cursor` (scoped to `identity`): runs on a worker thread."""
    t0 = time.monotonic()
    try:
        engine = source.get()
        with Session(engine) as s:
            last_id = cursor.last_id
            if last_id is None:
                last_id = s.scalar(sa.select(sa.func.max(ChangeFeed.id))) or 0
            read = _Read(last_id, gaps={i: since for i, since in cursor.gaps if t0 - since < GAP_WAIT_S})
            if cursor.probe_below:
                _probe_below(s, read, t0)
            if cursor.last_id is None:
                return PollResult(FeedCursor(read.last, tuple(sorted(read.gaps.items()))), (),
                                  time.monotonic() - t0, engine.dialect.name)
            town = identity.town_id if identity.scoped else None
            if read.gaps:
                _fill_gaps(s, read, town)
            more = False
            for _ in range(MAX_ROUNDS):
                full = _read_after(s, read, town, t0)
                if not full:
                    break
            else:
                more = True
            reset = False
            if read.last == cursor.last_id and not read.ids:
                head = s.scalar(sa.select(sa.func.max(ChangeFeed.id))) or 0
                if head < cursor.last_id:
                    reset, read.last, read.gaps = True, head, {}
        gaps = tuple(sorted(read.gaps.items()))[-MAX_GAPS:]
        return PollResult(FeedCursor(read.last, gaps), tuple(dict.fromkeys(read.ids)), time.monotonic() - t0,
                          engine.dialect.name, more, reset)
    except Exception:
        source.reset()
        raise


def _read_after(s: Session, read: _Read, town: int | None, now: float) -> bool:
    """One batch after the mark; holes in the ids are remembered. True if the batch was full."""
    rows = s.execute(sa.select(ChangeFeed.id, ChangeFeed.entity, ChangeFeed.entity_id, ChangeFeed.town_id)
                     .where(ChangeFeed.id > read.last).order_by(ChangeFeed.id).limit(BATCH)).all()
    prev = read.last
    for r in rows:  # every entity's rows, so that only true holes count as holes
        if r.id > prev + 1 and len(read.gaps) < MAX_GAPS:
            for missing in range(prev + 1, min(r.id, prev + 1 + MAX_GAPS - len(read.gaps))):
                read.gaps.setdefault(missing, now)
        prev = r.id
        if r.entity == "case" and (town is None or r.town_id == town):
            read.ids.append(r.entity_id)
    if rows:
        read.last = rows[-1].id
    return len(rows) == BATCH


def _probe_below(s: Session, read: _Read, now: float, window: int = 200) -> None:
    """Holes among the last `window` ids below the starting mark (PostgreSQL: maybe still committing)."""
    if read.last <= 0:
        return
    present = set(s.scalars(sa.select(ChangeFeed.id).where(ChangeFeed.id > read.last - window,
                                                           ChangeFeed.id <= read.last)))
    lowest = max(1, read.last - window + 1)
    if present:
        lowest = max(lowest, min(present))  # no older rows: nothing below them to wait for
    for missing in range(lowest, read.last + 1):
        if missing not in present:
            read.gaps.setdefault(missing, now)


def _fill_gaps(s: Session, read: _Read, town: int | None) -> None:
    """Rows that appeared in earlier holes (transactions that committed late)."""
    wanted = sorted(read.gaps)
    for i in range(0, len(wanted), 1000):
        rows = s.execute(sa.select(ChangeFeed.id, ChangeFeed.entity, ChangeFeed.entity_id, ChangeFeed.town_id)
                         .where(ChangeFeed.id.in_(wanted[i:i + 1000]))).all()
        for r in rows:
            read.gaps.pop(r.id, None)
            if r.entity == "case" and (town is None or r.town_id == town):
                read.ids.append(r.entity_id)


class Listener:
    """An AUTOCOMMIT PostgreSQL connection LISTENing on the change channel."""

    def __init__(self, engine: Engine, conn: sa.Connection) -> None:
        self.engine, self.conn = engine, conn
        self.driver = conn.connection.driver_connection  # the psycopg connection

    def fileno(self) -> int:
        return self.driver.fileno()

    def drain(self) -> int:
        """Notifications waiting now (never waits). Raises when the connection is broken."""
        # notifies() holds the connection lock while iterated: collect first (TECH-NOTES)
        return len(list(self.driver.notifies(timeout=0)))

    def close(self) -> None:
        try:
            self.conn.invalidate()
            self.conn.close()
        except Exception as exc:  # noqa: BLE001 - closing a dead connection
            log.debug("closing the LISTEN connection: %s", exc)
        self.engine.dispose()


def open_listener(url: str) -> Listener:
    """Connect and LISTEN (worker thread)."""
    engine = sa.create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT",
                              connect_args={"connect_timeout": CONNECT_TIMEOUT_S})
    try:
        conn = engine.connect()
        conn.exec_driver_sql(f"LISTEN {NOTIFY_CHANNEL}")
    except Exception:
        engine.dispose()
        raise
    return Listener(engine, conn)


# --- the GUI side ------------------------------------------------------------------------


class LiveFeed(QObject):
    """Polls the change feed off the GUI thread (plus NOTIFY on PostgreSQL) and says what changed.

    `db` is a URL, an Engine or a function returning one (called on a worker).
    `since` is the feed id the view is current to (`models.queue.feed_head`
    read before the view loaded); None starts from the head at the first poll.
    """

    casesChanged = Signal(list)  # case ids changed since the last emission (scoped to the identity)
    connectionState = Signal(str)  # 'green' | 'yellow' | 'red'
    lastRefresh = Signal(object)  # datetime of the last successful poll
    resyncNeeded = Signal()  # the feed restarted below our mark (database replaced): reload the view

    def __init__(self, db: DbSource | None, identity: Identity, *, since: int | None = None,
                 interval_ms: int = 1000, listen: bool = True, max_backoff_s: float = 8.0,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._source = EngineSource(resolve_url(db) if db is None or isinstance(db, str) else db)
        self.identity = identity
        self._cursor = FeedCursor(since, probe_below=True)
        self._interval_s = interval_ms / 1000
        self._listen_wanted = listen
        self._max_backoff_s = max_backoff_s
        self._runner: TaskRunner | None = TaskRunner(self, max_threads=2)
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._on_tick)
        self._state = UNKNOWN
        self._in_flight_since: float | None = None
        self._again = False
        self._failures = 0
        self._next_try = 0.0
        self._last_ok: float | None = None
        self._listener: Listener | None = None
        self._notifier: QSocketNotifier | None = None
        self._listen_connecting = False
        self._listen_retry_at = 0.0
        self._listen_failures = 0
        self._running = False
        self._trigger = ""
        self.last_error = ""
        # counters, for the status bar tooltip and the tests
        self.polls = 0
        self.notify_count = 0  # NOTIFY messages received
        self.fast_polls = 0  # polls started by a NOTIFY
        self.last_trigger = ""  # what started the poll that delivered the last change

    # --- public -----------------------------------------------------------------------
    def start(self) -> None:
        if self._running:
            return
        self._running = True
        if self._runner is None:
            self._runner = TaskRunner(self, max_threads=2)
        self._timer.start()
        self._start_poll("start")

    def stop(self, wait_ms: int = 2000) -> None:
        """Stop polling and listening; waits up to `wait_ms` for a running poll."""
        self._running = False
        self._timer.stop()
        self._close_listener()
        runner, self._runner = self._runner, None
        if runner is not None and runner.shutdown(wait_ms):
            runner.deleteLater()  # (one still waiting on a hung server is left to its parent, this feed)
        self._in_flight_since = None
        self._listen_connecting = False
        self._source.reset()

    def poll_now(self) -> None:
        """Poll at once (e.g. right after this seat saved something)."""
        if self._running:
            self._start_poll("manual")

    def state(self) -> str:
        return self._state

    def healthy(self) -> bool:
        """True unless the database is unreachable (red) or not reached yet."""
        return self._state in (GREEN, YELLOW)

    @property
    def last_feed_id(self) -> int | None:
        return self._cursor.last_id

    @property
    def listening(self) -> bool:
        return self._listener is not None

    @property
    def pending_gaps(self) -> int:
        return len(self._cursor.gaps)

    # --- polling ----------------------------------------------------------------------
    def _on_tick(self) -> None:
        if self._listener is not None:
            self._drain("tick")  # also catches notifications libpq buffered without a readable socket
        now = time.monotonic()
        if self._in_flight_since is not None:
            waited = now - self._in_flight_since
            if waited > HUNG_S:
                self._set_state(RED)
            elif waited > SLOW_S and self._state in (GREEN, UNKNOWN):
                self._set_state(YELLOW)
            return
        if now >= self._next_try:
            self._start_poll("timer")

    def _start_poll(self, trigger: str) -> None:
        if not self._running or self._runner is None:
            return
        if self._in_flight_since is not None:
            self._again = True
            return
        self._in_flight_since = time.monotonic()
        self._trigger = trigger
        self._runner.submit("poll", poll_feed, self._source, self._cursor, self.identity,
                            on_done=self._on_polled, on_error=self._on_poll_failed)

    def _on_polled(self, result: PollResult) -> None:
        self._in_flight_since = None
        if not self._running:
            return
        self.polls += 1
        self._failures = 0
        self._next_try = 0.0
        self._last_ok = time.monotonic()
        self._cursor = result.cursor
        if result.feed_reset:
            self.resyncNeeded.emit()
        if result.case_ids:
            self.last_trigger = self._trigger
            ids = list(result.case_ids)
            for i in range(0, len(ids), EMIT_CHUNK):
                self.casesChanged.emit(ids[i:i + EMIT_CHUNK])
        self._set_state(YELLOW if result.seconds > SLOW_S else GREEN)
        self.lastRefresh.emit(dt.datetime.now().replace(microsecond=0))
        self._maybe_listen(result.dialect)
        if self._again or result.more:
            self._again = False
            self._start_poll("again")

    def _on_poll_failed(self, exc: BaseException) -> None:
        self._in_flight_since = None
        if not self._running:
            return
        self._failures += 1
        self.last_error = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if self._failures == 1:
            log.warning("change feed poll failed: %s", self.last_error)
        self._set_state(YELLOW if self._failures == 1 else RED)
        backoff = min(self._max_backoff_s, self._interval_s * 2 ** (self._failures - 1))
        self._next_try = time.monotonic() + backoff
        self._again = False
        self._close_listener()  # a silent partition would leave it looking alive; re-made on recovery

    def _set_state(self, state: str) -> None:
        if state != self._state:
            self._state = state
            self.connectionState.emit(state)

    # --- LISTEN/NOTIFY (PostgreSQL) -------------------------------------------------------
    def _maybe_listen(self, dialect: str) -> None:
        if (not self._listen_wanted or dialect != "postgresql" or self._listener is not None
                or self._listen_connecting or time.monotonic() < self._listen_retry_at or self._runner is None):
            return
        self._listen_connecting = True
        self._runner.submit("listen", _open_listener_for, self._source,
                            on_done=self._on_listener, on_error=self._on_listen_failed)

    def _on_listener(self, listener: Listener) -> None:
        self._listen_connecting = False
        if not self._running or self._listener is not None:
            listener.close()
            return
        self._listener = listener
        self._listen_failures = 0
        self._notifier = QSocketNotifier(listener.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(lambda *_: self._drain("notify"))
        self._start_poll("listen")  # whatever changed before LISTEN took effect

    def _on_listen_failed(self, exc: BaseException) -> None:
        self._listen_connecting = False
        self._listen_failures += 1
        self._listen_retry_at = time.monotonic() + min(LISTEN_RETRY_MAX_S,
                                                       LISTEN_RETRY_S * 2 ** (self._listen_failures - 1))
        log.info("LISTEN %s failed, polling only: %s", NOTIFY_CHANNEL, exc)

    def _drain(self, why: str) -> None:
        listener = self._listener
        if listener is None:
            return
        try:
            n = listener.drain()
        except Exception as exc:  # noqa: BLE001 - the connection broke: back to polling alone
            log.info("LISTEN connection lost (%s): %s", why, exc)
            self._close_listener()
            self._listen_retry_at = time.monotonic() + LISTEN_RETRY_S
            self._start_poll("listen-lost")
            return
        if n:
            self.notify_count += n
            self.fast_polls += 1
            self._start_poll("notify")

    def _close_listener(self) -> None:
        notifier, listener = self._notifier, self._listener
        self._notifier = self._listener = None
        if notifier is not None:
            notifier.setEnabled(False)  # before the socket closes under it
            notifier.deleteLater()
        if listener is not None:
            listener.close()


def _open_listener_for(source: EngineSource) -> Listener:
    return open_listener(source.url())


__all__ = ["GREEN", "RED", "UNKNOWN", "YELLOW", "EngineSource", "FeedCursor", "LiveFeed", "PollResult",
           "feed_engine", "open_listener", "poll_feed"]
