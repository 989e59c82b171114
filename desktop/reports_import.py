"""The reports panel's imported files: the towns' metrics sheets (several, merged in order) for a
star rating, or one scores sheet for the funding, read in the background. Every problem is listed
with file, row, column and reason (问题), the usable rows beside them (有效行)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QPushButton, QTabWidget, QVBoxLayout, QWidget

from desktop.report_jobs import read_inputs
from desktop.reports_table import RED, PreviewModel, make_table
from reports import preview as pv
from reports.metrics_sheet import MetricsImport, ScoresImport


class ImportBox(QGroupBox):
    """The files imported for each report kind and what was read from them; `set_kind` shows a kind's."""

    inputsRead = Signal(str, object)  # kind, MetricsImport | ScoresImport
    readFailed = Signal(str)  # the message

    def __init__(self, runner: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("导入的文件"))
        self.runner = runner  # the panel's TaskRunner
        self.kind: str | None = None
        self._files: dict[str, tuple[Path, ...]] = {}
        self._imports: dict[str, MetricsImport | ScoresImport] = {}
        box = QVBoxLayout(self)
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
        self.problems_view = make_table(self.problems_model, "problemsView")
        self.good_view = make_table(self.good_model, "goodRowsView")
        self.problems_view.horizontalHeader().setStretchLastSection(True)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.problems_view, self.tr("问题"))
        self.tabs.addTab(self.good_view, self.tr("有效行"))
        box.addWidget(self.tabs)

    def set_kind(self, kind: str) -> None:
        self.kind = kind
        self.import_button.setText(self.tr("导入指标表…") if kind == pv.STARS else self.tr("选择考核得分表…"))
        self._show()

    def files(self, kind: str | None) -> tuple[Path, ...]:
        return self._files.get(kind, ()) if kind else ()

    def imported(self, kind: str | None) -> MetricsImport | ScoresImport | None:
        return self._imports.get(kind) if kind else None

    def import_files(self, paths: Sequence[str | os.PathLike[str]]) -> tuple[Path, ...]:
        """Add metrics sheets (merged, in order) or set the scores sheet of the current kind, and read them in
        the background; returns the kind's files."""
        kind = self.kind
        new = tuple(Path(p) for p in paths)
        if kind == pv.STARS:
            new = self.files(kind) + tuple(p for p in new if p not in self.files(kind))
        else:
            new = new[:1]
        self._files[kind] = new
        self.files_label.setText(self.tr("正在读取 {0} 个文件…").format(len(new)))
        self.runner.submit("import", read_inputs, kind, new, with_task=True,
                           on_done=lambda result: self._on_inputs(kind, result),
                           on_error=lambda exc: self.readFailed.emit(self.tr("无法读取文件：{0}").format(exc)))
        return new

    def clear(self) -> None:
        """Forget the current kind's files."""
        self.runner.cancel("import")
        self._files.pop(self.kind, None)
        self._imports.pop(self.kind, None)
        self._show()

    def _on_inputs(self, kind: str, result: MetricsImport | ScoresImport) -> None:
        self._imports[kind] = result
        if kind == self.kind:
            self._show()
            if result.problems:
                self.tabs.setCurrentIndex(0)
        self.inputsRead.emit(kind, result)

    def _show(self) -> None:
        files, result = self.files(self.kind), self.imported(self.kind)
        self.clear_button.setEnabled(bool(files))
        if result is None:
            self.problems_model.set_sheet(None)
            self.good_model.set_sheet(None)
            self.tabs.setTabText(0, self.tr("问题"))
            self.tabs.setTabText(1, self.tr("有效行"))
            self.files_label.setText(self.tr("尚未导入。") if not files else "")
            return
        good = pv.metrics_sheet(result.rows) if isinstance(result, MetricsImport) else pv.scores_sheet(result.rows)
        self.problems_model.set_sheet(pv.problems_sheet(result.problems))
        self.good_model.set_sheet(good)
        for view in (self.problems_view, self.good_view):
            view.resizeColumnsToContents()
        self.tabs.setTabText(0, self.tr("问题（{0}）").format(len(result.problems)))
        self.tabs.setTabText(1, self.tr("有效行（{0}）").format(len(result.rows)))
        self.tabs.tabBar().setTabTextColor(0, QColor(RED) if result.problems else QColor())
        names = "、".join(p.name for p in files)
        self.files_label.setText(self.tr("{0} 个文件：{1}；有效 {2} 行，问题 {3} 处。").format(
            len(files), names, len(result.rows), len(result.problems)))


__all__ = ["ImportBox"]
