"""The hotline clerk's intake dialog: class, location, grid, duplicates, reporter.

`IntakeDialog(classes, bbox=…, locate=…, duplicates=…)` never reads the
database: the grid under the point comes from `locate(lon, lat) ->
(grid_code, grid_name, town_name) | None` and the possible duplicates from
`duplicates(class_code, lon, lat) -> rows` (objects with `case_id, code,
distance_m, status, reported_at, description`, like
`models.lifecycle.duplicates.DuplicateCandidate`), both passed in by the shell.
The location is typed or comes from a map click through the `set_location(lon,
lat)` slot. Duplicates are shown *before* saving; the clerk may mark the new
report as a duplicate of the selected one.

`result_data()` is a plain `IntakeData`: `CaseService.report(**data.report_kwargs())`,
then, when `data.duplicate_params()` is not None, act `Action.MARK_DUPLICATE`
with those Params on the new case.

The search is plain case-insensitive substring matching (no pinyin) over code,
name, major class and kind; several words must all match.

Demo with fake data::

    python -m widgets.intake_dialog [--en] [--self-handled] [--screenshot PNG] [--quit-after MS]
"""

from __future__ import annotations

import datetime as dt
import math
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from PySide6.QtCore import QTimer, Slot
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFormLayout,
                               QGroupBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPlainTextEdit,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from models.enums import CaseSource
from models.lifecycle.engine import Params
from widgets import labels as L

BBox = tuple[float, float, float, float]  # min_lon, min_lat, max_lon, max_lat
Locate = Callable[[float, float], "tuple[str, str, str] | None"]
FindDuplicates = Callable[[str, float, float], Sequence[Any]]

INTAKE_SOURCES = tuple(s for s in CaseSource if s is not CaseSource.LEGACY)


@dataclass(frozen=True)
class ClassOption:
    """One minor class as the picker shows it."""

    code: str
    name: str
    major_name: str
    kind: str  # ClassKind value
    time_limit: float | None = None
    time_unit: str | None = None  # TimeUnit value
    filing_condition: str = ""

    def haystack(self) -> str:
        kind = self.kind.value if hasattr(self.kind, "value") else str(self.kind)
        return " ".join((self.code, self.name, self.major_name, kind, L.text(L.CLASS_KIND, kind, "zh"),
                         L.text(L.CLASS_KIND, kind, "en"))).lower()


@dataclass(frozen=True)
class IntakeData:
    """What the clerk entered, ready for `CaseService.report`."""

    minor_code: str
    lon: float
    lat: float
    description: str
    address: str
    source: CaseSource
    reporter_name: str
    reporter_phone: str
    grid_code: str | None
    self_handled: bool
    duplicate_of_id: int | None = None
    duplicate_of_code: str | None = None

    def report_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of `CaseService.report`."""
        kw = asdict(self)
        kw.pop("duplicate_of_id")
        kw.pop("duplicate_of_code")
        return kw

    def duplicate_params(self) -> Params | None:
        """Params of `Action.MARK_DUPLICATE` on the new case, when the clerk chose so."""
        if self.duplicate_of_id is None:
            return None
        code = self.duplicate_of_code
        reason = f"与 {code} 重复" if L.language() == "zh" else f"duplicate of {code}"
        return Params(reason=reason, duplicate_of_id=self.duplicate_of_id)


# --- pure checks -------------------------------------------------------------------


def filter_classes(options: Iterable[ClassOption], text: str) -> list[ClassOption]:
    """The options whose code, name, major name or kind contain every word of `text`."""
    terms = text.lower().split()
    return [o for o in options if all(t in o.haystack() for t in terms)]


def parse_coordinate(text: str) -> float | None:
    try:
        v = float(text.strip().replace("，", ",").rstrip(","))
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def split_pair(text: str) -> tuple[float, float] | None:
    """'121.3, 28.5' (pasted into the longitude field) → (121.3, 28.5)."""
    parts = [p for p in re.split(r"[,，\s]+", text.strip()) if p]
    if len(parts) != 2:
        return None
    a, b = parse_coordinate(parts[0]), parse_coordinate(parts[1])
    return None if a is None or b is None else (a, b)


def location_problem(lon: float | None, lat: float | None, bbox: BBox) -> str | None:
    """Why a point cannot be used (None: inside the district's bounding box)."""
    if lon is None or lat is None:
        return L.ui("err_coords")
    min_lon, min_lat, max_lon, max_lat = bbox
    if not (min_lon <= lon <= max_lon and min_lat <= lat <= max_lat):
        return L.ui("err_bbox", min_lon, max_lon, min_lat, max_lat)
    return None


_MOBILE = re.compile(r"^(?:\+?86)?1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^(?:\(?0\d{2,3}\)?[- ]?)?[2-9]\d{6,7}(?:[- ]\d{1,5})?$")


def valid_phone(text: str) -> bool:
    """Empty (anonymous), an 11-digit mobile (optionally +86) or a landline like 0576-82345678[-123]."""
    t = text.strip()
    if not t:
        return True
    return bool(_MOBILE.match(re.sub(r"[\s-]", "", t)) or _LANDLINE.match(t))


def _get(row: Any, name: str) -> Any:
    return row[name] if isinstance(row, dict) else getattr(row, name)


# --- the dialog --------------------------------------------------------------------


class IntakeDialog(QDialog):
    """Registers a new report (上报). See the module docstring for the callables.

    `allow_self_handled` shows the "already fixed" box (grid workers and town
    officers may self-handle); `duplicate_radius_m` only labels the list (the
    callable decides what is near).
    """

    LOCATE_DELAY_MS = 250

    def __init__(self, classes: Sequence[ClassOption], *, bbox: BBox, locate: Locate,
                 duplicates: FindDuplicates | None = None, allow_self_handled: bool = False,
                 default_source: CaseSource = CaseSource.HOTLINE, duplicate_radius_m: float = 50.0,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("intakeDialog")
        self.setWindowTitle(L.ui("intake_title"))
        self._classes = list(classes)
        self._bbox = bbox
        self._locate = locate
        self._find_duplicates = duplicates
        self._grid: tuple[str, str, str] | None = None
        self._located_at: tuple[float, float] | None = None
        self._dup_rows: list[Any] = []
        self._shown: list[ClassOption] = []
        self._locate_timer = QTimer(self)
        self._locate_timer.setSingleShot(True)
        self._locate_timer.setInterval(self.LOCATE_DELAY_MS)
        self._locate_timer.timeout.connect(self.refresh_location)
        self._build(allow_self_handled, default_source, duplicate_radius_m)
        self._on_search_changed("")
        self._revalidate()

    # --- construction ------------------------------------------------------------
    def _build(self, allow_self_handled: bool, default_source: CaseSource, radius: float) -> None:
        outer = QVBoxLayout(self)
        cols = QHBoxLayout()
        outer.addLayout(cols, 1)

        # left: the class picker
        left = QVBoxLayout()
        self.search_edit = QLineEdit()
        self.search_edit.setObjectName("classSearch")
        self.search_edit.setPlaceholderText(L.ui("class_search"))
        self.search_edit.setClearButtonEnabled(True)
        self.class_table = QTableWidget(0, 5)
        self.class_table.setObjectName("classes")
        self.class_table.setHorizontalHeaderLabels([L.ui(k) for k in ("col_code", "col_name", "col_major", "col_kind",
                                                                      "col_limit")])
        self.class_table.verticalHeader().setVisible(False)
        self.class_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.class_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.class_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.class_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.class_table.horizontalHeader().setStretchLastSection(True)
        self.class_table.setMinimumWidth(430)
        self.rule_label = QLabel()
        self.rule_label.setObjectName("classRule")
        self.rule_label.setWordWrap(True)
        left.addWidget(self.search_edit)
        left.addWidget(self.class_table, 1)
        left.addWidget(self.rule_label)
        cols.addLayout(left, 5)

        # right: location, duplicates, description and reporter
        right = QVBoxLayout()
        loc_box = QGroupBox(L.ui("group_location"))
        loc = QFormLayout(loc_box)
        pair = QHBoxLayout()
        self.lon_edit = QLineEdit()
        self.lon_edit.setObjectName("lon")
        self.lon_edit.setPlaceholderText(L.ui("lon"))
        self.lat_edit = QLineEdit()
        self.lat_edit.setObjectName("lat")
        self.lat_edit.setPlaceholderText(L.ui("lat"))
        pair.addWidget(self.lon_edit)
        pair.addWidget(self.lat_edit)
        loc.addRow(f"{L.ui('lon')} / {L.ui('lat')} *", pair)
        hint = QLabel(L.ui("pick_on_map"))
        hint.setStyleSheet("color: #757575;")
        loc.addRow("", hint)
        self.grid_label = QLabel("—")
        self.grid_label.setObjectName("grid")
        self.grid_label.setWordWrap(True)
        loc.addRow(L.field("grid") + ":", self.grid_label)
        self.address_edit = QLineEdit()
        self.address_edit.setObjectName("address")
        loc.addRow(L.ui("address"), self.address_edit)
        right.addWidget(loc_box)

        self.dup_box = QGroupBox(L.ui("duplicates", f"{radius:g}"))
        dup = QVBoxLayout(self.dup_box)
        self.dup_table = QTableWidget(0, 5)
        self.dup_table.setObjectName("duplicates")
        self.dup_table.setHorizontalHeaderLabels([L.ui(k) for k in ("col_code", "col_distance", "col_status",
                                                                    "col_reported", "col_description")])
        self.dup_table.verticalHeader().setVisible(False)
        self.dup_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.dup_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.dup_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.dup_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.dup_table.horizontalHeader().setStretchLastSection(True)
        self.dup_table.setFixedHeight(110)
        self.dup_empty = QLabel(L.ui("no_duplicates"))
        self.dup_empty.setStyleSheet("color: #757575;")
        self.mark_duplicate_check = QCheckBox(L.ui("mark_duplicate"))
        self.mark_duplicate_check.setObjectName("markDuplicate")
        dup.addWidget(self.dup_empty)
        dup.addWidget(self.dup_table)
        dup.addWidget(self.mark_duplicate_check)
        right.addWidget(self.dup_box)

        form_box = QGroupBox(L.ui("group_basic"))
        form = QFormLayout(form_box)
        self.description_edit = QPlainTextEdit()
        self.description_edit.setObjectName("description")
        self.description_edit.setFixedHeight(70)
        form.addRow(L.ui("description") + " *", self.description_edit)
        self.source_combo = QComboBox()
        self.source_combo.setObjectName("source")
        for s in INTAKE_SOURCES:
            self.source_combo.addItem(L.source(s), s.value)
        self.source_combo.setCurrentIndex(self.source_combo.findData(default_source.value))
        form.addRow(L.ui("source"), self.source_combo)
        self.reporter_edit = QLineEdit()
        self.reporter_edit.setObjectName("reporterName")
        form.addRow(L.ui("reporter_name"), self.reporter_edit)
        self.phone_edit = QLineEdit()
        self.phone_edit.setObjectName("reporterPhone")
        self.phone_edit.setPlaceholderText("13800000000 / 0576-82345678")
        form.addRow(L.ui("reporter_phone"), self.phone_edit)
        self.self_handled_check = QCheckBox(L.ui("self_handled"))
        self.self_handled_check.setObjectName("selfHandled")
        self.self_handled_check.setVisible(allow_self_handled)
        form.addRow("", self.self_handled_check)
        right.addWidget(form_box)
        cols.addLayout(right, 6)

        self.message = QLabel()
        self.message.setObjectName("problems")
        self.message.setStyleSheet("color: #c62828;")
        self.message.setWordWrap(True)
        outer.addWidget(self.message)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setText(L.ui("save"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(L.ui("cancel"))
        self.buttons.accepted.connect(self._on_save)
        self.buttons.rejected.connect(self.reject)
        outer.addWidget(self.buttons)

        self.search_edit.textChanged.connect(self._on_search_changed)
        self.class_table.itemSelectionChanged.connect(self._on_class_changed)
        self._lon_text = ""
        self.lon_edit.textEdited.connect(self._on_lon_edited)
        self.lon_edit.editingFinished.connect(self._split_lon_field)
        self.lat_edit.textEdited.connect(self._on_coordinates_edited)
        self.dup_table.itemSelectionChanged.connect(self._revalidate)
        self.mark_duplicate_check.toggled.connect(self._revalidate)
        self.self_handled_check.toggled.connect(self._on_self_handled_toggled)
        self.description_edit.textChanged.connect(self._revalidate)
        self.phone_edit.textChanged.connect(self._revalidate)
        self.resize(1100, 640)

    # --- public API ---------------------------------------------------------------
    @Slot(float, float)
    def set_location(self, lon: float, lat: float) -> None:
        """A point picked on the map: fill the fields and look the grid up at once."""
        self.lon_edit.setText(f"{lon:.6f}")
        self.lat_edit.setText(f"{lat:.6f}")
        self.refresh_location()

    def location(self) -> tuple[float | None, float | None]:
        return parse_coordinate(self.lon_edit.text()), parse_coordinate(self.lat_edit.text())

    def selected_class(self) -> ClassOption | None:
        rows = self.class_table.selectionModel().selectedRows()
        if not rows:
            return None
        r = rows[0].row()
        return self._shown[r] if 0 <= r < len(self._shown) else None

    def select_class(self, code: str) -> bool:
        """Select the class `code` among the shown ones (True if it is shown)."""
        for r, o in enumerate(self._shown):
            if o.code == code:
                self.class_table.selectRow(r)
                return True
        return False

    def shown_classes(self) -> list[ClassOption]:
        return list(self._shown)

    def grid(self) -> tuple[str, str, str] | None:
        """(grid code, grid name, town name) under the point, or None."""
        return self._grid

    def duplicate_rows(self) -> list[Any]:
        return list(self._dup_rows)

    def problems(self) -> list[str]:
        out = []
        if self.selected_class() is None:
            out.append(L.ui("err_class"))
        lon, lat = self.location()
        loc = location_problem(lon, lat, self._bbox)
        if loc:
            out.append(loc)
        elif self._located_at == (lon, lat) and self._grid is None:
            out.append(L.ui("err_grid"))
        if not self.description_edit.toPlainText().strip():
            out.append(L.ui("err_description"))
        if not valid_phone(self.phone_edit.text()):
            out.append(L.ui("err_phone"))
        if self.mark_duplicate_check.isChecked() and self._selected_duplicate() is None:
            out.append(L.ui("err_dup_select"))
        return out

    def result_data(self) -> IntakeData:
        cls = self.selected_class()
        lon, lat = self.location()
        dup = self._selected_duplicate() if self.mark_duplicate_check.isChecked() else None
        return IntakeData(
            minor_code=cls.code if cls else "", lon=lon if lon is not None else 0.0,
            lat=lat if lat is not None else 0.0, description=self.description_edit.toPlainText().strip(),
            address=self.address_edit.text().strip(), source=CaseSource(self.source_combo.currentData()),
            reporter_name=self.reporter_edit.text().strip(), reporter_phone=self.phone_edit.text().strip(),
            grid_code=self._grid[0] if self._grid else None,
            self_handled=self.self_handled_check.isVisibleTo(self) and self.self_handled_check.isChecked(),
            duplicate_of_id=_get(dup, "case_id") if dup is not None else None,
            duplicate_of_code=_get(dup, "code") if dup is not None else None)

    @Slot()
    def refresh_location(self) -> None:
        """Look the grid and the duplicates up for the point now typed (no delay)."""
        self._locate_timer.stop()
        lon, lat = self.location()
        self._grid = None
        self._located_at = None
        if location_problem(lon, lat, self._bbox) is None:
            self._grid = self._locate(lon, lat)
            self._located_at = (lon, lat)
            self.grid_label.setText(L.ui("grid_found", *self._grid) if self._grid else L.ui("grid_none"))
            self.grid_label.setStyleSheet("" if self._grid else "color: #c62828;")
        else:
            self.grid_label.setText("—")
            self.grid_label.setStyleSheet("")
        self._refresh_duplicates()

    # --- handlers ----------------------------------------------------------------------
    def _on_search_changed(self, text: str) -> None:
        current = self.selected_class()
        self._shown = filter_classes(self._classes, text)
        t = self.class_table
        t.blockSignals(True)
        t.clearSelection()
        t.setRowCount(len(self._shown))
        for r, o in enumerate(self._shown):
            limit = f"{o.time_limit:g} {L.unit(o.time_unit)}" if o.time_limit is not None else ""
            for c, text_ in enumerate((o.code, o.name, o.major_name, L.class_kind(o.kind), limit)):
                t.setItem(r, c, QTableWidgetItem(text_))
        if current is not None and self.select_class(current.code):
            pass
        elif len(self._shown) == 1:
            t.selectRow(0)
        t.blockSignals(False)
        self._on_class_changed()

    def _on_class_changed(self) -> None:
        cls = self.selected_class()
        if cls is None:
            self.rule_label.setText("")
        else:
            limit = f" · {L.field('time_limit')} {cls.time_limit:g} {L.unit(cls.time_unit)}" \
                if cls.time_limit is not None else ""
            cond = L.ui("rule", cls.filing_condition) if cls.filing_condition else ""
            self.rule_label.setText(f"{cls.code} {cls.name}{limit}\n{cond}".strip())
        self._refresh_duplicates()

    def _on_lon_edited(self, text: str) -> None:
        pasted = len(text) - len(self._lon_text) > 1
        self._lon_text = text
        if pasted:
            self._split_lon_field()
        self._on_coordinates_edited(text)

    def _split_lon_field(self) -> None:
        """'lon, lat' pasted (or typed and confirmed) in the longitude field fills both fields."""
        pair = split_pair(self.lon_edit.text())
        if pair is not None:
            self.lon_edit.setText(f"{pair[0]}")
            self.lat_edit.setText(f"{pair[1]}")
            self._lon_text = self.lon_edit.text()
            self._on_coordinates_edited("")

    def _on_coordinates_edited(self, _text: str) -> None:
        self._grid = None
        self._located_at = None
        self.grid_label.setText("…")
        self._locate_timer.start()
        self._revalidate()

    def _on_self_handled_toggled(self, on: bool) -> None:
        self.dup_box.setEnabled(not on)
        if on:
            self.mark_duplicate_check.setChecked(False)
        self._revalidate()

    def _refresh_duplicates(self) -> None:
        cls = self.selected_class()
        lon, lat = self.location()
        rows: list[Any] = []
        if (cls is not None and self._find_duplicates is not None and self._grid is not None
                and location_problem(lon, lat, self._bbox) is None):
            rows = list(self._find_duplicates(cls.code, lon, lat))
        self._dup_rows = rows
        t = self.dup_table
        t.blockSignals(True)
        t.clearSelection()
        t.setRowCount(len(rows))
        for r, row in enumerate(rows):
            at = _get(row, "reported_at")
            vals = (_get(row, "code"), f"{float(_get(row, 'distance_m')):.0f} m", L.status(_get(row, "status")),
                    L.fmt_time(at) if isinstance(at, dt.datetime) else str(at or ""), _get(row, "description") or "")
            for c, v in enumerate(vals):
                t.setItem(r, c, QTableWidgetItem(v))
        t.blockSignals(False)
        if rows:
            t.selectRow(0)
        t.setVisible(bool(rows))
        self.dup_empty.setVisible(not rows)
        self.mark_duplicate_check.setEnabled(bool(rows))
        if not rows:
            self.mark_duplicate_check.setChecked(False)
        self._revalidate()

    def _selected_duplicate(self) -> Any | None:
        sel = self.dup_table.selectionModel().selectedRows()
        if not sel or not self._dup_rows:
            return None
        r = sel[0].row()
        return self._dup_rows[r] if 0 <= r < len(self._dup_rows) else None

    def _revalidate(self, *_: Any) -> None:
        problems = self.problems()
        self.message.setText("\n".join(problems))
        self.save_button.setEnabled(not problems)

    def _on_save(self) -> None:
        if self._locate_timer.isActive():
            self.refresh_location()
        if not self.problems():
            self.accept()


# --- demo (clearly fake data) ---------------------------------------------------------------

DEMO_CLASSES = [
    ClassOption("0101", "井盖缺失(演示)", "公用设施", "component", 2, "urgent_hours", "井盖缺失、破损"),
    ClassOption("0302", "垃圾箱(演示)", "市容环卫设施", "component", 4, "work_hours", "垃圾箱破损、满溢"),
    ClassOption("1101", "私搭乱建(演示)", "市容环境", "event", 20, "work_days", "未经批准搭建建(构)筑物"),
    ClassOption("1102", "暴露垃圾(演示)", "市容环境", "event", 4, "work_hours", "暴露垃圾面积 ≥ 0.5 m²"),
    ClassOption("1103", "道路保洁(演示)", "市容环境", "event", 2, "work_hours", "路面污染、积存垃圾"),
    ClassOption("2301", "消防隐患(演示)", "安全隐患巡查", "comprehensive", 1, "work_days", "消防通道堵塞等"),
    ClassOption("2401", "邻里纠纷(演示)", "矛盾纠纷排查化解", "comprehensive", 3, "work_days", "邻里之间的矛盾纠纷"),
]
DEMO_BBOX: BBox = (121.36, 28.54, 121.45, 28.60)


def _demo_locate(lon: float, lat: float) -> tuple[str, str, str] | None:
    ix, iy = int((lon - DEMO_BBOX[0]) / 0.0045), int((lat - DEMO_BBOX[1]) / 0.0045)
    if ix == 3 and iy == 3:
        return None  # a hole in the fake lattice: "in no grid"
    return f"331099001{iy:03d}{ix:03d}", f"演示网格{iy}-{ix}", "演示镇"


def _demo_duplicates(code: str, lon: float, lat: float) -> list[dict[str, Any]]:
    if code != "1102":
        return []
    now = dt.datetime.now().replace(microsecond=0)
    return [{"case_id": 7, "code": "AJ2099010100007", "distance_m": 23.4, "status": "dispatched",
             "reported_at": now - dt.timedelta(hours=2), "description": "演示: 路口垃圾堆放"},
            {"case_id": 9, "code": "AJ2099010100009", "distance_m": 41.0, "status": "reported",
             "reported_at": now - dt.timedelta(minutes=30), "description": "演示: 同一处垃圾, 市民再次来电"}]


def main(argv: list[str] | None = None) -> int:
    import argparse

    from PySide6.QtWidgets import QApplication

    ap = argparse.ArgumentParser(description="Intake dialog demo (fake data)")
    ap.add_argument("--en", action="store_true")
    ap.add_argument("--self-handled", action="store_true", help="as a grid worker (self-handled box)")
    ap.add_argument("--screenshot", metavar="PNG")
    ap.add_argument("--quit-after", type=int, metavar="MS")
    opts = ap.parse_args(sys.argv[1:] if argv is None else argv)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    if opts.en:
        L.set_language("en")
    dlg = IntakeDialog(DEMO_CLASSES, bbox=DEMO_BBOX, locate=_demo_locate, duplicates=_demo_duplicates,
                       allow_self_handled=opts.self_handled)
    dlg.setWindowTitle(dlg.windowTitle() + " (DEMO, fake data)")
    dlg.finished.connect(lambda r: print("result", r, dlg.result_data()))
    if opts.screenshot:
        dlg.search_edit.setText("垃圾")
        dlg.select_class("1102")
        dlg.set_location(121.3712, 28.5521)
        dlg.description_edit.setPlainText("演示: 小区门口暴露垃圾约 2 m², 有异味")
        dlg.address_edit.setText("演示路 88 号 (虚构)")
        dlg.reporter_edit.setText("张演示")
        dlg.phone_edit.setText("13800000000")
    from widgets.demo_support import run_demo

    return run_demo(app, dlg, opts.screenshot, opts.quit_after)


if __name__ == "__main__":
    sys.exit(main())
