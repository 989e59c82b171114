"""Work calendar and deadline arithmetic for the step timers (DOMAIN §3–§4).

Working time is laid out on one *working-time axis*: ``F(t)`` is the number of
working microseconds between a fixed origin (0001-01-01, a Monday) and ``t``.
Working days are Mon–Fri unless a holiday, plus make-up working days (调休上班)
that fall on weekends; working time is the policy's working periods of a working
day (default 08:30–12:00 and 13:30–17:30, 7.5 h).

- ``elapsed(s, e)`` for the working units is ``F(e) - F(s)`` in hours or in
  working days (one working day = the length of all periods of one day).
- ``add(s, v)`` is the *earliest* instant ``t`` with ``F(t) = F(s) + v``: a
  deadline that lands exactly at a period end stays at that end, and a start
  outside working time counts from the next period start.

So ``elapsed(s, add(s, v)) == v`` exactly (to the microsecond), both are
monotone, and ``add(add(s, a), b) == add(s, a + b)`` within a microsecond.
``F`` is closed-form per day: the count of working days before a date comes from
a per-year table built once, so no call loops over minutes or days.

Urgent hours (紧急工作时) and calendar days (自然日) are continuous time.
Datetimes are naive local time (the district's timezone is policy).
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable

from models.enums import TimeUnit
from models.policy import WorkHours

__all__ = ["Pause", "WorkCalendar"]

Pause = tuple[dt.datetime, dt.datetime | None]
"""A suspension (挂账) interval; an end of ``None`` means still suspended."""

_US = 1_000_000
_HOUR_US = 3600 * _US
_DAY_US = 86400 * _US
_ORIGIN = dt.datetime(1, 1, 1)  # ordinal 1, a Monday
_WORK_UNITS = frozenset({TimeUnit.WORK_HOURS, TimeUnit.WORK_DAYS})
_CONTINUOUS_UNITS = frozenset({TimeUnit.URGENT_HOURS, TimeUnit.CALENDAR_DAYS})


def _td_us(td: dt.timedelta) -> int:
    return (td.days * 86400 + td.seconds) * _US + td.microseconds


def _weekdays_before(o: int) -> int:
    """Mon–Fri dates with an ordinal in [1, o)."""
    k = o - 1
    return (k // 7) * 5 + min(k % 7, 5)


class _Year:
    """Working days of one calendar year, built once per year on first use."""

    __slots__ = ("first", "base", "cum", "work", "days")

    def __init__(self, first: int, base: int, cum: list[int], work: bytes, days: list[int]):
        self.first = first  # ordinal of 1 January
        self.base = base  # working days before 1 January (from the origin)
        self.cum = cum  # cum[i]: working days among the first i days of the year
        self.work = work  # work[i]: 1 when day i of the year is a working day
        self.days = days  # ordinals of the year's working days, ascending


class WorkCalendar:
    """Working days and working hours, and deadline arithmetic on them.

    ``holidays`` are days off that would otherwise be working days (public
    holidays; weekend days among them change nothing); ``workdays`` are make-up
    working days (调休上班) on weekends. A date in both is a working day.
    """

    def __init__(
        self,
        holidays: Iterable[dt.date] = (),
        workdays: Iterable[dt.date] = (),
        work_hours: WorkHours = WorkHours(),
    ) -> None:
        hol = {d.toordinal() for d in holidays}
        mk = {d.toordinal() for d in workdays}
        # effective exceptions to the Mon–Fri rule
        self._off = frozenset(o for o in hol - mk if (o + 6) % 7 < 5)
        self._extra = frozenset(o for o in mk if (o + 6) % 7 >= 5)
        self._off_sorted = sorted(self._off)
        self._extra_sorted = sorted(self._extra)
        self.work_hours = work_hours

        periods: list[tuple[int, int, int]] = []  # (start µs, end µs, working µs before)
        done = 0
        prev_end = -1
        for a_t, b_t in work_hours.parsed():
            a = ((a_t.hour * 60 + a_t.minute) * 60 + a_t.second) * _US + a_t.microsecond
            b = ((b_t.hour * 60 + b_t.minute) * 60 + b_t.second) * _US + b_t.microsecond
            if not a < b:
                raise ValueError(f"working period {a_t}–{b_t} is empty or reversed")
            if a < prev_end:
                raise ValueError("working periods must be in order and must not overlap")
            periods.append((a, b, done))
            done += b - a
            prev_end = b
        if not periods:
            raise ValueError("the working hours need at least one period")
        self._periods = tuple(periods)
        self._day_us = done
        self._unit_us = {
            TimeUnit.URGENT_HOURS: _HOUR_US,
            TimeUnit.CALENDAR_DAYS: _DAY_US,
            TimeUnit.WORK_HOURS: _HOUR_US,
            TimeUnit.WORK_DAYS: done,
        }
        self._years: dict[int, _Year] = {}

    @classmethod
    def from_rows(
        cls, rows: Iterable[tuple[dt.date, str] | tuple[dt.date, str, str]], work_hours: WorkHours = WorkHours()
    ) -> "WorkCalendar":
        """Build from (date, kind[, name]) rows, kind 'holiday' or 'workday'."""
        holidays: list[dt.date] = []
        workdays: list[dt.date] = []
        for row in rows:
            d, kind = row[0], row[1]
            if kind == "holiday":
                holidays.append(d)
            elif kind == "workday":
                workdays.append(d)
            else:
                raise ValueError(f"unknown calendar day kind {kind!r} for {d}")
        return cls(holidays, workdays, work_hours)

    # --- days and periods ----------------------------------------------
    @property
    def working_seconds_per_day(self) -> float:
        """Length of one working day (the sum of the working periods), in seconds."""
        return self._day_us / _US

    def is_workday(self, d: dt.date) -> bool:
        o = d.toordinal()
        if o in self._extra:
            return True
        return (o + 6) % 7 < 5 and o not in self._off

    def is_working_time(self, t: dt.datetime) -> bool:
        """True when t lies in a working period of a working day (start in, end out)."""
        if not self.is_workday(t):
            return False
        s = ((t.hour * 60 + t.minute) * 60 + t.second) * _US + t.microsecond
        return any(a <= s < b for a, b, _ in self._periods)

    def _year(self, year: int) -> _Year:
        y = self._years.get(year)
        if y is None:
            first = dt.date(year, 1, 1).toordinal()
            n = dt.date(year, 12, 31).toordinal() - first + 1
            base = (
                _weekdays_before(first)
                - bisect.bisect_left(self._off_sorted, first)
                + bisect.bisect_left(self._extra_sorted, first)
            )
            cum = [0] * (n + 1)
            work = bytearray(n)
            days: list[int] = []
            c = 0
            for i in range(n):
                o = first + i
                if o in self._extra or ((o + 6) % 7 < 5 and o not in self._off):
                    work[i] = 1
                    days.append(o)
                    c += 1
                cum[i + 1] = c
            y = self._years[year] = _Year(first, base, cum, bytes(work), days)
        return y

    # --- the working-time axis -------------------------------------------
    def _axis(self, t: dt.datetime) -> int:
        """F(t): working microseconds from the origin to t."""
        y = self._years.get(t.year) or self._year(t.year)
        i = t.toordinal() - y.first
        pos = (y.base + y.cum[i]) * self._day_us
        if y.work[i]:
            s = ((t.hour * 60 + t.minute) * 60 + t.second) * _US + t.microsecond
            for a, b, _ in self._periods:
                if s <= a:
                    break
                pos += (s if s < b else b) - a
        return pos

    def _from_axis(self, pos: int, year: int) -> dt.datetime:
        """The earliest instant t with F(t) == pos (pos > 0); year is a hint."""
        j, r = divmod(pos - 1, self._day_us)
        r += 1  # working µs into working day j, in (0, day]
        y = self._years.get(year) or self._year(year)
        while j < y.base:
            year -= 1
            y = self._year(year)
        while j >= y.base + len(y.days):
            year += 1
            y = self._year(year)
        o = y.days[j - y.base]
        for a, b, before in self._periods:
            if r <= before + (b - a):
                return dt.datetime.fromordinal(o) + dt.timedelta(microseconds=a + r - before)
        raise AssertionError("unreachable: r is at most one working day")  # pragma: no cover

    def _pos(self, t: dt.datetime, work: bool) -> int:
        return self._axis(t) if work else _td_us(t - _ORIGIN)

    def _at(self, pos: int, work: bool, year: int) -> dt.datetime:
        return self._from_axis(pos, year) if work else _ORIGIN + dt.timedelta(microseconds=pos)

    def _unit(self, unit: TimeUnit | str) -> tuple[int, bool]:
        try:
            us = self._unit_us[unit]  # type: ignore[index]
        except KeyError:
            raise ValueError(f"unknown time unit {unit!r}") from None
        return us, unit in _WORK_UNITS

    # --- public arithmetic ----------------------------------------------
    def add(self, start: dt.datetime, value: float, unit: TimeUnit | str) -> dt.datetime:
        """The deadline `value` units after `start` (value >= 0)."""
        if start.tzinfo is not None:
            raise ValueError("WorkCalendar works on naive local datetimes")
        us, work = self._unit(unit)
        if value < 0:
            raise ValueError(f"a time limit cannot be negative: {value}")
        amount = round(value * us)
        if amount == 0:
            return start
        if not work:
            return start + dt.timedelta(microseconds=amount)
        return self._from_axis(self._axis(start) + amount, start.year)

    def elapsed(self, start: dt.datetime, end: dt.datetime, unit: TimeUnit | str) -> float:
        """Amount of `unit` between start and end (negative when end < start)."""
        if start.tzinfo is not None or end.tzinfo is not None:
            raise ValueError("WorkCalendar works on naive local datetimes")
        us, work = self._unit(unit)
        if work:
            return (self._axis(end) - self._axis(start)) / us
        return _td_us(end - start) / us

    def quantize(self, value: float, unit: TimeUnit | str) -> float:
        """`value` as the calendar counts it: rounded to a whole microsecond of `unit`.

        ``elapsed(s, add(s, v, u), u) == quantize(v, u)`` exactly.
        """
        us, _ = self._unit(unit)
        return round(value * us) / us

    def convert(self, value: float, from_unit: TimeUnit | str, to_unit: TimeUnit | str) -> float:
        """Convert an amount between units of the same family.

        Working hours ↔ working days (via the working-day length) and urgent hours
        ↔ calendar days (24 h); a working amount has no fixed continuous length.
        """
        f_us, f_work = self._unit(from_unit)
        t_us, t_work = self._unit(to_unit)
        if f_work != t_work:
            raise ValueError(f"cannot convert {from_unit} to {to_unit}: one is working time, one is continuous")
        return value * f_us / t_us

    # --- suspensions (挂账) ---------------------------------------------
    @staticmethod
    def _merged(
        pauses: Iterable[Pause], lo: dt.datetime, open_end: dt.datetime | None, hi: dt.datetime | None
    ) -> list[tuple[dt.datetime, dt.datetime]]:
        """Pauses clipped to [lo, hi], open ones ended at open_end, merged and sorted."""
        spans: list[tuple[dt.datetime, dt.datetime]] = []
        for a, b in pauses:
            if b is None:
                if open_end is None:
                    raise ValueError("an open suspension needs `until` to end it")
                b = open_end
            if a < lo:
                a = lo
            if hi is not None and b > hi:
                b = hi
            if b > a:
                spans.append((a, b))
        spans.sort()
        out: list[tuple[dt.datetime, dt.datetime]] = []
        for a, b in spans:
            if out and a <= out[-1][1]:
                if b > out[-1][1]:
                    out[-1] = (out[-1][0], b)
            else:
                out.append((a, b))
        return out

    def elapsed_excluding(
        self, start: dt.datetime, end: dt.datetime, unit: TimeUnit | str, pauses: Iterable[Pause]
    ) -> float:
        """elapsed() from start to end minus the suspended time in between.

        Pauses are clipped to [start, end]; overlapping pauses count once; an
        open pause (end None) runs until `end`.
        """
        us, work = self._unit(unit)
        if end <= start:
            return self.elapsed(start, end, unit)
        total = self._pos(end, work) - self._pos(start, work)
        for a, b in self._merged(pauses, start, end, end):
            total -= self._pos(b, work) - self._pos(a, work)
        return total / us

    def add_excluding(
        self,
        start: dt.datetime,
        value: float,
        unit: TimeUnit | str,
        pauses: Iterable[Pause],
        until: dt.datetime | None = None,
    ) -> dt.datetime:
        """The deadline `value` units after start, not counting suspended time.

        The inverse of elapsed_excluding. An open pause (end None) is taken to end
        at `until` (the deadline "if resumed then"); without `until` it is an error.
        A pause that starts at or after the deadline it would move changes nothing.
        """
        if start.tzinfo is not None:
            raise ValueError("WorkCalendar works on naive local datetimes")
        us, work = self._unit(unit)
        if value < 0:
            raise ValueError(f"a time limit cannot be negative: {value}")
        amount = round(value * us)
        if amount == 0:
            return start
        origin = self._pos(start, work)
        target = origin + amount
        for a, b in self._merged(pauses, start, until, None):
            if self._at(target, work, start.year) <= a:
                break
            target += self._pos(b, work) - self._pos(a, work)
        return self._at(target, work, start.year)

    def shift_for_pause(
        self, deadline: dt.datetime, pause_start: dt.datetime, pause_end: dt.datetime, unit: TimeUnit | str
    ) -> dt.datetime:
        """A stored deadline moved by a finished suspension [pause_start, pause_end].

        A pause that started at or after the deadline does not move it (the step
        was already overdue); otherwise the deadline moves by the pause's length in
        `unit`. Applying this once per pause, in time order, gives add_excluding.
        """
        if pause_start >= deadline or pause_end <= pause_start:
            return deadline
        _, work = self._unit(unit)
        length = self._pos(pause_end, work) - self._pos(pause_start, work)
        if length == 0:
            return deadline
        return self._at(self._pos(deadline, work) + length, work, deadline.year)

    def __repr__(self) -> str:
        return (
            f"WorkCalendar({len(self._off)} weekday holidays, {len(self._extra)} make-up days, "
            f"periods={self.work_hours.periods})"
        )
