"""`CaseQueueModel`: the live incident queue as a paged, incrementally updated table model.

Rows are frozen `QueueRow` snapshots from a `QueueSource` (never a Session). The
first page loads on `reload()`; further pages on `fetchMore()` as the view scrolls.
`refresh()` reads the change feed and applies the difference row by row —
`dataChanged`, `beginInsertRows` at the sorted position, `beginMoveRows`,
`beginRemoveRows` — and never resets the model; only a new filter or sort does.
`tick()` re-evaluates the countdowns and lights of what is visible as time passes.

Source calls run synchronously on the GUI thread: measured at 100,000 open cases
(bench/bench_queue.py) a page is tens of milliseconds, so a worker thread would add
ordering problems between pages and deltas without making anything smoother.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QColor

from models.enums import Light
from models.queue import RUNNING, QueueFilter, QueueRow, QueueSort
from widgets.queue import labels
from widgets.queue.source import QueueSource, row_sort_key

# Row colours by light. Each colour pair is readable on its own, so rows work in a
# dark and in a light palette; the view also takes base/text/header colours from here.
DARK_THEME: dict[str, str] = {
    "red_bg": "#6e1b1f", "red_fg": "#ffe3e3", "yellow_bg": "#5e4a08", "yellow_fg": "#fff4c2",
    "green_bg": "#16402a", "green_fg": "#d9f7e3", "flash_bg": "#ff2d2d", "flash_fg": "#ffffff",
    "red_dot": "#ff4d4f", "yellow_dot": "#fadb14", "green_dot": "#52c41a",
    "base": "#0f141a", "alt_base": "#151c24", "text": "#e6edf3", "header_bg": "#1c2633", "header_fg": "#d0dae6",
    "highlight": "#2f6fde", "highlight_fg": "#ffffff", "grid": "#2a3441",
}
LIGHT_THEME: dict[str, str] = {
    "red_bg": "#ffd5d5", "red_fg": "#5c0b0b", "yellow_bg": "#fff0b3", "yellow_fg": "#4a3600",
    "green_bg": "#d7f5c8", "green_fg": "#153d0d", "flash_bg": "#ff4d4f", "flash_fg": "#ffffff",
    "red_dot": "#e02424", "yellow_dot": "#d4a800", "green_dot": "#2e9e1f",
    "base": "#ffffff", "alt_base": "#f6f8fa", "text": "#1f2328", "header_bg": "#eef1f4", "header_fg": "#1f2328",
    "highlight": "#2f6fde", "highlight_fg": "#ffffff", "grid": "#d0d7de",
}
THEMES = {"dark": DARK_THEME, "light": LIGHT_THEME}

COLUMNS = labels.COLUMNS
COL = {name: i for i, name in enumerate(COLUMNS)}
# column -> QueueSort key; the department column has no server-side order
SORT_KEYS = {"code": "code", "class": "class", "place": "town", "level": "level", "status": "status",
             "deadline": "deadline", "light": "light", "card": "card"}

CASE_ID_ROLE = int(Qt.ItemDataRole.UserRole) + 1
ROW_ROLE = int(Qt.ItemDataRole.UserRole) + 2
LIGHT_ROLE = int(Qt.ItemDataRole.UserRole) + 3

_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_BACKGROUND = int(Qt.ItemDataRole.BackgroundRole)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
_DECORATION = int(Qt.ItemDataRole.DecorationRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_ALIGN = int(Qt.ItemDataRole.TextAlignmentRole)
_CENTER = int(Qt.AlignmentFlag.AlignCenter)
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_ROOT = QModelIndex()
_COLOUR_ROLES = [Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.ForegroundRole]

MAX_DELTA = 2000  # more changed cases than this in one refresh: re-read the loaded range instead


def resolve_theme(theme: str | Mapping[str, str] | None) -> dict[str, str]:
    """A theme name ("dark", "light") or a dict of colours laid over the dark theme."""
    if theme is None:
        return dict(DARK_THEME)
    if isinstance(theme, str):
        if theme not in THEMES:
            raise ValueError(f"theme must be one of {tuple(THEMES)} or a dict: {theme!r}")
        return dict(THEMES[theme])
    return {**DARK_THEME, **theme}


@dataclass
class QueueDelta:
    """What one refresh did to the loaded rows."""

    inserted: int = 0
    updated: int = 0
    removed: int = 0
    moved: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.inserted or self.updated or self.removed or self.moved)


def next_transition(row: QueueRow, now: dt.datetime) -> dt.datetime | None:
    """The next moment the row's light may change (yellow share or deadline), if any."""
    if row.status not in RUNNING or row.step_deadline is None:
        return None
    times = [t for t in (row.step_yellow_at,) if t is not None and t > now]
    if row.step_deadline >= now:
        times.append(row.step_deadline)
    return min(times) if times else None


class CaseQueueModel(QAbstractTableModel):
    """The queue table over a `QueueSource`.

    Signals: `newRedCase(code)` when a case turns red (by time or by a change) or
    arrives red; `countChanged(total)`; `deltaAboutToBeApplied()` /
    `deltaApplied()` around incremental changes (the view keeps its scroll anchor).
    """

    newRedCase = Signal(str)
    countChanged = Signal(int)
    deltaAboutToBeApplied = Signal()
    deltaApplied = Signal()

    def __init__(self, source: QueueSource, *, flt: QueueFilter | None = None, sort: QueueSort | None = None,
                 lang: str = "zh", theme: str | Mapping[str, str] | None = "dark",
                 clock: Callable[[], dt.datetime] | None = None, page_size: int = 200, feed_margin: int = 16,
                 light_resync_s: float = 10.0, load: bool = True, parent: QObject | None = None) -> None:
        super().__init__(parent)
        if page_size < 1:
            raise ValueError("page_size must be positive")
        self._source = source
        self._flt = flt or QueueFilter()
        self._sort = sort or QueueSort()
        self._lang = labels.check_lang(lang)
        self._theme = resolve_theme(theme)
        self._colors = {k: QColor(v) for k, v in self._theme.items()}
        self._clock = clock or (lambda: dt.datetime.now().replace(microsecond=0))
        self._page_size = page_size
        self._feed_margin = max(0, feed_margin)
        self._light_resync = dt.timedelta(seconds=light_resync_s)

        self._rows: list[QueueRow] = []
        self._by_id: dict[int, QueueRow] = {}
        self._pos: dict[int, int] = {}
        self._pos_dirty = False
        self._key_cache: dict[int, tuple[QueueRow, dt.datetime | None, tuple]] = {}
        self._lights: dict[int, Light] = {}
        self._next_change: dt.datetime | None = None
        self._announced: set[tuple[int, dt.datetime | None]] = set()
        self._pending_red: list[str] = []
        self._exhausted = True
        self._total = 0
        self._feed_id = 0
        self._busy = False
        self._now = self._clock()
        self._last_check = self._now
        self._last_resync = self._now

        self._flash: dict[int, int] = {}  # case id -> flash steps left
        self._flash_on = False
        self._flash_timer = QTimer(self)
        self._flash_timer.setInterval(350)
        self._flash_timer.timeout.connect(self._on_flash_timer)
        if load:
            self.reload()

    # ------------------------------------------------------------------ state
    def source(self) -> QueueSource:
        return self._source

    def filter(self) -> QueueFilter:
        return self._flt

    def sort_order(self) -> QueueSort:
        return self._sort

    def lang(self) -> str:
        return self._lang

    def theme(self) -> dict[str, str]:
        return dict(self._theme)

    def total(self) -> int:
        """How many cases pass the filter (server count, refreshed with each delta)."""
        return self._total

    def loaded(self) -> int:
        return len(self._rows)

    def is_exhausted(self) -> bool:
        return self._exhausted

    def now(self) -> dt.datetime:
        """The moment the shown countdowns and lights refer to."""
        return self._now

    def feed_id(self) -> int:
        return self._feed_id

    def row_at(self, row: int) -> QueueRow:
        return self._rows[row]

    def rows(self) -> list[QueueRow]:
        return list(self._rows)

    def case_id_at(self, row: int) -> int | None:
        return self._rows[row].id if 0 <= row < len(self._rows) else None

    def row_of(self, case_id: int) -> int | None:
        """The row showing `case_id`, or None when it is not loaded."""
        row = self._by_id.get(case_id)
        if row is None:
            return None
        if not self._pos_dirty:
            return self._pos[case_id]
        # the list is kept in order: find the row by its key, else rebuild the index
        i = bisect.bisect_left(self._rows, self._key(row), key=self._key)
        if i < len(self._rows) and self._rows[i].id == case_id:
            return i
        self._rebuild_pos()
        return self._pos[case_id]

    def _rebuild_pos(self) -> None:
        self._pos = {r.id: i for i, r in enumerate(self._rows)}
        self._pos_dirty = False

    def _key(self, row: QueueRow) -> tuple:
        """The row's place in the order (cached per row snapshot; the light order also depends on now)."""
        stamp = self._now if self._sort.key == "light" else None
        hit = self._key_cache.get(row.id)
        if hit is not None and hit[0] is row and hit[1] == stamp:
            return hit[2]
        key = row_sort_key(self._sort, row, self._now)
        self._key_cache[row.id] = (row, stamp, key)
        return key

    # ---------------------------------------------------------- configuration
    def set_filter(self, flt: QueueFilter) -> None:
        if flt != self._flt:
            self._flt = flt
            self.reload()

    def set_sort(self, sort: QueueSort) -> None:
        if sort != self._sort:
            self._sort = sort
            self.reload()

    def set_query(self, flt: QueueFilter, sort: QueueSort) -> None:
        if flt != self._flt or sort != self._sort:
            self._flt, self._sort = flt, sort
            self.reload()

    def set_lang(self, lang: str) -> None:
        self._lang = labels.check_lang(lang)
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(COLUMNS) - 1)
        self._all_changed()

    def set_theme(self, theme: str | Mapping[str, str] | None) -> None:
        self._theme = resolve_theme(theme)
        self._colors = {k: QColor(v) for k, v in self._theme.items()}
        self._all_changed()

    def _all_changed(self) -> None:
        if self._rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, len(COLUMNS) - 1))

    @staticmethod
    def sort_key_of_column(column: int) -> str | None:
        return SORT_KEYS.get(COLUMNS[column]) if 0 <= column < len(COLUMNS) else None

    @staticmethod
    def column_of_sort_key(key: str) -> int | None:
        for name, k in SORT_KEYS.items():
            if k == key:
                return COL[name]
        return None

    # ------------------------------------------------------------ Qt model API
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> int:  # noqa: N802 (Qt)
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> int:  # noqa: N802 (Qt)
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(COLUMNS):
            if role == _DISPLAY:
                return labels.HEADERS[self._lang][COLUMNS[section]]
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = _DISPLAY):
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        row = self._rows[index.row()]
        column = COLUMNS[index.column()]
        if role == _DISPLAY:
            return labels.column_text(row, column, self._now, self._lang)
        if role == _BACKGROUND or role == _FOREGROUND:
            part = "bg" if role == _BACKGROUND else "fg"
            if self._flash_on and row.id in self._flash:
                return self._colors[f"flash_{part}"]
            light = row.light_at(self._now)
            return None if light is Light.NONE else self._colors[f"{light.value}_{part}"]
        if role == _DECORATION and column == "light":
            light = row.light_at(self._now)
            return None if light is Light.NONE else self._colors[f"{light.value}_dot"]
        if role == _ALIGN:
            if column == "deadline":
                return _RIGHT
            if column in ("level", "status", "light", "card"):
                return _CENTER
            return None
        if role == _TOOLTIP:
            return labels.tooltip(row, self._lang)
        if role == CASE_ID_ROLE:
            return row.id
        if role == ROW_ROLE:
            return row
        if role == LIGHT_ROLE:
            return row.light_at(self._now).value
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Server-side sort (re-query); columns without an order are ignored."""
        key = self.sort_key_of_column(column)
        if key is not None:
            self.set_sort(QueueSort(key, order == Qt.SortOrder.DescendingOrder))

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> bool:  # noqa: N802 (Qt)
        return not parent.isValid() and not self._exhausted and not self._busy

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> None:  # noqa: N802 (Qt)
        if parent.isValid() or self._exhausted or self._busy:
            return
        self._busy = True
        try:
            self._refresh()  # apply pending changes first: the loaded rows are the order's first rows
            now = self._now
            # the next page starts after the last loaded row (by key, not by count)
            page = self._source.page(self._flt, self._sort, now, len(self._rows), self._page_size,
                                     after=self._rows[-1] if self._rows else None)
            self._exhausted = len(page) < self._page_size
            new = [r for r in page if r.id not in self._by_id]
            if new:
                first = len(self._rows)
                self.beginInsertRows(QModelIndex(), first, first + len(new) - 1)
                for i, r in enumerate(new, start=first):
                    self._rows.append(r)
                    self._by_id[r.id] = r
                    if not self._pos_dirty:
                        self._pos[r.id] = i
                self.endInsertRows()
                for r in new:
                    self._track(r, now)
        finally:
            self._busy = False
        self._emit_reds()

    # ------------------------------------------------------------------ loading
    def reload(self) -> None:
        """Re-query from the first page (a model reset: only for a new filter or sort)."""
        self.beginResetModel()
        try:
            now = self._now = self._clock()
            self._feed_id = self._source.head()
            self._total = self._source.count(self._flt, self._sort, now)
            page = self._source.page(self._flt, self._sort, now, 0, self._page_size)
            self._rows = list(page)
            self._key_cache.clear()
            self._by_id = {r.id: r for r in self._rows}
            self._rebuild_pos()
            self._exhausted = len(page) < self._page_size
            self._lights.clear()
            self._next_change = None
            self._flash.clear()
            if len(self._announced) > 50_000:
                self._announced.clear()
            for r in self._rows:
                self._track(r, now)
            self._last_check = self._last_resync = now
        finally:
            self.endResetModel()
        self.countChanged.emit(self._total)

    def load_until(self, case_id: int, max_rows: int = 10_000) -> int | None:
        """Fetch pages until `case_id` is loaded (if it is in this queue at all); its row or None."""
        row = self.row_of(case_id)
        if row is not None:
            return row
        if not self._source.rows_by_id(self._flt, self._sort, self._now, [case_id]):
            return None
        while not self._exhausted and len(self._rows) < max_rows:
            before = len(self._rows)
            self.fetchMore(QModelIndex())
            row = self.row_of(case_id)
            if row is not None:
                return row
            if len(self._rows) == before and not self._exhausted:
                break
        return None

    # ------------------------------------------------------------------ deltas
    def refresh(self) -> QueueDelta:
        """Apply what changed since the last look: inserts, updates, moves and removals."""
        if self._busy:
            return QueueDelta()
        self._busy = True
        try:
            delta = self._refresh()
        finally:
            self._busy = False
        self._emit_reds()
        return delta

    def _refresh(self) -> QueueDelta:
        now = self._now = self._clock()
        # Re-read a small margin of the feed: on PostgreSQL a transaction holding a lower
        # feed id may commit after a higher one. Re-applying a change is harmless.
        head, ids = self._source.changes_since(max(0, self._feed_id - self._feed_margin))
        if head <= self._feed_id:
            return QueueDelta()
        seen = dict.fromkeys(ids)
        for _ in range(100):  # the feed answers in batches
            nxt, more = self._source.changes_since(head)
            if nxt <= head:
                break
            head = nxt
            seen.update(dict.fromkeys(more))
        self._feed_id = head
        if len(seen) > MAX_DELTA:
            return self._resync(now)
        return self._apply_ids(list(seen), now)

    def _apply_ids(self, ids: Sequence[int], now: dt.datetime) -> QueueDelta:
        delta = QueueDelta()
        if not ids:
            return delta
        fresh = {r.id: r for r in self._source.rows_by_id(self._flt, self._sort, now, ids)}
        self.deltaAboutToBeApplied.emit()
        try:
            for cid in ids:
                self._apply_one(cid, fresh.get(cid), now, delta)
        finally:
            self.deltaApplied.emit()
        self._recount(now)
        self._last_check = now
        return delta

    def _apply_one(self, cid: int, new: QueueRow | None, now: dt.datetime, delta: QueueDelta) -> None:
        pos = self.row_of(cid)
        if new is None:  # no longer passes the filter (or the scope)
            if pos is not None:
                self._remove(pos)
                delta.removed += 1
            return
        self._check_red(new, now, self._lights.get(cid))
        if pos is None:
            target = self._target(new)
            if target is not None:
                self._insert(target, new, now)
                delta.inserted += 1
            return
        old = self._rows[pos]
        target = self._target_moving(pos, new)
        if target is None:  # now sorts past the loaded range: it comes back with fetchMore
            self._remove(pos)
            delta.removed += 1
        elif target == pos:
            if old != new:
                self._replace(pos, new, now)
                delta.updated += 1
        else:
            self._move(pos, target, new, now)
            delta.moved += 1

    def _target(self, row: QueueRow) -> int | None:
        """Where a new row goes, or None when it sorts after the loaded range."""
        i = bisect.bisect_left(self._rows, self._key(row), key=self._key)
        if i == len(self._rows) and not self._exhausted:
            return None
        return i

    def _target_moving(self, pos: int, row: QueueRow) -> int | None:
        """Where the changed row at `pos` goes in the list without it, or None (past the range)."""
        k = self._key(row)
        n = len(self._rows)
        after_prev = pos == 0 or self._key(self._rows[pos - 1]) < k
        if after_prev and pos + 1 < n and k < self._key(self._rows[pos + 1]):
            return pos
        if after_prev and pos + 1 == n and (self._exhausted or not self._key(self._rows[pos]) < k):
            return pos
        i = bisect.bisect_left(self._rows, k, key=self._key)
        target = i - 1 if i > pos else i
        if target == n - 1 and not self._exhausted:
            return None
        return target

    def _insert(self, i: int, row: QueueRow, now: dt.datetime) -> None:
        self.beginInsertRows(QModelIndex(), i, i)
        self._rows.insert(i, row)
        self._by_id[row.id] = row
        self._pos_dirty = True
        self.endInsertRows()
        self._track(row, now)

    def _remove(self, i: int) -> None:
        self.beginRemoveRows(QModelIndex(), i, i)
        row = self._rows.pop(i)
        self._by_id.pop(row.id, None)
        self._lights.pop(row.id, None)
        self._flash.pop(row.id, None)
        self._pos_dirty = True
        self.endRemoveRows()

    def _replace(self, i: int, row: QueueRow, now: dt.datetime) -> None:
        self._rows[i] = row
        self._by_id[row.id] = row
        self._track(row, now)
        self.dataChanged.emit(self.index(i, 0), self.index(i, len(COLUMNS) - 1))

    def _move(self, src: int, dst: int, row: QueueRow, now: dt.datetime) -> None:
        """Move the row at `src` to final position `dst` (selection follows it)."""
        qt_dst = dst if dst < src else dst + 1
        if not self.beginMoveRows(QModelIndex(), src, src, QModelIndex(), qt_dst):
            self._replace(src, row, now)
            return
        self._rows.pop(src)
        self._rows.insert(dst, row)
        self._by_id[row.id] = row
        self._pos_dirty = True
        self.endMoveRows()
        self._track(row, now)
        self.dataChanged.emit(self.index(dst, 0), self.index(dst, len(COLUMNS) - 1))

    def _recount(self, now: dt.datetime) -> None:
        total = self._source.count(self._flt, self._sort, now)
        if total != self._total:
            self._total = total
            self.countChanged.emit(total)

    def resync(self) -> QueueDelta:
        """Re-read the loaded range and merge it in (inserts/moves/removals, no reset).

        Used when time alone changes what passes a light filter or the light order,
        and after a flood of changes.
        """
        if self._busy:
            return QueueDelta()
        self._busy = True
        try:
            delta = self._resync(self._clock())
        finally:
            self._busy = False
        self._emit_reds()
        return delta

    def _resync(self, now: dt.datetime) -> QueueDelta:
        self._now = now
        want = max(len(self._rows), self._page_size)
        fresh: list[QueueRow] = []
        exhausted = False
        while len(fresh) < want:
            page = self._source.page(self._flt, self._sort, now, len(fresh), self._page_size,
                                     after=fresh[-1] if fresh else None)
            fresh.extend(page)
            if len(page) < self._page_size:
                exhausted = True
                break
        fresh = list({r.id: r for r in fresh}.values())
        delta = self._merge(fresh, now)
        self._exhausted = exhausted
        self._recount(now)
        self._last_check = self._last_resync = now
        return delta

    def _merge(self, fresh: list[QueueRow], now: dt.datetime) -> QueueDelta:
        delta = QueueDelta()
        wanted = {r.id for r in fresh}
        self.deltaAboutToBeApplied.emit()
        try:
            for i in range(len(self._rows) - 1, -1, -1):
                if self._rows[i].id not in wanted:
                    self._remove(i)
                    delta.removed += 1
            for i, r in enumerate(fresh):
                self._check_red(r, now, self._lights.get(r.id))
                if i < len(self._rows) and self._rows[i].id == r.id:
                    if self._rows[i] != r:
                        self._replace(i, r, now)
                        delta.updated += 1
                elif r.id in self._by_id:
                    j = self._index_after(r.id, i)
                    self._move(j, i, r, now)
                    delta.moved += 1
                else:
                    self._insert(i, r, now)
                    delta.inserted += 1
        finally:
            self.deltaApplied.emit()
        return delta

    def _index_after(self, case_id: int, start: int) -> int:
        for j in range(start, len(self._rows)):
            if self._rows[j].id == case_id:
                return j
        raise KeyError(case_id)

    # ------------------------------------------------------------- time passing
    def tick(self, visible: range | None = None) -> None:
        """Advance to the clock's now: countdowns of `visible` rows, light changes of all loaded rows."""
        now = self._now = self._clock()
        n = len(self._rows)
        if visible is not None and n:
            first, last = max(0, visible.start), min(n, visible.stop) - 1
            if first <= last:
                self.dataChanged.emit(self.index(first, COL["deadline"]), self.index(last, COL["light"]),
                                      [Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.DecorationRole])
        if self._next_change is not None and now >= self._next_change:
            self._scan_lights(now)
        if (self._flt.lights or self._sort.key == "light") and now - self._last_resync >= self._light_resync \
                and not self._busy:
            self._busy = True
            try:
                self._resync(now)
            finally:
                self._busy = False
        self._last_check = now
        self._emit_reds()

    def _scan_lights(self, now: dt.datetime) -> None:
        changed: list[int] = []
        leaving: list[int] = []
        nxt: dt.datetime | None = None
        for i, row in enumerate(self._rows):
            light = row.light_at(now)
            prev = self._lights.get(row.id)
            if light is not prev:
                self._check_red(row, now, prev)
                self._lights[row.id] = light
                changed.append(i)
                if self._flt.lights and light not in self._flt.lights:
                    leaving.append(i)
            t = next_transition(row, now)
            if t is not None and (nxt is None or t < nxt):
                nxt = t
        self._next_change = nxt
        for i in changed:
            self.dataChanged.emit(self.index(i, 0), self.index(i, len(COLUMNS) - 1))
        if leaving:
            self.deltaAboutToBeApplied.emit()
            try:
                for i in reversed(leaving):
                    self._remove(i)
            finally:
                self.deltaApplied.emit()
            self._recount(now)

    def _track(self, row: QueueRow, now: dt.datetime) -> None:
        """Remember the row's light (a red one counts as known) and when it next changes."""
        light = row.light_at(now)
        if light is Light.RED:
            self._announced.add((row.id, row.step_deadline))
        self._lights[row.id] = light
        t = next_transition(row, now)
        if t is not None and (self._next_change is None or t < self._next_change):
            self._next_change = t

    def _check_red(self, row: QueueRow, now: dt.datetime, prev: Light | None) -> None:
        """Queue `newRedCase` for a case that turned red, or arrived red, since the last look."""
        if row.light_at(now) is not Light.RED:
            return
        key = (row.id, row.step_deadline)
        if key in self._announced:
            return
        self._announced.add(key)
        turned = prev is not None and prev is not Light.RED
        recent = (row.step_deadline is not None and row.step_deadline >= self._last_check) \
            or row.reported_at >= self._last_check
        if turned or recent:
            self._pending_red.append(row.code)

    def _emit_reds(self) -> None:
        pending, self._pending_red = self._pending_red, []
        for code in pending:
            self.newRedCase.emit(code)

    # ------------------------------------------------------------------- flash
    def flash_case(self, case_id: int, ms: int = 4000) -> None:
        """Blink the row of `case_id` in the flash colour for about `ms` milliseconds."""
        self._flash[case_id] = max(2, ms // self._flash_timer.interval())
        if not self._flash_timer.isActive():
            self._flash_on = True
            self._flash_timer.start()
            self._flash_rows_changed([case_id])

    def flash_code(self, code: str, ms: int = 4000) -> bool:
        for r in self._rows:
            if r.code == code:
                self.flash_case(r.id, ms)
                return True
        return False

    def is_flashing(self, case_id: int) -> bool:
        return case_id in self._flash

    def _on_flash_timer(self) -> None:
        self._flash_on = not self._flash_on
        ids = list(self._flash)
        for cid in ids:
            self._flash[cid] -= 1
            if self._flash[cid] <= 0:
                del self._flash[cid]
        if not self._flash:
            self._flash_timer.stop()
            self._flash_on = False
        self._flash_rows_changed(ids)

    def _flash_rows_changed(self, ids: list[int]) -> None:
        for cid in ids:
            i = self.row_of(cid)
            if i is not None:
                self.dataChanged.emit(self.index(i, 0), self.index(i, len(COLUMNS) - 1), _COLOUR_ROLES)


__all__ = ["CASE_ID_ROLE", "COL", "COLUMNS", "DARK_THEME", "LIGHT_ROLE", "LIGHT_THEME", "ROW_ROLE", "SORT_KEYS",
           "THEMES", "CaseQueueModel", "QueueDelta", "QueueFilter", "QueueSort", "next_transition", "resolve_theme"]
