"""The reports panel (issue 7 "In the GUI"): choose a report and its period, preview
it, export it to Excel with a progress dialog, open the file's folder.

Finance and administrators get every report; a town officer their town's ledger
and their town's rows of a stored star rating (a rating itself is refused, the
quotas being district-wide); a shift leader the ledger and the weekly bulletin.
Star ratings come from the database or from the towns' metrics sheets, imported
several at once and merged; duplicates and bad rows are listed with file, row,
column and reason.

All work runs through `TaskRunner` (STYLE §3): `read_inputs`, `compute_report`
and `export_report` are module-level functions that open their own Session and
return frozen snapshots. The preview holds the computed result; the export
writes exactly what was previewed (the ledger, streamed, is read again).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QDate, QModelIndex, QObject, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QBrush, QColor, QDesktopServices, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QDialog,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressDialog,
    QPushButton,
    QSpinBox,
    QSplitter,
    QStackedWidget,
    QTabBar,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from desktop.workers import TaskRunner
from models.assessment import (
    Quarter,
    store,
)
from models.auth import Identity
from models.reference import towns as scoped_towns
from reports import preview as pv
from reports.metrics_sheet import MetricsImport, ScoresImport
from reports.workbook import EXCEL_MAX_ROWS

from desktop.report_jobs import (  # noqa: F401  (re-exported for callers of the panel)
    PREVIEW_LIMIT,
    Computed,
    ExportJob,
    ExportResult,
    ReportError,
    ReportRequest,
    compute_report,
    export_report,
    read_inputs,
    write_bulletin_workbook,
)

DEBOUNCE_MS = 300
RED, AMBER = "#c00000", "#b36b00"


# === the table model ===============================================================================
class PreviewModel(QAbstractTableModel):
    """A `PreviewSheet` in a view: Excel's texts, raw values under `Qt.UserRole`, totals bold, 超支 red."""

    CHUNK = 200

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._sheet: pv.PreviewSheet | None = None
        self._loaded = 0

    @property
    def sheet(self) -> pv.PreviewSheet | None:
        return self._sheet

    def set_sheet(self, sheet: pv.PreviewSheet | None) -> None:
        self.beginResetModel()
        self._sheet = sheet
        self._loaded = min(self.CHUNK, len(sheet.rows)) if sheet else 0
        self.endResetModel()

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008, N802 (Qt)
        return 0 if parent.isValid() else self._loaded

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008, N802 (Qt)
        return 0 if parent.isValid() or self._sheet is None else len(self._sheet.columns)

    def canFetchMore(self, parent: QModelIndex) -> bool:  # noqa: N802 (Qt)
        return not parent.isValid() and self._sheet is not None and self._loaded < len(self._sheet.rows)

    def fetchMore(self, parent: QModelIndex) -> None:  # noqa: N802 (Qt)
        if not self.canFetchMore(parent):
            return
        more = min(self.CHUNK, len(self._sheet.rows) - self._loaded)
        self.beginInsertRows(QModelIndex(), self._loaded, self._loaded + more - 1)
        self._loaded += more
        self.endInsertRows()

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        sheet = self._sheet
        if sheet is None or not index.isValid():
            return None
        r, c = index.row(), index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return sheet.text(r, c)
        if role == Qt.ItemDataRole.UserRole:
            return sheet.value(r, c)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if sheet.columns[c].align == "center":
                return int(Qt.AlignmentFlag.AlignCenter)
            if sheet.numeric(r, c) and not isinstance(sheet.value(r, c), str):
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            return int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.FontRole and sheet.is_footer(r):
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ForegroundRole and sheet.alert(r, c):
            return QBrush(QColor(RED))
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802 (Qt)
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role != Qt.ItemDataRole.DisplayRole or self._sheet is None:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self._sheet.columns[section].header
        return str(section + 1)


def _table(model: QAbstractTableModel, name: str) -> QTableView:
    view = QTableView()
    view.setObjectName(name)
    view.setModel(model)
    view.setAlternatingRowColors(True)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.verticalHeader().setDefaultSectionSize(24)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    return view


def _last_quarter(today: dt.date) -> Quarter:
    q = (today.month - 1) // 3 + 1
    return Quarter(today.year - 1, 4) if q == 1 else Quarter(today.year, q - 1)


def _qdate(d: dt.date) -> QDate:
    return QDate(d.year, d.month, d.day)


def _pydate(q: QDate) -> dt.date:
    return dt.date(q.year(), q.month(), q.day())


# === the panel =======================================================================================
class ReportsPanel(QDialog):
    """Report, period and source at the top; imported files; the preview; export and its folder."""

    previewReady = Signal(object)  # Computed
    previewFailed = Signal(str)
    inputsRead = Signal(object)  # MetricsImport | ScoresImport
    exportFinished = Signal(object)  # ExportResult
    exportCancelled = Signal()
    exportFailed = Signal(str)

    def __init__(self, engine: Any, identity: Identity, parent: QWidget | None = None,
                 initial: tuple[str, Any] | None = None, *, today: dt.date | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(self.tr("报表与导出"))
        self.setObjectName("reportsPanel")
        self.engine, self.identity = engine, identity
        self.today = today or dt.date.today()
        self.runner = TaskRunner(self, max_threads=2)
        self.ledger_max_rows = EXCEL_MAX_ROWS  # tests split small ledgers across sheets
        self.kinds = pv.reports_for(identity.role, bulletin=write_bulletin_workbook is not None)
        self._files: dict[str, tuple[Path, ...]] = {}
        self._imports: dict[str, MetricsImport | ScoresImport] = {}
        self._computed: Computed | None = None
        self._job: ExportJob | None = None
        self._progress: QProgressDialog | None = None
        self._total: int | None = None
        self.last_export: Path | None = None
        self._out_dir = Path.home()
        with Session(engine) as s:  # a handful of rows: the towns this identity may see
            self._towns = scoped_towns(s, identity)
        self._build()
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(DEBOUNCE_MS)
        self._refresh_timer.timeout.connect(self.refresh)
        self._cancel_poll = QTimer(self)
        self._cancel_poll.setInterval(50)
        self._cancel_poll.timeout.connect(self._poll_cancelled)
        self._wire()
        if initial is not None:
            self._apply_initial(*initial)
        self._on_report_changed()
        self.resize(1180, 720)

    # --- names -------------------------------------------------------------------------------------
    def _report_name(self, kind: str) -> str:
        return {pv.STARS: self.tr("季度星级评定"), pv.BONUS: self.tr("年度考核奖"),
                pv.FUNDING: self.tr("镇街档次与经费分配"), pv.LEDGER: self.tr("案件台账"),
                pv.BULLETIN: self.tr("周通报")}[kind]

    def _source_name(self, kind: str, source: str) -> str:
        if kind == pv.FUNDING:
            return {pv.DATABASE: self.tr("数据库（按案件指标计算考核得分）"),
                    pv.FILES: self.tr("考核得分表（导入）")}[source]
        if self.identity.scoped and source == pv.STORED:
            return self.tr("已保存的评定结果（本镇街）")
        return {pv.DATABASE: self.tr("数据库（重新评定）"), pv.FILES: self.tr("镇街指标表（导入，可多个）"),
                pv.STORED: self.tr("已保存的评定结果")}[source]

    def _file_stem(self, kind: str) -> str:
        return {pv.STARS: self.tr("星级评定"), pv.BONUS: self.tr("年度考核奖"), pv.FUNDING: self.tr("经费分配"),
                pv.LEDGER: self.tr("案件台账"), pv.BULLETIN: self.tr("周通报")}[kind]

    # --- building ------------------------------------------------------------------------------------
    def _build(self) -> None:
        top = QHBoxLayout()
        self.report_combo = QComboBox()
        for kind in self.kinds:
            self.report_combo.addItem(self._report_name(kind), kind)
        top.addWidget(QLabel(self.tr("报表")))
        top.addWidget(self.report_combo)
        top.addSpacing(12)
        top.addWidget(QLabel(self.tr("期间")))
        top.addWidget(self._build_periods())
        self.town_label = QLabel(self.tr("镇街"))
        self.town_combo = QComboBox()
        if not self.identity.scoped:
            self.town_combo.addItem(self.tr("全部镇街"), None)
        for _id, code, name in self._towns:
            self.town_combo.addItem(name, code)
        self.town_combo.setEnabled(not self.identity.scoped)
        top.addSpacing(12)
        top.addWidget(self.town_label)
        top.addWidget(self.town_combo)
        self.source_label = QLabel(self.tr("数据来源"))
        self.source_combo = QComboBox()
        top.addSpacing(12)
        top.addWidget(self.source_label)
        top.addWidget(self.source_combo)
        top.addStretch(1)
        self.preview_button = QPushButton(self.tr("刷新预览"))
        top.addWidget(self.preview_button)

        self.import_box = QGroupBox(self.tr("导入的文件"))
        box = QVBoxLayout(self.import_box)
        row = QHBoxLayout()
        self.import_button = QPushButton(self.tr("导入指标表…"))
        self.clear_button = QPushButton(self.tr("清除"))
        self.files_label = QLabel()
        self.files_label.setWordWrap(True)
        row.addWidget(self.import_button)
        row.addWidget(self.clear_button)
        row.addWidget(self.files_label, 1)
        box.addLayout(row)
        self.problems_model, self.good_model = PreviewModel(self), PreviewModel(self)
        self.problems_view = _table(self.problems_model, "problemsView")
        self.good_view = _table(self.good_model, "goodRowsView")
        self.problems_view.horizontalHeader().setStretchLastSection(True)
        self.import_tabs = QTabWidget()
        self.import_tabs.addTab(self.problems_view, self.tr("问题"))
        self.import_tabs.addTab(self.good_view, self.tr("有效行"))
        box.addWidget(self.import_tabs)

        preview_box = QGroupBox(self.tr("预览"))
        pbox = QVBoxLayout(preview_box)
        self.sheet_tabs = QTabBar()
        self.sheet_tabs.setExpanding(False)
        self.preview_model = PreviewModel(self)
        self.preview_view = _table(self.preview_model, "previewView")
        self.preview_info = QLabel()
        pbox.addWidget(self.sheet_tabs)
        pbox.addWidget(self.preview_view, 1)
        pbox.addWidget(self.preview_info)

        bottom = QHBoxLayout()
        self.status = QLabel()
        self.status.setObjectName("reportStatus")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.export_button = QPushButton(self.tr("导出 Excel…"))
        self.export_button.setDefault(True)
        self.open_folder_button = QPushButton(self.tr("打开所在文件夹"))
        self.open_folder_button.setEnabled(False)
        self.close_button = QPushButton(self.tr("关闭"))
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.export_button)
        bottom.addWidget(self.open_folder_button)
        bottom.addWidget(self.close_button)

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.import_box)
        self.splitter.addWidget(preview_box)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setSizes([300, 500])
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.splitter, 1)
        layout.addLayout(bottom)
        if not self.kinds:
            self._set_status(self.tr("当前账号没有可用的报表。"), RED)
            for w in (self.report_combo, self.preview_button, self.export_button):
                w.setEnabled(False)

    def _build_periods(self) -> QStackedWidget:
        self.period_stack = QStackedWidget()
        last = _last_quarter(self.today)
        quarter_page = QWidget()
        ql = QHBoxLayout(quarter_page)
        ql.setContentsMargins(0, 0, 0, 0)
        self.quarter_year = QSpinBox()
        self.quarter_year.setRange(2000, 2100)
        self.quarter_year.setValue(last.year)
        self.quarter_year.setSuffix(self.tr(" 年"))
        self.quarter_combo = QComboBox()
        for n, text in enumerate((self.tr("第一季度"), self.tr("第二季度"), self.tr("第三季度"),
                                  self.tr("第四季度")), start=1):
            self.quarter_combo.addItem(text, n)
        self.quarter_combo.setCurrentIndex(last.number - 1)
        ql.addWidget(self.quarter_year)
        ql.addWidget(self.quarter_combo)

        self.year_spin = QSpinBox()
        self.year_spin.setRange(2000, 2100)
        self.year_spin.setValue(self.today.year)
        self.year_spin.setSuffix(self.tr(" 年"))

        range_page = QWidget()
        rl = QHBoxLayout(range_page)
        rl.setContentsMargins(0, 0, 0, 0)
        first = self.today.replace(day=1)
        following = (first + dt.timedelta(days=32)).replace(day=1)
        self.from_edit, self.to_edit = QDateEdit(_qdate(first)), QDateEdit(_qdate(following))
        for edit in (self.from_edit, self.to_edit):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
        rl.addWidget(self.from_edit)
        rl.addWidget(QLabel(self.tr("至")))
        rl.addWidget(self.to_edit)
        rl.addWidget(QLabel(self.tr("（不含截止日）")))

        week_page = QWidget()
        wl = QHBoxLayout(week_page)
        wl.setContentsMargins(0, 0, 0, 0)
        self.week_edit = QDateEdit(_qdate(self.today))
        self.week_edit.setCalendarPopup(True)
        self.week_edit.setDisplayFormat("yyyy-MM-dd")
        self.week_label = QLabel()
        wl.addWidget(self.week_edit)
        wl.addWidget(self.week_label)
        for page in (quarter_page, self.year_spin, range_page, week_page):
            self.period_stack.addWidget(page)
        self._update_week_label()
        return self.period_stack

    def _wire(self) -> None:
        self.report_combo.currentIndexChanged.connect(self._on_report_changed)
        self.source_combo.currentIndexChanged.connect(self._on_source_changed)
        for signal in (self.quarter_year.valueChanged, self.quarter_combo.currentIndexChanged,
                       self.year_spin.valueChanged, self.from_edit.dateChanged, self.to_edit.dateChanged,
                       self.town_combo.currentIndexChanged):
            signal.connect(self._on_period_changed)
        self.week_edit.dateChanged.connect(self._on_week_changed)
        self.preview_button.clicked.connect(self.refresh)
        self.import_button.clicked.connect(self._choose_files)
        self.clear_button.clicked.connect(self.clear_files)
        self.sheet_tabs.currentChanged.connect(self._on_sheet_changed)
        self.export_button.clicked.connect(self._choose_output)
        self.open_folder_button.clicked.connect(self.open_folder)
        self.close_button.clicked.connect(self.close)

    def _apply_initial(self, kind: str, value: Any) -> None:
        if kind not in self.kinds:
            return
        self.report_combo.blockSignals(True)
        self.report_combo.setCurrentIndex(self.kinds.index(kind))
        self.report_combo.blockSignals(False)
        try:
            if kind == pv.BULLETIN and value:
                year, week = str(value).upper().split("-W")
                self.week_edit.setDate(_qdate(dt.date.fromisocalendar(int(year), int(week), 1)))
            elif kind == pv.STARS and value:
                q = Quarter.parse(str(value))
                self.quarter_year.setValue(q.year)
                self.quarter_combo.setCurrentIndex(q.number - 1)
            elif kind in (pv.BONUS, pv.FUNDING) and value:
                self.year_spin.setValue(int(value))
        except ValueError:
            pass

    # --- the request --------------------------------------------------------------------------------------
    @property
    def kind(self) -> str | None:
        return self.report_combo.currentData()

    @property
    def source(self) -> str:
        return self.source_combo.currentData() or pv.DATABASE

    def week(self) -> str:
        year, week, _ = _pydate(self.week_edit.date()).isocalendar()
        return f"{year}-W{week:02d}"

    def request(self) -> ReportRequest:
        kind, source = self.kind, self.source
        imported = self._imports.get(kind) if source == pv.FILES else None
        return ReportRequest(
            kind, source,
            quarter=Quarter(self.quarter_year.value(), self.quarter_combo.currentData()),
            year=self.year_spin.value(),
            date_from=_pydate(self.from_edit.date()), date_to=_pydate(self.to_edit.date()),
            town=self.town_combo.currentData() if kind == pv.LEDGER else None,
            week=self.week(),
            metrics=imported if isinstance(imported, MetricsImport) else None,
            scores=imported if isinstance(imported, ScoresImport) else None,
            files=tuple(p.name for p in self._files.get(kind, ())) if imported is not None else ())

    # --- reacting to choices --------------------------------------------------------------------------------
    def _on_report_changed(self, *_: Any) -> None:
        kind = self.kind
        if kind is None:
            return
        page = {pv.STARS: 0, pv.BONUS: 1, pv.FUNDING: 1, pv.LEDGER: 2, pv.BULLETIN: 3}[kind]
        self.period_stack.setCurrentIndex(page)
        self.town_label.setVisible(kind == pv.LEDGER)
        self.town_combo.setVisible(kind == pv.LEDGER)
        sources = pv.sources_for(self.identity.role, kind)
        self.source_combo.blockSignals(True)
        self.source_combo.clear()
        for source in sources:
            self.source_combo.addItem(self._source_name(kind, source), source)
        self.source_combo.blockSignals(False)
        self.source_label.setVisible(len(sources) > 1)
        self.source_combo.setVisible(len(sources) > 1)
        self.import_button.setText(self.tr("导入指标表…") if kind == pv.STARS else self.tr("选择考核得分表…"))
        self._on_source_changed()

    def _on_source_changed(self, *_: Any) -> None:
        self.import_box.setVisible(self.source == pv.FILES)
        self._show_import()
        self._schedule()

    def _on_period_changed(self, *_: Any) -> None:
        self._schedule()

    def _on_week_changed(self, *_: Any) -> None:
        self._update_week_label()
        self._schedule()

    def _update_week_label(self) -> None:
        monday = _pydate(self.week_edit.date())
        monday -= dt.timedelta(days=monday.weekday())
        self.week_label.setText(self.tr("{0}（{1} 至 {2}）").format(
            self.week(), f"{monday:%m-%d}", f"{monday + dt.timedelta(days=6):%m-%d}"))

    def _schedule(self) -> None:
        """Recompute the preview shortly (choices often change several at once); drop the one under way."""
        self.runner.cancel("preview")
        self._computed = None
        self._update_buttons()
        self._refresh_timer.start()

    # --- preview ---------------------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Compute the preview of the current choices in the background."""
        self._refresh_timer.stop()
        if self.kind is None:
            return
        self._computed = None
        self._update_buttons()
        req = self.request()
        if req.source == pv.FILES and req.metrics is None and req.scores is None:
            self.runner.cancel("preview")
            self._show_sheets(())
            self._set_status(self.tr("请先导入指标表（可一次选择多个文件）。") if req.kind == pv.STARS
                             else self.tr("请先选择考核得分表。"), AMBER)
            return
        self._set_status(self.tr("正在计算预览…"))
        self.runner.submit("preview", compute_report, self.engine, self.identity, req,
                           on_done=self._on_preview, on_error=self._on_preview_error, with_task=True)

    def _on_preview(self, computed: Computed) -> None:
        self._computed = computed
        self._show_sheets(computed.sheets)
        self._set_status(*self._summary(computed))
        self._update_buttons()
        self.previewReady.emit(computed)

    def _on_preview_error(self, exc: BaseException) -> None:
        self._show_sheets(())
        text = self.error_text(exc)
        self._set_status(text, RED)
        self.previewFailed.emit(text)

    def _summary(self, c: Computed) -> tuple[str, str | None]:
        kind, r = c.request.kind, c.result
        if kind == pv.STARS:
            d = r.district
            text = self.tr("{0}：参评 {1} 人，试用期 {2} 人，季度考核奖合计 {3} 元。").format(
                r.quarter.display, d.rated, d.probation, f"{d.bonus_total:,.2f}")
            if c.missing_metrics:
                shown = "、".join(c.missing_metrics[:10]) + (" …" if len(c.missing_metrics) > 10 else "")
                text += self.tr(" {0} 名专职网格员缺少本季度指标，未参与评定：{1}。").format(
                    len(c.missing_metrics), shown)
            if c.problems:
                return text + self.tr(" 指标表有 {0} 处问题（见上表），以上仅按有效行计算；修正后才能导出。").format(
                    c.problems), AMBER
            if c.request.source == pv.DATABASE:
                text += self.tr(" 导出时同时保存本季度评定结果。")
            return text, AMBER if c.missing_metrics else None
        if kind == pv.BONUS:
            total = sum((b.total for b in r), Decimal(0))
            return self.tr("{0} 年：{1} 名网格员，年度考核奖合计 {2} 元。").format(
                c.request.year, len(r), f"{total:,.2f}"), None
        if kind == pv.FUNDING:
            text = self.tr("{0} 年：{1} 个镇街，分配经费合计 {2} 元，").format(
                c.request.year, len(r.rows), f"{r.total_allocated:,.2f}")
            text += (self.tr("超支 {0} 元。").format(f"{-r.balance:,.2f}") if r.overspent
                     else self.tr("以奖代补结余 {0} 元。").format(f"{r.balance:,.2f}"))
            if c.problems:
                return text + self.tr(" 考核得分表有 {0} 处问题（见上表）；修正后才能导出。").format(c.problems), AMBER
            return text, RED if r.overspent else None
        if kind == pv.LEDGER:
            return self.tr("共 {0} 件案件。").format(c.sheets[0].total_rows), None
        return self.tr("{0}：{1} 个镇街、{2} 个部门。").format(r.week, len(r.towns), len(r.departments)), None

    def error_text(self, exc: BaseException) -> str:
        """The message shown for a failed preview (the store's own text for a refused star rating)."""
        if isinstance(exc, store.AssessmentError):
            return str(exc)
        if isinstance(exc, ReportError):
            d = exc.details
            return {
                "no_workers": lambda: self.tr("{0}没有网格员数据。").format(*d),
                "no_stored": lambda: self.tr("{0}还没有保存的星级评定结果（由财务或管理员评定并导出后保存）。").format(*d),
                "no_results": lambda: self.tr("{0} 年没有已保存的季度星级结果（先评定并导出季度星级）。").format(*d),
                "no_towns": lambda: self.tr("{0} 年没有镇街考核得分。").format(*d),
                "no_files": lambda: self.tr("请先导入文件。"),
                "town_rating": lambda: self.tr("星级评定按全区名额统一计算，镇街账号不能发起；"
                                               "可在此检查本镇街的指标表（见上方问题与有效行）。"),
                "missing_grids": lambda: self.tr("镇街编码 {0} 未填网格数，数据库中也没有，请在“网格数”列填写。")
                .format(*d),
                "bad_workers": lambda: self.tr("网格员数据有误：{0}").format(*d),
                "bad_towns": lambda: self.tr("镇街考核得分有误：{0}").format(*d),
            }.get(exc.code, lambda: self.tr("无法生成报表：{0}").format(exc.code))()
        if isinstance(exc, PermissionError):
            return self.tr("没有权限：{0}").format(exc)
        return self.tr("出错：{0}").format(exc)

    def _show_sheets(self, sheets: Sequence[pv.PreviewSheet]) -> None:
        self.sheet_tabs.blockSignals(True)
        while self.sheet_tabs.count():
            self.sheet_tabs.removeTab(0)
        for sheet in sheets:
            self.sheet_tabs.addTab(sheet.title)
        self.sheet_tabs.setCurrentIndex(0 if sheets else -1)
        self.sheet_tabs.blockSignals(False)
        self._sheets = tuple(sheets)
        self._on_sheet_changed(0)

    def _on_sheet_changed(self, index: int) -> None:
        sheets = getattr(self, "_sheets", ())
        sheet = sheets[index] if 0 <= index < len(sheets) else None
        self.preview_model.set_sheet(sheet)
        if sheet is None:
            self.preview_info.setText("")
            return
        self.preview_view.resizeColumnsToContents()
        if sheet.truncated:
            self.preview_info.setText(self.tr("共 {0} 行，预览前 {1} 行；导出时写入全部。").format(
                sheet.total_rows, len(sheet.rows)))
        else:
            self.preview_info.setText(self.tr("共 {0} 行。").format(len(sheet.rows) - sheet.footer_rows))

    def current_sheet(self) -> pv.PreviewSheet | None:
        return self.preview_model.sheet

    @property
    def computed(self) -> Computed | None:
        return self._computed

    # --- imported files --------------------------------------------------------------------------------------
    def _choose_files(self) -> None:
        start = str(self._out_dir)
        if self.kind == pv.STARS:
            paths, _ = QFileDialog.getOpenFileNames(self, self.tr("导入镇街指标表"), start,
                                                    self.tr("Excel 工作簿 (*.xlsx)"))
        else:
            path, _ = QFileDialog.getOpenFileName(self, self.tr("选择考核得分表"), start,
                                                  self.tr("Excel 工作簿 (*.xlsx)"))
            paths = [path] if path else []
        if paths:
            self.import_files(paths)

    def import_files(self, paths: Sequence[str | os.PathLike[str]]) -> None:
        """Add metrics sheets (merged, in order) or set the scores sheet, and read them in the background."""
        kind = self.kind
        new = tuple(Path(p) for p in paths)
        if kind == pv.STARS:
            new = self._files.get(kind, ()) + tuple(p for p in new if p not in self._files.get(kind, ()))
        else:
            new = new[:1]
        self._files[kind] = new
        self._out_dir = new[0].parent if new else self._out_dir
        self.files_label.setText(self.tr("正在读取 {0} 个文件…").format(len(new)))
        self.runner.submit("import", read_inputs, kind, new, with_task=True,
                           on_done=lambda result: self._on_inputs(kind, result),
                           on_error=lambda exc: self._set_status(self.tr("无法读取文件：{0}").format(exc), RED))

    def clear_files(self) -> None:
        self.runner.cancel("import")
        self._files.pop(self.kind, None)
        self._imports.pop(self.kind, None)
        self._show_import()
        self._schedule()

    def _on_inputs(self, kind: str, result: MetricsImport | ScoresImport) -> None:
        self._imports[kind] = result
        if kind == self.kind:
            self._show_import()
            if result.problems:
                self.import_tabs.setCurrentIndex(0)
            self.refresh()
        self.inputsRead.emit(result)

    def _show_import(self) -> None:
        kind = self.kind
        files = self._files.get(kind, ())
        result = self._imports.get(kind)
        self.clear_button.setEnabled(bool(files))
        if result is None:
            self.problems_model.set_sheet(None)
            self.good_model.set_sheet(None)
            self.import_tabs.setTabText(0, self.tr("问题"))
            self.import_tabs.setTabText(1, self.tr("有效行"))
            self.files_label.setText(self.tr("尚未导入。") if not files else "")
            return
        good = pv.metrics_sheet(result.rows) if isinstance(result, MetricsImport) else pv.scores_sheet(result.rows)
        self.problems_model.set_sheet(pv.problems_sheet(result.problems))
        self.good_model.set_sheet(good)
        for view in (self.problems_view, self.good_view):
            view.resizeColumnsToContents()
        self.import_tabs.setTabText(0, self.tr("问题（{0}）").format(len(result.problems)))
        self.import_tabs.setTabText(1, self.tr("有效行（{0}）").format(len(result.rows)))
        self.import_tabs.tabBar().setTabTextColor(0, QColor(RED) if result.problems else QColor())
        names = "、".join(p.name for p in files)
        self.files_label.setText(self.tr("{0} 个文件：{1}；有效 {2} 行，问题 {3} 处。").format(
            len(files), names, len(result.rows), len(result.problems)))

    # --- export -----------------------------------------------------------------------------------------------
    def _update_buttons(self) -> None:
        c = self._computed
        self.export_button.setEnabled(c is not None and not c.problems and self._job is None)

    def default_file_name(self) -> str:
        return f"{self._file_stem(self.kind)}_{self.request().period}.xlsx"

    def _choose_output(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, self.tr("导出 Excel"), str(self._out_dir / self.default_file_name()),
                                              self.tr("Excel 工作簿 (*.xlsx)"))
        if path:
            self.export_to(path)

    def export_to(self, path: str | os.PathLike[str]) -> bool:
        """Export the previewed report to `path` in the background, with a progress dialog."""
        c = self._computed
        if c is None or c.problems or self._job is not None:
            return False
        path = Path(path)
        if path.suffix.lower() != ".xlsx":
            path = path.with_name(path.name + ".xlsx")
        inputs = self._files.get(c.request.kind, ()) if c.request.source == pv.FILES else ()
        problem = None
        if not path.parent.is_dir():
            problem = self.tr("输出目录不存在：{0}").format(path.parent)
        elif path.is_dir():
            problem = self.tr("输出路径是一个文件夹：{0}").format(path)
        elif any(p.exists() and path.exists() and p.resolve() == path.resolve() for p in inputs):
            problem = self.tr("输出文件不能覆盖输入文件：{0}").format(path)
        if problem:
            self._set_status(problem, RED)
            return False
        self._out_dir = path.parent
        self._job = ExportJob(path)
        self._total = c.sheets[0].total_rows if c.request.kind == pv.LEDGER else None
        dialog = QProgressDialog(self.tr("正在导出 {0}…").format(path.name), self.tr("取消"), 0,
                                 100 if self._total else 0, self)
        dialog.setWindowTitle(self.tr("导出 Excel"))
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.setMinimumDuration(0)
        dialog.canceled.connect(self._on_export_cancel)
        dialog.show()
        self._progress = dialog
        self._update_buttons()
        self._set_status(self.tr("正在导出…"))
        self.runner.submit("export", export_report, self.engine, self.identity, c, self._job, self.ledger_max_rows,
                           on_done=self._on_exported, on_error=self._on_export_error,
                           on_progress=self._on_export_progress, with_task=True)
        return True

    @property
    def progress_dialog(self) -> QProgressDialog | None:
        return self._progress

    def _on_export_progress(self, fraction: float, text: str) -> None:
        if self._progress is None:
            return
        if self._total:
            self._progress.setValue(int(fraction * 100))
            self._progress.setLabelText(self.tr("已写入 {0} / {1} 行…").format(text or "0", self._total))

    def _close_progress(self) -> None:
        dialog, self._progress = self._progress, None
        if dialog is not None:
            dialog.canceled.disconnect(self._on_export_cancel)
            dialog.close()
            dialog.deleteLater()

    def _on_export_cancel(self) -> None:
        if self._job is None:
            return
        self.runner.cancel("export")  # the writer stops at its next row; its answer is dropped
        self._set_status(self.tr("正在取消…"), AMBER)
        self._cancel_poll.start()

    def _poll_cancelled(self) -> None:
        job = self._job
        if job is None or not job.finished.is_set():
            return
        self._cancel_poll.stop()
        if job.result is not None:  # it had finished before the cancel reached it
            self._on_exported(job.result)
            return
        self._job = None
        self._close_progress()
        self._update_buttons()
        self._set_status(self.tr("已取消，未生成文件。"), AMBER)
        self.exportCancelled.emit()

    def _on_exported(self, result: ExportResult) -> None:
        self._job = None
        self._cancel_poll.stop()
        self._close_progress()
        self.last_export = result.path
        self.open_folder_button.setEnabled(True)
        text = self.tr("已导出：{0}").format(result.path)
        if result.rows is not None:
            text += self.tr("（{0} 行，{1} 个工作表）").format(result.rows, len(result.sheets))
        if result.stored:
            text += self.tr("；已保存 {0} 名网格员的本季度评定结果。").format(result.stored)
        self._set_status(text)
        self._update_buttons()
        self.exportFinished.emit(result)

    def _on_export_error(self, exc: BaseException) -> None:
        self._job = None
        self._close_progress()
        self._update_buttons()
        if isinstance(exc, OSError):
            text = self.tr("无法写入 {0}：{1}").format(getattr(exc, "filename", "") or "", exc.strerror or exc)
        else:
            text = self.error_text(exc)
        self._set_status(self.tr("导出失败，未生成文件：{0}").format(text), RED)
        self.exportFailed.emit(text)

    def open_folder(self) -> None:
        if self.last_export is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.last_export.parent)))

    # --- misc -------------------------------------------------------------------------------------------------
    def _set_status(self, text: str, colour: str | None = None) -> None:
        self.status.setText(text)
        self.status.setStyleSheet(f"color: {colour};" if colour else "")

    def closeEvent(self, event: Any) -> None:  # noqa: N802 (Qt)
        self._refresh_timer.stop()
        self._cancel_poll.stop()
        if self._job is not None:
            self.runner.cancel("export")
        self.runner.shutdown(5000)
        super().closeEvent(event)


__all__ = ["Computed", "ExportJob", "ExportResult", "PreviewModel", "ReportError", "ReportRequest", "ReportsPanel",
           "compute_report", "export_report", "read_inputs"]
