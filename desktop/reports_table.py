"""The reports panel's tables: a `reports.preview.PreviewSheet` in a `QTableView`, with Excel's texts,
raw values under `Qt.UserRole`, totals bold and alerts (超支) red; rows are fetched in chunks."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

from reports import preview as pv

RED, AMBER = "#c00000", "#b36b00"


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


def make_table(model: QAbstractTableModel, name: str) -> QTableView:
    view = QTableView()
    view.setObjectName(name)
    view.setModel(model)
    view.setAlternatingRowColors(True)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.verticalHeader().setDefaultSectionSize(24)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    return view


__all__ = ["AMBER", "RED", "PreviewModel", "make_table"]
