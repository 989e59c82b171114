"""Step timers: deadline, used share of the limit, light, overdue multiple (DOMAIN §4).

Pure functions over a `WorkCalendar`; the case engine stores the results.

Decisions, so that every caller reads a timer the same way:

- A step is evaluated at ``at = done_at`` when finished, else at ``now`` (never
  before ``started_at``).
- ``used`` is the amount of the limit's unit between ``started_at`` and ``at``,
  suspension (挂账) time excluded; an open suspension runs until ``at``.
- ``deadline`` is the start plus the limit with the suspensions skipped; while a
  suspension is open it is the deadline *if the step resumed at* ``at``.
- ``fraction`` = ``overdue_multiple`` = used / limit (超时倍数 as DOMAIN §4 defines it),
  the limit taken to the microsecond as the calendar counts it, so that a step
  evaluated exactly at its deadline has a fraction of exactly 1.0.
- Light: green while fraction ≤ ``yellow_at``, yellow above it up to and including
  ``red_above``, red above ``red_above`` (compared with a 1e-13 tolerance for float
  noise; with the default policy a running step is red exactly when it is past its
  deadline in its own unit).
- A suspended step keeps the light of its used fraction, with ``paused=True``; its
  clock does not advance, so the light cannot change while suspended.
- A finished step keeps the light it had at ``done_at`` (it says whether the step
  was done on time); a display that shows only running timers checks ``running``.
- Extension (延期) adds the granted amount to the limit (`extend`).
"""

from __future__ import annotations

import dataclasses as dc
import datetime as dt
from collections.abc import Iterable

from models.enums import Light, Step, TimeUnit
from models.policy import StepLimits, TimerPolicy
from models.workcalendar import Pause, WorkCalendar

__all__ = ["TimerState", "default_limit", "evaluate", "extend", "extended_deadline", "light_for"]

_EPS = 1e-13  # far above float noise, far below 1 µs of a 40-working-day limit
_DEFAULT_TIMER_POLICY = TimerPolicy()


def light_for(fraction: float | None, policy: TimerPolicy = _DEFAULT_TIMER_POLICY) -> Light:
    """Light for a used share of the limit; None (no running limit) gives NONE."""
    if fraction is None:
        return Light.NONE
    if fraction > policy.red_above + _EPS:
        return Light.RED
    if fraction > policy.yellow_at + _EPS:
        return Light.YELLOW
    return Light.GREEN


@dc.dataclass(frozen=True, slots=True)
class TimerState:
    """A step timer evaluated at one instant (see the module docstring)."""

    step: Step
    started_at: dt.datetime
    deadline: dt.datetime
    done_at: dt.datetime | None
    limit_value: float
    unit: TimeUnit
    used: float  # in `unit`, suspensions excluded
    fraction: float  # used / limit_value
    light: Light
    overdue_multiple: float  # used / limit_value (DOMAIN §4 超时倍数)
    remaining_seconds: float  # wall-clock seconds from the evaluation instant to the deadline; < 0 when past
    paused: bool  # suspended at the evaluation instant (never for a finished step)

    @property
    def remaining(self) -> float:
        """Limit left, in `unit` (negative when overdue)."""
        return self.limit_value - self.used

    @property
    def overdue(self) -> bool:
        """More than the whole limit used (超时)."""
        return self.fraction > 1.0

    @property
    def running(self) -> bool:
        return self.done_at is None and not self.paused


def evaluate(
    calendar: WorkCalendar,
    step: Step,
    started_at: dt.datetime,
    limit_value: float,
    unit: TimeUnit | str,
    now: dt.datetime,
    done_at: dt.datetime | None = None,
    pauses: Iterable[Pause] = (),
    policy: TimerPolicy = _DEFAULT_TIMER_POLICY,
) -> TimerState:
    """Evaluate one step's timer at `now` (or at `done_at` when finished)."""
    if not limit_value > 0:
        raise ValueError(f"a step time limit must be positive, got {limit_value}")
    unit = TimeUnit(unit)
    pauses = list(pauses)
    at = done_at if done_at is not None else now
    if at < started_at:
        at = started_at
    used = calendar.elapsed_excluding(started_at, at, unit, pauses)
    deadline = calendar.add_excluding(started_at, limit_value, unit, pauses, until=at)
    paused = done_at is None and any(a <= at and (b is None or at < b) for a, b in pauses)
    limit_q = calendar.quantize(limit_value, unit)
    if limit_q <= 0:
        raise ValueError(f"a step time limit must be positive, got {limit_value}")
    fraction = used / limit_q
    return TimerState(
        step=Step(step),
        started_at=started_at,
        deadline=deadline,
        done_at=done_at,
        limit_value=limit_value,
        unit=unit,
        used=used,
        fraction=fraction,
        light=light_for(fraction, policy),
        overdue_multiple=fraction,
        remaining_seconds=(deadline - at).total_seconds(),
        paused=paused,
    )


def extend(
    calendar: WorkCalendar,
    limit_value: float,
    unit: TimeUnit | str,
    granted: float,
    granted_unit: TimeUnit | str | None = None,
) -> float:
    """The step's limit after an extension (延期) of `granted` is approved.

    The grant is added to the limit, converted into the limit's unit (working
    days ↔ working hours, calendar days ↔ urgent hours); a grant in the other
    family (e.g. calendar days on a working-hours limit) is refused.
    """
    if granted < 0:
        raise ValueError(f"an extension cannot be negative: {granted}")
    if granted_unit is None:
        granted_unit = unit
    return limit_value + calendar.convert(granted, granted_unit, unit)


def extended_deadline(
    calendar: WorkCalendar, deadline: dt.datetime, granted: float, unit: TimeUnit | str
) -> dt.datetime:
    """A stored deadline moved by an extension of `granted` (in the limit's unit).

    Equal (to the microsecond) to recomputing the deadline with the extended
    limit, as long as no suspension lies after the old deadline.
    """
    return calendar.add(deadline, granted, unit)


_STEP_FIELDS = {
    Step.VERIFY: "verify",
    Step.ACCEPT: "accept",
    Step.DISPATCH: "dispatch",
    Step.CHECK: "check",
    Step.CLOSE: "whole_case",
}


def default_limit(step: Step, limits: StepLimits | None = None) -> tuple[float, TimeUnit] | None:
    """The policy's limit of a step, or None for HANDLE (set by the dictionary rule)."""
    field = _STEP_FIELDS.get(Step(step))
    if field is None:
        return None
    value, unit = getattr(limits if limits is not None else StepLimits(), field)
    return float(value), TimeUnit(unit)
