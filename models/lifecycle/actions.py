"""The actions of the closed loop and who may take them (DOMAIN §4).

One row per action: the states it may start from, the roles that may take it,
what it requires. The engine (`engine.py`) applies the effects; this table is
the single answer to "which actions may this user take on this case now", used
alike by the GUI, the CLI and the tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from models.enums import CaseStatus as S
from models.enums import UserRole as R


class Action(StrEnum):
    REPORT = "report"  # 上报 (creates the case)
    SELF_HANDLE = "self_handle"  # 自处理: reported already done, closed at grid level
    VERIFY = "verify"  # 核实
    FILE = "file"  # 受理/立案
    VOID = "void"  # 作废
    MARK_DUPLICATE = "mark_duplicate"  # 重复件: void and link to the original
    DISPATCH = "dispatch"  # 派遣
    FEEDBACK = "feedback"  # 处置反馈 (handled)
    CHECK = "check"  # 核查 passed
    CLOSE = "close"  # 结案
    REWORK = "rework"  # 返工 → back to dispatch
    RETURN = "return"  # 回退 "not ours" → back to dispatch
    EXTEND = "extend"  # 延期
    SUSPEND = "suspend"  # 挂账 (timers paused)
    RESUME = "resume"  # 恢复 from suspension
    ESCALATE = "escalate"  # 上报上级: one level up, back to dispatch
    CARD = "card"  # 督办: normal / yellow / red card
    APPEAL = "appeal"  # 申诉 against a card or a closing
    DECIDE_APPEAL = "decide_appeal"  # 申诉裁定 (accept revokes the card)


OPEN_WORK = (S.FILED, S.DISPATCHED, S.HANDLED, S.CHECKED)
DISTRICT_SEATS = frozenset({R.DUTY_OFFICER, R.SHIFT_LEADER, R.DISPATCHER})


@dataclass(frozen=True)
class ActionRule:
    action: Action
    from_states: tuple[S, ...]
    roles: frozenset[R]
    needs_reason: bool = False
    needs_department: bool = False


RULES: dict[Action, ActionRule] = {r.action: r for r in (
    ActionRule(Action.VERIFY, (S.REPORTED,), frozenset({R.GRID_WORKER, R.DUTY_OFFICER, R.TOWN_OFFICER})),
    ActionRule(Action.FILE, (S.REPORTED, S.VERIFIED), frozenset({R.DUTY_OFFICER, R.SHIFT_LEADER})),
    ActionRule(Action.VOID, (S.REPORTED, S.VERIFIED), frozenset({R.DUTY_OFFICER, R.SHIFT_LEADER}),
               needs_reason=True),
    ActionRule(Action.MARK_DUPLICATE, (S.REPORTED, S.VERIFIED), frozenset({R.DUTY_OFFICER, R.SHIFT_LEADER}),
               needs_reason=True),
    ActionRule(Action.DISPATCH, (S.FILED,), frozenset({R.DISPATCHER, R.SHIFT_LEADER, R.TOWN_OFFICER}),
               needs_department=True),
    ActionRule(Action.FEEDBACK, (S.DISPATCHED,),
               frozenset({R.DEPARTMENT, R.TOWN_OFFICER, R.GRID_WORKER, R.SHIFT_LEADER})),
    ActionRule(Action.CHECK, (S.HANDLED,), frozenset({R.GRID_WORKER, R.DUTY_OFFICER, R.TOWN_OFFICER})),
    ActionRule(Action.CLOSE, (S.CHECKED,), frozenset({R.SHIFT_LEADER})),
    ActionRule(Action.REWORK, (S.HANDLED, S.CHECKED), frozenset({R.SHIFT_LEADER, R.GRID_WORKER, R.TOWN_OFFICER}),
               needs_reason=True),
    ActionRule(Action.RETURN, (S.DISPATCHED,), frozenset({R.DEPARTMENT, R.TOWN_OFFICER, R.SHIFT_LEADER}),
               needs_reason=True),
    ActionRule(Action.EXTEND, (S.DISPATCHED,), frozenset({R.SHIFT_LEADER}), needs_reason=True),
    ActionRule(Action.SUSPEND, OPEN_WORK, frozenset({R.SHIFT_LEADER}), needs_reason=True),
    ActionRule(Action.RESUME, (S.SUSPENDED,), frozenset({R.SHIFT_LEADER}), needs_reason=True),
    ActionRule(Action.ESCALATE, (S.FILED, S.DISPATCHED),
               frozenset({R.GRID_WORKER, R.TOWN_OFFICER, R.DEPARTMENT, R.SHIFT_LEADER}), needs_reason=True),
    ActionRule(Action.CARD, (*OPEN_WORK, S.SUSPENDED), frozenset({R.SHIFT_LEADER, R.TOWN_OFFICER}),
               needs_reason=True),
    ActionRule(Action.APPEAL, (*OPEN_WORK, S.SUSPENDED, S.CLOSED),
               frozenset({R.DEPARTMENT, R.TOWN_OFFICER}), needs_reason=True),
    ActionRule(Action.DECIDE_APPEAL, (*OPEN_WORK, S.SUSPENDED, S.CLOSED), frozenset({R.SHIFT_LEADER}),
               needs_reason=True),
)}

# Level of the seat a role works at, for "issued by a higher level" checks.
ROLE_LEVEL = {R.SHIFT_LEADER: 3, R.DUTY_OFFICER: 3, R.DISPATCHER: 3, R.ADMIN: 3, R.FINANCE: 3,
              R.DEPARTMENT: 3, R.TOWN_OFFICER: 2, R.GRID_WORKER: 0}
