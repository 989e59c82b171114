"""The pure case engine: apply one action to a case row.

`apply()` works on any object with the attributes of `models.schema.Case` —
the ORM row (the database service) or a `record.new_record()` namespace (the
demo generator, property tests) — so every path through the loop obeys the same
rules. It validates state, role, scope and inputs first and changes nothing
when it refuses; on success it mutates the case and returns the flow-log entry.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any, Protocol

from models.auth import Identity
from models.enums import Card, CaseStatus as S, CloseType, Level, Step, TimeUnit
from models.enums import UserRole as R
from models.lifecycle.actions import RULES, ROLE_LEVEL, Action
from models.lifecycle.errors import IllegalTransition, MissingInput, NotPermitted, OutOfScope
from models.lifecycle.limits import ClassRule, deadline_column, step_limit
from models.policy import Policy


class Calendar(Protocol):
    def add(self, start: dt.datetime, value: float, unit: TimeUnit) -> dt.datetime: ...
    def elapsed(self, start: dt.datetime, end: dt.datetime, unit: TimeUnit) -> float: ...


@dataclass(frozen=True)
class Ctx:
    """Everything an action needs besides the case."""

    actor: Identity
    at: dt.datetime
    calendar: Calendar
    policy: Policy
    rule: ClassRule


@dataclass(frozen=True)
class Params:
    reason: str = ""
    department_id: int | None = None
    level: Level | None = None  # dispatch: handling level (default: the rule's)
    card: Card | None = None
    extension: float | None = None  # in the handling rule's unit
    close_type: CloseType | None = None
    duplicate_of_id: int | None = None
    accept: bool | None = None  # decide_appeal
    auto: bool = False  # dispatched or carded by rule, not by hand
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FlowEntry:
    """One row of the flow log (without ids)."""

    at: dt.datetime
    action: str
    actor: str
    role: str
    from_status: str | None
    to_status: str
    level: str | None
    department_id: int | None
    reason: str
    detail: str | None


# --- what may be done ------------------------------------------------------


def check_allowed(case: Any, action: Action, actor: Identity, params: Params | None = None) -> None:
    """Raise the first reason `actor` may not take `action` on `case` now."""
    rule = RULES.get(action)
    if rule is None:
        raise IllegalTransition(action.value, str(case.status), "not a case action")
    if case.status not in rule.from_states:
        raise IllegalTransition(action.value, case.status.value)
    if actor.role not in rule.roles:
        raise NotPermitted(action.value, actor.role.value)
    if actor.role is R.TOWN_OFFICER and actor.town_id != case.town_id:
        raise OutOfScope(case.code)
    if actor.role is R.DEPARTMENT and (case.department_id is None or case.department_id != actor.department_id):
        raise NotPermitted(action.value, actor.role.value, "the case is not dispatched to your department")
    _check_special(case, action, actor, params)
    if params is not None:
        if rule.needs_reason and not params.reason.strip():
            raise MissingInput(action.value, "reason")
        if rule.needs_department and params.department_id is None:
            raise MissingInput(action.value, "department")
        if action is Action.CARD and params.card in (None, Card.NONE):
            raise MissingInput(action.value, "card")
        if action is Action.CARD and params.card.rank <= case.card.rank:
            raise IllegalTransition(action.value, case.status.value,
                                    f"cards only escalate (current {case.card.value}, asked {params.card.value})")
        if action is Action.EXTEND and not (params.extension and params.extension > 0):
            raise MissingInput(action.value, "extension")
        if action is Action.MARK_DUPLICATE and params.duplicate_of_id is None:
            raise MissingInput(action.value, "duplicate_of")
        if action is Action.MARK_DUPLICATE and params.duplicate_of_id == case.id:
            raise IllegalTransition(action.value, case.status.value, "a case cannot duplicate itself")
        if action is Action.DECIDE_APPEAL and params.accept is None:
            raise MissingInput(action.value, "accept")


def _check_special(case: Any, action: Action, actor: Identity, params: Params | None) -> None:
    status = case.status.value
    if action is Action.ESCALATE and case.level is Level.DISTRICT:
        raise IllegalTransition(action.value, status, "already at district level")
    if action is Action.CARD:
        by_rule = params is not None and params.auto
        if not by_rule and ROLE_LEVEL.get(actor.role, 0) <= case.level.rank:
            raise NotPermitted(action.value, actor.role.value, "only a higher level may issue a card")
        if case.card is Card.RED:
            raise IllegalTransition(action.value, status, "a red card is the highest card")
    if action is Action.APPEAL and (case.appeal_pending or (case.card is Card.NONE and case.status is not S.CLOSED)):
        raise IllegalTransition(action.value, status, "nothing to appeal or an appeal is pending")
    if action is Action.DECIDE_APPEAL and not case.appeal_pending:
        raise IllegalTransition(action.value, status, "no appeal is pending")


def available_actions(case: Any, actor: Identity) -> list[Action]:
    """Exactly the actions `actor` may take on `case` in its present state."""
    out = []
    for action in RULES:
        try:
            check_allowed(case, action, actor)
        except (IllegalTransition, NotPermitted, OutOfScope):
            continue
        out.append(action)
    return out


# --- timers -----------------------------------------------------------------


def start_step(case: Any, step: Step, at: dt.datetime, ctx: Ctx) -> None:
    """Start the timer of `step` at `at`: its deadline and the yellow moment."""
    value, unit = step_limit(step, ctx.rule, ctx.policy)
    deadline = ctx.calendar.add(at, value, unit)
    setattr(case, deadline_column(step), deadline)
    case.step = step
    case.step_started_at = at
    case.step_deadline = deadline
    case.step_yellow_at = ctx.calendar.add(at, value * ctx.policy.timers.yellow_at, unit)


def stop_timer(case: Any) -> None:
    case.step = None
    case.step_started_at = case.step_deadline = case.step_yellow_at = None


def close_deadline(filed_at: dt.datetime, ctx: Ctx) -> dt.datetime:
    """结案期限: dispatch limit + the rule's handling limit + check limit, from filing."""
    t = filed_at
    for step in (Step.DISPATCH, Step.HANDLE, Step.CHECK):
        value, unit = step_limit(step, ctx.rule, ctx.policy)
        t = ctx.calendar.add(t, value, unit)
    return t


def _on_time(done: dt.datetime, deadline: dt.datetime | None) -> bool | None:
    return None if deadline is None else done <= deadline


def _shift(ctx: Ctx, moment: dt.datetime | None, start: dt.datetime, end: dt.datetime,
           unit: TimeUnit) -> dt.datetime | None:
    """Move `moment` later by the time of unit `unit` that passed in [start, end).

    A moment already reached when the suspension began stays where it is (as
    `WorkCalendar.shift_for_pause`): suspending an overdue case does not make
    it on time again.
    """
    if moment is None or moment <= start:
        return moment
    return ctx.calendar.add(moment, ctx.calendar.elapsed(start, end, unit), unit)


# --- applying -----------------------------------------------------------------


def apply(case: Any, action: Action, ctx: Ctx, params: Params | None = None) -> FlowEntry:
    """Validate and apply `action`; return the flow-log entry to append."""
    params = params or Params()
    check_allowed(case, action, ctx.actor, params)
    before = case.status
    detail = dict(params.detail)
    handler = _HANDLERS[action]
    extra = handler(case, ctx, params)
    if extra:
        detail.update(extra)
    if params.auto:
        detail["auto"] = True
    case.updated_at = ctx.at
    return FlowEntry(
        at=ctx.at, action=action.value, actor=ctx.actor.username, role=ctx.actor.role.value,
        from_status=before.value, to_status=case.status.value, level=case.level.value,
        department_id=case.department_id, reason=params.reason.strip(),
        detail=json.dumps(detail, ensure_ascii=False, sort_keys=True) if detail else None,
    )


def _verify(case, ctx, p):
    case.verified_at = ctx.at
    case.verify_on_time = _on_time(ctx.at, case.verify_deadline)
    case.status = S.VERIFIED


def _file(case, ctx, p):
    case.filed_at = ctx.at
    case.accept_on_time = _on_time(ctx.at, case.accept_deadline)
    case.close_deadline = close_deadline(ctx.at, ctx)
    case.status = S.FILED
    start_step(case, Step.DISPATCH, ctx.at, ctx)


def _void(case, ctx, p):
    case.voided_at = ctx.at
    case.status = S.VOIDED
    stop_timer(case)


def _mark_duplicate(case, ctx, p):
    case.duplicate_of_id = p.duplicate_of_id
    _void(case, ctx, p)
    return {"duplicate_of": p.duplicate_of_id}


def _dispatch(case, ctx, p):
    case.dispatched_at = ctx.at
    if case.first_dispatched_at is None:
        case.first_dispatched_at = ctx.at
        case.auto_dispatched = bool(p.auto)  # the auto-dispatch share counts first dispatches
    case.dispatch_on_time = _on_time(ctx.at, case.dispatch_deadline)
    case.department_id = p.department_id
    if p.level is not None:
        case.level = p.level
    elif ctx.rule.level.rank > case.level.rank:
        case.level = ctx.rule.level  # default: the rule's level, never below an escalation
    case.status = S.DISPATCHED
    start_step(case, Step.HANDLE, ctx.at, ctx)


def _feedback(case, ctx, p):
    case.handled_at = ctx.at
    case.handle_on_time = _on_time(ctx.at, case.handle_deadline)
    case.status = S.HANDLED
    start_step(case, Step.CHECK, ctx.at, ctx)


def _check(case, ctx, p):
    case.checked_at = ctx.at
    case.check_on_time = _on_time(ctx.at, case.check_deadline)
    case.status = S.CHECKED
    case.step = Step.CLOSE
    case.step_started_at = ctx.at
    case.step_deadline = case.close_deadline
    case.step_yellow_at = case.close_deadline


def _close(case, ctx, p):
    case.closed_at = ctx.at
    case.closed_level = case.level
    if p.close_type in (CloseType.ERROR, CloseType.SPECIAL):
        case.close_type = p.close_type
    elif case.close_deadline is not None and ctx.at > case.close_deadline:
        case.close_type = CloseType.OVERDUE
    else:
        case.close_type = CloseType.NORMAL
    case.status = S.CLOSED
    stop_timer(case)


def _back_to_dispatch(case, ctx):
    """A new round of dispatch → handle → check: the record shows the current round
    (the flow log keeps the earlier ones), so no step stays marked done ahead of it."""
    case.status = S.FILED
    case.department_id = None
    case.handled_at = case.checked_at = None
    case.handle_on_time = case.check_on_time = None
    start_step(case, Step.DISPATCH, ctx.at, ctx)


def _rework(case, ctx, p):
    case.rework_count += 1
    _back_to_dispatch(case, ctx)
    return {"rework": case.rework_count}


def _return(case, ctx, p):
    case.return_count += 1
    returned_by = case.department_id
    _back_to_dispatch(case, ctx)
    return {"returned_by_department": returned_by}


def _extend(case, ctx, p):
    unit = ctx.rule.time_unit
    case.extension_count += 1
    case.handle_deadline = ctx.calendar.add(case.handle_deadline, p.extension, unit)
    case.close_deadline = ctx.calendar.add(case.close_deadline, p.extension, unit)
    if case.step is Step.HANDLE:
        case.step_deadline = case.handle_deadline
        total = ctx.calendar.elapsed(case.step_started_at, case.step_deadline, unit)
        case.step_yellow_at = ctx.calendar.add(case.step_started_at, total * ctx.policy.timers.yellow_at, unit)
    return {"extension": p.extension, "unit": unit.value, "new_deadline": case.handle_deadline.isoformat()}


def _suspend(case, ctx, p):
    case.status_before_suspend = case.status
    case.suspended_at = ctx.at
    case.status = S.SUSPENDED


def _resume(case, ctx, p):
    start, end = case.suspended_at, ctx.at
    step_unit = step_limit(case.step, ctx.rule, ctx.policy)[1] if case.step else ctx.rule.time_unit
    if case.step is not None and case.step is not Step.CLOSE:
        own = deadline_column(case.step)
        setattr(case, own, _shift(ctx, getattr(case, own), start, end, step_unit))
        case.step_deadline = getattr(case, own)
        case.step_yellow_at = _shift(ctx, case.step_yellow_at, start, end, step_unit)
    case.close_deadline = _shift(ctx, case.close_deadline, start, end, ctx.rule.time_unit)
    if case.step is Step.CLOSE:
        case.step_deadline = case.step_yellow_at = case.close_deadline
    case.suspended_seconds += int((end - start).total_seconds())
    case.suspended_at = None
    case.status = case.status_before_suspend
    case.status_before_suspend = None
    return {"suspended_seconds": int((end - start).total_seconds())}


def _escalate(case, ctx, p):
    old = case.level
    case.level = old.up()
    _back_to_dispatch(case, ctx)
    return {"from_level": old.value}


def _card(case, ctx, p):
    sp = ctx.policy.supervision
    points = {Card.NORMAL: sp.normal_points, Card.YELLOW: sp.yellow_points, Card.RED: sp.red_points}[p.card]
    case.card = p.card
    case.card_points += points
    return {"card": p.card.value, "points": points}


def _appeal(case, ctx, p):
    case.appeal_pending = True
    return {"against": "close" if case.status is S.CLOSED and case.card is Card.NONE else "card"}


def _decide_appeal(case, ctx, p):
    case.appeal_pending = False
    out: dict[str, Any] = {"accepted": bool(p.accept)}
    if p.accept and case.card is not Card.NONE:
        out["revoked_card"] = case.card.value
        case.card = Card.NONE
        case.card_points = 0.0
    elif p.accept and case.status is S.CLOSED:
        case.close_type = CloseType.SPECIAL
    return out


_HANDLERS = {
    Action.VERIFY: _verify, Action.FILE: _file, Action.VOID: _void, Action.MARK_DUPLICATE: _mark_duplicate,
    Action.DISPATCH: _dispatch, Action.FEEDBACK: _feedback, Action.CHECK: _check, Action.CLOSE: _close,
    Action.REWORK: _rework, Action.RETURN: _return, Action.EXTEND: _extend, Action.SUSPEND: _suspend,
    Action.RESUME: _resume, Action.ESCALATE: _escalate, Action.CARD: _card, Action.APPEAL: _appeal,
    Action.DECIDE_APPEAL: _decide_appeal,
}
