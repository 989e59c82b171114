"""Work calendar arithmetic: hand-made cases and hypothesis properties.

The properties compare WorkCalendar against a slow, independent reference that
walks the calendar day by day over the raw holiday and make-up sets.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from models.defaults import default_work_calendar
from models.defaults.cn_holidays import FESTIVALS, HOLIDAYS, default_calendar_rows, known_years
from models.enums import TimeUnit
from models.policy import WorkHours
from models.workcalendar import WorkCalendar

D = dt.datetime
WH, WD, UH, CD = TimeUnit.WORK_HOURS, TimeUnit.WORK_DAYS, TimeUnit.URGENT_HOURS, TimeUnit.CALENDAR_DAYS
US = 1_000_000


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return default_work_calendar()


# --- the reference: day-by-day walk over raw sets --------------------------
class Ref:
    def __init__(self, holidays, workdays, periods=(("08:30", "12:00"), ("13:30", "17:30"))):
        self.hol = set(holidays)
        self.mk = set(workdays)
        self.periods = [(dt.time.fromisoformat(a), dt.time.fromisoformat(b)) for a, b in periods]
        self.day_us = sum(
            _us(dt.datetime.combine(dt.date.min, b) - dt.datetime.combine(dt.date.min, a)) for a, b in self.periods
        )

    def workday(self, d: dt.date) -> bool:
        return d in self.mk or (d.weekday() < 5 and d not in self.hol)

    def work_us(self, start: D, end: D) -> int:
        total, d = 0, start.date()
        while d <= end.date():
            if self.workday(d):
                for a, b in self.periods:
                    lo = max(D.combine(d, a), start)
                    hi = min(D.combine(d, b), end)
                    if hi > lo:
                        total += _us(hi - lo)
            d += dt.timedelta(days=1)
        return total

    def add_us(self, start: D, amount: int) -> D:
        if amount == 0:
            return start
        d = start.date()
        while True:
            if self.workday(d):
                for a, b in self.periods:
                    lo = max(D.combine(d, a), start)
                    hi = D.combine(d, b)
                    if hi <= lo:
                        continue
                    avail = _us(hi - lo)
                    if amount <= avail:
                        return lo + dt.timedelta(microseconds=amount)
                    amount -= avail
            d += dt.timedelta(days=1)

    def unit_us(self, unit: TimeUnit) -> int:
        return {WH: 3600 * US, WD: self.day_us, UH: 3600 * US, CD: 86400 * US}[unit]

    def in_period_or_at_end(self, t: D) -> bool:
        """t is in (start, end] of a working period of a working day."""
        if not self.workday(t.date()):
            return False
        return any(D.combine(t.date(), a) < t <= D.combine(t.date(), b) for a, b in self.periods)


def _us(td: dt.timedelta) -> int:
    return (td.days * 86400 + td.seconds) * US + td.microseconds


def _all_rows():
    return [row for y in known_years() for row in default_calendar_rows(y)]


REF = Ref([d for d, k, _ in _all_rows() if k == "holiday"], [d for d, k, _ in _all_rows() if k == "workday"])

# --- strategies -------------------------------------------------------------
DAY0 = dt.date(2023, 12, 1)
dates = st.integers(0, 1200).map(lambda i: DAY0 + dt.timedelta(days=i))
boundary_times = st.sampled_from(
    [
        dt.time(0, 0),
        dt.time(8, 30),
        dt.time(12, 0),
        dt.time(13, 30),
        dt.time(17, 30),
        dt.time(8, 29, 59, 999999),
        dt.time(12, 0, 0, 1),
        dt.time(17, 30, 0, 1),
        dt.time(23, 59, 59, 999999),
    ]
)
minute_times = st.integers(0, 24 * 60 - 1).map(lambda m: dt.time(m // 60, m % 60))
times = st.one_of(boundary_times, minute_times, st.times())
datetimes = st.builds(D.combine, dates, times)
work_units = st.sampled_from([WH, WD])
all_units = st.sampled_from([WH, WD, UH, CD])


def values_for(unit: TimeUnit):
    top = {WH: 240.0, WD: 30.0, UH: 720.0, CD: 30.0}[unit]
    return st.one_of(
        st.integers(0, int(top)).map(float),
        st.integers(0, int(top) * 4).map(lambda q: q / 4),
        st.floats(0, top, allow_nan=False, allow_infinity=False),
    )


@st.composite
def unit_and_value(draw, units=all_units):
    unit = draw(units)
    return unit, draw(values_for(unit))


# --- hand-made cases ----------------------------------------------------------
@pytest.mark.parametrize(
    "day, expected",
    [
        (dt.date(2024, 6, 4), True),  # ordinary Tuesday
        (dt.date(2024, 6, 8), False),  # ordinary Saturday
        (dt.date(2024, 10, 1), False),  # 国庆节
        (dt.date(2024, 10, 12), True),  # make-up Saturday
        (dt.date(2024, 9, 29), True),  # make-up Sunday
        (dt.date(2024, 2, 9), True),  # 除夕 2024 is officially a working day
        (dt.date(2025, 1, 28), False),  # 除夕 2025 is a holiday (new rule)
        (dt.date(2025, 10, 6), False),  # 中秋 inside the merged 2025 break
        (dt.date(2026, 1, 2), False),  # Friday of 元旦 2026
        (dt.date(2026, 1, 4), True),  # Sunday make-up for 元旦 2026
        (dt.date(2026, 2, 14), True),  # Saturday make-up for 春节 2026
        (dt.date(2027, 1, 1), True),  # no schedule known: plain Friday
    ],
)
def test_is_workday(cal, day, expected):
    assert cal.is_workday(day) is expected


@pytest.mark.parametrize(
    "start, value, unit, expected",
    [
        # working hours: within a period, across lunch, overnight, weekend
        (D(2024, 6, 4, 8, 30), 3.5, WH, D(2024, 6, 4, 12, 0)),  # lands at a period end: stays there
        (D(2024, 6, 4, 8, 30), 7.5, WH, D(2024, 6, 4, 17, 30)),
        (D(2024, 6, 4, 10, 0), 2, WH, D(2024, 6, 4, 12, 0)),
        (D(2024, 6, 4, 11, 0), 2, WH, D(2024, 6, 4, 14, 30)),  # lunch break skipped
        (D(2024, 6, 4, 12, 30), 1, WH, D(2024, 6, 4, 14, 30)),  # start inside lunch
        (D(2024, 6, 4, 7, 0), 1, WH, D(2024, 6, 4, 9, 30)),  # start before work
        (D(2024, 6, 4, 17, 0), 1, WH, D(2024, 6, 5, 9, 0)),  # overnight
        (D(2024, 6, 4, 20, 0), 0.5, WH, D(2024, 6, 5, 9, 0)),
        (D(2024, 6, 7, 17, 0), 1, WH, D(2024, 6, 11, 9, 0)),  # Fri → Tue: Mon 10 Jun is 端午节
        (D(2024, 6, 14, 17, 0), 1, WH, D(2024, 6, 17, 9, 0)),  # ordinary weekend
        (D(2024, 6, 15, 9, 0), 1, WH, D(2024, 6, 17, 9, 30)),  # reported on Saturday
        (D(2024, 9, 30, 17, 0), 1, WH, D(2024, 10, 8, 9, 0)),  # holiday eve
        (D(2024, 9, 27, 17, 0), 1, WH, D(2024, 9, 29, 9, 0)),  # into a make-up Sunday
        (D(2024, 10, 11, 17, 0), 1, WH, D(2024, 10, 12, 9, 0)),  # into a make-up Saturday
        (D(2025, 12, 31, 17, 0), 1, WH, D(2026, 1, 4, 9, 0)),  # across the year into a make-up Sunday
        # working days
        (D(2024, 6, 4, 10, 0), 1, WD, D(2024, 6, 5, 10, 0)),
        (D(2024, 6, 14, 16, 0), 1, WD, D(2024, 6, 17, 16, 0)),  # Friday → Monday
        (D(2024, 6, 15, 9, 0), 1, WD, D(2024, 6, 17, 17, 30)),  # Saturday → end of Monday
        (D(2024, 6, 4, 8, 30), 0.5, WD, D(2024, 6, 4, 13, 45)),
        (D(2024, 2, 8, 10, 0), 1, WD, D(2024, 2, 9, 10, 0)),  # 除夕 2024 works
        (D(2024, 2, 8, 10, 0), 2, WD, D(2024, 2, 18, 10, 0)),  # over 春节 to the make-up Sunday
        (D(2025, 9, 26, 10, 0), 2, WD, D(2025, 9, 29, 10, 0)),  # Fri → make-up Sun → Mon
        (D(2024, 6, 4, 10, 0), 5, WD, D(2024, 6, 12, 10, 0)),  # 5 days over the weekend and 端午 (Mon 10 Jun)
        # continuous units
        (D(2024, 6, 15, 23, 0), 2, UH, D(2024, 6, 16, 1, 0)),
        (D(2024, 10, 1, 9, 0), 0.5, UH, D(2024, 10, 1, 9, 30)),
        (D(2024, 6, 14, 10, 0), 3, CD, D(2024, 6, 17, 10, 0)),
        (D(2024, 9, 30, 10, 0), 1.5, CD, D(2024, 10, 1, 22, 0)),
        # zero limit: due at once
        (D(2024, 6, 15, 9, 0), 0, WH, D(2024, 6, 15, 9, 0)),
    ],
)
def test_add_cases(cal, start, value, unit, expected):
    assert cal.add(start, value, unit) == expected
    assert cal.elapsed(start, expected, unit) == pytest.approx(value, abs=1e-9)


def test_units_accept_plain_strings(cal):
    assert cal.add(D(2024, 6, 4, 10), 1, "work_days") == D(2024, 6, 5, 10)
    with pytest.raises(ValueError):
        cal.add(D(2024, 6, 4, 10), 1, "fortnights")


@pytest.mark.parametrize(
    "start, end, unit, expected",
    [
        (D(2024, 6, 14, 16, 0), D(2024, 6, 17, 10, 0), WH, 3.0),  # Fri 16:00 → Mon 10:00
        (D(2024, 6, 4, 12, 0), D(2024, 6, 4, 13, 30), WH, 0.0),  # lunch
        (D(2024, 6, 4, 0, 0), D(2024, 6, 5, 0, 0), WD, 1.0),
        (D(2024, 9, 30, 0, 0), D(2024, 10, 8, 0, 0), WD, 1.0),  # 国庆 week: only 30 Sep works
        (D(2024, 10, 8, 0, 0), D(2024, 10, 14, 0, 0), WD, 5.0),  # Tue–Sat incl. make-up Saturday
        (D(2024, 6, 4, 10, 0), D(2024, 6, 4, 9, 0), WH, -1.0),  # reversed
        (D(2024, 6, 4, 10, 0), D(2024, 6, 6, 4, 0), UH, 42.0),
        (D(2024, 6, 4, 10, 0), D(2024, 6, 6, 4, 0), CD, 1.75),
    ],
)
def test_elapsed_cases(cal, start, end, unit, expected):
    assert cal.elapsed(start, end, unit) == pytest.approx(expected, abs=1e-12)


def test_pause_is_not_counted(cal):
    start, end = D(2024, 6, 4, 8, 30), D(2024, 6, 4, 17, 30)
    pauses = [(D(2024, 6, 4, 9, 0), D(2024, 6, 4, 11, 0))]
    assert cal.elapsed_excluding(start, end, WH, pauses) == pytest.approx(5.5)
    # overlapping pauses count once; the part before start is ignored
    more = pauses + [(D(2024, 6, 4, 10, 0), D(2024, 6, 4, 11, 30)), (D(2024, 6, 3, 9), D(2024, 6, 4, 8, 45))]
    assert cal.elapsed_excluding(start, end, WH, more) == pytest.approx(7.5 - 0.25 - 2.5)
    # open pause runs until the end
    assert cal.elapsed_excluding(start, end, WH, [(D(2024, 6, 4, 15, 0), None)]) == pytest.approx(5.0)
    # 4 h from 08:30 with 09:00–10:00 paused: 2.5 h by noon, 1.5 h after lunch
    assert cal.add_excluding(start, 4, WH, [(D(2024, 6, 4, 9), D(2024, 6, 4, 10))]) == D(2024, 6, 4, 15, 0)
    # a pause that starts at the deadline does not move it
    assert cal.add_excluding(start, 3.5, WH, [(D(2024, 6, 4, 12), D(2024, 6, 5, 12))]) == D(2024, 6, 4, 12)


def test_open_pause_needs_until(cal):
    with pytest.raises(ValueError, match="until"):
        cal.add_excluding(D(2024, 6, 4, 9), 2, WH, [(D(2024, 6, 4, 10), None)])
    # resumed "now" at 11:00 on the same day: one hour paused
    assert cal.add_excluding(D(2024, 6, 4, 9), 2, WH, [(D(2024, 6, 4, 10), None)], until=D(2024, 6, 4, 11)) == D(
        2024, 6, 4, 12
    )


def test_shift_for_pause(cal):
    deadline = D(2024, 6, 4, 15, 0)
    assert cal.shift_for_pause(deadline, D(2024, 6, 4, 9), D(2024, 6, 4, 10), WH) == D(2024, 6, 4, 16, 0)
    assert cal.shift_for_pause(deadline, D(2024, 6, 4, 15), D(2024, 6, 5, 10), WH) == deadline
    # a weekend-only pause costs no working time
    assert cal.shift_for_pause(deadline, D(2024, 6, 1, 9), D(2024, 6, 2, 18), WH) == deadline
    assert cal.shift_for_pause(deadline, D(2024, 6, 1, 9), D(2024, 6, 2, 18), UH) == deadline + dt.timedelta(hours=33)


def test_validation():
    with pytest.raises(ValueError):
        WorkCalendar(work_hours=WorkHours(periods=(("12:00", "08:30"),)))
    with pytest.raises(ValueError):
        WorkCalendar(work_hours=WorkHours(periods=(("08:00", "12:00"), ("11:00", "17:00"))))
    with pytest.raises(ValueError):
        WorkCalendar(work_hours=WorkHours(periods=()))
    cal = WorkCalendar()
    with pytest.raises(ValueError):
        cal.add(D(2024, 6, 4, 9), -1, WH)
    with pytest.raises(ValueError):
        cal.add(D(2024, 6, 4, 9, tzinfo=dt.timezone.utc), 1, WH)


def test_custom_hours_and_from_rows():
    cal = WorkCalendar.from_rows(
        [(dt.date(2024, 6, 5), "holiday", "x"), (dt.date(2024, 6, 8), "workday")],
        WorkHours(periods=(("09:00", "17:00"),)),
    )
    assert cal.working_seconds_per_day == 8 * 3600
    assert cal.add(D(2024, 6, 4, 16), 1, WD) == D(2024, 6, 6, 16)  # skips the Wednesday holiday
    assert cal.add(D(2024, 6, 7, 16), 2, WH) == D(2024, 6, 8, 10)  # make-up Saturday
    assert cal.is_working_time(D(2024, 6, 8, 9)) and not cal.is_working_time(D(2024, 6, 8, 17))
    with pytest.raises(ValueError):
        WorkCalendar.from_rows([(dt.date(2024, 6, 5), "weekend")])


def test_convert(cal):
    assert cal.convert(2, WD, WH) == pytest.approx(15.0)
    assert cal.convert(36, UH, CD) == pytest.approx(1.5)
    with pytest.raises(ValueError):
        cal.convert(1, WD, CD)


# --- the official schedules -------------------------------------------------
STATUTORY_DAYS = {2024: 11, 2025: 13, 2026: 13}  # 全国年节及纪念日放假办法 (2013 / 2024 revision)


@pytest.mark.parametrize("year", sorted(STATUTORY_DAYS))
def test_schedule_is_consistent(year):
    holidays, workdays = HOLIDAYS[year]
    hol = {d for d, _ in holidays}
    mk = {d for d, _ in workdays}
    assert all(d.year == year for d in hol)
    assert all(d.weekday() >= 5 for d in mk), "make-up working days fall on weekends"
    assert not hol & mk
    # weekday days off minus make-up days = the statutory days of that year
    assert sum(d.weekday() < 5 for d in hol) - len(mk) == STATUTORY_DAYS[year]
    names = {n for _, n in holidays} | {n for _, n in workdays}
    assert names <= set(FESTIVALS) | {"国庆节、中秋节"}
    rows = default_calendar_rows(year)
    assert rows == sorted(rows) and {k for _, k, _ in rows} == {"holiday", "workday"}


def test_unknown_year_has_no_rows():
    assert default_calendar_rows(2031) == []


# --- properties -----------------------------------------------------------------
@given(d=dates)
def test_prop_workdays_follow_schedule(cal, d):
    assert cal.is_workday(d) == REF.workday(d)


@given(s=datetimes, e=datetimes, unit=work_units)
def test_prop_elapsed_matches_reference(cal, s, e, unit):
    lo, hi = min(s, e), max(s, e)
    expected = REF.work_us(lo, hi) / REF.unit_us(unit)
    assert cal.elapsed(lo, hi, unit) == expected
    assert cal.elapsed(hi, lo, unit) == -expected


@given(s=datetimes, uv=unit_and_value(work_units))
def test_prop_add_matches_reference(cal, s, uv):
    unit, v = uv
    assert cal.add(s, v, unit) == REF.add_us(s, round(v * REF.unit_us(unit)))


@given(s=datetimes, uv=unit_and_value())
def test_prop_add_elapsed_inverse(cal, s, uv):
    unit, v = uv
    d = cal.add(s, v, unit)
    assert d >= s
    assert cal.elapsed(s, d, unit) == pytest.approx(v, abs=1e-6)


@given(s=datetimes, uv=unit_and_value(work_units))
def test_prop_deadline_never_in_non_working_time(cal, s, uv):
    unit, v = uv
    assume(round(v * REF.unit_us(unit)) > 0)
    d = cal.add(s, v, unit)
    assert REF.in_period_or_at_end(d)
    # and it is the earliest such instant: a microsecond earlier is not enough
    assert cal.elapsed(s, d - dt.timedelta(microseconds=1), unit) < v


@given(s=datetimes, a=datetimes, b=datetimes, unit=all_units)
def test_prop_elapsed_monotone(cal, s, a, b, unit):
    a, b = min(a, b), max(a, b)
    assert cal.elapsed(s, a, unit) <= cal.elapsed(s, b, unit)
    assert cal.elapsed(a, s, unit) >= cal.elapsed(b, s, unit)


@given(s1=datetimes, s2=datetimes, uv=unit_and_value(), w=st.floats(0, 10))
def test_prop_add_monotone(cal, s1, s2, uv, w):
    unit, v = uv
    s1, s2 = min(s1, s2), max(s1, s2)
    assert cal.add(s1, v, unit) <= cal.add(s2, v, unit)
    assert cal.add(s1, v, unit) <= cal.add(s1, v + w, unit)


@given(s=datetimes, unit=all_units, qa=st.integers(0, 400), qb=st.integers(0, 400))
def test_prop_additivity_exact_for_round_amounts(cal, s, unit, qa, qb):
    a, b = qa / 4, qb / 4  # quarter hours / quarter days: exact in microseconds
    assert cal.add(cal.add(s, a, unit), b, unit) == cal.add(s, a + b, unit)


@given(s=datetimes, unit=all_units, a=st.floats(0, 30), b=st.floats(0, 30))
def test_prop_additivity(cal, s, unit, a, b):
    twice = cal.add(cal.add(s, a, unit), b, unit)
    assert cal.elapsed(s, twice, unit) == pytest.approx(a + b, abs=1e-6)
    assert cal.elapsed(s, cal.add(s, a + b, unit), unit) == pytest.approx(a + b, abs=1e-6)


pause_lists = st.lists(st.tuples(datetimes, datetimes).map(sorted).map(tuple), max_size=4)


def _merged(spans):
    out = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        elif b > a:
            out.append([a, b])
    return out


@given(s=datetimes, e=datetimes, unit=work_units, pauses=pause_lists)
def test_prop_elapsed_excluding_matches_reference(cal, s, e, unit, pauses):
    s, e = min(s, e), max(s, e)
    clipped = [(max(a, s), min(b, e)) for a, b in pauses if min(b, e) > max(a, s)]
    paused_us = sum(REF.work_us(a, b) for a, b in _merged(clipped))
    expected = (REF.work_us(s, e) - paused_us) / REF.unit_us(unit)
    assert cal.elapsed_excluding(s, e, unit, pauses) == pytest.approx(expected, abs=1e-9)


@given(s=datetimes, uv=unit_and_value(), pauses=pause_lists)
def test_prop_add_excluding_inverse(cal, s, uv, pauses):
    unit, v = uv
    d = cal.add_excluding(s, v, unit, pauses)
    assert d >= cal.add(s, v, unit)
    assert cal.elapsed_excluding(s, d, unit, pauses) == pytest.approx(v, abs=1e-6)
    if not pauses:
        assert d == cal.add(s, v, unit)


@given(s=datetimes, uv=unit_and_value(), gaps=st.lists(st.tuples(st.integers(0, 5000), st.integers(1, 5000)), max_size=4))
def test_prop_shift_for_pause_matches_add_excluding(cal, s, uv, gaps):
    unit, v = uv
    pauses, t = [], s
    for gap, length in gaps:  # disjoint pauses after the start, in minutes
        a = t + dt.timedelta(minutes=gap)
        t = a + dt.timedelta(minutes=length)
        pauses.append((a, t))
    d = cal.add(s, v, unit)
    for a, b in pauses:
        d = cal.shift_for_pause(d, a, b, unit)
    assert d == cal.add_excluding(s, v, unit, pauses)


@given(s=datetimes, e=datetimes, a=datetimes, unit=all_units)
def test_prop_open_pause_runs_to_end(cal, s, e, a, unit):
    s, e = min(s, e), max(s, e)
    assert cal.elapsed_excluding(s, e, unit, [(a, None)]) == cal.elapsed_excluding(s, e, unit, [(a, e)])


# random calendars: holidays, make-up days and working periods all drawn
@st.composite
def calendars(draw):
    window = [dt.date(2024, 3, 1) + dt.timedelta(days=i) for i in range(60)]
    hol = draw(st.sets(st.sampled_from(window), max_size=20))
    mk = draw(st.sets(st.sampled_from(window), max_size=8))
    k = draw(st.integers(1, 3))
    cuts = sorted(draw(st.sets(st.integers(0, 24 * 60 - 1), min_size=2 * k, max_size=2 * k)))
    periods = tuple(
        (f"{cuts[i] // 60:02d}:{cuts[i] % 60:02d}", f"{cuts[i + 1] // 60:02d}:{cuts[i + 1] % 60:02d}")
        for i in range(0, 2 * k, 2)
    )
    cal = WorkCalendar(hol, mk, WorkHours(periods=periods))
    ref = Ref(hol - mk, mk, periods)
    return cal, ref


window_datetimes = st.builds(
    D.combine, st.integers(0, 70).map(lambda i: dt.date(2024, 2, 25) + dt.timedelta(days=i)), times
)


@settings(max_examples=200, deadline=None)  # the reference walks many days when periods are short
@given(cr=calendars(), s=window_datetimes, e=window_datetimes, uv=unit_and_value(work_units))
def test_prop_random_calendar_matches_reference(cr, s, e, uv):
    cal, ref = cr
    unit, v = uv
    lo, hi = min(s, e), max(s, e)
    assert cal.elapsed(lo, hi, unit) == ref.work_us(lo, hi) / ref.unit_us(unit)
    d = cal.add(s, v, unit)
    assert d == ref.add_us(s, round(v * ref.unit_us(unit)))
    assert cal.elapsed(s, d, unit) == pytest.approx(v, abs=1e-6)
    if d > s:
        assert ref.in_period_or_at_end(d)
