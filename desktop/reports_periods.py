"""The reports panel's period: a year and quarter (star rating), a year (bonus, funding), a date range
(ledger, end exclusive as `--to`) or an ISO week (bulletin, picked by any day of it and shown as
"2026-W47（11-16 至 11-22）"). Defaults: the last quarter and the last week that are over."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import QComboBox, QDateEdit, QHBoxLayout, QLabel, QSpinBox, QStackedWidget, QWidget

from models.assessment import Quarter
from reports import preview as pv

QUARTER_PAGE, YEAR_PAGE, RANGE_PAGE, WEEK_PAGE = range(4)
PAGE_OF = {pv.STARS: QUARTER_PAGE, pv.BONUS: YEAR_PAGE, pv.FUNDING: YEAR_PAGE, pv.LEDGER: RANGE_PAGE,
           pv.BULLETIN: WEEK_PAGE}


def last_quarter(today: dt.date) -> Quarter:
    q = (today.month - 1) // 3 + 1
    return Quarter(today.year - 1, 4) if q == 1 else Quarter(today.year, q - 1)


def last_complete_week(today: dt.date) -> dt.date:
    """The Monday of the last ISO week that is over (the week before the one holding `today`)."""
    return today - dt.timedelta(days=today.weekday() + 7)


def iso_week_label(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def qdate(d: dt.date) -> QDate:
    return QDate(d.year, d.month, d.day)


def pydate(q: QDate) -> dt.date:
    return dt.date(q.year(), q.month(), q.day())


def _row(page: QWidget) -> QHBoxLayout:
    layout = QHBoxLayout(page)
    layout.setContentsMargins(0, 0, 0, 0)
    return layout


class PeriodPicker(QStackedWidget):
    """One page per kind of period; `show_for(kind)` turns to the report's page. `changed` on any edit."""

    changed = Signal()

    def __init__(self, today: dt.date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        last = last_quarter(today)
        quarter_page = QWidget()
        ql = _row(quarter_page)
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
        self.year_spin.setValue(today.year)
        self.year_spin.setSuffix(self.tr(" 年"))

        range_page = QWidget()
        rl = _row(range_page)
        first = today.replace(day=1)
        following = (first + dt.timedelta(days=32)).replace(day=1)
        self.from_edit, self.to_edit = QDateEdit(qdate(first)), QDateEdit(qdate(following))
        for edit in (self.from_edit, self.to_edit):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
        rl.addWidget(self.from_edit)
        rl.addWidget(QLabel(self.tr("至")))
        rl.addWidget(self.to_edit)
        rl.addWidget(QLabel(self.tr("（不含截止日）")))

        week_page = QWidget()
        wl = _row(week_page)
        self.week_edit = QDateEdit(qdate(last_complete_week(today)))
        self.week_edit.setObjectName("weekEdit")
        self.week_edit.setCalendarPopup(True)
        self.week_edit.setDisplayFormat("yyyy-MM-dd")
        self.week_label = QLabel()
        wl.addWidget(self.week_edit)
        wl.addWidget(self.week_label)
        for page in (quarter_page, self.year_spin, range_page, week_page):
            self.addWidget(page)
        self._update_week_label()

        for signal in (self.quarter_year.valueChanged, self.quarter_combo.currentIndexChanged,
                       self.year_spin.valueChanged, self.from_edit.dateChanged, self.to_edit.dateChanged):
            signal.connect(self.changed)
        self.week_edit.dateChanged.connect(self._on_week_changed)

    def show_for(self, kind: str) -> None:
        self.setCurrentIndex(PAGE_OF[kind])

    # --- the period chosen -------------------------------------------------------------------------------
    def quarter(self) -> Quarter:
        return Quarter(self.quarter_year.value(), self.quarter_combo.currentData())

    def year(self) -> int:
        return self.year_spin.value()

    def date_range(self) -> tuple[dt.date, dt.date]:
        """From and to (exclusive)."""
        return pydate(self.from_edit.date()), pydate(self.to_edit.date())

    def week(self) -> str:
        """The ISO week chosen, "2026-W47"."""
        return iso_week_label(pydate(self.week_edit.date()))

    def set_initial(self, kind: str, value: Any) -> None:
        """Start on `value` of `kind` ("2026-W47", "2026Q3", 2026); a malformed value is ignored."""
        try:
            if kind == pv.BULLETIN and value:
                year, week = str(value).upper().split("-W")
                self.week_edit.setDate(qdate(dt.date.fromisocalendar(int(year), int(week), 1)))
            elif kind == pv.STARS and value:
                q = Quarter.parse(str(value))
                self.quarter_year.setValue(q.year)
                self.quarter_combo.setCurrentIndex(q.number - 1)
            elif kind in (pv.BONUS, pv.FUNDING) and value:
                self.year_spin.setValue(int(value))
        except ValueError:
            pass

    # --- the week's label ----------------------------------------------------------------------------------
    def _on_week_changed(self, *_: Any) -> None:
        self._update_week_label()
        self.changed.emit()

    def _update_week_label(self) -> None:
        monday = pydate(self.week_edit.date())
        monday -= dt.timedelta(days=monday.weekday())
        self.week_label.setText(self.tr("{0}（{1} 至 {2}）").format(
            self.week(), f"{monday:%m-%d}", f"{monday + dt.timedelta(days=6):%m-%d}"))


__all__ = ["PeriodPicker", "iso_week_label", "last_complete_week", "last_quarter", "pydate", "qdate"]
