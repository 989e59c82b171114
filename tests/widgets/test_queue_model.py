"""The queue model: paging, sort, filters, incremental deltas without reset, time passing.

Pure tests run on `FakeQueueSource`; database tests (SQLite and PostgreSQL) drive
real cases through `CaseService` from a second Session and let the model catch up.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random

import pytest
import sqlalchemy as sa
from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor
from sqlalchemy.orm import Session, sessionmaker

from models.enums import Card, CaseSource, CaseStatus, Level, Light, Step, UserRole
from models.lifecycle import Action, Params
from models.lifecycle.service import CaseService
from models.queue import SORT_KEYS, QueueFilter, QueueSort
from models.schema import Case
from tests.factories import dept_id, grid_centre, identity, make_db, town_id
from widgets.queue import labels
from widgets.queue.model import COL, COLUMNS, DARK_THEME, LIGHT_THEME, CaseQueueModel
from widgets.queue.source import FakeQueueSource, SessionQueueSource, fake_row, row_sort_key

NOW = dt.datetime(2026, 11, 23, 10, 0)  # a Monday


class Clock:
    def __init__(self, t: dt.datetime = NOW) -> None:
        self.t = t

    def __call__(self) -> dt.datetime:
        return self.t

    def advance(self, **kw) -> dt.datetime:
        self.t += dt.timedelta(**kw)
        return self.t


def mk(i: int, minutes: float, **kw) -> object:
    """A running FAKE row whose deadline is `minutes` from NOW (yellow 30 min before)."""
    deadline = NOW + dt.timedelta(minutes=minutes)
    fields = dict(status=CaseStatus.DISPATCHED, step=Step.HANDLE, step_deadline=deadline,
                  step_yellow_at=deadline - dt.timedelta(minutes=30), step_started_at=NOW - dt.timedelta(hours=1),
                  reported_at=NOW - dt.timedelta(hours=1), card=Card.NONE, town_id=1 + i % 2,
                  level=Level.GRID, source=CaseSource.HOTLINE)
    fields.update(kw)
    return fake_row(i, NOW, **fields)


class Spy:
    """Records the model's structural signals; a reset during refresh is a failure."""

    def __init__(self, model: CaseQueueModel) -> None:
        self.resets = 0
        self.inserted: list[tuple[int, int]] = []
        self.removed: list[tuple[int, int]] = []
        self.moved: list[tuple[int, int]] = []
        self.changed: list[tuple[int, int, int, int]] = []
        model.modelAboutToBeReset.connect(self._reset)
        model.rowsInserted.connect(lambda _p, a, b: self.inserted.append((a, b)))
        model.rowsRemoved.connect(lambda _p, a, b: self.removed.append((a, b)))
        model.rowsMoved.connect(lambda _p, a, _b, _d, dest: self.moved.append((a, dest)))
        model.dataChanged.connect(lambda tl, br, _roles=(): self.changed.append(
            (tl.row(), tl.column(), br.row(), br.column())))

    def _reset(self) -> None:
        self.resets += 1

    def clear(self) -> None:
        self.inserted.clear()
        self.removed.clear()
        self.moved.clear()
        self.changed.clear()


def ids(model: CaseQueueModel) -> list[int]:
    return [r.id for r in model.rows()]


def server_ids(source, model: CaseQueueModel, n: int | None = None) -> list[int]:
    n = model.loaded() if n is None else n
    return [r.id for r in source.page(model.filter(), model.sort_order(), model.now(), 0, n)]


# --------------------------------------------------------------------------- labels


def test_countdown_text():
    f = labels.format_countdown
    d = CaseStatus.DISPATCHED
    assert f(d, NOW + dt.timedelta(hours=1, minutes=23, seconds=45), NOW) == "剩 1:23:45"
    assert f(d, NOW - dt.timedelta(minutes=12), NOW) == "超时 0:12:00"
    assert f(d, NOW + dt.timedelta(days=2, hours=3, minutes=4, seconds=5), NOW) == "剩 2天 3:04:05"
    assert f(d, NOW + dt.timedelta(hours=1, minutes=23, seconds=45), NOW, "en") == "1:23:45 left"
    assert f(d, NOW - dt.timedelta(minutes=12), NOW, "en") == "overdue 0:12:00"
    assert f(CaseStatus.SUSPENDED, None, NOW) == "挂账暂停"
    assert f(CaseStatus.CLOSED, NOW, NOW) == "—"
    assert f(d, None, NOW) == "—"


def test_cell_texts_in_chinese_and_english():
    row = mk(7, 90, card=Card.YELLOW, level=Level.VILLAGE, department="区水利局")
    zh = [labels.column_text(row, c, NOW) for c in COLUMNS]
    assert zh[COL["code"]] == row.code and zh[COL["level"]] == "村社" and zh[COL["status"]] == "已派遣"
    assert zh[COL["place"]] == f"{row.grid_name} / {row.town_name}"
    assert zh[COL["deadline"]] == "剩 1:30:00" and zh[COL["light"]] == "绿灯" and zh[COL["card"]] == "黄牌"
    en = [labels.column_text(row, c, NOW, "en") for c in COLUMNS]
    assert en[COL["level"]] == "Village" and en[COL["status"]] == "Dispatched" and en[COL["card"]] == "Yellow card"
    assert set(labels.HEADERS["zh"]) == set(labels.HEADERS["en"]) == set(COLUMNS)
    with pytest.raises(ValueError):
        labels.check_lang("fr")


# --------------------------------------------------------------------------- paging and sort


def test_pages_load_on_fetch_more(qapp):
    source = FakeQueueSource([mk(i, i) for i in range(1, 451)])
    model = CaseQueueModel(source, clock=Clock(), page_size=200)
    assert model.rowCount() == 200 and model.total() == 450 and model.canFetchMore(QModelIndex())
    model.fetchMore(QModelIndex())
    assert model.rowCount() == 400 and model.canFetchMore(QModelIndex())
    model.fetchMore(QModelIndex())
    assert model.rowCount() == 450 and not model.canFetchMore(QModelIndex())
    assert ids(model) == list(range(1, 451))  # deadline order, most urgent first
    assert model.columnCount() == len(COLUMNS)
    assert model.headerData(COL["deadline"], Qt.Orientation.Horizontal) == "当前步骤时限"


def test_sort_by_column_requeries_and_department_is_not_sortable(qapp):
    rows = [mk(i, i, card=[Card.NONE, Card.RED, Card.YELLOW, Card.NORMAL][i % 4]) for i in range(1, 41)]
    source = FakeQueueSource(rows)
    model = CaseQueueModel(source, clock=Clock(), page_size=10)
    spy = Spy(model)
    model.sort(COL["code"], Qt.SortOrder.DescendingOrder)
    assert spy.resets == 1 and model.sort_order() == QueueSort("code", True)
    assert [r.code for r in model.rows()] == sorted((r.code for r in rows), reverse=True)[:10]
    model.sort(COL["card"], Qt.SortOrder.AscendingOrder)
    assert [r.card for r in model.rows()] == [Card.RED] * 10
    model.sort(COL["department"], Qt.SortOrder.AscendingOrder)
    assert spy.resets == 2 and model.sort_order().key == "card"
    assert CaseQueueModel.column_of_sort_key("town") == COL["place"]


@pytest.mark.parametrize("key", [k for k in SORT_KEYS if k not in ("reported_at", "updated_at")])
@pytest.mark.parametrize("descending", [False, True])
def test_random_writes_keep_the_loaded_range_equal_to_the_server_order(qapp, key, descending):
    """Inserts, moves, updates and removals keep the loaded rows exactly the first N of the server's order."""
    rng = random.Random(f"{key}-{descending}")
    statuses = [CaseStatus.DISPATCHED, CaseStatus.FILED, CaseStatus.HANDLED, CaseStatus.REPORTED]

    def random_row(i: int):
        return mk(i, rng.randint(-600, 600), card=rng.choice(list(Card)), level=rng.choice(list(Level)),
                  status=rng.choice(statuses), town_id=rng.randint(1, 3),
                  class_code=rng.choice(["1102", "1103", "0104"]))

    source = FakeQueueSource([random_row(i) for i in range(1, 121)])
    model = CaseQueueModel(source, sort=QueueSort(key, descending), clock=Clock(), page_size=25)
    spy = Spy(model)
    next_id = 121
    for step in range(60):
        for _ in range(rng.randint(1, 4)):
            roll = rng.random()
            if roll < 0.35:
                source.put(random_row(next_id))
                next_id += 1
            elif roll < 0.55:
                victim = source.get(rng.randint(1, next_id - 1))
                source.put(dataclasses.replace(victim, status=CaseStatus.CLOSED, version=victim.version + 1))
            else:
                old = source.get(rng.randint(1, next_id - 1))
                new = random_row(old.id)
                source.put(dataclasses.replace(new, status=old.status if rng.random() < 0.7 else new.status,
                                               version=old.version + 1))
        model.refresh()
        if step % 15 == 7:
            model.fetchMore(QModelIndex())
        assert ids(model) == server_ids(source, model), f"step {step}"
        assert model.total() == source.count(model.filter(), model.sort_order(), NOW)
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
    assert ids(model) == server_ids(source, model, 10_000)
    assert spy.resets == 0 and spy.inserted and spy.removed


def test_fetch_more_reads_after_the_last_loaded_row(qapp):
    """The next page starts after the last loaded row (keyset), not at a row count: a row that
    left above the loaded range by a write whose feed entry has not arrived yet makes the next
    page skip nothing (by OFFSET it would start one row too late and skip case 11)."""
    source = FakeQueueSource([mk(i, i) for i in range(1, 41)])
    model = CaseQueueModel(source, clock=Clock(), page_size=10)
    assert ids(model) == list(range(1, 11)) and source.calls[-1] == "page 0 10"
    del source._rows[3]  # gone from the source, not (yet) in its change feed
    model.fetchMore(QModelIndex())
    assert source.calls[-1] == "page after 10 10"
    assert ids(model) == list(range(1, 21))
    model.resync()  # re-reading the loaded range also goes page after page by key
    assert [c for c in source.calls if c.startswith("page")][-2:] == ["page 0 10", "page after 11 10"]
    assert ids(model) == [1, 2, *range(4, 22)]


def test_refresh_inserts_at_sorted_position_updates_moves_and_removes_without_reset(qapp):
    source = FakeQueueSource([mk(i, i * 10) for i in range(1, 31)])  # deadlines +10 .. +300 min
    model = CaseQueueModel(source, clock=Clock(), page_size=20)  # loaded: ids 1..20 (up to +200 min)
    spy = Spy(model)

    source.put(mk(100, 55))  # between 5 (+50) and 6 (+60)
    delta = model.refresh()
    assert (delta.inserted, spy.inserted) == (1, [(5, 5)]) and model.case_id_at(5) == 100

    source.put(mk(101, 250))  # sorts after the loaded range: arrives with fetchMore, not now
    model.refresh()
    assert model.row_of(101) is None and model.rowCount() == 21 and model.total() == 32

    spy.clear()
    source.put(dataclasses.replace(source.get(3), card=Card.RED, version=2))
    delta = model.refresh()
    assert delta.updated == 1 and not spy.moved and (2, 0, 2, len(COLUMNS) - 1) in spy.changed
    assert model.data(model.index(2, COL["card"])) == "红牌"

    kept = QPersistentModelIndex(model.index(2, 0))  # case 3: a selection would follow it
    source.put(mk(3, 135))  # its deadline moves to between 13 (+130) and 14 (+140)
    delta = model.refresh()
    assert delta.moved == 1 and model.case_id_at(kept.row()) == 3 and model.row_of(3) == 13

    source.put(dataclasses.replace(source.get(1), status=CaseStatus.CLOSED))  # leaves the open filter
    delta = model.refresh()
    assert delta.removed == 1 and model.row_of(1) is None

    source.put(mk(4, 9999))  # a loaded row that now sorts past the loaded range leaves it
    model.refresh()
    assert model.row_of(4) is None

    assert spy.resets == 0
    assert ids(model) == server_ids(source, model)
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
    assert ids(model) == server_ids(source, model, 1000) and 101 in ids(model) and 4 in ids(model)


def test_descending_sort_places_inserts_by_the_mirrored_key(qapp):
    source = FakeQueueSource([mk(i, i * 10) for i in range(1, 11)] + [mk(50, 0, status=CaseStatus.SUSPENDED,
                                                                            step=None, step_deadline=None,
                                                                            step_yellow_at=None)])
    model = CaseQueueModel(source, sort=QueueSort("deadline", True), clock=Clock(), page_size=100)
    assert ids(model) == [10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 50]  # missing deadlines last, as in SQL
    source.put(mk(60, 45))
    model.refresh()
    assert ids(model) == [10, 9, 8, 7, 6, 5, 60, 4, 3, 2, 1, 50]
    key = row_sort_key(QueueSort("deadline", True), source.get(60), NOW)
    assert key < row_sort_key(QueueSort("deadline", True), source.get(4), NOW)


def test_refresh_without_news_and_reapplied_margin_are_silent(qapp):
    source = FakeQueueSource([mk(i, i) for i in range(1, 6)])
    model = CaseQueueModel(source, clock=Clock(), feed_margin=16)
    spy = Spy(model)
    assert not model.refresh().changed and not spy.changed
    source.put(dataclasses.replace(source.get(2), card=Card.NORMAL))
    assert model.refresh().updated == 1
    spy.clear()
    source.put(source.get(4))  # same content again (as a margin re-read would see it)
    assert not model.refresh().changed and not spy.changed


def test_large_delta_is_merged_without_reset(qapp):
    source = FakeQueueSource([mk(i, i) for i in range(1, 301)])
    model = CaseQueueModel(source, clock=Clock(), page_size=50)
    spy = Spy(model)
    for i in range(301, 2400):  # more than MAX_DELTA changed cases
        source.put(mk(i, (i * 7919) % 400 - 100))
    model.refresh()
    assert spy.resets == 0 and ids(model) == server_ids(source, model) and model.loaded() == 50


# --------------------------------------------------------------------------- time passing


def test_tick_updates_countdowns_of_visible_rows_and_lights_with_a_moving_clock(qapp):
    clock = Clock()
    rows = [mk(1, 1, step_yellow_at=NOW + dt.timedelta(seconds=5)), *[mk(i, 60 + i) for i in range(2, 30)]]
    source = FakeQueueSource(rows)
    model = CaseQueueModel(source, clock=clock)
    spy = Spy(model)
    reds: list[str] = []
    model.newRedCase.connect(reds.append)
    idx = model.index(0, COL["deadline"])
    assert model.data(idx) == "剩 0:01:00" and model.data(model.index(0, COL["light"])) == "绿灯"
    assert model.data(idx, Qt.ItemDataRole.BackgroundRole) == QColor(DARK_THEME["green_bg"])

    clock.advance(seconds=1)
    model.tick(range(10))
    assert spy.changed == [(0, COL["deadline"], 9, COL["light"])]  # visible rows, two columns only
    assert model.data(idx) == "剩 0:00:59"

    spy.clear()
    clock.advance(seconds=5)
    model.tick(range(10))
    assert (0, 0, 0, len(COLUMNS) - 1) in spy.changed  # the row's colour changed
    assert model.data(idx, Qt.ItemDataRole.BackgroundRole) == QColor(DARK_THEME["yellow_bg"])
    assert not reds

    clock.advance(seconds=60)
    model.tick(range(10))
    assert model.data(idx) == "超时 0:00:06" and model.data(model.index(0, COL["light"])) == "红灯"
    assert model.data(idx, Qt.ItemDataRole.BackgroundRole) == QColor(DARK_THEME["red_bg"])
    assert reds == [rows[0].code]
    clock.advance(seconds=5)
    model.tick(range(10))
    model.refresh()
    assert reds == [rows[0].code] and spy.resets == 0


def test_new_red_case_on_arrival_but_not_for_cases_already_red(qapp):
    clock = Clock()
    old_red = mk(1, -120)
    source = FakeQueueSource([old_red, *[mk(i, i) for i in range(2, 10)]])
    model = CaseQueueModel(source, clock=clock)
    reds: list[str] = []
    model.newRedCase.connect(reds.append)
    assert not reds  # red at load: already known
    source.put(dataclasses.replace(old_red, card=Card.YELLOW))  # a change to an old red case
    model.refresh()
    assert not reds
    clock.advance(seconds=30)
    fresh = mk(20, -1, reported_at=clock.t)  # arrives already red (reported just now)
    source.put(fresh)
    model.refresh()
    assert reds == [fresh.code] and model.row_of(20) is not None
    turned = dataclasses.replace(source.get(5), step_deadline=clock.t - dt.timedelta(seconds=1))
    source.put(turned)  # a change made it red (its deadline passed since the last look)
    model.refresh()
    assert reds == [fresh.code, turned.code]


def test_light_filter_follows_time_without_reset(qapp):
    clock = Clock()
    source = FakeQueueSource([mk(1, 31), mk(2, 40), mk(3, 5), mk(4, 100)])
    model = CaseQueueModel(source, flt=QueueFilter(lights=(Light.GREEN,)), clock=clock, light_resync_s=10)
    spy = Spy(model)
    assert ids(model) == [1, 2, 4]
    clock.advance(minutes=2)  # case 1 turns yellow: it leaves a green-only queue at the next tick
    model.tick(range(3))
    assert ids(model) == [2, 4] and spy.removed == [(0, 0)]

    red = CaseQueueModel(source, flt=QueueFilter(lights=(Light.RED,)), clock=clock, light_resync_s=10)
    red_spy = Spy(red)
    reds: list[str] = []
    red.newRedCase.connect(reds.append)
    assert ids(red) == []
    clock.advance(minutes=4)  # case 3 (not loaded: it was yellow) turns red; the periodic re-read brings it
    red.tick(range(0))
    assert ids(red) == [] or red.row_of(3) is not None
    clock.advance(seconds=11)
    red.tick(range(0))
    assert ids(red) == [3] and reds == [source.get(3).code] and red_spy.resets == 0 and red.total() == 1
    assert spy.resets == 0


# --------------------------------------------------------------------------- colours, language, flash


def test_theme_colours_and_language(qapp):
    source = FakeQueueSource([mk(1, -5), mk(2, 10), mk(3, 60), mk(4, 0, status=CaseStatus.SUSPENDED, step=None,
                                                                      step_deadline=None, step_yellow_at=None)])
    model = CaseQueueModel(source, clock=Clock(), theme="light", lang="en")
    bg = [model.data(model.index(r, 0), Qt.ItemDataRole.BackgroundRole) for r in range(4)]
    fg = [model.data(model.index(r, 0), Qt.ItemDataRole.ForegroundRole) for r in range(4)]
    assert bg[:3] == [QColor(LIGHT_THEME[k]) for k in ("red_bg", "yellow_bg", "green_bg")] and bg[3] is None
    assert fg[0] == QColor(LIGHT_THEME["red_fg"])
    assert model.data(model.index(0, COL["light"]), Qt.ItemDataRole.DecorationRole) == QColor(LIGHT_THEME["red_dot"])
    assert model.data(model.index(0, COL["status"])) == "Dispatched"
    model.set_theme({"red_bg": "#123456"})
    model.set_lang("zh")
    assert model.data(model.index(0, 0), Qt.ItemDataRole.BackgroundRole) == QColor("#123456")
    assert model.data(model.index(1, 0), Qt.ItemDataRole.BackgroundRole) == QColor(DARK_THEME["yellow_bg"])
    assert model.data(model.index(0, COL["status"])) == "已派遣"
    with pytest.raises(ValueError):
        model.set_theme("sepia")


def test_flash_blinks_then_stops(qtbot):
    source = FakeQueueSource([mk(1, 100), mk(2, 120)])
    model = CaseQueueModel(source, clock=Clock())
    model.flash_case(2, ms=1000)
    assert model.is_flashing(2)
    assert model.data(model.index(1, 0), Qt.ItemDataRole.BackgroundRole) == QColor(DARK_THEME["flash_bg"])
    qtbot.waitUntil(lambda: not model.is_flashing(2), timeout=3000)
    assert model.data(model.index(1, 0), Qt.ItemDataRole.BackgroundRole) == QColor(DARK_THEME["green_bg"])


# --------------------------------------------------------------------------- on a database


@pytest.fixture
def engine(db_url):
    e = make_db(db_url)
    yield e
    e.dispose()


def report(s: Session, clock: Clock, ix: int, *, minor: str = "1102", source: CaseSource = CaseSource.HOTLINE,
           at: dt.datetime | None = None, description: str = "") -> Case:
    lon, lat = grid_centre(ix)
    svc = CaseService(s, identity(UserRole.DUTY_OFFICER), clock=clock)
    return svc.report(minor_code=minor, lon=lon, lat=lat, source=source, at=at, description=description)


def act(s: Session, clock: Clock, case_id: int, action: Action, params: Params | None = None,
        role: UserRole = UserRole.SHIFT_LEADER) -> Case:
    svc = CaseService(s, identity(role, dept=dept_id(s)), clock=clock)
    case = svc.get(case_id)
    return svc.act(case_id, case.version, action, params or Params(reason="测试"))


def seed_cases(engine, clock: Clock, n: int = 12) -> list[int]:
    """n reports spread over the four grids (two towns), one minute apart, varied class and source."""
    out = []
    classes = ["1102", "1103", "0104", "1201"]
    sources = [CaseSource.HOTLINE, CaseSource.GRID_WORKER, CaseSource.CAMERA]
    with Session(engine) as s:
        for i in range(n):
            c = report(s, clock, i % 4, minor=classes[i % 4], source=sources[i % 3],
                       at=NOW + dt.timedelta(minutes=i), description=f"第{i}号测试案件")
            out.append(c.id)
        s.commit()
    return out


def db_source(engine, role: UserRole = UserRole.DUTY_OFFICER, town: int | None = None) -> SessionQueueSource:
    return SessionQueueSource(sessionmaker(engine, expire_on_commit=False), identity(role, town))


def test_session_source_pages_and_counts(qapp, engine):
    clock = Clock(NOW + dt.timedelta(hours=1))
    case_ids = seed_cases(engine, clock)
    model = CaseQueueModel(db_source(engine), clock=clock, page_size=5)
    assert model.rowCount() == 5 and model.total() == 12
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
    assert ids(model) == case_ids  # accept deadlines follow the report times
    assert model.rows()[0].town_name == "测试镇1" and model.rows()[0].class_code == "1102"


def test_sql_order_matches_the_python_mirror_for_every_key(qapp, engine):
    clock = Clock(NOW + dt.timedelta(hours=1))
    case_ids = seed_cases(engine, clock)
    with Session(engine) as s:  # variety: filed, dispatched at other levels, cards, a suspension
        act(s, clock, case_ids[1], Action.FILE, Params(), UserRole.DUTY_OFFICER)
        act(s, clock, case_ids[2], Action.FILE, Params(), UserRole.DUTY_OFFICER)
        act(s, clock, case_ids[2], Action.DISPATCH, Params(department_id=dept_id(s), level=Level.VILLAGE))
        act(s, clock, case_ids[2], Action.CARD, Params(card=Card.YELLOW, reason="督办"))
        act(s, clock, case_ids[3], Action.FILE, Params(), UserRole.DUTY_OFFICER)
        act(s, clock, case_ids[3], Action.DISPATCH, Params(department_id=dept_id(s), level=Level.TOWN))
        act(s, clock, case_ids[3], Action.SUSPEND, Params(reason="挂账"))
        act(s, clock, case_ids[5], Action.FILE, Params(), UserRole.DUTY_OFFICER)
        s.commit()
    source = db_source(engine)
    for key in SORT_KEYS:
        for descending in (False, True):
            sort = QueueSort(key, descending)
            rows = source.page(QueueFilter(), sort, clock.t, 0, 100)
            assert len(rows) == 12
            mirrored = sorted(rows, key=lambda r: row_sort_key(sort, r, clock.t))
            assert [r.id for r in rows] == [r.id for r in mirrored], sort


@pytest.mark.parametrize("key", ["class", "town", "level", "card", "light"])
def test_scrolling_a_database_queue_while_another_seat_writes(qapp, engine, key):
    """Pages read by key on the database: scrolling in small pages while cases arrive, move and
    leave between the pages ends with exactly the server's order, each case once."""
    clock = Clock(NOW + dt.timedelta(hours=1))
    case_ids = seed_cases(engine, clock)
    source = db_source(engine)
    model = CaseQueueModel(source, sort=QueueSort(key, key in ("class", "card")), clock=clock, page_size=3)
    writes = iter([(1, Action.FILE, Params()), (4, Action.VOID, Params(reason="重复上报")),
                   (7, Action.FILE, Params()), (10, Action.VOID, Params(reason="重复上报"))])
    while model.canFetchMore(QModelIndex()):
        step = next(writes, None)
        with Session(engine) as s:  # another seat, between two pages
            report(s, clock, len(model.rows()) % 4, minor=["0104", "1201", "1103"][len(model.rows()) % 3])
            if step is not None:
                act(s, clock, case_ids[step[0]], step[1], step[2], UserRole.DUTY_OFFICER)
            s.commit()
        model.fetchMore(QModelIndex())
    assert len(ids(model)) == len(set(ids(model))) == model.total()
    assert ids(model) == server_ids(source, model, 1000)


def test_each_filter_on_the_database(qapp, engine):
    clock = Clock(NOW + dt.timedelta(hours=1))
    case_ids = seed_cases(engine, clock)
    with Session(engine) as s:
        act(s, clock, case_ids[0], Action.FILE, Params(), UserRole.DUTY_OFFICER)
        act(s, clock, case_ids[1], Action.VOID, Params(reason="不属于受理范围"), UserRole.DUTY_OFFICER)
        t1, t2 = town_id(s, 1), town_id(s, 2)
        s.commit()
    source = db_source(engine)

    def shown(flt: QueueFilter, at: dt.datetime | None = None) -> set[int]:
        model = CaseQueueModel(source, flt=flt, clock=Clock(at or clock.t), page_size=100)
        assert model.total() == model.rowCount()
        rows = model.rows()
        assert [r.id for r in rows] == [r.id for r in sorted(rows, key=lambda r: row_sort_key(model.sort_order(), r,
                                                                                              model.now()))]
        return set(ids(model))

    every = set(case_ids)
    assert shown(QueueFilter()) == every - {case_ids[1]}
    assert shown(QueueFilter(statuses=(CaseStatus.FILED,))) == {case_ids[0]}
    assert shown(QueueFilter(statuses=(CaseStatus.VOIDED,))) == {case_ids[1]}
    assert shown(QueueFilter(town_ids=(t2,))) == {i for n, i in enumerate(case_ids) if n % 4 in (2, 3)}
    assert shown(QueueFilter(town_ids=(t1,), class_codes=("1102",))) == set(case_ids[0::4])
    assert shown(QueueFilter(sources=(CaseSource.CAMERA,))) == {i for n, i in enumerate(case_ids) if n % 3 == 2}
    assert shown(QueueFilter(text="第7号")) == {case_ids[7]}
    assert shown(QueueFilter(text="暴露垃圾")) == set(case_ids[0::4])
    # lights: an hour after the reports all are green; a day later every running step is overdue
    assert shown(QueueFilter(lights=(Light.GREEN,))) == every - {case_ids[1]}
    late = NOW + dt.timedelta(days=1, hours=2)
    assert shown(QueueFilter(lights=(Light.RED,)), late) == every - {case_ids[1]}
    assert shown(QueueFilter(lights=(Light.GREEN,)), late) == set()
    assert shown(QueueFilter(lights=(Light.YELLOW,)), late) == set()


def test_writes_of_a_second_session_arrive_as_row_deltas_without_reset(qapp, engine):
    clock = Clock(NOW + dt.timedelta(hours=1))
    case_ids = seed_cases(engine, clock)
    source = db_source(engine)
    model = CaseQueueModel(source, clock=clock, page_size=100)
    spy = Spy(model)
    reds: list[str] = []
    model.newRedCase.connect(reds.append)
    assert model.total() == 12

    with Session(engine) as s:  # another seat
        new = report(s, clock, 1, at=NOW + dt.timedelta(minutes=4, seconds=30))  # between cases 4 and 5
        act(s, clock, case_ids[2], Action.FILE, Params(), UserRole.DUTY_OFFICER)  # a step later
        act(s, clock, case_ids[6], Action.VOID, Params(reason="重复上报"), UserRole.DUTY_OFFICER)  # leaves
        s.commit()
        new_id = new.id
    delta = model.refresh()
    assert spy.resets == 0
    assert delta.inserted == 1 and delta.removed == 1 and delta.updated + delta.moved == 1
    assert model.row_of(new_id) == 5 and model.row_of(case_ids[6]) is None
    assert model.data(model.index(model.row_of(case_ids[2]), COL["status"])) == "已立案"
    assert model.total() == 12
    assert ids(model) == server_ids(source, model, 100)
    assert not reds
    assert not model.refresh().changed  # nothing new: nothing happens


def test_town_officer_source_never_yields_other_towns(qapp, engine):
    clock = Clock(NOW + dt.timedelta(hours=1))
    seed_cases(engine, clock)
    with Session(engine) as s:
        t1, t2 = town_id(s, 1), town_id(s, 2)
        other = s.scalars(sa.select(Case.id).where(Case.town_id == t2)).all()
    source = db_source(engine, UserRole.TOWN_OFFICER, t1)
    model = CaseQueueModel(source, clock=clock, page_size=4)
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
    assert model.total() == 6 and {r.town_id for r in model.rows()} == {t1}
    # asking for the other town, by filter or by id, yields nothing
    assert source.count(QueueFilter(town_ids=(t2,)), QueueSort(), clock.t) == 0
    assert source.rows_by_id(QueueFilter(), QueueSort(), clock.t, other) == []
    head = source.head()
    with Session(engine) as s:  # writes in the other town
        report(s, clock, 3)
        act(s, clock, other[0], Action.FILE, Params(), UserRole.DUTY_OFFICER)
        s.commit()
    assert source.changes_since(head)[1] == []
    spy = Spy(model)
    assert not model.refresh().changed and not spy.inserted and model.total() == 6
    with Session(engine) as s:
        mine = report(s, clock, 0)
        s.commit()
        mine_id = mine.id
    model.refresh()
    assert model.row_of(mine_id) is not None and {r.town_id for r in model.rows()} == {t1}
