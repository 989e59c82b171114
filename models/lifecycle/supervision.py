"""Automatic supervision by policy rule (DOMAIN §4): a yellow card when a case
turns red, a red card at an overdue multiple ≥ the policy's threshold."""

from __future__ import annotations

import datetime as dt
from typing import Any

from models.enums import Card, CaseStatus as S
from models.enums import TimeUnit
from models.lifecycle.limits import ClassRule, step_limit
from models.policy import Policy


def overdue_multiple(case: Any, now: dt.datetime, calendar: Any, rule: ClassRule, policy: Policy) -> float | None:
    """Used / limit of the running step (suspension not counted: deadlines were shifted)."""
    if case.step is None or case.step_started_at is None or case.step_deadline is None:
        return None
    unit: TimeUnit = step_limit(case.step, rule, policy)[1]
    limit = calendar.elapsed(case.step_started_at, case.step_deadline, unit)
    if limit <= 0:
        return None
    return calendar.elapsed(case.step_started_at, now, unit) / limit


def due_card(case: Any, now: dt.datetime, calendar: Any, rule: ClassRule, policy: Policy) -> Card | None:
    """The card the rule issues now, or None (never lower than the current card)."""
    if case.status in (S.CLOSED, S.VOIDED, S.SUSPENDED) or case.step_deadline is None:
        return None
    sp = policy.supervision
    want = Card.NONE
    if now > case.step_deadline and sp.auto_yellow_when_red:
        want = Card.YELLOW
    multiple = overdue_multiple(case, now, calendar, rule, policy) if now > case.step_deadline else None
    if multiple is not None and multiple >= sp.auto_red_at_multiple:
        want = Card.RED
    return want if want.rank > case.card.rank else None
