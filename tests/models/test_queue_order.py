"""The queue's order and paging (models/queue.py) against a reference computed here in Python.

A seeded district (both engines) with every status, light, card, level and class, ties in
every key, cases without a deadline, two dictionary versions sharing class codes and a
history of closed cases. For every sort key and direction, with scopes and filters, the
pages read after the last row (keyset), in one piece and by offset all give the
reference order; and pages read after a row stay exact when rows change in between.
"""

from __future__ import annotations

import datetime as dt
import functools
import random
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from models.auth import SYSTEM, Identity
from models.enums import Card, CaseSource, CaseStatus, ClassKind, Level, Light, Step, TimeUnit, UserRole
from models.queue import SORT_KEYS, QueueFilter, QueueQuery, QueueRow, QueueSort
from models.schema import Case, DictionaryVersion, Grid, MajorClass, MinorClass
from tests.factories import identity, make_db, town_id

NOW = dt.datetime(2026, 11, 23, 10, 0)
RUNNING = {CaseStatus.REPORTED, CaseStatus.VERIFIED, CaseStatus.FILED, CaseStatus.DISPATCHED, CaseStatus.HANDLED,
           CaseStatus.CHECKED}
OPEN = RUNNING | {CaseStatus.SUSPENDED}
WORDS = ["甲", "乙", "丙", "丁"]


# --------------------------------------------------------------------------- the reference


@dataclass(frozen=True)
class Ref:
    """What the order and the filters look at, read with a plain query."""

    id: int
    code: str
    town_id: int
    grid_id: int
    grid_code: str
    grid_name: str
    department_id: int | None
    class_code: str
    class_name: str
    status: CaseStatus
    level: Level
    card: Card
    source: CaseSource
    step_deadline: dt.datetime | None
    step_yellow_at: dt.datetime | None
    reported_at: dt.datetime
    updated_at: dt.datetime
    description: str


def light(r: Ref | QueueRow, now: dt.datetime = NOW) -> str:
    if r.status not in RUNNING or r.step_deadline is None:
        return "none"
    if r.step_deadline < now:
        return "red"
    if r.step_yellow_at is not None and r.step_yellow_at <= now:
        return "yellow"
    return "green"


def position(key: str, r: Ref | QueueRow, now: dt.datetime = NOW) -> tuple:
    """(run that never reverses, value, id): no deadline always last; light and card by rank;
    town by town id and class by class code, as the queue has always sorted them."""
    if key == "deadline":
        return (r.step_deadline is None, r.step_deadline, r.id)
    value = {"code": lambda: r.code, "reported_at": lambda: r.reported_at, "updated_at": lambda: r.updated_at,
             "light": lambda: ["red", "yellow", "green", "none"].index(light(r, now)),
             "card": lambda: [Card.RED, Card.YELLOW, Card.NORMAL, Card.NONE].index(r.card),
             "town": lambda: r.town_id, "class": lambda: r.class_code, "status": lambda: r.status.value,
             "level": lambda: r.level.value}[key]()
    return (False, value, r.id)


def compare(key: str, descending: bool, a: Ref | QueueRow, b: Ref | QueueRow, now: dt.datetime = NOW) -> int:
    (fa, va, ia), (fb, vb, ib) = position(key, a, now), position(key, b, now)
    if fa != fb:
        return -1 if fa < fb else 1
    sign = -1 if descending else 1
    if va != vb:
        return sign * (-1 if va < vb else 1)
    if ia != ib:
        return sign * (-1 if ia < ib else 1)
    return 0


def reference(refs: list[Ref], sort: QueueSort, now: dt.datetime = NOW) -> list[int]:
    cmp = functools.partial(compare, sort.key, sort.descending, now=now)
    return [r.id for r in sorted(refs, key=functools.cmp_to_key(cmp))]


def visible(refs: list[Ref], who: Identity, flt: QueueFilter) -> list[Ref]:
    def ok(r: Ref) -> bool:
        text = flt.text.strip()
        return ((not who.scoped or r.town_id == who.town_id)
                and (not flt.statuses or r.status in flt.statuses)
                and (not flt.lights or Light(light(r)) in flt.lights)
                and (not flt.town_ids or r.town_id in flt.town_ids)
                and (not flt.class_codes or r.class_code in flt.class_codes)
                and (not flt.sources or r.source in flt.sources)
                and (not flt.case_ids or r.id in flt.case_ids)
                and (not flt.grid_ids or r.grid_id in flt.grid_ids)
                and (not flt.department_ids or r.department_id in flt.department_ids)
                and (not text or any(text in v for v in (r.code, r.description, r.class_name, r.grid_name,
                                                         r.grid_code))))
    return [r for r in refs if ok(r)]


def read_refs(s: Session) -> list[Ref]:
    q = (sa.select(Case.id, Case.code, Case.town_id, Case.grid_id, Grid.code.label("grid_code"),
                   Grid.name.label("grid_name"), Case.department_id, MinorClass.code.label("class_code"),
                   MinorClass.name.label("class_name"), Case.status, Case.level, Case.card, Case.source,
                   Case.step_deadline, Case.step_yellow_at, Case.reported_at, Case.updated_at, Case.description)
         .join(MinorClass, Case.minor_class_id == MinorClass.id).join(Grid, Case.grid_id == Grid.id))
    return [Ref(**r._mapping) for r in s.execute(q)]


# --------------------------------------------------------------------------- the seeded district


class Seeder:
    """Plausible cases with many ties, drawn from a fixed random sequence."""

    def __init__(self, s: Session, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.grids = s.execute(sa.select(Grid.id, Grid.village_id, Grid.town_id, Grid.centroid_lon,
                                         Grid.centroid_lat).order_by(Grid.id)).all()
        self.classes = self._classes(s)
        self.depts = s.scalars(sa.select(MinorClass.department_id).distinct()).all()
        self.depts = [d for d in self.depts if d is not None][:3]
        self.deadlines = [NOW + dt.timedelta(minutes=m) for m in (-300, -61, -5, 0, 20, 45, 59, 60, 61, 240, 999)]
        self.moments = [NOW - dt.timedelta(hours=h) for h in (1, 2, 5, 30)]
        self.serial = 0

    @staticmethod
    def _classes(s: Session) -> list[int]:
        """Five default classes and a second dictionary version reusing two of their codes."""
        codes = ["1102", "1103", "0104", "1201", "2401"]
        ids = list(s.scalars(sa.select(MinorClass.id).where(MinorClass.code.in_(codes))).all())
        version = DictionaryVersion(name="第二版", effective_from=dt.date(2026, 1, 1), active=False,
                                    created_at=NOW, source="test")
        s.add(version)
        s.flush()
        major = MajorClass(version_id=version.id, code="11", name="市容环境", kind=ClassKind.EVENT)
        s.add(major)
        s.flush()
        for code, name in (("1102", "暴露垃圾 (第二版)"), ("0104", "路灯 (第二版)"), ("0001", "第二版新类")):
            minor = MinorClass(version_id=version.id, major_id=major.id, code=code, name=name, kind=ClassKind.EVENT,
                               time_limit=2, time_unit=TimeUnit.WORK_HOURS)
            s.add(minor)
            s.flush()
            ids.append(minor.id)
        return ids

    def row(self, **over) -> dict:
        rng = self.rng
        self.serial += 1
        g = rng.choice(self.grids)
        status = rng.choices(list(CaseStatus), [8, 3, 6, 20, 6, 4, 12, 4, 6])[0]
        deadline = yellow = None
        if status in RUNNING and rng.random() < 0.92 or status is CaseStatus.SUSPENDED and rng.random() < 0.3:
            deadline = rng.choice(self.deadlines)
            yellow = None if rng.random() < 0.15 else deadline - dt.timedelta(minutes=rng.choice([30, 60]))
        row = dict(code=f"AJ{rng.randrange(10**4):04d}{self.serial:04d}", minor_class_id=rng.choice(self.classes),
                   description=f"测试{rng.choice(WORDS)}{self.serial}", address="", source=rng.choice(list(CaseSource)),
                   reporter_name="", reporter_phone="", lon=g.centroid_lon, lat=g.centroid_lat, grid_id=g.id,
                   village_id=g.village_id, town_id=g.town_id, level=rng.choice(list(Level)),
                   department_id=rng.choice(self.depts + [None]), status=status, self_handled=False,
                   auto_dispatched=False, is_demo=False, reported_at=rng.choice(self.moments),
                   updated_at=rng.choice(self.moments), step=Step.HANDLE if deadline else None,
                   step_started_at=NOW - dt.timedelta(hours=6) if deadline else None, step_yellow_at=yellow,
                   step_deadline=deadline, suspended_seconds=0, extension_count=0, rework_count=0,
                   return_count=0, card=rng.choices(list(Card), [5, 2, 2, 2])[0], card_points=0.0,
                   appeal_pending=False, version=1)
        row.update(over)
        return row

    def change(self, s: Session, case_id: int) -> None:
        """Another seat changes what the orders look at."""
        rng = self.rng
        fresh = self.row()
        keys = rng.sample(["step_deadline", "card", "level", "minor_class_id", "code", "reported_at", "updated_at",
                           "status", "place"], 3)
        values = {k: fresh[k] for k in keys if k != "place"}
        if "step_deadline" in keys:
            values["step_yellow_at"] = fresh["step_yellow_at"]
        if "place" in keys:
            values.update({k: fresh[k] for k in ("grid_id", "village_id", "town_id", "lon", "lat")})
        s.execute(sa.update(Case).where(Case.id == case_id).values(**values))


@pytest.fixture
def district(db_url):
    engine = make_db(db_url)
    with Session(engine) as s:
        seeder = Seeder(s)
        s.execute(sa.insert(Case), [seeder.row() for _ in range(260)])
        s.commit()
    yield engine, seeder
    engine.dispose()


def walk(q: QueueQuery, s: Session, size: int, after: QueueRow | None = None,
         now: dt.datetime = NOW) -> list[QueueRow]:
    """Every page after `after`, each read after the last row of the one before."""
    out: list[QueueRow] = []
    while True:
        page = q.page(s, now, 0, size, after=out[-1] if out else after)
        out.extend(page)
        if len(page) < size:
            return out


def scenarios(s: Session) -> list[tuple[str, Identity, QueueFilter]]:
    t1, t2 = town_id(s, 1), town_id(s, 2)
    some = s.scalars(sa.select(Case.id).order_by(Case.id)).all()[::6]
    grid = s.scalar(sa.select(Grid.id).where(Grid.town_id == t1).order_by(Grid.id))
    dept = s.scalar(sa.select(Case.department_id).where(Case.department_id.is_not(None)).limit(1))
    officer = identity(UserRole.TOWN_OFFICER, t1)
    return [
        ("duty officer, open cases", SYSTEM, QueueFilter()),
        ("town officer", officer, QueueFilter()),
        ("every status", SYSTEM, QueueFilter(statuses=())),
        ("closed and suspended", SYSTEM, QueueFilter(statuses=(CaseStatus.CLOSED, CaseStatus.SUSPENDED))),
        ("town officer, classes and sources", identity(UserRole.TOWN_OFFICER, t2),
         QueueFilter(class_codes=("1102", "0104"), sources=(CaseSource.HOTLINE, CaseSource.CAMERA,
                                                            CaseSource.GRID_WORKER))),
        ("town filter and lights", SYSTEM, QueueFilter(town_ids=(t2,), lights=(Light.RED, Light.GREEN))),
        ("text", SYSTEM, QueueFilter(text="甲")),
        ("case ids", SYSTEM, QueueFilter(case_ids=tuple(some))),
        ("town officer, grid", officer, QueueFilter(grid_ids=(grid,))),
        ("department", SYSTEM, QueueFilter(department_ids=(dept,))),
    ]


# --------------------------------------------------------------------------- tests


def test_the_seed_has_what_the_orders_need(district):
    engine, _ = district
    with Session(engine) as s:
        refs = read_refs(s)
    open_refs = [r for r in refs if r.status in OPEN]
    assert {light(r) for r in open_refs} == {"red", "yellow", "green", "none"}
    assert {r.card for r in open_refs} == set(Card) and {r.level for r in open_refs} == set(Level)
    assert {r.status for r in refs} == set(CaseStatus)
    assert any(r.step_deadline is None and r.status in RUNNING for r in refs)  # running, no deadline
    assert any(r.step_deadline is not None and r.status is CaseStatus.SUSPENDED for r in refs)
    # ties: the same deadline, class code (across two dictionary versions) and report time
    deadlines = [r.step_deadline for r in open_refs if r.step_deadline]
    assert len(set(deadlines)) < len(deadlines) < len(open_refs)
    assert len({r.class_code for r in refs}) < len({(r.class_code, r.class_name) for r in refs})


def test_every_order_pages_like_the_reference(district):
    engine, _ = district
    with Session(engine) as s:
        refs = read_refs(s)
        for name, who, flt in scenarios(s):
            shown = visible(refs, who, flt)
            assert shown, name
            for key in SORT_KEYS:
                for descending in (False, True):
                    sort = QueueSort(key, descending)
                    q = QueueQuery(who, flt, sort)
                    expected = reference(shown, sort)
                    what = f"{name}, {key} {'desc' if descending else 'asc'}"
                    assert q.count(s, NOW) == len(expected), what
                    assert [r.id for r in walk(q, s, 13)] == expected, what
                    assert [r.id for r in q.page(s, NOW, 0, 1000)] == expected, what
                    for offset in (5, len(expected) // 2):
                        assert [r.id for r in q.page(s, NOW, offset, 9)] == expected[offset:offset + 9], what
                    assert q.page(s, NOW, len(expected) + 2, 9) == [], what


@pytest.mark.parametrize("descending", [False, True])
def test_the_light_order_follows_the_clock(district, descending):
    """The same query read at other moments (its statement is built once and kept): cases turn
    yellow and red as time passes, and the pages follow."""
    engine, _ = district
    sort = QueueSort("light", descending)
    q = QueueQuery(SYSTEM, QueueFilter(lights=(Light.RED, Light.YELLOW, Light.GREEN)), sort)
    with Session(engine) as s:
        refs = [r for r in read_refs(s) if r.status in OPEN]
        seen = []
        for minutes in (0, 30, 61, 1000, -400):
            now = NOW + dt.timedelta(minutes=minutes)
            expected = reference([r for r in refs if light(r, now) != "none"], sort, now)
            assert [r.id for r in walk(q, s, 9, now=now)] == expected, minutes
            assert q.count(s, now) == len(expected)
            seen.append(expected)
        assert len({tuple(e) for e in seen[:4]}) == 4  # the first four moments order differently


def test_rows_come_whole_and_in_scope(district):
    """Pages carry the same rows as `rows_by_id` (the light at `now` included) and never another town's."""
    engine, _ = district
    with Session(engine) as s:
        officer = identity(UserRole.TOWN_OFFICER, town_id(s, 2))
        for key in SORT_KEYS:
            q = QueueQuery(officer, QueueFilter(statuses=()), QueueSort(key, key in ("class", "light")))
            rows = walk(q, s, 11)
            assert {r.town_id for r in rows} == {officer.town_id}
            ids = [r.id for r in rows]
            assert rows == sorted(q.rows_by_id(s, NOW, ids), key=lambda r: ids.index(r.id))
            assert all(r.light.value == light(r) for r in rows)


@pytest.mark.parametrize("descending", [False, True])
def test_pages_after_a_row_stay_exact_when_rows_change_in_between(district, descending):
    """Between two pages other seats insert, close and change cases (the held row too): the pages
    after the held row are exactly the rows that now sort after it — no duplicate, no gap."""
    engine, seeder = district
    flts = [(SYSTEM, QueueFilter())]
    with Session(engine) as s:
        flts.append((identity(UserRole.TOWN_OFFICER, town_id(s, 1)), QueueFilter(statuses=())))
    for key in SORT_KEYS:
        for who, flt in flts:
            sort = QueueSort(key, descending)
            q = QueueQuery(who, flt, sort)
            with Session(engine) as s:
                first = q.page(s, NOW, 0, 15)
                held = first[-1]
            with Session(engine) as s:  # another seat
                ids = s.scalars(sa.select(Case.id).order_by(Case.id)).all()
                s.execute(sa.insert(Case), [seeder.row() for _ in range(4)])
                for cid in seeder.rng.sample(ids, 3):
                    s.execute(sa.update(Case).where(Case.id == cid).values(status=CaseStatus.CLOSED))
                for cid in [*seeder.rng.sample(ids, 5), *seeder.rng.sample([r.id for r in first], 2), held.id]:
                    seeder.change(s, cid)
                s.commit()
            with Session(engine) as s:
                rest = walk(q, s, 6, after=held)
                now_shown = visible(read_refs(s), who, flt)
            cmp = functools.partial(compare, key, descending)
            expected = reference([r for r in now_shown if cmp(r, held) > 0], sort)
            got = [r.id for r in rest]
            assert len(got) == len(set(got)), (key, who.role)
            assert got == expected, (key, who.role)
            assert held.id not in got or cmp(next(r for r in rest if r.id == held.id), held) > 0
