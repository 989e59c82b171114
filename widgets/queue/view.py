"""`QueueWidget`: the live incident queue — table, filter bar, count, alerts.

The widget takes a `QueueSource` and emits signals; the shell wires them:
`caseSelected(case_id)`, `caseActivated(case_id)` (Enter or double-click),
`filterChanged(QueueFilter)` and `newRedCase(code)`. The shell calls `refresh()`
from its live-refresh loop; selection and scroll position survive it. On the video
wall, `set_wall_mode(True)` enlarges fonts and rows and hides the filter bar, and
`set_alerts(True)` flashes and beeps for new red cases.

Run alone with FAKE data: `python -m widgets.queue.view [--wall] [--light] [--en]`.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import math
import struct
import sys
import tempfile
import wave
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

from PySide6.QtCore import QEvent, QItemSelectionModel, QModelIndex, QObject, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QColor, QFont, QKeyEvent, QPalette
from PySide6.QtWidgets import (QAbstractItemView, QApplication, QComboBox, QCompleter, QHBoxLayout, QHeaderView, QLabel,
                               QLineEdit, QMenu, QTableView, QToolButton, QVBoxLayout, QWidget)

import resources
from models.enums import CaseSource, CaseStatus, Light
from models.queue import OPEN, QueueFilter, QueueSort
from widgets.queue import labels
from widgets.queue.model import COL, COLUMNS, CaseQueueModel, resolve_theme
from widgets.queue.source import QueueSource

ALERT_WAV = Path(resources.__file__).resolve().parent / "sounds" / "alert.wav"

# characters of typical content per column, for initial widths
_COLUMN_CHARS = {"code": 16, "class": 6, "place": 12, "level": 3, "department": 9, "status": 4,
                 "deadline": 12, "light": 3, "card": 3}
# Hidden first to last when the wall's queue is too narrow (then the place narrows, then the code goes);
# class, place and deadline always stay.
_WALL_DROP = ("level", "light", "card", "department", "status")


@contextlib.contextmanager
def signals_blocked(*objects: QObject) -> Iterator[None]:
    """Programmatic updates without feedback loops."""
    previous = [o.blockSignals(True) for o in objects]
    try:
        yield
    finally:
        for o, p in zip(objects, previous):
            o.blockSignals(p)


def write_alert_wav(path: Path, *, rate: int = 22050) -> Path:
    """A short two-tone alert (0.5 s, 16-bit mono) written with the `wave` module."""
    frames = bytearray()
    for freq, length in ((988.0, 0.18), (0.0, 0.06), (1319.0, 0.26)):
        n = int(rate * length)
        for i in range(n):
            fade = min(1.0, i / (0.01 * rate), (n - i) / (0.02 * rate))
            value = 0.55 * fade * math.sin(2 * math.pi * freq * i / rate) if freq else 0.0
            frames += struct.pack("<h", int(value * 32767))
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(bytes(frames))
    return path


def filter_from_controls(base: QueueFilter, *, statuses: Sequence[CaseStatus], lights: Sequence[Light],
                         town_id: int | None, class_code: str | None, source: CaseSource | None,
                         text: str) -> QueueFilter:
    """The filter the bar shows, keeping what the bar has no control for (case, grid, department ids)."""
    return QueueFilter(statuses=tuple(statuses), lights=tuple(lights),
                       town_ids=(town_id,) if town_id is not None else (),
                       class_codes=(class_code,) if class_code else (),
                       sources=(source,) if source is not None else (), text=text.strip(),
                       case_ids=base.case_ids, grid_ids=base.grid_ids, department_ids=base.department_ids)


class QueueTable(QTableView):
    """The table: rows are cases; Enter opens, Home/End go to the first/last loaded case."""

    enterPressed = Signal()
    resized = Signal()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt)
        super().resizeEvent(event)
        self.resized.emit()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt)
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.enterPressed.emit()
            event.accept()
            return
        super().keyPressEvent(event)

    def moveCursor(self, action: QAbstractItemView.CursorAction, modifiers) -> QModelIndex:  # noqa: N802 (Qt)
        model = self.model()
        if model is not None and model.rowCount() and action in (QAbstractItemView.CursorAction.MoveHome,
                                                                  QAbstractItemView.CursorAction.MoveEnd):
            column = max(0, self.currentIndex().column())
            row = 0 if action == QAbstractItemView.CursorAction.MoveHome else model.rowCount() - 1
            return model.index(row, column)
        return super().moveCursor(action, modifiers)

    def sync_geometry(self) -> None:
        """Lay out now (scroll ranges follow inserted rows at once)."""
        self.updateGeometries()


class QueueWidget(QWidget):
    """The live incident queue.

    Construct with the data source and the choices the filter bar offers (`towns`
    as (id, name), `classes` as (code, name)); `clock` is injectable for tests.
    """

    caseSelected = Signal(int)
    caseActivated = Signal(int)
    filterChanged = Signal(object)  # QueueFilter
    newRedCase = Signal(str)

    def __init__(self, source: QueueSource, *, towns: Sequence[tuple[int, str]] = (),
                 classes: Sequence[tuple[str, str]] = (), flt: QueueFilter | None = None,
                 sort: QueueSort | None = None, lang: str = "zh", theme: str | Mapping[str, str] | None = "dark",
                 clock: Callable[[], dt.datetime] | None = None, wall: bool = False, alerts: bool = False,
                 sound: bool = True, page_size: int = 200, tick_ms: int = 1000, debounce_ms: int = 300,
                 wall_font_px: int = 30, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._lang = labels.check_lang(lang)
        self._theme = resolve_theme(theme)
        self._towns = list(towns)
        self._classes = list(classes)
        self._wall = False
        self._wall_font_px = wall_font_px
        self._alerts = alerts
        self._sound_on = sound
        self._sound_effect = None
        self._sound_failed = False
        self.alerts_sounded = 0  # how many alert sounds were started (for tests and the status bar)
        self._anchor: int | None = None
        self._in_delta = False
        self._selected_before: int | None = None
        self._keep_id: int | None = None
        self._last_selected: int | None = None
        self._banner_steps = 0
        self._base_widths: dict[str, int] = {}

        self._model = CaseQueueModel(source, flt=flt, sort=sort, lang=lang, theme=self._theme, clock=clock,
                                     page_size=page_size, parent=self)
        self._table = QueueTable(self)
        self._table.setModel(self._model)
        self._setup_table()

        self._bar = self._make_filter_bar()
        self._banner = QLabel(self)
        self._banner.setVisible(False)
        self._count = QLabel(self)
        self._count.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        status_row = QHBoxLayout()
        status_row.setContentsMargins(4, 0, 4, 0)
        status_row.addWidget(self._banner, 1)
        status_row.addWidget(self._count)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(2)
        outer.addWidget(self._bar)
        outer.addLayout(status_row)
        outer.addWidget(self._table, 1)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(debounce_ms)
        self._debounce.timeout.connect(self._on_controls_changed)
        self._tick = QTimer(self)
        self._tick.setInterval(max(1, tick_ms))
        self._tick.timeout.connect(self._on_tick)
        if tick_ms > 0:
            self._tick.start()
        self._banner_timer = QTimer(self)
        self._banner_timer.setInterval(350)
        self._banner_timer.timeout.connect(self._on_banner_timer)

        m = self._model
        m.countChanged.connect(self._update_count)
        m.rowsInserted.connect(self._update_count)
        m.rowsRemoved.connect(self._update_count)
        m.modelReset.connect(self._update_count)
        m.deltaAboutToBeApplied.connect(self._remember_anchor)
        m.deltaApplied.connect(self._restore_anchor)
        m.modelAboutToBeReset.connect(self._before_reset)
        m.modelReset.connect(self._after_reset)
        m.newRedCase.connect(self._on_new_red)
        self._table.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self._table.doubleClicked.connect(lambda index: self._activate(index.row()))
        self._table.enterPressed.connect(lambda: self._activate(self._table.currentIndex().row()))

        self._apply_theme()
        self._bar_from_filter(m.filter())
        self._show_sort_indicator()
        self._update_count()
        self.set_wall_mode(wall)

    # ------------------------------------------------------------------ parts
    def model(self) -> CaseQueueModel:
        return self._model

    def table(self) -> QueueTable:
        return self._table

    def filter_bar(self) -> QWidget:
        return self._bar

    def count_label(self) -> QLabel:
        return self._count

    def banner(self) -> QLabel:
        return self._banner

    def _setup_table(self) -> None:
        t = self._table
        t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        t.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        t.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerItem)
        t.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        t.setWordWrap(False)
        t.setTabKeyNavigation(False)
        t.verticalHeader().setVisible(False)
        t.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header = t.horizontalHeader()
        header.setSectionsClickable(True)
        header.setSortIndicatorShown(True)
        header.setHighlightSections(False)
        header.setStretchLastSection(False)
        header.sectionClicked.connect(self._on_header_clicked)
        t.resized.connect(self._fit_columns)

    def _size_columns(self) -> None:
        fm = self._table.fontMetrics()
        em = fm.horizontalAdvance("汉")
        for name, chars in _COLUMN_CHARS.items():
            if name == "code":
                width = fm.horizontalAdvance("AJ2026112700001") + em
            elif name == "deadline":
                width = fm.horizontalAdvance("超时 10天 23:59:59") + em
            else:
                width = chars * em + em
            self._base_widths[name] = max(width, fm.horizontalAdvance(labels.HEADERS[self._lang][name]) + 2 * em)
        self._fit_columns()
        rows = self._table.verticalHeader()
        rows.setDefaultSectionSize(int(fm.height() * (1.5 if self._wall else 1.35)))

    def _fit_columns(self) -> None:
        """Base widths, with spare width shared by the place and department columns.

        On the wall nobody scrolls sideways: when the columns don't fit, the least needed ones
        are hidden in `_WALL_DROP` order (the light is the row's colour already) until they do,
        and if code, class, place and deadline alone are still too wide, the place column is
        narrowed (its text elided) — but not below eight characters while the code is shown: the
        code goes first (what, where and how late matter more from 5 m), then the place narrows
        down to four. Office mode shows every column and scrolls."""
        if not self._base_widths:
            return
        available = self._table.viewport().width()
        hidden: set[str] = set()
        if self._wall:
            total = sum(self._base_widths.values())
            for name in _WALL_DROP:
                if total <= available:
                    break
                hidden.add(name)
                total -= self._base_widths[name]
        shown = {n: w for n, w in self._base_widths.items() if n not in hidden}
        if self._wall and sum(shown.values()) > available:  # still too wide: the place is elided
            em = self._table.fontMetrics().horizontalAdvance("汉")
            rest = sum(w for n, w in shown.items() if n != "place")
            if rest + 8 * em > available and "code" in shown:  # what, where, how late beat the code
                hidden.add("code")
                rest -= shown.pop("code")
            shown["place"] = max(4 * em, min(shown["place"], available - rest))
        spare = available - sum(shown.values())
        shares = {"place": 0.6, "department": 0.4} if "department" in shown else {"place": 1.0}
        for name in self._base_widths:
            self._table.setColumnHidden(COL[name], name in hidden)
            if name in shown:
                self._table.setColumnWidth(COL[name], shown[name] + int(max(0, spare) * shares.get(name, 0.0)))

    def hidden_columns(self) -> list[str]:
        """The columns hidden to fit the wall (none in office mode)."""
        return [n for n in COLUMNS if self._table.isColumnHidden(COL[n])]

    # ------------------------------------------------------------- filter bar
    def _make_filter_bar(self) -> QWidget:
        ui = labels.UI[self._lang]
        bar = QWidget(self)
        row = QHBoxLayout(bar)
        row.setContentsMargins(4, 4, 4, 0)

        self._status_button = QToolButton(bar)
        self._status_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self._status_menu = QMenu(bar)
        self._status_actions: dict[CaseStatus, object] = {}
        preset_open = self._status_menu.addAction(ui["open_statuses"])
        preset_open.triggered.connect(lambda: self._set_status_checks(OPEN))
        preset_all = self._status_menu.addAction(ui["all_statuses"])
        preset_all.triggered.connect(lambda: self._set_status_checks(list(CaseStatus)))
        self._status_menu.addSeparator()
        for st in CaseStatus:
            action = self._status_menu.addAction(labels.STATUS[self._lang][st])
            action.setCheckable(True)
            action.toggled.connect(self._on_status_toggled)
            self._status_actions[st] = action
        self._status_button.setMenu(self._status_menu)
        row.addWidget(self._status_button)

        self._light_buttons: dict[Light, QToolButton] = {}
        for light in (Light.RED, Light.YELLOW, Light.GREEN):
            b = QToolButton(bar)
            b.setText(labels.LIGHT[self._lang][light])
            b.setCheckable(True)
            b.setToolTip(ui["light"])
            b.toggled.connect(self._on_controls_changed)
            self._light_buttons[light] = b
            row.addWidget(b)

        self._town_combo = QComboBox(bar)
        self._town_combo.addItem(ui["all_towns"], None)
        for tid, name in self._towns:
            self._town_combo.addItem(name, tid)
        self._town_combo.setVisible(len(self._towns) > 1)  # a town officer has one town: nothing to choose
        self._town_combo.currentIndexChanged.connect(self._on_controls_changed)
        row.addWidget(self._town_combo)

        self._class_combo = QComboBox(bar)
        self._class_combo.setEditable(True)
        self._class_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self._class_combo.addItem(ui["all_classes"], None)
        for code, name in self._classes:
            self._class_combo.addItem(f"{code} {name}", code)
        completer = self._class_combo.completer()
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self._class_combo.currentIndexChanged.connect(self._on_controls_changed)
        self._class_combo.setMinimumContentsLength(10)
        row.addWidget(self._class_combo)

        self._source_combo = QComboBox(bar)
        self._source_combo.addItem(ui["all_sources"], None)
        for src in CaseSource:
            self._source_combo.addItem(labels.SOURCE[self._lang][src], src.value)
        self._source_combo.currentIndexChanged.connect(self._on_controls_changed)
        row.addWidget(self._source_combo)

        self._search = QLineEdit(bar)
        self._search.setPlaceholderText(ui["search"])
        self._search.setClearButtonEnabled(True)
        self._search.textChanged.connect(lambda _text: self._debounce.start())
        self._search.returnPressed.connect(self._on_controls_changed)
        row.addWidget(self._search, 1)
        return bar

    def _controls(self) -> list[QObject]:
        return [self._status_menu, *self._status_actions.values(), *self._light_buttons.values(), self._town_combo,
                self._class_combo, self._source_combo, self._search]

    def _set_status_checks(self, statuses: Sequence[CaseStatus]) -> None:
        with signals_blocked(*self._status_actions.values()):
            for st, action in self._status_actions.items():
                action.setChecked(st in statuses)
        self._on_controls_changed()

    def _on_status_toggled(self, _checked: bool) -> None:
        self._on_controls_changed()

    def _bar_filter(self) -> QueueFilter:
        current = self._model.filter()
        town = self._town_combo.currentData()
        cls = self._class_combo.currentData()
        src = self._source_combo.currentData()
        statuses = [st for st, a in self._status_actions.items() if a.isChecked()]
        lights = [light for light, b in self._light_buttons.items() if b.isChecked()]
        return filter_from_controls(  # the same sets in the current order are no change
            current, statuses=current.statuses if set(statuses) == set(current.statuses) else statuses,
            lights=current.lights if set(lights) == set(current.lights) else lights,
            town_id=town, class_code=cls, source=CaseSource(src) if src else None, text=self._search.text())

    def _bar_from_filter(self, flt: QueueFilter) -> None:
        with signals_blocked(*self._controls()):
            for st, action in self._status_actions.items():
                action.setChecked(st in flt.statuses)
            for light, b in self._light_buttons.items():
                b.setChecked(light in flt.lights)
            self._town_combo.setCurrentIndex(max(0, self._town_combo.findData(flt.town_ids[0]))
                                             if len(flt.town_ids) == 1 else 0)
            self._class_combo.setCurrentIndex(max(0, self._class_combo.findData(flt.class_codes[0]))
                                              if len(flt.class_codes) == 1 else 0)
            self._source_combo.setCurrentIndex(max(0, self._source_combo.findData(flt.sources[0].value))
                                               if len(flt.sources) == 1 else 0)
            if self._search.text().strip() != flt.text:
                self._search.setText(flt.text)
        self._update_status_button(flt)

    def _update_status_button(self, flt: QueueFilter) -> None:
        ui = labels.UI[self._lang]
        if set(flt.statuses) == set(OPEN):
            text = f"{ui['status']}: {ui['open_statuses']}"
        elif not flt.statuses or set(flt.statuses) == set(CaseStatus):
            text = f"{ui['status']}: {ui['all_statuses']}"
        else:
            text = ui["statuses_n"].format(n=len(flt.statuses))
        self._status_button.setText(text)

    def _on_controls_changed(self, *_args) -> None:
        self._debounce.stop()
        self._apply_filter(self._bar_filter())

    # ------------------------------------------------------------ public API
    def filter(self) -> QueueFilter:
        return self._model.filter()

    def sort_order(self) -> QueueSort:
        return self._model.sort_order()

    def set_filter(self, flt: QueueFilter) -> None:
        """Show `flt` (bar and rows); emits `filterChanged` if it differs."""
        self._bar_from_filter(flt)
        self._apply_filter(flt)

    def set_sort(self, sort: QueueSort) -> None:
        self._model.set_sort(sort)
        self._show_sort_indicator()

    def refresh(self) -> None:
        """Apply changes from the change feed (no reset; selection and scroll kept)."""
        self._model.refresh()

    def selected_case_id(self) -> int | None:
        index = self._table.currentIndex()
        if not index.isValid() or not self._table.selectionModel().isRowSelected(index.row(), QModelIndex()):
            return None
        return self._model.case_id_at(index.row())

    def select_case(self, case_id: int, *, load_max: int = 2_000) -> bool:
        """Select (and show) `case_id`, loading pages up to `load_max` rows as needed.

        False if it is not in this queue, or sorts deeper than `load_max` (the shell can
        then drill down with `set_filter(QueueFilter(case_ids=(case_id,)))`).
        """
        row = self._model.load_until(case_id, load_max)
        if row is None:
            return False
        index = self._model.index(row, max(0, self._table.currentIndex().column()))
        self._table.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        self._table.scrollTo(index, QAbstractItemView.ScrollHint.EnsureVisible)
        return True

    def set_alerts(self, enabled: bool, *, sound: bool = True) -> None:
        """Flash (and beep, if `sound`) for new red cases — the wall layout turns this on."""
        self._alerts = enabled
        self._sound_on = sound

    def alerts_enabled(self) -> bool:
        return self._alerts

    def set_wall_mode(self, on: bool) -> None:
        """Video wall: big fonts and rows, no filter bar."""
        self._wall = on
        font = QFont(QApplication.font())
        if on:
            font.setPixelSize(self._wall_font_px)
        self._table.setFont(font)
        header_font = QFont(font)
        header_font.setBold(on)
        self._table.horizontalHeader().setFont(header_font)
        banner_font = QFont(font)
        banner_font.setBold(True)
        self._banner.setFont(banner_font)
        self._count.setFont(font)
        self._bar.setVisible(not on)
        self._table.setShowGrid(not on)
        self._style_header()
        self._size_columns()

    def is_wall_mode(self) -> bool:
        return self._wall

    # ------------------------------------------------------------- internals
    def _apply_filter(self, flt: QueueFilter) -> None:
        self._update_status_button(flt)
        if flt == self._model.filter():
            return
        self._model.set_filter(flt)
        self.filterChanged.emit(flt)

    def _apply_theme(self) -> None:
        th = self._theme
        pal = QPalette(self.palette())
        for role, key in ((QPalette.ColorRole.Window, "base"), (QPalette.ColorRole.Base, "base"),
                          (QPalette.ColorRole.AlternateBase, "alt_base"), (QPalette.ColorRole.Text, "text"),
                          (QPalette.ColorRole.WindowText, "text"), (QPalette.ColorRole.Button, "header_bg"),
                          (QPalette.ColorRole.ButtonText, "header_fg"), (QPalette.ColorRole.Highlight, "highlight"),
                          (QPalette.ColorRole.HighlightedText, "highlight_fg")):
            if key in th:
                pal.setColor(role, QColor(th[key]))
        self.setPalette(pal)
        self.setAutoFillBackground(True)
        self._style_header()
        rules = [f"{prop}: {th[key]};" for prop, key in (
            ("gridline-color", "grid"), ("background-color", "base"), ("color", "text"),
            ("selection-background-color", "highlight"), ("selection-color", "highlight_fg")) if key in th]
        self._table.setStyleSheet("QTableView { " + " ".join(rules) + " }")

    def _style_header(self) -> None:
        th = self._theme
        font = f" font-size: {self._wall_font_px}px; font-weight: bold;" if self._wall else ""
        if "header_bg" in th:
            self._table.horizontalHeader().setStyleSheet(
                f"QHeaderView::section {{ background: {th['header_bg']}; color: {th.get('header_fg', th['text'])};"
                f" border: 0; border-right: 1px solid {th.get('grid', th['header_bg'])}; padding: 2px 6px;{font} }}")

    def _show_sort_indicator(self) -> None:
        sort = self._model.sort_order()
        col = CaseQueueModel.column_of_sort_key(sort.key)
        header = self._table.horizontalHeader()
        with signals_blocked(header):
            if col is None:
                header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
            else:
                header.setSortIndicator(col, Qt.SortOrder.DescendingOrder if sort.descending
                                        else Qt.SortOrder.AscendingOrder)

    def _on_header_clicked(self, column: int) -> None:
        key = CaseQueueModel.sort_key_of_column(column)
        if key is not None:
            current = self._model.sort_order()
            descending = not current.descending if current.key == key else False
            self._model.set_sort(QueueSort(key, descending))
        self._show_sort_indicator()

    def _update_count(self, *_args) -> None:
        self._count.setText(labels.count_text(self._model.total(), self._model.loaded(), self._lang))

    # selection and scroll
    def _on_selection_changed(self, *_args) -> None:
        if self._in_delta:  # rows moved or left under the selection: the user did not choose anything
            return
        cid = self.selected_case_id()
        if cid is not None and cid != self._last_selected:
            self._last_selected = cid
            self.caseSelected.emit(cid)

    def _activate(self, row: int) -> None:
        cid = self._model.case_id_at(row)
        if cid is not None:
            self.caseActivated.emit(cid)

    def _remember_anchor(self) -> None:
        self._in_delta = True
        self._selected_before = self.selected_case_id()
        sb = self._table.verticalScrollBar()
        self._anchor = None if sb.value() <= 0 else self._model.case_id_at(self._table.rowAt(0))

    def _restore_anchor(self) -> None:
        gone = self._selected_before is not None and self._model.row_of(self._selected_before) is None
        if gone:  # the selected case left the queue: select nothing rather than whatever Qt moved to
            self._table.selectionModel().clearSelection()
            self._last_selected = None  # choosing any case again announces it
        self._in_delta = False
        if self._anchor is None:
            return
        row = self._model.row_of(self._anchor)
        self._anchor = None
        if row is None:
            return
        self._table.sync_geometry()
        self._table.verticalScrollBar().setValue(row)

    def _before_reset(self) -> None:
        self._keep_id = self.selected_case_id()

    def _after_reset(self) -> None:
        keep, self._keep_id = self._keep_id, None
        if keep is not None and self.select_case(keep, load_max=1_000):
            self._table.scrollTo(self._table.currentIndex(), QAbstractItemView.ScrollHint.PositionAtCenter)
        else:
            self._last_selected = None

    # time passing
    def _visible_rows(self) -> range:
        n = self._model.rowCount()
        if not n:
            return range(0)
        first = self._table.rowAt(0)
        if first < 0:
            return range(0)
        last = self._table.rowAt(self._table.viewport().height() - 1)
        last = n - 1 if last < 0 else last
        return range(first, last + 1)

    def _on_tick(self) -> None:
        self._model.tick(self._visible_rows())

    # new red cases
    def _on_new_red(self, code: str) -> None:
        self.newRedCase.emit(code)
        if not self._alerts:
            return
        self._model.flash_code(code)
        self._banner.setText(labels.UI[self._lang]["new_red"].format(code=code))
        self._banner.setVisible(True)
        self._banner_steps = 14
        self._on_banner_timer()
        self._banner_timer.start()
        if self._sound_on:
            self._play_alert()

    def _on_banner_timer(self) -> None:
        self._banner_steps -= 1
        if self._banner_steps <= 0:
            self._banner_timer.stop()
            self._banner.setVisible(False)
            return
        on = self._banner_steps % 2 == 1
        bg = self._theme["flash_bg"] if on else self._theme["red_bg"]
        fg = self._theme["flash_fg"] if on else self._theme["red_fg"]
        self._banner.setStyleSheet(f"QLabel {{ background: {bg}; color: {fg}; padding: 2px 8px; }}")

    def _play_alert(self) -> None:
        self.alerts_sounded += 1
        effect = self._sound()
        if effect is not None:
            effect.play()
        else:
            QApplication.beep()

    def _sound(self):
        if self._sound_effect is None and not self._sound_failed:
            try:
                from PySide6.QtMultimedia import QSoundEffect
            except ImportError:  # no libpulse / no QtMultimedia: fall back to the system beep
                self._sound_failed = True
                return None
            path = ALERT_WAV if ALERT_WAV.exists() else write_alert_wav(Path(tempfile.mkdtemp()) / "alert.wav")
            self._sound_effect = QSoundEffect(self)
            self._sound_effect.setSource(QUrl.fromLocalFile(str(path)))
            self._sound_effect.setVolume(0.8)
        if self._sound_effect is not None and self._sound_effect.status() == self._sound_effect.Status.Error:
            return None
        return self._sound_effect

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt)
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._size_columns()


# ---------------------------------------------------------------------- demo
def main(argv: Sequence[str] | None = None) -> int:
    """Stand-alone demo with FAKE data that changes every 1.5 s."""
    import dataclasses
    import random

    from models.enums import Card
    from widgets.queue.source import (
        FAKE_CLASSES,
        FAKE_TOWNS,
        FakeQueueSource,
        fake_row,
        fake_rows,
    )

    parser = argparse.ArgumentParser(description="GridDesk incident queue demo — FAKE data")
    parser.add_argument("--rows", type=int, default=500)
    parser.add_argument("--wall", action="store_true")
    parser.add_argument("--light", action="store_true", help="light theme (default dark)")
    parser.add_argument("--en", action="store_true")
    parser.add_argument("--alerts", action="store_true", help="flash and beep for new red cases")
    parser.add_argument("--size", default="1400x800")
    parser.add_argument("--snapshot", metavar="PNG", help="write a screenshot and quit")
    parser.add_argument("--quit-after", type=int, metavar="MS")
    args = parser.parse_args(argv)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    now = dt.datetime.now().replace(microsecond=0)
    source = FakeQueueSource(fake_rows(args.rows, now))
    lang = "en" if args.en else "zh"
    widget = QueueWidget(source, towns=FAKE_TOWNS, classes=FAKE_CLASSES, lang=lang,
                         theme="light" if args.light else "dark", wall=args.wall, alerts=args.alerts)
    widget.setWindowTitle(f"GridDesk — {labels.UI[lang]['fake']}")
    w, h = (int(x) for x in args.size.split("x"))
    widget.resize(w, h)
    rng = random.Random(7)
    next_id = [args.rows + 1]

    def live() -> None:  # another seat at work, on FAKE rows
        if rng.random() < 0.4:
            t = dt.datetime.now().replace(microsecond=0)
            source.put(fake_row(next_id[0], t, rng=rng, step_deadline=t + dt.timedelta(seconds=rng.randint(5, 90)),
                                step_yellow_at=t, status=CaseStatus.DISPATCHED, reported_at=t))
            next_id[0] += 1
        else:
            old = source.get(rng.randint(1, next_id[0] - 1))
            if rng.random() < 0.3:
                new = dataclasses.replace(old, status=CaseStatus.CLOSED, version=old.version + 1)
            else:
                new = dataclasses.replace(old, card=rng.choice(list(Card)), version=old.version + 1)
            source.put(new)
        widget.refresh()

    timer = QTimer(widget)
    timer.timeout.connect(live)
    timer.start(1500)
    widget.show()
    if args.snapshot:
        widget.select_case(widget.model().case_id_at(2) or 1)
        t = dt.datetime.now().replace(microsecond=0)  # a FAKE case that has just turned red
        source.put(fake_row(next_id[0], t, rng=rng, status=CaseStatus.DISPATCHED, card=Card.YELLOW, reported_at=t,
                            step_deadline=t - dt.timedelta(seconds=20), step_yellow_at=t - dt.timedelta(hours=1)))
        next_id[0] += 1
        widget.refresh()

        def snap() -> None:
            widget.grab().save(args.snapshot)
            app.quit()

        QTimer.singleShot(800, snap)  # both flashes in their bright phase
    if args.quit_after:
        QTimer.singleShot(args.quit_after, app.quit)
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
