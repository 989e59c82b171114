"""The periods the KPI dashboard and the weekly bulletin look at (issue 6).

`Period` is days [date_from, date_to) of a kind in `PERIOD_KINDS`; `period_of()` finds the period of a
kind containing a day, `iso_week()` reads "2026-W47". A period's change on the dashboard compares the
previous period of the same kind (`Period.previous()`) evaluated the same time earlier
(`Period.previous_asof()`): today → yesterday at this time, this week → last week … (README "KPI
dashboard"). `TREND_DAYS` are the lengths the daily trend offers; `real_now()` is the wall clock a
live snapshot is taken at.
"""

from __future__ import annotations

import dataclasses as dc
import datetime as dt

PERIOD_KINDS = ("today", "week", "month", "quarter", "year", "custom")
TREND_DAYS = (30, 90, 365)


@dc.dataclass(frozen=True)
class Period:
    """Days [date_from, date_to) of a kind the dashboard offers."""

    kind: str
    date_from: dt.date
    date_to: dt.date

    def __post_init__(self) -> None:
        if self.kind not in PERIOD_KINDS:
            raise ValueError(f"unknown period kind {self.kind!r}")
        if self.date_to <= self.date_from:
            raise ValueError("a period must end after it starts")

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.date_from, dt.time())

    @property
    def end(self) -> dt.datetime:
        return dt.datetime.combine(self.date_to, dt.time())

    def previous(self) -> Period:
        """The period of the same kind just before this one."""
        f = self.date_from
        if self.kind == "month":
            return Period("month", _add_months(f, -1), f)
        if self.kind == "quarter":
            return Period("quarter", _add_months(f, -3), f)
        if self.kind == "year":
            return Period("year", f.replace(year=f.year - 1), f)
        return Period(self.kind, f - dt.timedelta(days=self.days), f)

    def previous_asof(self, asof: dt.datetime) -> dt.datetime:
        """`asof` moved back by the distance between the two periods' starts."""
        return asof - (self.date_from - self.previous().date_from)

    def label(self) -> str:
        """ISO week "2026-W47", month "2026-11", quarter "2026Q4", year "2026", else the dates."""
        f = self.date_from
        if self.kind == "week" and f.weekday() == 0:
            y, w, _ = f.isocalendar()
            return f"{y}-W{w:02d}"
        if self.kind == "month":
            return f"{f:%Y-%m}"
        if self.kind == "quarter":
            return f"{f.year}Q{(f.month - 1) // 3 + 1}"
        if self.kind == "year":
            return str(f.year)
        last = self.date_to - dt.timedelta(days=1)
        return f.isoformat() if last == f else f"{f.isoformat()}~{last.isoformat()}"


def _add_months(d: dt.date, n: int) -> dt.date:
    m = d.year * 12 + d.month - 1 + n
    return dt.date(m // 12, m % 12 + 1, 1)


def period_of(kind: str, today: dt.date, date_from: dt.date | None = None,
              date_to: dt.date | None = None) -> Period:
    """The period of `kind` containing `today` (custom: the given dates, `date_to` exclusive)."""
    if kind == "today":
        return Period(kind, today, today + dt.timedelta(days=1))
    if kind == "week":
        monday = today - dt.timedelta(days=today.weekday())
        return Period(kind, monday, monday + dt.timedelta(days=7))
    if kind == "month":
        first = today.replace(day=1)
        return Period(kind, first, _add_months(first, 1))
    if kind == "quarter":
        first = dt.date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
        return Period(kind, first, _add_months(first, 3))
    if kind == "year":
        return Period(kind, dt.date(today.year, 1, 1), dt.date(today.year + 1, 1, 1))
    if kind == "custom":
        if date_from is None or date_to is None:
            raise ValueError("a custom period needs both dates")
        return Period(kind, date_from, date_to)
    raise ValueError(f"unknown period kind {kind!r}")


def iso_week(label: str) -> Period:
    """"2026-W47" → the Monday-to-Monday period of that ISO week."""
    try:
        year, week = label.upper().split("-W")
        monday = dt.date.fromisocalendar(int(year), int(week), 1)
    except ValueError as exc:
        raise ValueError(f"not an ISO week (YYYY-Www): {label!r}") from exc
    return Period("week", monday, monday + dt.timedelta(days=7))


def real_now() -> dt.datetime:
    """The wall clock to the second: what a live snapshot is taken as of."""
    return dt.datetime.now().replace(microsecond=0)


__all__ = ["PERIOD_KINDS", "TREND_DAYS", "Period", "iso_week", "period_of", "real_now"]
