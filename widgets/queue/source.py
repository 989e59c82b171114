"""Where the queue's rows come from: a small protocol and its implementations.

`CaseQueueModel` never sees a Session; it asks a *source*. `SessionQueueSource`
opens one Session per call over `models.queue` (the town scope is applied there,
in SQL, so a town officer's source never yields another town's row).
`FakeQueueSource` keeps FAKE rows in memory for demos and pure model tests.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import random
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol, runtime_checkable

from sqlalchemy.orm import Session

from models.auth import SYSTEM, Identity
from models.enums import Card, CaseSource, CaseStatus, Level, Light, Step
from models.queue import QueueFilter, QueueQuery, QueueRow, QueueSort, changes_since, feed_head, light_of


@runtime_checkable
class QueueSource(Protocol):
    """What the queue model needs; every call is short and returns frozen rows."""

    def count(self, flt: QueueFilter, sort: QueueSort, now: dt.datetime) -> int: ...

    def page(self, flt: QueueFilter, sort: QueueSort, now: dt.datetime, offset: int,
             limit: int, after: QueueRow | None = None) -> list[QueueRow]:
        """`limit` rows in the order of `sort` at `now`: those after the row `after` when given
        (keyset paging; `offset` is then not used), else from row `offset` on."""
        ...

    def rows_by_id(self, flt: QueueFilter, sort: QueueSort, now: dt.datetime,
                   ids: Sequence[int]) -> list[QueueRow]: ...

    def changes_since(self, feed_id: int) -> tuple[int, list[int]]: ...

    def head(self) -> int: ...


class SessionQueueSource:
    """The queue of one user (`identity`) on a database; one Session per call."""

    def __init__(self, session_factory: Callable[[], Session], identity: Identity) -> None:
        self.session_factory = session_factory
        self.identity = identity

    def _query(self, flt: QueueFilter, sort: QueueSort) -> QueueQuery:
        return QueueQuery(self.identity, flt, sort)

    def count(self, flt: QueueFilter, sort: QueueSort, now: dt.datetime) -> int:
        with self.session_factory() as s:
            return self._query(flt, sort).count(s, now)

    def page(self, flt: QueueFilter, sort: QueueSort, now: dt.datetime, offset: int,
             limit: int, after: QueueRow | None = None) -> list[QueueRow]:
        with self.session_factory() as s:
            return self._query(flt, sort).page(s, now, offset, limit, after)

    def rows_by_id(self, flt: QueueFilter, sort: QueueSort, now: dt.datetime,
                   ids: Sequence[int]) -> list[QueueRow]:
        out: list[QueueRow] = []
        ids = list(ids)
        with self.session_factory() as s:
            q = self._query(flt, sort)
            for i in range(0, len(ids), 500):  # keep the IN list small on every engine
                out.extend(q.rows_by_id(s, now, ids[i:i + 500]))
        return out

    def changes_since(self, feed_id: int) -> tuple[int, list[int]]:
        with self.session_factory() as s:
            return changes_since(s, feed_id, self.identity)

    def head(self) -> int:
        with self.session_factory() as s:
            return feed_head(s)


# --- the order of rows, mirrored in Python ----------------------------------------


class _Desc:
    """Reverses the comparison of what it wraps (for descending keys of any type)."""

    __slots__ = ("v",)

    def __init__(self, v: Any) -> None:
        self.v = v

    def __lt__(self, other: _Desc) -> bool:
        return other.v < self.v

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Desc) and self.v == other.v

    def __repr__(self) -> str:
        return f"_Desc({self.v!r})"


@functools.lru_cache(maxsize=64)
def _mirror(sort: QueueSort) -> QueueQuery:
    return QueueQuery(SYSTEM, QueueFilter(), sort)


def row_sort_key(sort: QueueSort, row: QueueRow, now: dt.datetime) -> tuple:
    """The position of `row` in the SQL order of `sort` (models.queue `QueueQuery._order`).

    `QueueQuery.sort_key` is the ascending key; descending keeps missing values last
    and reverses the value and the id tie-break, as the SQL does.
    """
    missing, value, cid = _mirror(sort).sort_key(row, now)
    if sort.descending:
        return (missing, _Desc((value, cid)))
    return (missing, value, cid)


# --- FAKE data, in memory ---------------------------------------------------------


def row_matches(row: QueueRow, flt: QueueFilter, now: dt.datetime) -> bool:
    """Python mirror of the filter (FAKE source only). Grid and department ids are not in a row."""
    if flt.statuses and row.status not in flt.statuses:
        return False
    if flt.lights and row.light_at(now) not in flt.lights:
        return False
    if flt.town_ids and row.town_id not in flt.town_ids:
        return False
    if flt.class_codes and row.class_code not in flt.class_codes:
        return False
    if flt.sources and row.source not in flt.sources:
        return False
    if flt.case_ids and row.id not in flt.case_ids:
        return False
    text = flt.text.strip()
    if text and not any(text in v for v in (row.code, row.description, row.class_name, row.grid_name,
                                             row.grid_code)):
        return False
    return True


class FakeQueueSource:
    """FAKE, in-memory queue source for demos and model tests (no database).

    `put(row)` adds or replaces a row and appends to the fake change feed, as a write
    by another seat would; `town_id` imitates a town officer's scope.
    """

    def __init__(self, rows: Iterable[QueueRow] = (), *, town_id: int | None = None) -> None:
        self.town_id = town_id
        self._rows: dict[int, QueueRow] = {}
        self._feed: list[tuple[int, int, int]] = []  # (feed id, case id, town id)
        self.calls: list[str] = []  # what the model asked, for tests
        for r in rows:
            self._rows[r.id] = r

    # --- writes, as another seat would make them
    def put(self, row: QueueRow) -> None:
        self._rows[row.id] = row
        self._feed.append((len(self._feed) + 1, row.id, row.town_id))

    def get(self, case_id: int) -> QueueRow:
        return self._rows[case_id]

    def all_rows(self) -> list[QueueRow]:
        return list(self._rows.values())

    # --- the protocol
    def _visible(self, flt: QueueFilter, now: dt.datetime) -> list[QueueRow]:
        return [r for r in self._rows.values()
                if (self.town_id is None or r.town_id == self.town_id) and row_matches(r, flt, now)]

    def count(self, flt: QueueFilter, sort: QueueSort, now: dt.datetime) -> int:
        self.calls.append("count")
        return len(self._visible(flt, now))

    def page(self, flt: QueueFilter, sort: QueueSort, now: dt.datetime, offset: int,
             limit: int, after: QueueRow | None = None) -> list[QueueRow]:
        self.calls.append(f"page {offset} {limit}" if after is None else f"page after {after.id} {limit}")
        rows = sorted(self._visible(flt, now), key=lambda r: row_sort_key(sort, r, now))
        if after is not None:
            offset = bisect.bisect_right(rows, row_sort_key(sort, after, now),
                                         key=lambda r: row_sort_key(sort, r, now))
        return rows[offset:offset + limit]

    def rows_by_id(self, flt: QueueFilter, sort: QueueSort, now: dt.datetime,
                   ids: Sequence[int]) -> list[QueueRow]:
        self.calls.append(f"rows_by_id {len(ids)}")
        wanted = set(ids)
        return [r for r in self._visible(flt, now) if r.id in wanted]

    def changes_since(self, feed_id: int) -> tuple[int, list[int]]:
        self.calls.append(f"changes_since {feed_id}")
        new = [(f, c, t) for f, c, t in self._feed if f > feed_id]
        if not new:
            return feed_id, []
        ids = [c for _, c, t in new if self.town_id is None or t == self.town_id]
        return new[-1][0], list(dict.fromkeys(ids))

    def head(self) -> int:
        return self._feed[-1][0] if self._feed else 0


FAKE_CLASSES = [("1102", "暴露垃圾"), ("1103", "道路保洁"), ("1503", "机动车乱停放"), ("0104", "路灯"),
                ("1201", "非法小广告"), ("2401", "邻里纠纷"), ("1401", "路面塌陷"), ("0302", "垃圾箱")]
FAKE_TOWNS = [(1, "演示街道"), (2, "演示镇"), (3, "假数据镇")]
FAKE_DEPTS = ["区综合行政执法局", "区住房和城乡建设局", "区交通运输局", "区水利局", ""]


def fake_row(case_id: int, now: dt.datetime, *, rng: random.Random | None = None, **overrides: Any) -> QueueRow:
    """One plausible FAKE row; any field can be overridden (`step_deadline=…`, `town_id=…`)."""
    rng = rng or random.Random(case_id)
    code, name = rng.choice(FAKE_CLASSES)
    town_id, town = FAKE_TOWNS[case_id % len(FAKE_TOWNS)]
    limit = dt.timedelta(hours=rng.choice([2, 4, 8, 24, 48]))
    started = (now - limit * rng.uniform(0.05, 1.2)).replace(microsecond=0)
    status = rng.choices([CaseStatus.REPORTED, CaseStatus.FILED, CaseStatus.DISPATCHED, CaseStatus.HANDLED,
                          CaseStatus.SUSPENDED], [15, 10, 55, 15, 5])[0]
    running = status is not CaseStatus.SUSPENDED
    fields: dict[str, Any] = dict(
        id=case_id, code=f"AJ{now:%Y%m%d}{case_id:05d}", version=1, class_code=code, class_name=name,
        grid_code=f"DEMO{town_id:03d}{case_id % 40:03d}", grid_name=f"演示网格{case_id % 40 + 1}", town_id=town_id,
        town_name=town, level=rng.choice(list(Level)), department=rng.choice(FAKE_DEPTS), status=status,
        step=Step.HANDLE if running else None, step_started_at=started if running else None,
        step_yellow_at=started + limit * 0.8 if running else None, step_deadline=started + limit if running else None,
        light=Light.NONE, card=rng.choices(list(Card), [85, 9, 4, 2])[0],
        source=rng.choice([s for s in CaseSource if s is not CaseSource.LEGACY]), reported_at=started,
        updated_at=started, description=f"假数据: {name} (演示)", lon=121.4, lat=28.57, is_demo=True)
    fields.update(overrides)
    fields["light"] = light_of(fields["status"], fields["step_yellow_at"], fields["step_deadline"], now)
    return QueueRow(**fields)


def fake_rows(n: int, now: dt.datetime, seed: int = 1) -> list[QueueRow]:
    rng = random.Random(seed)
    return [fake_row(i, now, rng=rng) for i in range(1, n + 1)]
