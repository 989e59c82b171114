"""Creating a case: reporting (上报) and self-handled reports (自处理)."""

from __future__ import annotations

from typing import Any

from models.enums import CaseStatus as S, CloseType, Level, Step
from models.enums import UserRole as R
from models.lifecycle.actions import Action
from models.lifecycle.engine import Ctx, FlowEntry, close_deadline, start_step
from models.lifecycle.errors import NotPermitted, OutOfScope

REPORT_ROLES = frozenset({R.GRID_WORKER, R.DUTY_OFFICER, R.SHIFT_LEADER, R.TOWN_OFFICER, R.DISPATCHER, R.ADMIN})
SELF_HANDLE_ROLES = frozenset({R.GRID_WORKER, R.TOWN_OFFICER})


def open_case(case: Any, ctx: Ctx, *, self_handled: bool = False, reason: str = "") -> list[FlowEntry]:
    """Start the loop of a case whose descriptive fields are set.

    A normal report waits for intake (timers: verify and accept). A self-handled
    report was fixed on the spot: it is filed, handled and closed at grid level
    at once. Returns the flow entries to append, oldest first.
    """
    roles = SELF_HANDLE_ROLES if self_handled else REPORT_ROLES
    action = Action.SELF_HANDLE if self_handled else Action.REPORT
    if ctx.actor.role not in roles:
        raise NotPermitted(action.value, ctx.actor.role.value)
    if ctx.actor.role is R.TOWN_OFFICER and ctx.actor.town_id != case.town_id:
        raise OutOfScope(case.code)
    at = ctx.at
    case.reported_at = at
    case.updated_at = at
    case.self_handled = self_handled
    case.status = S.REPORTED
    value_v, unit_v = ctx.policy.timers.steps.verify
    from models.enums import TimeUnit

    case.verify_deadline = ctx.calendar.add(at, float(value_v), TimeUnit(unit_v))
    start_step(case, Step.ACCEPT, at, ctx)
    entries = [_entry(case, ctx, Action.REPORT, None, reason)]
    if self_handled:
        case.filed_at = case.handled_at = case.checked_at = case.closed_at = at
        case.accept_on_time = True
        case.close_deadline = close_deadline(at, ctx)
        case.level = Level.GRID
        case.closed_level = Level.GRID
        case.close_type = CloseType.SELF_HANDLED
        case.status = S.CLOSED
        case.step = None
        case.step_started_at = case.step_deadline = case.step_yellow_at = None
        entries.append(_entry(case, ctx, Action.SELF_HANDLE, S.REPORTED.value, reason or "微事不出格: 现场自行处置"))
    return entries


def _entry(case: Any, ctx: Ctx, action: Action, from_status: str | None, reason: str) -> FlowEntry:
    return FlowEntry(at=ctx.at, action=action.value, actor=ctx.actor.username, role=ctx.actor.role.value,
                     from_status=from_status, to_status=case.status.value, level=case.level.value,
                     department_id=case.department_id, reason=reason, detail=None)
