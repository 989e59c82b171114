"""Step timers: light thresholds, evaluation, suspension, extension."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.defaults import default_work_calendar
from models.enums import Light, Step, TimeUnit
from models.policy import StepLimits, TimerPolicy
from models.timers import TimerState, default_limit, evaluate, extend, extended_deadline, light_for

D = dt.datetime
WH, WD, UH, CD = TimeUnit.WORK_HOURS, TimeUnit.WORK_DAYS, TimeUnit.URGENT_HOURS, TimeUnit.CALENDAR_DAYS
CAL = default_work_calendar()
TUE = D(2024, 6, 4, 8, 30)  # an ordinary Tuesday, start of the working day


@pytest.mark.parametrize(
    "fraction, light",
    [
        (None, Light.NONE),
        (0.0, Light.GREEN),
        (0.5, Light.GREEN),
        (0.8, Light.GREEN),
        (0.8000001, Light.YELLOW),
        (0.95, Light.YELLOW),
        (1.0, Light.YELLOW),
        (1.0 + 1e-15, Light.YELLOW),  # float noise is not red
        (1.0000001, Light.RED),
        (3.0, Light.RED),
    ],
)
def test_light_for_default_policy(fraction, light):
    assert light_for(fraction) is light


def test_light_for_custom_policy():
    policy = TimerPolicy(yellow_at=0.5, red_above=1.5)
    assert light_for(0.5, policy) is Light.GREEN
    assert light_for(0.6, policy) is Light.YELLOW
    assert light_for(1.5, policy) is Light.YELLOW
    assert light_for(1.6, policy) is Light.RED


def ev(now, limit=4, unit=WH, **kw) -> TimerState:
    return evaluate(CAL, Step.HANDLE, TUE, limit, unit, now, **kw)


def test_running_step_lights():
    s = ev(TUE + dt.timedelta(hours=2))  # 2 of 4 working hours
    assert (s.used, s.fraction, s.light) == (2.0, 0.5, Light.GREEN)
    assert s.deadline == D(2024, 6, 4, 14, 0)  # 3.5 h before noon, 0.5 h after lunch
    assert s.remaining_seconds == (s.deadline - (TUE + dt.timedelta(hours=2))).total_seconds()
    assert s.running and not s.paused and not s.overdue
    assert s.remaining == pytest.approx(2.0)

    assert ev(D(2024, 6, 4, 11, 42)).light is Light.GREEN  # exactly 80 %: 3.2 h
    assert ev(D(2024, 6, 4, 11, 43)).light is Light.YELLOW
    at_deadline = ev(D(2024, 6, 4, 14, 0))
    assert at_deadline.fraction == pytest.approx(1.0) and at_deadline.light is Light.YELLOW
    assert at_deadline.remaining_seconds == 0
    assert ev(D(2024, 6, 4, 14, 1)).light is Light.RED


def test_lunch_break_does_not_turn_red():
    # 3.5 working hours due exactly at noon: the light stays yellow over lunch
    s = ev(D(2024, 6, 4, 13, 0), limit=3.5)
    assert s.deadline == D(2024, 6, 4, 12, 0)
    assert s.light is Light.YELLOW and s.remaining_seconds == -3600
    assert ev(D(2024, 6, 4, 13, 31), limit=3.5).light is Light.RED


def test_overdue_multiple():
    s = ev(D(2024, 6, 5, 8, 30), limit=3.75)  # a whole working day used: twice the limit
    assert s.overdue_multiple == pytest.approx(2.0)
    assert s.light is Light.RED and s.overdue
    assert s.remaining == pytest.approx(-3.75)


def test_finished_step_is_evaluated_at_done_at():
    done = D(2024, 6, 4, 10, 30)
    early = ev(D(2024, 7, 1), done_at=done)
    assert early.used == 2.0 and early.light is Light.GREEN and early.done_at == done
    assert not early.running and not early.paused
    assert early.remaining_seconds == (early.deadline - done).total_seconds()
    late = ev(D(2024, 7, 1), done_at=D(2024, 6, 5, 9, 30))
    assert late.light is Light.RED and late.used == pytest.approx(8.5)


def test_suspension_freezes_the_clock():
    pauses = [(D(2024, 6, 4, 10, 30), None)]
    during = [ev(D(2024, 6, 4, 11), pauses=pauses), ev(D(2024, 6, 7, 16), pauses=pauses)]
    for s in during:
        assert s.paused and not s.running
        assert s.used == 2.0 and s.light is Light.GREEN
    # the deadline while suspended is the deadline "if resumed now"
    assert during[0].deadline == D(2024, 6, 4, 14, 30)
    assert during[1].deadline == CAL.add(D(2024, 6, 7, 16), 2, WH)
    # resumed on Friday 16:00: two working hours left from then
    resumed = [(D(2024, 6, 4, 10, 30), D(2024, 6, 7, 16))]
    after = ev(D(2024, 6, 7, 17), pauses=resumed)
    assert not after.paused and after.used == 3.0 and after.light is Light.GREEN
    assert after.deadline == D(2024, 6, 11, 9, 0)  # Fri 16:00 + 2 wh, over the weekend and 端午


def test_suspension_with_yellow_light_keeps_it():
    s = ev(D(2024, 6, 5, 9), pauses=[(D(2024, 6, 4, 12, 0), None)], limit=4)
    assert s.paused and s.used == 3.5 and s.light is Light.YELLOW


def test_step_and_unit_codes_and_bad_limit():
    s = evaluate(CAL, "check", TUE, 2, "work_hours", TUE + dt.timedelta(hours=1))
    assert s.step is Step.CHECK and s.unit is WH
    with pytest.raises(ValueError):
        ev(TUE, limit=0)


def test_now_before_start_is_clamped():
    s = ev(TUE - dt.timedelta(days=1))  # clock skew: "now" a working day before the start
    assert s.used == 0 and s.light is Light.GREEN
    assert s.remaining_seconds == (s.deadline - TUE).total_seconds()


def test_extension():
    assert extend(CAL, 4, WH, 2) == 6
    assert extend(CAL, 4, WH, 1, WD) == pytest.approx(11.5)
    assert extend(CAL, 5, WD, 3.75, WH) == pytest.approx(5.5)
    assert extend(CAL, 2, UH, 1, CD) == pytest.approx(26)
    with pytest.raises(ValueError):
        extend(CAL, 4, WH, 1, CD)
    with pytest.raises(ValueError):
        extend(CAL, 4, WH, -1)
    old = ev(TUE).deadline
    assert extended_deadline(CAL, old, 2, WH) == ev(TUE, limit=extend(CAL, 4, WH, 2)).deadline


def test_default_limits():
    assert default_limit(Step.VERIFY) == (0.5, UH)
    assert default_limit(Step.ACCEPT) == (1.0, WD)
    assert default_limit(Step.CHECK) == (2.0, WH)
    assert default_limit(Step.CLOSE) == (5.0, WD)
    assert default_limit(Step.HANDLE) is None
    assert default_limit(Step.CHECK, StepLimits(check=(3, "work_days"))) == (3.0, WD)


# --- properties -------------------------------------------------------------
datetimes = st.datetimes(D(2024, 1, 1), D(2026, 12, 31))
units = st.sampled_from([WH, WD, UH, CD])
limits = st.one_of(st.integers(1, 40).map(float), st.floats(0.05, 40))
_ORDER = {Light.GREEN: 0, Light.YELLOW: 1, Light.RED: 2}


@given(start=datetimes, limit=limits, unit=units, a=st.integers(0, 60 * 24 * 40), b=st.integers(0, 60 * 24 * 40))
def test_prop_light_never_goes_back(start, limit, unit, a, b):
    a, b = min(a, b), max(a, b)
    first = evaluate(CAL, Step.HANDLE, start, limit, unit, start + dt.timedelta(minutes=a))
    later = evaluate(CAL, Step.HANDLE, start, limit, unit, start + dt.timedelta(minutes=b))
    assert later.used >= first.used
    assert _ORDER[later.light] >= _ORDER[first.light]
    assert later.deadline == first.deadline == CAL.add(start, limit, unit)


@given(start=datetimes, limit=limits, unit=units, minutes=st.integers(0, 60 * 24 * 40))
def test_prop_state_is_consistent(start, limit, unit, minutes):
    now = start + dt.timedelta(minutes=minutes)
    s = evaluate(CAL, Step.HANDLE, start, limit, unit, now)
    assert s.fraction == pytest.approx(s.used / limit) and s.overdue_multiple == s.fraction
    assert s.light is light_for(s.fraction)
    # red exactly when the deadline has passed in the step's own time
    assert (s.light is Light.RED) == (CAL.elapsed(s.deadline, now, unit) > 0)
    assert (s.remaining_seconds < 0) == (now > s.deadline)
    at_deadline = evaluate(CAL, Step.HANDLE, start, limit, unit, s.deadline)
    assert at_deadline.fraction == 1.0 and at_deadline.light is Light.YELLOW
    just_after = s.deadline + dt.timedelta(microseconds=1)
    after = evaluate(CAL, Step.HANDLE, start, limit, unit, just_after)
    # a microsecond later it is red, unless that microsecond is not working time
    assert (after.light is Light.RED) == (CAL.elapsed(s.deadline, just_after, unit) > 0)


@given(
    start=datetimes,
    limit=limits,
    unit=units,
    p0=st.integers(0, 60 * 24 * 10),
    plen=st.integers(1, 60 * 24 * 10),
    extra=st.integers(0, 60 * 24 * 10),
)
def test_prop_suspended_time_is_not_counted(start, limit, unit, p0, plen, extra):
    a = start + dt.timedelta(minutes=p0)
    b = a + dt.timedelta(minutes=plen)
    now = b + dt.timedelta(minutes=extra)
    s = evaluate(CAL, Step.HANDLE, start, limit, unit, now, pauses=[(a, b)])
    expected = CAL.elapsed(start, a, unit) + CAL.elapsed(b, now, unit)
    assert s.used == pytest.approx(expected, abs=1e-9)
    assert not s.paused
    # while suspended, the used amount does not move
    s1 = evaluate(CAL, Step.HANDLE, start, limit, unit, a + dt.timedelta(minutes=plen // 2), pauses=[(a, None)])
    s2 = evaluate(CAL, Step.HANDLE, start, limit, unit, b, pauses=[(a, None)])
    assert s1.paused and s2.paused
    assert s1.used == s2.used == pytest.approx(CAL.elapsed(start, a, unit), abs=1e-9)
    assert s1.light is s2.light
