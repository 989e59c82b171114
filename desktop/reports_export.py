"""The reports panel's export: one previewed report written in the background (`report_jobs.export_report`)
behind a progress dialog that can cancel it. The weekly bulletin writes its workbook and its one-page
PDF beside it (same name, .pdf), both or neither. A cancelled or failed export leaves no file, and an
existing file of the same name untouched."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

from desktop.bulletin_export import PDF, WORKBOOK, pdf_path_for
from desktop.report_jobs import Computed, ExportJob, ExportResult, export_report
from models.auth import Identity
from reports import preview as pv
from reports.workbook import EXCEL_MAX_ROWS


class ReportExport(QObject):
    """Runs one export at a time on the panel's runner; tells the outcome with a status text."""

    finished = Signal(object, str)  # ExportResult, the status text
    cancelling = Signal(str)  # the status text while the writer stops
    cancelled = Signal(str)  # the status text
    failed = Signal(str, str)  # the reason, the status text

    def __init__(self, runner: Any, engine: Any, identity: Identity, parent: QWidget,
                 error_text: Callable[[BaseException], str]) -> None:
        super().__init__(parent)
        self.runner, self.engine, self.identity = runner, engine, identity
        self._window = parent
        self._error_text = error_text  # the panel's message for a report that cannot be made
        self.job: ExportJob | None = None
        self.dialog: QProgressDialog | None = None
        self._kind: str | None = None
        self._total: int | None = None
        self._cancel_poll = QTimer(self)
        self._cancel_poll.setInterval(50)
        self._cancel_poll.timeout.connect(self._poll_cancelled)

    @property
    def busy(self) -> bool:
        return self.job is not None

    @staticmethod
    def targets(kind: str, path: str | Path) -> tuple[Path, Path | None]:
        """The workbook (.xlsx added when missing) and, for the bulletin, the PDF beside it."""
        path = Path(path)
        if path.suffix.lower() != ".xlsx":
            path = path.with_name(path.name + ".xlsx")
        return path, pdf_path_for(path) if kind == pv.BULLETIN else None

    def problem(self, kind: str, path: str | Path, inputs: Sequence[Path] = ()) -> str | None:
        """Why the report cannot be written to `path` (None: it can)."""
        workbook, pdf = self.targets(kind, path)
        if not workbook.parent.is_dir():
            return self.tr("输出目录不存在：{0}").format(workbook.parent)
        for target in (workbook, pdf):
            if target is not None and target.is_dir():
                return self.tr("输出路径是一个文件夹：{0}").format(target)
        if any(p.exists() and workbook.exists() and p.resolve() == workbook.resolve() for p in inputs):
            return self.tr("输出文件不能覆盖输入文件：{0}").format(workbook)
        return None

    def start(self, computed: Computed, path: str | Path, max_rows: int = EXCEL_MAX_ROWS) -> None:
        """Export `computed` (checked with `problem` first) with a progress dialog."""
        kind = computed.request.kind
        workbook, pdf = self.targets(kind, path)
        self.job = ExportJob(workbook, pdf)
        self._kind = kind
        self._total = computed.sheets[0].total_rows if kind == pv.LEDGER else None
        names = workbook.name if pdf is None else f"{workbook.name}、{pdf.name}"
        dialog = QProgressDialog(self.tr("正在导出 {0}…").format(names), self.tr("取消"), 0,
                                 100 if self._total or pdf is not None else 0, self._window)
        dialog.setWindowTitle(self.tr("导出 Excel") if pdf is None else self.tr("导出 Excel 和 PDF"))
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.setMinimumDuration(0)
        dialog.canceled.connect(self._on_cancel)
        dialog.show()
        self.dialog = dialog
        self.runner.submit("export", export_report, self.engine, self.identity, computed, self.job, max_rows,
                           on_done=self._on_done, on_error=self._on_error, on_progress=self._on_progress,
                           with_task=True)

    def cancel(self) -> None:
        """Stop the export under way (the dialog's 取消); the answer comes through `cancelled` or `finished`."""
        self._on_cancel()

    def shutdown(self) -> None:
        self._cancel_poll.stop()
        if self.job is not None:
            self.runner.cancel("export")

    # --- while it runs -------------------------------------------------------------------------------------
    def _on_progress(self, fraction: float, text: str) -> None:
        # A local reference: a modal QProgressDialog's setValue() runs the event loop, in which the
        # job may finish and `_on_done` drop `self.dialog`. The label is set first for the same reason.
        dialog = self.dialog
        if dialog is None:
            return
        if self._total:
            dialog.setLabelText(self.tr("已写入 {0} / {1} 行…").format(text or "0", self._total))
            dialog.setValue(int(fraction * 100))
        elif self._kind == pv.BULLETIN:
            step = {WORKBOOK: self.tr("正在写出 Excel 工作簿…"), PDF: self.tr("正在绘制一页 PDF…")}.get(text)
            if step:
                dialog.setLabelText(step)
            dialog.setValue(int(fraction * 100))

    def _on_cancel(self) -> None:
        if self.job is None:
            return
        self.runner.cancel("export")  # the writer stops at its next row or step; its answer is dropped
        self.cancelling.emit(self.tr("正在取消…"))
        self._cancel_poll.start()

    def _poll_cancelled(self) -> None:
        job = self.job
        if job is None or not job.finished.is_set():
            return
        self._cancel_poll.stop()
        if job.result is not None:  # it had finished before the cancel reached it
            self._on_done(job.result)
            return
        self._end()
        self.cancelled.emit(self.tr("已取消，未生成文件。"))

    # --- the outcome -------------------------------------------------------------------------------------------
    def _end(self) -> None:
        self.job = None
        self._cancel_poll.stop()
        dialog, self.dialog = self.dialog, None
        if dialog is not None:
            dialog.canceled.disconnect(self._on_cancel)
            dialog.close()
            dialog.deleteLater()

    def _on_done(self, result: ExportResult) -> None:
        self._end()
        text = self.tr("已导出：{0}").format(result.path)
        if result.pdf is not None:
            text = self.tr("已导出：{0} 和一页 PDF {1}").format(result.path, result.pdf.name)
        if result.rows is not None:
            text += self.tr("（{0} 行，{1} 个工作表）").format(result.rows, len(result.sheets))
        if result.stored:
            text += self.tr("；已保存 {0} 名网格员的本季度评定结果。").format(result.stored)
        self.finished.emit(result, text)

    def _on_error(self, exc: BaseException) -> None:
        self._end()
        if isinstance(exc, OSError):
            reason = self.tr("无法写入 {0}：{1}").format(getattr(exc, "filename", "") or "", exc.strerror or exc)
        else:
            reason = self._error_text(exc)
        self.failed.emit(reason, self.tr("导出失败，未生成文件：{0}").format(reason))


__all__ = ["ReportExport"]
