"""The reports panel (issue 7 "In the GUI"): choose a report and its period, preview
it, export it to Excel with a progress dialog, open the file's folder.

Finance and administrators get every report; a town officer their town's ledger, their
town's rows of a stored star rating (a rating itself is refused, the quotas being
district-wide) and the weekly bulletin of their town, as `griddesk report bulletin --user`
gives it; a shift leader the ledger and the weekly bulletin. The bulletin is exported as
the workbook and its one-page PDF with the charts, both written as the CLI writes them.
Star ratings come from the database or from the towns' metrics sheets, imported
several at once and merged; duplicates and bad rows are listed with file, row,
column and reason.

All work runs through `TaskRunner` (STYLE §3): `read_inputs`, `compute_report`
and `export_report` are module-level functions that open their own Session and
return frozen snapshots. The preview holds the computed result; the export
writes exactly what was previewed (the ledger, streamed, is read again).
The parts: desktop/reports_periods.py (the period), reports_import.py (the imported
files), reports_table.py (the tables), reports_texts.py (names and messages),
reports_export.py (the export and its progress).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QProgressDialog,
    QSplitter,
    QTabBar,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

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
from desktop.reports_export import ReportExport
from desktop.reports_import import ImportBox
from desktop.reports_periods import PeriodPicker
from desktop.reports_table import AMBER, RED, PreviewModel, make_table
from desktop.reports_texts import ReportTexts
from desktop.workers import TaskRunner
from models.auth import Identity
from models.reference import towns as scoped_towns
from reports import preview as pv
from reports.metrics_sheet import MetricsImport, ScoresImport
from reports.workbook import EXCEL_MAX_ROWS

DEBOUNCE_MS = 300


def offered_reports(identity: Identity) -> tuple[str, ...]:
    """The reports of `reports.preview.reports_for`, the bulletin only where its PDF renderer is installed."""
    return pv.reports_for(identity.role, bulletin=write_bulletin_workbook is not None)


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
        self.kinds = offered_reports(identity)
        self._computed: Computed | None = None
        self.last_export: Path | None = None
        self.last_files: tuple[Path, ...] = ()  # what the last export wrote (the bulletin: workbook and PDF)
        self._out_dir = Path.home()
        with Session(engine) as s:  # a handful of rows: the towns this identity may see
            self._towns = scoped_towns(s, identity)
        self.texts = ReportTexts(self)
        self.exporter = ReportExport(self.runner, engine, identity, self, self.error_text)
        self._build()
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(DEBOUNCE_MS)
        self._refresh_timer.timeout.connect(self.refresh)
        self._wire()
        if initial is not None and initial[0] in self.kinds:
            self.report_combo.blockSignals(True)
            self.report_combo.setCurrentIndex(self.kinds.index(initial[0]))
            self.report_combo.blockSignals(False)
            self.periods.set_initial(*initial)
        self._on_report_changed()
        self.resize(1180, 720)

    # --- building ------------------------------------------------------------------------------------
    def _build(self) -> None:
        top = QHBoxLayout()
        self.report_combo = QComboBox()
        for kind in self.kinds:
            self.report_combo.addItem(self.texts.report_name(kind), kind)
        top.addWidget(QLabel(self.tr("报表")))
        top.addWidget(self.report_combo)
        top.addSpacing(12)
        top.addWidget(QLabel(self.tr("期间")))
        self.periods = PeriodPicker(self.today)
        self.from_edit, self.to_edit, self.week_edit = (self.periods.from_edit, self.periods.to_edit,
                                                        self.periods.week_edit)
        top.addWidget(self.periods)
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

        self.import_box = ImportBox(self.runner)
        self.import_button, self.clear_button = self.import_box.import_button, self.import_box.clear_button
        self.files_label, self.import_tabs = self.import_box.files_label, self.import_box.tabs
        self.problems_model, self.good_model = self.import_box.problems_model, self.import_box.good_model

        preview_box = QGroupBox(self.tr("预览"))
        pbox = QVBoxLayout(preview_box)
        self.sheet_tabs = QTabBar()
        self.sheet_tabs.setExpanding(False)
        self.preview_model = PreviewModel(self)
        self.preview_view = make_table(self.preview_model, "previewView")
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

    def _wire(self) -> None:
        self.report_combo.currentIndexChanged.connect(self._on_report_changed)
        self.source_combo.currentIndexChanged.connect(self._on_source_changed)
        self.periods.changed.connect(self._schedule)
        self.town_combo.currentIndexChanged.connect(self._schedule)
        self.preview_button.clicked.connect(self.refresh)
        self.import_button.clicked.connect(self._choose_files)
        self.clear_button.clicked.connect(self.clear_files)
        self.import_box.inputsRead.connect(self._on_inputs)
        self.import_box.readFailed.connect(lambda text: self._set_status(text, RED))
        self.sheet_tabs.currentChanged.connect(self._on_sheet_changed)
        self.export_button.clicked.connect(self._choose_output)
        self.open_folder_button.clicked.connect(self.open_folder)
        self.close_button.clicked.connect(self.close)
        self.exporter.finished.connect(self._on_exported)
        self.exporter.cancelling.connect(lambda text: self._set_status(text, AMBER))
        self.exporter.cancelled.connect(self._on_export_cancelled)
        self.exporter.failed.connect(self._on_export_failed)

    # --- the request --------------------------------------------------------------------------------------
    @property
    def kind(self) -> str | None:
        return self.report_combo.currentData()

    @property
    def source(self) -> str:
        return self.source_combo.currentData() or pv.DATABASE

    def week(self) -> str:
        return self.periods.week()

    def request(self) -> ReportRequest:
        kind, source = self.kind, self.source
        imported = self.import_box.imported(kind) if source == pv.FILES else None
        date_from, date_to = self.periods.date_range()
        return ReportRequest(
            kind, source, quarter=self.periods.quarter(), year=self.periods.year(),
            date_from=date_from, date_to=date_to,
            town=self.town_combo.currentData() if kind == pv.LEDGER else None,
            week=self.periods.week(),
            metrics=imported if isinstance(imported, MetricsImport) else None,
            scores=imported if isinstance(imported, ScoresImport) else None,
            files=tuple(p.name for p in self.import_box.files(kind)) if imported is not None else ())

    # --- reacting to choices --------------------------------------------------------------------------------
    def _on_report_changed(self, *_: Any) -> None:
        kind = self.kind
        if kind is None:
            return
        self.periods.show_for(kind)
        self.town_label.setVisible(kind == pv.LEDGER)
        self.town_combo.setVisible(kind == pv.LEDGER)
        sources = pv.sources_for(self.identity.role, kind)
        self.source_combo.blockSignals(True)
        self.source_combo.clear()
        for source in sources:
            self.source_combo.addItem(self.texts.source_name(kind, source, scoped=self.identity.scoped), source)
        self.source_combo.blockSignals(False)
        self.source_label.setVisible(len(sources) > 1)
        self.source_combo.setVisible(len(sources) > 1)
        self.export_button.setText(self.tr("导出 Excel 和 PDF…") if kind == pv.BULLETIN else self.tr("导出 Excel…"))
        self._on_source_changed()

    def _on_source_changed(self, *_: Any) -> None:
        self.import_box.setVisible(self.source == pv.FILES)
        self.import_box.set_kind(self.kind)
        self._schedule()

    def _schedule(self, *_: Any) -> None:
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
        self._set_status(*self.texts.summary(computed))
        self._update_buttons()
        self.previewReady.emit(computed)

    def _on_preview_error(self, exc: BaseException) -> None:
        self._show_sheets(())
        text = self.error_text(exc)
        self._set_status(text, RED)
        self.previewFailed.emit(text)

    def error_text(self, exc: BaseException) -> str:
        """The message shown for a failed preview (the store's own text for a refused star rating)."""
        return self.texts.error_text(exc)

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
        files = self.import_box.import_files(paths)
        self._out_dir = files[0].parent if files else self._out_dir

    def clear_files(self) -> None:
        self.import_box.clear()
        self._schedule()

    def _on_inputs(self, kind: str, result: MetricsImport | ScoresImport) -> None:
        if kind == self.kind:
            self.refresh()
        self.inputsRead.emit(result)

    # --- export -----------------------------------------------------------------------------------------------
    def _update_buttons(self) -> None:
        c = self._computed
        self.export_button.setEnabled(c is not None and not c.problems and not self.exporter.busy)

    def default_file_name(self) -> str:
        return f"{self.texts.file_stem(self.kind)}_{self.request().period}.xlsx"

    def _choose_output(self) -> None:
        title = self.tr("导出 Excel 和 PDF（PDF 与工作簿同名，写在同一文件夹）") if self.kind == pv.BULLETIN \
            else self.tr("导出 Excel")
        path, _ = QFileDialog.getSaveFileName(self, title, str(self._out_dir / self.default_file_name()),
                                              self.tr("Excel 工作簿 (*.xlsx)"))
        if path:
            self.export_to(path)

    def export_to(self, path: str | os.PathLike[str]) -> bool:
        """Export the previewed report to `path` in the background, with a progress dialog; the bulletin also
        writes its one-page PDF beside it (`path` ending in .pdf)."""
        c = self._computed
        if c is None or c.problems or self.exporter.busy:
            return False
        kind = c.request.kind
        inputs = self.import_box.files(kind) if c.request.source == pv.FILES else ()
        problem = self.exporter.problem(kind, path, inputs)
        if problem:
            self._set_status(problem, RED)
            return False
        self._out_dir = self.exporter.targets(kind, path)[0].parent
        self.exporter.start(c, path, self.ledger_max_rows)
        self._update_buttons()
        self._set_status(self.tr("正在导出…"))
        return True

    @property
    def progress_dialog(self) -> QProgressDialog | None:
        return self.exporter.dialog

    def _on_exported(self, result: ExportResult, text: str) -> None:
        self.last_export, self.last_files = result.path, result.files
        self.open_folder_button.setEnabled(True)
        self.open_folder_button.setToolTip("\n".join(str(f) for f in result.files))
        self._set_status(text)
        self._update_buttons()
        self.exportFinished.emit(result)

    def _on_export_cancelled(self, text: str) -> None:
        self._update_buttons()
        self._set_status(text, AMBER)
        self.exportCancelled.emit()

    def _on_export_failed(self, reason: str, text: str) -> None:
        self._update_buttons()
        self._set_status(text, RED)
        self.exportFailed.emit(reason)

    def open_folder(self) -> None:
        """Open the folder of the last export (the bulletin's workbook and PDF are both in it)."""
        if self.last_export is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.last_export.parent)))

    # --- misc -------------------------------------------------------------------------------------------------
    def _set_status(self, text: str, colour: str | None = None) -> None:
        self.status.setText(text)
        self.status.setStyleSheet(f"color: {colour};" if colour else "")

    def closeEvent(self, event: Any) -> None:  # noqa: N802 (Qt)
        self._refresh_timer.stop()
        self.exporter.shutdown()
        self.runner.shutdown(5000)
        super().closeEvent(event)


__all__ = ["Computed", "ExportJob", "ExportResult", "PreviewModel", "ReportError", "ReportRequest", "ReportsPanel",
           "compute_report", "export_report", "offered_reports", "read_inputs"]
