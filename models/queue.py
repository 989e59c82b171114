"""The live incident queue's data: filtered, sorted, paged, scoped case rows.

Widgets get frozen `QueueRow` snapshots (never ORM objects), so the queries can
run on a worker thread. The light is computed in SQL from the running step's
precomputed yellow moment and deadline, so it can be filtered and sorted on.

Pages are read from indexes, not sorted, so a page costs about the same at 1,000
and at 100,000 open cases, and deep in the list as on top (bench/bench_queue.py):

- each order is a list of *segments*, runs of rows sorted by plain columns and the
  id: the deadline order is the cases with a deadline, then those without; the
  light and card orders are one run per light or card, each by id;
- each segment reads every status of the filter from its own range of a
  (status, key…, id) index (migration 0004) and the database merges them, so the
  open-status filter costs nothing and the closed history is never read; filters
  that name cases or grids, or search text, read the few matching rows (or every
  row, for text) and sort them instead;
- the next page starts after the last row the caller holds (keyset paging), not at
  an OFFSET that the database would have to count through;
- a page's statements are built once per query shape and kept (`_statement`):
  building one costs more than running it.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.selectable import Join

from models.auth import Identity
from models.enums import Card, CaseSource, CaseStatus, Level, Light, Step
from models.schema import Case, ChangeFeed, Department, Grid, MinorClass, Town
from models.scope import scope_cases

RUNNING = [CaseStatus.REPORTED, CaseStatus.VERIFIED, CaseStatus.FILED, CaseStatus.DISPATCHED,
           CaseStatus.HANDLED, CaseStatus.CHECKED]
OPEN = [*RUNNING, CaseStatus.SUSPENDED]
ALL_JOINS = frozenset({"class", "grid", "town", "department"})
CARD_RANK = (Card.RED, Card.YELLOW, Card.NORMAL, Card.NONE)  # the card order: red first


@dataclass(frozen=True)
class QueueRow:
    id: int
    code: str
    version: int
    class_code: str
    class_name: str
    grid_code: str
    grid_name: str
    town_id: int
    town_name: str
    level: Level
    department: str
    status: CaseStatus
    step: Step | None
    step_started_at: dt.datetime | None
    step_yellow_at: dt.datetime | None
    step_deadline: dt.datetime | None
    light: Light
    card: Card
    source: CaseSource
    reported_at: dt.datetime
    updated_at: dt.datetime
    description: str
    lon: float
    lat: float
    is_demo: bool

    def light_at(self, now: dt.datetime) -> Light:
        """The light as time passes (same rule as the SQL)."""
        return light_of(self.status, self.step_yellow_at, self.step_deadline, now)


def light_of(status: CaseStatus, yellow_at: dt.datetime | None, deadline: dt.datetime | None,
             now: dt.datetime) -> Light:
    if status not in RUNNING or deadline is None:
        return Light.NONE
    if now > deadline:
        return Light.RED
    if yellow_at is not None and now >= yellow_at:
        return Light.YELLOW
    return Light.GREEN


@dataclass(frozen=True)
class QueueFilter:
    statuses: tuple[CaseStatus, ...] = tuple(OPEN)
    lights: tuple[Light, ...] = ()
    town_ids: tuple[int, ...] = ()
    class_codes: tuple[str, ...] = ()
    sources: tuple[CaseSource, ...] = ()
    text: str = ""
    case_ids: tuple[int, ...] = ()  # drill-down from a KPI tile or the map
    grid_ids: tuple[int, ...] = ()
    department_ids: tuple[int, ...] = ()


SORT_KEYS = ("deadline", "code", "reported_at", "updated_at", "light", "card", "town", "class", "status", "level")


@dataclass(frozen=True)
class QueueSort:
    key: str = "deadline"
    descending: bool = False

    def __post_init__(self) -> None:
        if self.key not in SORT_KEYS:
            raise ValueError(f"unknown sort key {self.key!r}")


@dataclass
class QueueQuery:
    """Builds the scoped, filtered query of one user at one moment."""

    identity: Identity
    flt: QueueFilter = field(default_factory=QueueFilter)
    sort: QueueSort = field(default_factory=QueueSort)

    def light_expr(self, now: Any) -> Any:
        """The light at `now` (a datetime, or the `now` parameter of a kept statement)."""
        return sa.case(
            (sa.or_(Case.status.not_in(RUNNING), Case.step_deadline.is_(None)), Light.NONE.value),
            (Case.step_deadline < now, Light.RED.value),
            (Case.step_yellow_at <= now, Light.YELLOW.value),
            else_=Light.GREEN.value)

    def _columns(self, now: Any) -> list[Any]:
        return [Case.id, Case.code, Case.version, MinorClass.code.label("class_code"),
                MinorClass.name.label("class_name"), Grid.code.label("grid_code"), Grid.name.label("grid_name"),
                Case.town_id, Town.name.label("town_name"), Case.level,
                sa.func.coalesce(Department.name, "").label("department"), Case.status, Case.step,
                Case.step_started_at, Case.step_yellow_at, Case.step_deadline,
                self.light_expr(now).label("light"), Case.card, Case.source, Case.reported_at, Case.updated_at,
                Case.description, Case.lon, Case.lat, Case.is_demo]

    def _joined(self, select: sa.Select, tables: frozenset[str] = ALL_JOINS) -> sa.Select:
        """Join the lookup tables in `tables` (each case has exactly one class, grid and town)."""
        q = select
        if "class" in tables:
            q = q.join(MinorClass, Case.minor_class_id == MinorClass.id)
        if "grid" in tables:
            q = q.join(Grid, Case.grid_id == Grid.id)
        if "town" in tables:
            q = q.join(Town, Case.town_id == Town.id)
        if "department" in tables:
            q = q.outerjoin(Department, Case.department_id == Department.id)
        return q

    def _needed_joins(self, order: bool) -> frozenset[str]:
        """The joins the filter (and the order, if `order`) need; counting needs no others."""
        need: set[str] = set()
        if self.flt.text.strip():
            need |= {"class", "grid"}
        if self.flt.class_codes:
            need.add("class")
        if order and self.sort.key == "class":
            need.add("class")
        return frozenset(need)

    def _where(self, now: Any, statuses: bool = True) -> list[Any]:
        """The filter's conditions (the status one only if `statuses`); the scope is `scope_cases`."""
        f = self.flt
        conds: list[Any] = []
        if statuses and f.statuses:
            conds.append(Case.status.in_(f.statuses))
        if f.lights:  # as index ranges of the deadline and yellow moment, not as `light_expr`
            lights = _lights(now)
            conds.append(sa.or_(*[lights[x] for x in f.lights]))
        if f.town_ids:
            conds.append(Case.town_id.in_(f.town_ids))
        if f.class_codes:
            conds.append(MinorClass.code.in_(f.class_codes))
        if f.sources:
            conds.append(Case.source.in_(f.sources))
        if f.case_ids:
            conds.append(Case.id.in_(f.case_ids))
        if f.grid_ids:
            conds.append(Case.grid_id.in_(f.grid_ids))
        if f.department_ids:
            conds.append(Case.department_id.in_(f.department_ids))
        if f.text.strip():
            like = f"%{f.text.strip()}%"
            conds.append(sa.or_(Case.code.like(like), Case.description.like(like), Case.address.like(like),
                                MinorClass.name.like(like), Grid.name.like(like), Grid.code.like(like)))
        return conds

    def _base(self, select: sa.Select, now: dt.datetime, tables: frozenset[str] = ALL_JOINS) -> sa.Select:
        return scope_cases(self._joined(select, tables), self.identity).where(*self._where(now))

    def count(self, session: Session, now: dt.datetime) -> int:
        q = self._base(sa.select(sa.func.count()).select_from(Case), now, self._needed_joins(order=False))
        return session.scalar(q) or 0

    def page(self, session: Session, now: dt.datetime, offset: int, limit: int,
             after: QueueRow | None = None) -> list[QueueRow]:
        """`limit` rows in the order: those after the row `after` when given (keyset paging: what
        changed before it does not shift the page), else from row `offset` on."""
        if limit <= 0:
            return []
        if session.get_bind().dialect.name == "postgresql":
            # The statements are kept and run again (psycopg prepares them), and a plan made once for
            # any limit, moment and cursor reads whole indexes (seen: 0.7 s instead of 20 ms). Plan
            # each run for its values, in this transaction only.
            session.execute(sa.text("SET LOCAL plan_cache_mode = force_custom_plan"))
        cursor = self._cursor(after, now) if after is not None else None
        if cursor is None and offset > 0:  # no row to start after: find the one before the page by keys
            skipped = self._walk(session, now, None, offset, keys_only=True)
            if len(skipped) < offset:
                return []
            cursor = skipped[-1]
        return self._walk(session, now, cursor, limit, keys_only=False)

    # ------------------------------------------------------- paging by segments
    def _segments(self, now: Any) -> list[_Segment]:
        """The order as runs of rows, each sorted by plain columns then the id, in output order."""
        key = self.sort.key
        if key == "deadline":  # no deadline last, in both directions
            return [_Segment(0, _always(Case.step_deadline.is_not(None)), (Case.step_deadline,)),
                    _Segment(1, _always(Case.step_deadline.is_(None)))]
        if key == "light":
            steps = _step_lights(now)
            segs = [_Segment(0, _running(steps[Light.RED])), _Segment(1, _running(steps[Light.YELLOW])),
                    _Segment(2, _running(steps[Light.GREEN])), _Segment(3, _not_running())]
        elif key == "card":  # each card an index range (a card outside the enum could not be read at all)
            segs = [_Segment(i, _always(Case.card == c)) for i, c in enumerate(CARD_RANK)]
        else:
            col = {"code": Case.code, "reported_at": Case.reported_at, "updated_at": Case.updated_at,
                   "town": Case.town_id, "class": MinorClass.code, "status": Case.status, "level": Case.level}[key]
            segs = [_Segment(0, _always(None), (col,))]
        return segs[::-1] if self.sort.descending else segs

    def _cursor(self, row: QueueRow, now: dt.datetime) -> tuple[int, tuple]:
        """Where `row` is in the order: its segment's rank and its key values, the id last."""
        key = self.sort.key
        if key == "deadline":
            return (1, (row.id,)) if row.step_deadline is None else (0, (row.step_deadline, row.id))
        if key == "light":
            return {"red": 0, "yellow": 1, "green": 2}.get(row.light_at(now).value, 3), (row.id,)
        if key == "card":
            return CARD_RANK.index(row.card), (row.id,)
        value = {"code": row.code, "reported_at": row.reported_at, "updated_at": row.updated_at,
                 "town": row.town_id, "class": row.class_code, "status": row.status, "level": row.level}[key]
        return 0, (value, row.id)

    def _walk(self, session: Session, now: dt.datetime, cursor: tuple[int, tuple] | None, n: int,
              keys_only: bool) -> list[Any]:
        """The next `n` rows after `cursor` (from the top if None), segment by segment: as
        `QueueRow`s, or with `keys_only` as cursors (rank, key values) of the rows."""
        out: list[Any] = []
        ranks = [seg.rank for seg in self._segments(_NOW)]
        if cursor is not None:
            ranks = ranks[ranks.index(cursor[0]):]
        for rank in ranks:
            after = cursor[1] if cursor is not None and rank == cursor[0] else ()
            stmt = _statement(self.identity, self.flt, self.sort, rank, bool(after), keys_only)
            if stmt is None:
                continue
            params = {"now": now, "lim": n - len(out), **{f"a{i}": v for i, v in enumerate(after)}}
            result = session.execute(stmt, params)
            if not keys_only:
                out.extend(_row(r) for r in result)
            elif self._bounded():  # (pid, pos, rank, keys of every segment)
                width = {seg.rank: len(seg.keys) for seg in self._segments(_NOW)}
                out.extend((r[2], (*r[3:3 + width[r[2]]], r[0])) for r in result)
            else:  # (pid, keys)
                out.extend((rank, (*r[1:], r[0])) for r in result)
            if len(out) >= n or self._bounded():  # a bounded statement reads every later segment too
                break
        return out

    def _ids_and_rows(self, rank: int, seek: bool, keys_only: bool) -> sa.Select | None:
        """The statement reading segment `rank` (after the cursor `a0…` if `seek`): its ids and keys,
        or its rows; `now`, `lim` and the cursor are parameters, so `_statement` can keep it."""
        if self._bounded():
            ids = self._bounded_ids(_NOW, rank, seek)
            order = [] if ids is None else [ids.c.pos, *self._directed([*ids.c][3:], ids.c.pid)]
        else:
            ids = self._segment_ids(_NOW, next(seg for seg in self._segments(_NOW) if seg.rank == rank), seek)
            order = [] if ids is None else self._directed([*ids.c][1:], ids.c.pid)
        if ids is None:
            return None
        if keys_only:
            return sa.select(ids)
        return (self._joined(sa.select(*self._columns(_NOW)).select_from(Case))
                .join(ids, ids.c.pid == Case.id).order_by(*order))

    def _directed(self, keys: list[Any], id_col: Any) -> list[Any]:
        return [c.desc() if self.sort.descending else c.asc() for c in (*keys, id_col)]

    def _bounded(self) -> bool:
        """The filter names cases or grids (few rows, found by their own index) or searches text
        (every row is read anyway): reading the matches and sorting them beats reading in order
        (`_bounded_ids`)."""
        return bool(self.flt.case_ids or self.flt.grid_ids or self.flt.text.strip())

    def _statuses(self) -> tuple[CaseStatus, ...]:
        return tuple(dict.fromkeys(self.flt.statuses)) or tuple(CaseStatus)

    def _segment_ids(self, now: Any, seg: _Segment, seek: bool) -> sa.Subquery | None:
        """The first `lim` ids of `seg` (after the key values `a0…` if `seek`) with their keys k0…:
        one branch per status, each a range of a (status, key…, id) index, merged by the database."""
        cols = [*seg.keys, Case.id]
        after = [sa.bindparam(f"a{i}", type_=c.type) for i, c in enumerate(cols)] if seek else None
        branches = [b for st in self._statuses() if (b := self._branch(now, seg, st, after)) is not None]
        if not branches:
            return None
        if len(branches) == 1:
            return branches[0].subquery("ids")
        merged = sa.union_all(*[sa.select(b.subquery(f"b{i}")) for i, b in enumerate(branches)]).subquery("m")
        cols = [*merged.c]
        return sa.select(*cols).order_by(*self._directed(cols[1:], merged.c.pid)).limit(_LIMIT).subquery("ids")

    def _bounded_ids(self, now: Any, rank: int, seek: bool) -> sa.Subquery | None:
        """For a `_bounded` filter: the first `lim` ids of the segments from `rank` on in one
        statement, a CASE naming each row's segment, so the matches are found (or, for text, every
        row read) once and sorted, not once per segment. Columns: pid, pos, rk, keys k0…."""
        segs = self._segments(now)
        start = [seg.rank for seg in segs].index(rank)
        statuses = self._statuses()
        live = [(i, seg, sa.true() if c is True else c) for i, seg in enumerate(segs)
                if i >= start and (c := seg.cond(statuses)) is not False]
        if not live:
            return None
        pos = sa.case(*[(c, i) for i, _, c in live])
        keys = [k for seg in segs for k in seg.keys]  # only the first segment of an order has keys
        q = sa.select(Case.id.label("pid"), pos.label("pos"), sa.case(*[(c, seg.rank) for _, seg, c in live]).label("rk"),
                      *[k.label(f"k{i}") for i, k in enumerate(keys)]).select_from(Case)
        q = scope_cases(self._joined(q, self._needed_joins(order=True)), self.identity)
        q = q.where(*self._where(now, statuses=False), pos.is_not(None),
                    sa.func.coalesce(Case.status, Case.status).in_(statuses))  # no status index (`_bounded`)
        if seek:
            cols = [*segs[start].keys, Case.id]
            after = [sa.bindparam(f"a{i}", type_=c.type) for i, c in enumerate(cols)]
            q = q.where(sa.or_(pos > start, sa.and_(pos == start, _seek(cols, after, self.sort.descending))))
        return q.order_by(pos, *self._directed(keys, Case.id)).limit(_LIMIT).subquery("ids")

    def _branch(self, now: Any, seg: _Segment, status: CaseStatus, after: list[Any] | None) -> sa.Select | None:
        cond = seg.cond((status,))
        if cond is False:
            return None
        q = sa.select(Case.id.label("pid"), *[k.label(f"k{i}") for i, k in enumerate(seg.keys)])
        tables = self._needed_joins(order=True)
        if "class" in tables:  # read the classes in code order, each class's cases from the index
            q = q.select_from(_OuterFirst(MinorClass.__table__, Case.__table__,
                                          Case.minor_class_id == MinorClass.id))
            tables = tables - {"class"}
        else:
            q = q.select_from(Case)
        q = scope_cases(self._joined(q, tables), self.identity).where(*self._where(now, statuses=False))
        q = q.where(Case.status == status)
        if cond is not True:
            q = q.where(cond)
        if after is not None:
            q = q.where(_seek([*seg.keys, Case.id], after, self.sort.descending))
        return q.order_by(*self._directed(list(seg.keys), Case.id)).limit(_LIMIT)

    def rows_by_id(self, session: Session, now: dt.datetime, ids: list[int]) -> list[QueueRow]:
        """The given cases as rows, if they pass the scope and the filter (others are absent)."""
        if not ids:
            return []
        q = self._base(sa.select(*self._columns(now)).select_from(Case), now).where(Case.id.in_(ids))
        return [_row(r) for r in session.execute(q)]

    def sort_key(self, row: QueueRow, now: dt.datetime) -> tuple:
        """The Python mirror of the SQL order (`_segments`), for placing incremental inserts."""
        far = dt.datetime.max
        light_rank = {"red": 0, "yellow": 1, "green": 2}.get(row.light_at(now).value, 3)
        card_rank = {"red": 0, "yellow": 1, "normal": 2}.get(row.card.value, 3)
        value = {"deadline": row.step_deadline, "code": row.code, "reported_at": row.reported_at,
                 "updated_at": row.updated_at, "light": light_rank, "card": card_rank,
                 "town": row.town_id, "class": row.class_code, "status": row.status.value,
                 "level": row.level.value}[self.sort.key]
        missing = value is None
        return (missing, value if not missing else far, row.id)


@dataclass(frozen=True)
class _Segment:
    """A run of the order: rows meeting `cond`, sorted by `keys` then the id.

    `cond(statuses)` is the run's SQL condition for a branch reading `statuses`:
    True (no condition), False (no row of these statuses is in the run), or SQL.
    `rank` is the run's place in the ascending order (a cursor names it).
    """

    rank: int
    cond: Callable[[tuple[CaseStatus, ...]], Any]
    keys: tuple[Any, ...] = ()


def _always(cond: Any) -> Callable[[tuple[CaseStatus, ...]], Any]:
    return lambda _statuses: True if cond is None else cond


def _running(cond: Any) -> Callable[[tuple[CaseStatus, ...]], Any]:
    """A light of a running step: `cond` on the running statuses; no row of the others."""
    def of(statuses: tuple[CaseStatus, ...]) -> Any:
        running = [s for s in statuses if s in RUNNING]
        if not running:
            return False
        return cond if len(running) == len(statuses) else sa.and_(Case.status.in_(running), cond)
    return of


def _not_running() -> Callable[[tuple[CaseStatus, ...]], Any]:
    """No light: not running, or running without a deadline."""
    def of(statuses: tuple[CaseStatus, ...]) -> Any:
        others = [s for s in statuses if s not in RUNNING]
        if len(others) == len(statuses):
            return True
        if not others:
            return Case.step_deadline.is_(None)
        return sa.or_(Case.status.in_(others), Case.step_deadline.is_(None))
    return of


def _step_lights(now: Any) -> dict[Light, Any]:
    """The light a running step with a deadline has at `now` (the rule of `light_expr`)."""
    on_time = sa.and_(Case.step_deadline.is_not(None), Case.step_deadline >= now)
    return {Light.RED: sa.and_(Case.step_deadline.is_not(None), Case.step_deadline < now),
            Light.YELLOW: sa.and_(on_time, Case.step_yellow_at <= now),
            Light.GREEN: sa.and_(on_time, sa.or_(Case.step_yellow_at.is_(None), Case.step_yellow_at > now))}


def _lights(now: Any) -> dict[Light, Any]:
    """Each light at `now` as a condition on plain columns (`light_expr` as ranges an index can read)."""
    running = Case.status.in_(RUNNING)
    return {**{light: sa.and_(running, cond) for light, cond in _step_lights(now).items()},
            Light.NONE: sa.or_(Case.status.not_in(RUNNING), Case.step_deadline.is_(None))}


def _seek(cols: list[Any], after: list[Any], descending: bool) -> Any:
    """Rows after the values `after` in the order of `cols`: a row-value comparison, which both
    engines read as a range of a (status, key, id) index. When the key is another table's (the
    class code), a bound on it alone lets the database skip the earlier classes' cases."""
    if len(cols) == 1:
        return cols[0] < after[0] if descending else cols[0] > after[0]
    row, value = sa.tuple_(*cols), sa.tuple_(*after)
    seek = row < value if descending else row > value
    if cols[0].table is Case.__table__:
        return seek
    return sa.and_(cols[0] <= after[0] if descending else cols[0] >= after[0], seek)


# The parameters of the cached page statements: the moment lights are judged at, the rows wanted.
_NOW = sa.bindparam("now", type_=sa.DateTime())
_LIMIT = sa.bindparam("lim", type_=sa.Integer())


@functools.lru_cache(maxsize=64)
def _statement(identity: Identity, flt: QueueFilter, sort: QueueSort, rank: int, seek: bool,
               keys_only: bool) -> sa.Select | None:
    """A page statement, built once per query shape (building one costs more than running it on
    an index) and run with the values of `now`, `lim` and the cursor."""
    return QueueQuery(identity, flt, sort)._ids_and_rows(rank, seek, keys_only)


class _OuterFirst(Join):
    """An inner join whose left table the database must loop over first.

    The class order reads the (few) classes in code order and each class's cases
    from the (status, class, id) index. SQLite, without statistics, guesses the
    other way round and sorts every case; `CROSS JOIN … ON` is its documented way
    to fix the loop order. Other engines plan it from their statistics.
    """

    inherit_cache = True


@compiles(_OuterFirst, "sqlite")
def _sqlite_outer_first(join: _OuterFirst, compiler: Any, **kw: Any) -> str:
    # the left side is a plain table, so the first " JOIN " is this join's
    return compiler.visit_join(join, **kw).replace(" JOIN ", " CROSS JOIN ", 1)


def _row(r: Any) -> QueueRow:
    m = r._mapping
    return QueueRow(**{k: m[k] for k in QueueRow.__dataclass_fields__ if k != "light"},
                    light=Light(m["light"]))


def changes_since(session: Session, last_feed_id: int, identity: Identity,
                  limit: int = 5000) -> tuple[int, list[int]]:
    """Case ids changed after feed id `last_feed_id` (scoped), and the new high-water mark."""
    q = sa.select(ChangeFeed.id, ChangeFeed.entity_id, ChangeFeed.town_id).where(
        ChangeFeed.id > last_feed_id, ChangeFeed.entity == "case").order_by(ChangeFeed.id).limit(limit)
    rows = session.execute(q).all()
    if not rows:
        return last_feed_id, []
    town = identity.town_id if identity.scoped else None
    ids = list(dict.fromkeys(r.entity_id for r in rows if town is None or r.town_id == town))
    return rows[-1].id, ids


def feed_head(session: Session) -> int:
    return session.scalar(sa.select(sa.func.max(ChangeFeed.id))) or 0


__all__ = ["QueueRow", "QueueFilter", "QueueSort", "QueueQuery", "changes_since", "feed_head", "light_of",
           "aliased"]
