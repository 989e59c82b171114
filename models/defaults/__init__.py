"""Seed data shipped with GridDesk: the official holiday schedules and a calendar from them."""

from __future__ import annotations

from collections.abc import Iterable

from models.defaults.cn_holidays import HOLIDAYS, default_calendar_rows, known_years
from models.policy import WorkHours
from models.workcalendar import WorkCalendar

__all__ = ["HOLIDAYS", "default_calendar_rows", "default_work_calendar", "known_years"]


def default_work_calendar(
    work_hours: WorkHours = WorkHours(), years: Iterable[int] | None = None
) -> WorkCalendar:
    """A WorkCalendar with the official schedules of `years` (default: all known)."""
    rows = [row for y in (known_years() if years is None else years) for row in default_calendar_rows(y)]
    return WorkCalendar.from_rows(rows, work_hours)
