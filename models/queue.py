"""The live incident queue's data: filtered, sorted, paged, scoped case rows.

Widgets get frozen `QueueRow` snapshots (never ORM objects), so the queries can
run on a worker thread. The light is computed in SQL from the running step's
precomputed yellow moment and deadline, so it can be filtered and sorted on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from models.auth import Identity
from models.enums import Card, CaseSource, CaseStatus, Level, Light, Step
from models.schema import Case, ChangeFeed, Department, Grid, MinorClass, Town
from models.scope import scope_cases

RUNNING = [CaseStatus.REPORTED, CaseStatus.VERIFIED, CaseStatus.FILED, CaseStatus.DISPATCHED,
           CaseStatus.HANDLED, CaseStatus.CHECKED]
OPEN = [*RUNNING, CaseStatus.SUSPENDED]
ALL_JOINS = frozenset({"class", "grid", "town", "department"})


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

    def light_expr(self, now: dt.datetime) -> Any:
        return sa.case(
            (sa.or_(Case.status.not_in(RUNNING), Case.step_deadline.is_(None)), Light.NONE.value),
            (Case.step_deadline < now, Light.RED.value),
            (Case.step_yellow_at <= now, Light.YELLOW.value),
            else_=Light.GREEN.value)

    def _columns(self, now: dt.datetime) -> list[Any]:
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

    def _base(self, select: sa.Select, now: dt.datetime, tables: frozenset[str] = ALL_JOINS) -> sa.Select:
        f = self.flt
        q = self._joined(select, tables)
        q = scope_cases(q, self.identity)
        if f.statuses:
            q = q.where(Case.status.in_(f.statuses))
        if f.lights:
            q = q.where(self.light_expr(now).in_([x.value for x in f.lights]))
        if f.town_ids:
            q = q.where(Case.town_id.in_(f.town_ids))
        if f.class_codes:
            q = q.where(MinorClass.code.in_(f.class_codes))
        if f.sources:
            q = q.where(Case.source.in_(f.sources))
        if f.case_ids:
            q = q.where(Case.id.in_(f.case_ids))
        if f.grid_ids:
            q = q.where(Case.grid_id.in_(f.grid_ids))
        if f.department_ids:
            q = q.where(Case.department_id.in_(f.department_ids))
        if f.text.strip():
            like = f"%{f.text.strip()}%"
            q = q.where(sa.or_(Case.code.like(like), Case.description.like(like), Case.address.like(like),
                               MinorClass.name.like(like), Grid.name.like(like), Grid.code.like(like)))
        return q

    def _order(self, now: dt.datetime) -> list[Any]:
        # red 0, yellow 1, green 2, none 3: `light_expr` as one CASE (evaluated once per row)
        light_rank = sa.case((sa.or_(Case.status.not_in(RUNNING), Case.step_deadline.is_(None)), 3),
                             (Case.step_deadline < now, 0), (Case.step_yellow_at <= now, 1), else_=2)
        card_rank = sa.case((Case.card == "red", 0), (Case.card == "yellow", 1), (Case.card == "normal", 2), else_=3)
        col = {"deadline": Case.step_deadline, "code": Case.code, "reported_at": Case.reported_at,
               "updated_at": Case.updated_at, "light": light_rank, "card": card_rank, "town": Case.town_id,
               "class": MinorClass.code, "status": Case.status, "level": Case.level}[self.sort.key]
        primary = col.desc() if self.sort.descending else col.asc()
        tie = Case.id.desc() if self.sort.descending else Case.id.asc()
        if self.sort.key != "deadline":  # the only nullable key; a bare column lets an index give the order
            return [primary, tie]
        nulls_last = sa.case((col.is_(None), 1), else_=0)
        return [nulls_last, primary, tie]

    def count(self, session: Session, now: dt.datetime) -> int:
        q = self._base(sa.select(sa.func.count()).select_from(Case), now, self._needed_joins(order=False))
        return session.scalar(q) or 0

    def page(self, session: Session, now: dt.datetime, offset: int, limit: int) -> list[QueueRow]:
        # Deferred join: pick the page's ids on case_ alone (index-friendly), then join for the columns.
        ids = (self._base(sa.select(Case.id.label("page_id")).select_from(Case), now, self._needed_joins(order=True))
               .order_by(*self._order(now)).offset(offset).limit(limit).subquery())
        q = (self._joined(sa.select(*self._columns(now)).select_from(Case))
             .join(ids, ids.c.page_id == Case.id).order_by(*self._order(now)))
        return [_row(r) for r in session.execute(q)]

    def rows_by_id(self, session: Session, now: dt.datetime, ids: list[int]) -> list[QueueRow]:
        """The given cases as rows, if they pass the scope and the filter (others are absent)."""
        if not ids:
            return []
        q = self._base(sa.select(*self._columns(now)).select_from(Case), now).where(Case.id.in_(ids))
        return [_row(r) for r in session.execute(q)]

    def sort_key(self, row: QueueRow, now: dt.datetime) -> tuple:
        """The Python mirror of `_order`, for placing incremental inserts."""
        far = dt.datetime.max
        light_rank = {"red": 0, "yellow": 1, "green": 2}.get(row.light_at(now).value, 3)
        card_rank = {"red": 0, "yellow": 1, "normal": 2}.get(row.card.value, 3)
        value = {"deadline": row.step_deadline, "code": row.code, "reported_at": row.reported_at,
                 "updated_at": row.updated_at, "light": light_rank, "card": card_rank,
                 "town": row.town_id, "class": row.class_code, "status": row.status.value,
                 "level": row.level.value}[self.sort.key]
        missing = value is None
        return (missing, value if not missing else far, row.id)


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
