"""Every rule of the closed loop on a plain record (no database).

- the action table: every action × every state × every role is legal exactly
  when the table says so; a refusal names the state and the action (or the role)
  and leaves the record as it was;
- the guards: a reason for every exception, a department for dispatch, cards
  escalate only and only from a higher level, escalation stops at the district,
  appeal / decide_appeal pairing, departments only on their own cases, town
  officers only in their town;
- the timers: each step's deadline and yellow moment in each time unit (worked
  out by hand on a calendar with a holiday week and a make-up Saturday),
  extension, suspension, close type; self-handled reports.
"""

from __future__ import annotations

import copy
import datetime as dt

import pytest

from models.auth import Identity
from models.enums import Card, CaseSource, CaseStatus as S, CloseType, Level, Step, TimeUnit
from models.enums import UserRole as R
from models.lifecycle import (RULES, Action, Ctx, IllegalTransition, MissingInput, NotPermitted, OutOfScope, Params,
                              apply, available_actions, open_case)
from models.lifecycle.intake import REPORT_ROLES, SELF_HANDLE_ROLES
from models.lifecycle.limits import ClassRule
from models.lifecycle.record import new_record
from models.policy import Policy, StepLimits, TimerPolicy
from models.workcalendar import WorkCalendar

# Holidays Thu 1 – Wed 7 October 2026, make-up working day Sat 10 October.
# Working hours 08:30–12:00 and 13:30–17:30 (7.5 h a day).
CAL = WorkCalendar(holidays=[dt.date(2026, 10, d) for d in range(1, 8)], workdays=[dt.date(2026, 10, 10)])
POLICY = Policy()
T1, T2 = 1, 2  # town ids
D1, D2 = 11, 12  # department ids
RULE = ClassRule(7, "1102", 4, TimeUnit.WORK_HOURS, D1, Level.VILLAGE)  # 暴露垃圾: 4 working hours


def d(month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute)


T0 = d(10, 8, 9, 0)  # Thu, first working day after the holiday week


def who(role: R, town: int = T1, dept: int = D1) -> Identity:
    return Identity(None, f"u-{role.value}", role.value, role,
                    town if role is R.TOWN_OFFICER else None, dept if role is R.DEPARTMENT else None)


DUTY, LEADER, DISPATCHER, WORKER = who(R.DUTY_OFFICER), who(R.SHIFT_LEADER), who(R.DISPATCHER), who(R.GRID_WORKER)
DEPT, TOWN = who(R.DEPARTMENT), who(R.TOWN_OFFICER)


def ctx(actor: Identity, at: dt.datetime, rule: ClassRule = RULE, policy: Policy = POLICY) -> Ctx:
    return Ctx(actor, at, CAL, policy, rule)


def reported(at: dt.datetime = T0, rule: ClassRule = RULE, policy: Policy = POLICY, actor: Identity = DUTY):
    rec = new_record(id=100, code="AJ2026100800001", minor_class_id=rule.minor_class_id, source=CaseSource.HOTLINE,
                     lon=121.3, lat=28.5, grid_id=1, village_id=1, town_id=T1, status=S.REPORTED,
                     reported_at=at, updated_at=at)
    open_case(rec, ctx(actor, at, rule, policy))
    return rec


class Walk:
    """A record driven through the engine one minute at a time."""

    def __init__(self, rec, at: dt.datetime) -> None:
        self.rec, self.at = rec, at

    def do(self, actor: Identity, action: Action, params: Params | None = None, minutes: int = 1):
        self.at += dt.timedelta(minutes=minutes)
        return apply(self.rec, action, ctx(actor, self.at), params)


def in_state(state: S):
    """A record brought to `state` through the engine (dispatched cases go to department D1)."""
    w = Walk(reported(), T0)
    path = {
        S.REPORTED: [],
        S.VERIFIED: [(DUTY, Action.VERIFY, None)],
        S.FILED: [(DUTY, Action.FILE, None)],
        S.VOIDED: [(DUTY, Action.VOID, Params(reason="信息不实"))],
        S.DISPATCHED: [(DUTY, Action.FILE, None), (DISPATCHER, Action.DISPATCH, Params(department_id=D1))],
    }
    path[S.HANDLED] = path[S.DISPATCHED] + [(DEPT, Action.FEEDBACK, None)]
    path[S.CHECKED] = path[S.HANDLED] + [(WORKER, Action.CHECK, None)]
    path[S.CLOSED] = path[S.CHECKED] + [(LEADER, Action.CLOSE, None)]
    path[S.SUSPENDED] = path[S.DISPATCHED] + [(LEADER, Action.SUSPEND, Params(reason="历史遗留"))]
    for actor, action, params in path[state]:
        w.do(actor, action, params)
    assert w.rec.status is state
    return w


# --- the action table ----------------------------------------------------------

GOOD_PARAMS = Params(reason="理由", department_id=D1, card=Card.YELLOW, extension=1.0, duplicate_of_id=99,
                     accept=True)
EXPECTED_STATUS = {
    Action.VERIFY: S.VERIFIED, Action.FILE: S.FILED, Action.VOID: S.VOIDED, Action.MARK_DUPLICATE: S.VOIDED,
    Action.DISPATCH: S.DISPATCHED, Action.FEEDBACK: S.HANDLED, Action.CHECK: S.CHECKED, Action.CLOSE: S.CLOSED,
    Action.REWORK: S.FILED, Action.RETURN: S.FILED, Action.ESCALATE: S.FILED, Action.SUSPEND: S.SUSPENDED,
}


def test_the_table_is_the_one_documented():
    """DOMAIN §4 / issue 3 item 1, written out once more so a change to the table is a visible decision."""
    table = {a: (set(r.from_states), set(r.roles)) for a, r in RULES.items()}
    open_work = {S.FILED, S.DISPATCHED, S.HANDLED, S.CHECKED}
    assert table == {
        Action.VERIFY: ({S.REPORTED}, {R.GRID_WORKER, R.DUTY_OFFICER, R.TOWN_OFFICER}),
        Action.FILE: ({S.REPORTED, S.VERIFIED}, {R.DUTY_OFFICER, R.SHIFT_LEADER}),
        Action.VOID: ({S.REPORTED, S.VERIFIED}, {R.DUTY_OFFICER, R.SHIFT_LEADER}),
        Action.MARK_DUPLICATE: ({S.REPORTED, S.VERIFIED}, {R.DUTY_OFFICER, R.SHIFT_LEADER}),
        Action.DISPATCH: ({S.FILED}, {R.DISPATCHER, R.SHIFT_LEADER, R.TOWN_OFFICER}),
        Action.FEEDBACK: ({S.DISPATCHED}, {R.DEPARTMENT, R.TOWN_OFFICER, R.GRID_WORKER, R.SHIFT_LEADER}),
        Action.CHECK: ({S.HANDLED}, {R.GRID_WORKER, R.DUTY_OFFICER, R.TOWN_OFFICER}),
        Action.CLOSE: ({S.CHECKED}, {R.SHIFT_LEADER}),
        Action.REWORK: ({S.HANDLED, S.CHECKED}, {R.SHIFT_LEADER, R.GRID_WORKER, R.TOWN_OFFICER}),
        Action.RETURN: ({S.DISPATCHED}, {R.DEPARTMENT, R.TOWN_OFFICER, R.SHIFT_LEADER}),
        Action.EXTEND: ({S.DISPATCHED}, {R.SHIFT_LEADER}),
        Action.SUSPEND: (open_work, {R.SHIFT_LEADER}),
        Action.RESUME: ({S.SUSPENDED}, {R.SHIFT_LEADER}),
        Action.ESCALATE: ({S.FILED, S.DISPATCHED}, {R.GRID_WORKER, R.TOWN_OFFICER, R.DEPARTMENT, R.SHIFT_LEADER}),
        Action.CARD: (open_work | {S.SUSPENDED}, {R.SHIFT_LEADER, R.TOWN_OFFICER}),
        Action.APPEAL: (open_work | {S.SUSPENDED, S.CLOSED}, {R.DEPARTMENT, R.TOWN_OFFICER}),
        Action.DECIDE_APPEAL: (open_work | {S.SUSPENDED, S.CLOSED}, {R.SHIFT_LEADER}),
    }
    exceptions = {a for a, r in RULES.items() if r.needs_reason}
    assert exceptions == {Action.VOID, Action.MARK_DUPLICATE, Action.REWORK, Action.RETURN, Action.EXTEND,
                          Action.SUSPEND, Action.RESUME, Action.ESCALATE, Action.CARD, Action.APPEAL,
                          Action.DECIDE_APPEAL}
    assert {a for a, r in RULES.items() if r.needs_department} == {Action.DISPATCH}


def _prepare(rec, action: Action) -> None:
    """Make the action's own preconditions true, so only state and role decide."""
    if action in (Action.APPEAL, Action.DECIDE_APPEAL):
        rec.card, rec.card_points = Card.YELLOW, 5.0
    if action is Action.DECIDE_APPEAL:
        rec.appeal_pending = True
    if action is Action.CARD:
        rec.card = Card.NONE


def _legal(action: Action, state: S, role: R, rec) -> bool:
    rule = RULES[action]
    own_case = role is not R.DEPARTMENT or rec.department_id == D1
    return state in rule.from_states and role in rule.roles and own_case


@pytest.mark.parametrize("role", list(R))
@pytest.mark.parametrize("state", list(S))
@pytest.mark.parametrize("action", list(RULES))
def test_every_action_state_and_role(action, state, role):
    rec = in_state(state).rec
    _prepare(rec, action)
    before = copy.deepcopy(vars(rec))
    actor = who(role)
    at = rec.updated_at + dt.timedelta(minutes=5)
    if not _legal(action, state, role, rec):
        expected = IllegalTransition if state not in RULES[action].from_states else NotPermitted
        with pytest.raises(expected) as err:
            apply(rec, action, ctx(actor, at), GOOD_PARAMS)
        if expected is IllegalTransition:
            assert (err.value.status, err.value.action) == (state.value, action.value)
            assert state.value in str(err.value) and action.value in str(err.value)
        else:
            assert (err.value.role, err.value.action) == (role.value, action.value)
            assert role.value in str(err.value) and action.value in str(err.value)
        assert vars(rec) == before, "a refused action changed the record"
        return
    entry = apply(rec, action, ctx(actor, at), GOOD_PARAMS)
    if action is Action.RESUME:
        want = before["status_before_suspend"]
    else:
        want = EXPECTED_STATUS.get(action, state)
    assert rec.status is want
    assert (entry.action, entry.actor, entry.role) == (action.value, actor.username, role.value)
    assert (entry.from_status, entry.to_status, entry.at) == (state.value, want.value, at)
    assert entry.reason == "理由"
    assert rec.updated_at == at


@pytest.mark.parametrize("role", list(R))
@pytest.mark.parametrize("state", list(S))
def test_available_actions_are_exactly_the_legal_ones(state, role):
    rec = in_state(state).rec
    legal = {a for a in RULES if _legal(a, state, role, rec)}
    legal.discard(Action.DECIDE_APPEAL)  # no appeal pending
    if state is not S.CLOSED:
        legal.discard(Action.APPEAL)  # no card to appeal against
    assert set(available_actions(rec, who(role))) == legal


@pytest.mark.parametrize("role", list(R))
def test_who_may_report_and_self_handle(role):
    assert REPORT_ROLES == {R.GRID_WORKER, R.DUTY_OFFICER, R.SHIFT_LEADER, R.TOWN_OFFICER, R.DISPATCHER, R.ADMIN}
    assert SELF_HANDLE_ROLES == {R.GRID_WORKER, R.TOWN_OFFICER}
    for self_handled, roles in ((False, REPORT_ROLES), (True, SELF_HANDLE_ROLES)):
        rec = new_record(id=1, code="X", town_id=T1, status=S.REPORTED, reported_at=T0, updated_at=T0)
        before = copy.deepcopy(vars(rec))
        if role in roles:
            entries = open_case(rec, ctx(who(role), T0), self_handled=self_handled)
            assert rec.status is (S.CLOSED if self_handled else S.REPORTED)
            assert entries[-1].to_status == rec.status.value
        else:
            with pytest.raises(NotPermitted):
                open_case(rec, ctx(who(role), T0), self_handled=self_handled)
            assert vars(rec) == before


# --- guards -----------------------------------------------------------------------

LEGAL_SETUP = {  # action -> (state, actor) where it is legal
    Action.VOID: (S.REPORTED, DUTY), Action.MARK_DUPLICATE: (S.VERIFIED, LEADER), Action.REWORK: (S.HANDLED, WORKER),
    Action.RETURN: (S.DISPATCHED, DEPT), Action.EXTEND: (S.DISPATCHED, LEADER),
    Action.SUSPEND: (S.CHECKED, LEADER), Action.RESUME: (S.SUSPENDED, LEADER),
    Action.ESCALATE: (S.FILED, WORKER), Action.CARD: (S.DISPATCHED, TOWN),
    Action.APPEAL: (S.DISPATCHED, DEPT), Action.DECIDE_APPEAL: (S.DISPATCHED, LEADER),
}


@pytest.mark.parametrize("reason", ["", "   ", "\n\t"])
@pytest.mark.parametrize("action", [a for a, r in RULES.items() if r.needs_reason])
def test_every_exception_needs_a_reason(action, reason):
    state, actor = LEGAL_SETUP[action]
    rec = in_state(state).rec
    _prepare(rec, action)
    params = Params(reason=reason, department_id=D1, card=Card.YELLOW, extension=2.0, duplicate_of_id=99,
                    accept=False)
    before = copy.deepcopy(vars(rec))
    with pytest.raises(MissingInput) as err:
        apply(rec, action, ctx(actor, rec.updated_at + dt.timedelta(minutes=1)), params)
    assert err.value.field == "reason" and action.value in str(err.value)
    assert vars(rec) == before
    # the same with a reason goes through, and the flow entry keeps it (trimmed)
    entry = apply(rec, action, ctx(actor, rec.updated_at + dt.timedelta(minutes=1)),
                  Params(**{**vars(params), "reason": "  现场核实后决定 "}))
    assert entry.reason == "现场核实后决定"


@pytest.mark.parametrize(("action", "params", "field"), [
    (Action.DISPATCH, Params(), "department"),
    (Action.EXTEND, Params(reason="协调"), "extension"),
    (Action.EXTEND, Params(reason="协调", extension=0), "extension"),
    (Action.EXTEND, Params(reason="协调", extension=-2), "extension"),
    (Action.CARD, Params(reason="督办"), "card"),
    (Action.CARD, Params(reason="督办", card=Card.NONE), "card"),
    (Action.MARK_DUPLICATE, Params(reason="重复"), "duplicate_of"),
    (Action.DECIDE_APPEAL, Params(reason="裁定"), "accept"),
])
def test_required_inputs(action, params, field):
    state, actor = {Action.DISPATCH: (S.FILED, DISPATCHER)}.get(action) or LEGAL_SETUP[action]
    rec = in_state(state).rec
    _prepare(rec, action)
    before = copy.deepcopy(vars(rec))
    with pytest.raises(MissingInput) as err:
        apply(rec, action, ctx(actor, rec.updated_at), params)
    assert err.value.field == field
    assert vars(rec) == before


def test_a_case_cannot_be_its_own_duplicate():
    rec = in_state(S.REPORTED).rec
    before = copy.deepcopy(vars(rec))
    with pytest.raises(IllegalTransition, match="itself"):
        apply(rec, Action.MARK_DUPLICATE, ctx(DUTY, T0), Params(reason="重复", duplicate_of_id=rec.id))
    assert vars(rec) == before
    apply(rec, Action.MARK_DUPLICATE, ctx(DUTY, T0), Params(reason="重复", duplicate_of_id=7))
    assert rec.status is S.VOIDED and rec.duplicate_of_id == 7 and rec.voided_at == T0 and rec.step is None


def test_cards_escalate_only_and_add_their_points():
    w = in_state(S.DISPATCHED)
    rec = w.rec
    for card, points in ((Card.NORMAL, 0), (Card.YELLOW, 5), (Card.RED, 15)):
        entry = w.do(LEADER, Action.CARD, Params(card=card, reason="督办"))
        assert rec.card is card and rec.card_points == points and '"card": "%s"' % card.value in entry.detail
    for card in (Card.NORMAL, Card.YELLOW, Card.RED):
        before = copy.deepcopy(vars(rec))
        with pytest.raises(IllegalTransition, match="red card is the highest"):
            w.do(LEADER, Action.CARD, Params(card=card, reason="再次督办"))
        assert vars(rec) == before
    rec2 = in_state(S.DISPATCHED).rec
    rec2.card = Card.YELLOW
    for card in (Card.NORMAL, Card.YELLOW):  # no lower or equal card
        before = copy.deepcopy(vars(rec2))
        with pytest.raises(IllegalTransition, match="only escalate"):
            apply(rec2, Action.CARD, ctx(LEADER, T0 + dt.timedelta(hours=1)), Params(card=card, reason="x"))
        assert vars(rec2) == before


@pytest.mark.parametrize(("level", "actor", "allowed"), [
    (Level.GRID, TOWN, True), (Level.VILLAGE, TOWN, True), (Level.TOWN, TOWN, False), (Level.DISTRICT, TOWN, False),
    (Level.GRID, LEADER, True), (Level.TOWN, LEADER, True), (Level.DISTRICT, LEADER, False),
])
def test_cards_come_only_from_a_higher_level(level, actor, allowed):
    rec = in_state(S.DISPATCHED).rec
    rec.level = level
    at = rec.updated_at + dt.timedelta(minutes=1)
    if allowed:
        apply(rec, Action.CARD, ctx(actor, at), Params(card=Card.YELLOW, reason="督办"))
        assert rec.card is Card.YELLOW
        return
    before = copy.deepcopy(vars(rec))
    with pytest.raises(NotPermitted, match="higher level"):
        apply(rec, Action.CARD, ctx(actor, at), Params(card=Card.YELLOW, reason="督办"))
    assert vars(rec) == before
    # the policy rule (auto) is not a person at a level: it may card any case
    entry = apply(rec, Action.CARD, ctx(LEADER, at), Params(card=Card.YELLOW, reason="超时自动督办", auto=True))
    assert rec.card is Card.YELLOW and '"auto": true' in entry.detail


def test_escalation_climbs_one_level_at_a_time_and_stops_at_the_district():
    w = in_state(S.FILED)
    rec = w.rec
    assert rec.level is Level.GRID
    seen = []
    for actor in (WORKER, TOWN, LEADER):
        entry = w.do(actor, Action.ESCALATE, Params(reason="超出本级处置能力"))
        seen.append(rec.level)
        assert rec.status is S.FILED and rec.step is Step.DISPATCH and rec.department_id is None
        assert entry.level == rec.level.value
    assert seen == [Level.VILLAGE, Level.TOWN, Level.DISTRICT]
    before = copy.deepcopy(vars(rec))
    with pytest.raises(IllegalTransition, match="district"):
        w.do(LEADER, Action.ESCALATE, Params(reason="再上报"))
    assert vars(rec) == before
    # a dispatch without a level keeps the escalated level
    w.do(DISPATCHER, Action.DISPATCH, Params(department_id=D2))
    assert rec.level is Level.DISTRICT


def test_dispatch_level_defaults_to_the_rule_and_can_be_given():
    rec = in_state(S.FILED).rec
    apply(rec, Action.DISPATCH, ctx(DISPATCHER, T0 + dt.timedelta(minutes=5)), Params(department_id=D1))
    assert rec.level is RULE.level is Level.VILLAGE
    rec = in_state(S.FILED).rec
    apply(rec, Action.DISPATCH, ctx(DISPATCHER, T0 + dt.timedelta(minutes=5)),
          Params(department_id=D1, level=Level.TOWN))
    assert rec.level is Level.TOWN


def test_appeal_and_decision_come_in_pairs():
    w = in_state(S.DISPATCHED)
    rec = w.rec
    with pytest.raises(IllegalTransition, match="nothing to appeal"):
        w.do(DEPT, Action.APPEAL, Params(reason="已按时处置"))
    with pytest.raises(IllegalTransition, match="no appeal is pending"):
        w.do(LEADER, Action.DECIDE_APPEAL, Params(reason="裁定", accept=True))
    w.do(TOWN, Action.CARD, Params(card=Card.YELLOW, reason="超时"))
    entry = w.do(DEPT, Action.APPEAL, Params(reason="已按时处置"))
    assert rec.appeal_pending and '"against": "card"' in entry.detail
    before = copy.deepcopy(vars(rec))
    with pytest.raises(IllegalTransition, match="pending"):
        w.do(DEPT, Action.APPEAL, Params(reason="再次申诉"))
    assert vars(rec) == before
    entry = w.do(LEADER, Action.DECIDE_APPEAL, Params(reason="申诉不成立", accept=False))
    assert not rec.appeal_pending and rec.card is Card.YELLOW and rec.card_points == 5
    w.do(DEPT, Action.APPEAL, Params(reason="补充材料"))
    entry = w.do(LEADER, Action.DECIDE_APPEAL, Params(reason="申诉成立", accept=True))
    assert rec.card is Card.NONE and rec.card_points == 0 and '"revoked_card": "yellow"' in entry.detail
    assert rec.status is S.DISPATCHED


def test_appeal_against_a_closing():
    w = in_state(S.CLOSED)
    rec = w.rec
    assert rec.close_type is CloseType.NORMAL
    entry = w.do(TOWN, Action.APPEAL, Params(reason="结案不实"))
    assert '"against": "close"' in entry.detail and rec.appeal_pending
    w.do(LEADER, Action.DECIDE_APPEAL, Params(reason="成立", accept=True))
    assert rec.close_type is CloseType.SPECIAL and rec.status is S.CLOSED and not rec.appeal_pending


@pytest.mark.parametrize("state", [S.DISPATCHED, S.HANDLED, S.CHECKED, S.CLOSED, S.SUSPENDED])
def test_departments_act_only_on_their_own_cases(state):
    rec = in_state(state).rec
    rec.card = Card.YELLOW  # something a department could appeal against
    other = who(R.DEPARTMENT, dept=D2)
    for action in RULES:
        if R.DEPARTMENT not in RULES[action].roles or state not in RULES[action].from_states:
            continue
        before = copy.deepcopy(vars(rec))
        with pytest.raises(NotPermitted, match="not dispatched to your department"):
            apply(rec, action, ctx(other, rec.updated_at), GOOD_PARAMS)
        assert vars(rec) == before
        apply(copy.deepcopy(rec), action, ctx(DEPT, rec.updated_at), GOOD_PARAMS)  # the own department may


@pytest.mark.parametrize("state", list(S))
def test_town_officers_act_only_in_their_town(state):
    rec = in_state(state).rec
    stranger = who(R.TOWN_OFFICER, town=T2)
    for action in RULES:
        if R.TOWN_OFFICER not in RULES[action].roles or state not in RULES[action].from_states:
            continue
        _prepare(rec, action)
        before = copy.deepcopy(vars(rec))
        with pytest.raises(OutOfScope):
            apply(rec, action, ctx(stranger, rec.updated_at), GOOD_PARAMS)
        assert vars(rec) == before
        apply(copy.deepcopy(rec), action, ctx(TOWN, rec.updated_at), GOOD_PARAMS)


def test_town_officers_report_only_in_their_town():
    for self_handled in (False, True):
        rec = new_record(id=1, code="X", town_id=T1, status=S.REPORTED, reported_at=T0, updated_at=T0)
        before = copy.deepcopy(vars(rec))
        with pytest.raises(OutOfScope):
            open_case(rec, ctx(who(R.TOWN_OFFICER, town=T2), T0), self_handled=self_handled)
        assert vars(rec) == before


# --- timers -------------------------------------------------------------------------
# One case per time unit, every limit in that unit: verify 1, accept 2, dispatch 1,
# handle 5 (the rule), check 2; yellow at 80 %. Reported Wed 30 Sep 16:00 (the day
# before the holiday week), verified 16:20, filed Thu 8 Oct 09:00, dispatched 09:20,
# handled Fri 9 Oct 10:00, checked Sat 10 Oct 09:00 (make-up day), closed 10:00.

U, H, WH, WD = TimeUnit.URGENT_HOURS, TimeUnit.CALENDAR_DAYS, TimeUnit.WORK_HOURS, TimeUnit.WORK_DAYS
TIMES = dict(report=d(9, 30, 16), verify=d(9, 30, 16, 20), file=d(10, 8, 9), dispatch=d(10, 8, 9, 20),
             feedback=d(10, 9, 10), check=d(10, 10, 9), close=d(10, 10, 10))
TIMER_CASES = {
    # urgent hours: continuous clock
    U: dict(verify_deadline=d(9, 30, 17), accept_deadline=d(9, 30, 18), accept_yellow=d(9, 30, 17, 36),  # +1.6 h
            dispatch_deadline=d(10, 8, 10), dispatch_yellow=d(10, 8, 9, 48),  # +0.8 h = 48 min
            close_deadline=d(10, 8, 17),  # 09:00 + 1 + 5 + 2 h
            handle_deadline=d(10, 8, 14, 20), handle_yellow=d(10, 8, 13, 20),  # 09:20 + 5 h / + 4 h
            check_deadline=d(10, 9, 12), check_yellow=d(10, 9, 11, 36),  # 10:00 + 2 h / + 96 min
            on_time=dict(verify=True, accept=False, dispatch=True, handle=False, check=False),
            close_type=CloseType.OVERDUE),
    # calendar days: continuous, holidays count
    H: dict(verify_deadline=d(10, 1, 16), accept_deadline=d(10, 2, 16),
            accept_yellow=d(10, 2, 6, 24),  # + 1.6 d = 38 h 24 min
            dispatch_deadline=d(10, 9, 9), dispatch_yellow=d(10, 9, 4, 12),  # + 19 h 12 min
            close_deadline=d(10, 16, 9),  # + 8 d
            handle_deadline=d(10, 13, 9, 20), handle_yellow=d(10, 12, 9, 20),
            check_deadline=d(10, 11, 10), check_yellow=d(10, 11, 0, 24),  # 10:00 + 38 h 24 min
            on_time=dict(verify=True, accept=False, dispatch=True, handle=True, check=True),
            close_type=CloseType.NORMAL),
    # working hours: 1.5 h left on Wed 30 Sep, then the holiday week, then Thu 8 Oct
    WH: dict(verify_deadline=d(9, 30, 17),
             accept_deadline=d(10, 8, 9),  # 1.5 h + 0.5 h
             accept_yellow=d(10, 8, 8, 36),  # 1.5 h + 6 min
             dispatch_deadline=d(10, 8, 10), dispatch_yellow=d(10, 8, 9, 48),
             close_deadline=d(10, 9, 9, 30),  # 8 h: 3 h + 4 h on the 8th, 1 h on the 9th
             handle_deadline=d(10, 8, 15, 50),  # 2 h 40 to noon, 2 h 20 from 13:30
             handle_yellow=d(10, 8, 14, 50),  # 2 h 40 + 1 h 20
             check_deadline=d(10, 9, 12), check_yellow=d(10, 9, 11, 36),
             on_time=dict(verify=True, accept=True, dispatch=True, handle=False, check=False),  # accept: exactly on
             close_type=CloseType.OVERDUE),
    # working days of 7.5 h; Sat 10 Oct is a working day, Sun 11 is not
    WD: dict(verify_deadline=d(10, 8, 16),  # 1.5 h on the 30th + 6 h on the 8th
             accept_deadline=d(10, 9, 16),
             accept_yellow=d(10, 9, 11, 30),  # 12 h = 1.5 + 7.5 + 3
             dispatch_deadline=d(10, 9, 9), dispatch_yellow=d(10, 8, 16, 30),  # 6 h = 3 + 3
             close_deadline=d(10, 19, 9),  # 8 working days: 9, 10(Sat), 12, 13, 14, 15, 16, 19
             handle_deadline=d(10, 14, 9, 20), handle_yellow=d(10, 13, 9, 20),
             check_deadline=d(10, 12, 10),  # 10 (Sat), 12
             check_yellow=d(10, 10, 16),  # 12 h = 6 h on the 9th + 6 h on the 10th
             on_time=dict(verify=True, accept=True, dispatch=True, handle=True, check=True),
             close_type=CloseType.NORMAL),
}


@pytest.mark.parametrize("unit", list(TimeUnit))
def test_each_step_deadline_and_yellow_moment(unit):
    want = TIMER_CASES[unit]
    policy = Policy(timers=TimerPolicy(steps=StepLimits(verify=(1, unit.value), accept=(2, unit.value),
                                                        dispatch=(1, unit.value), check=(2, unit.value))))
    rule = ClassRule(7, "1102", 5, unit, D1, Level.VILLAGE)

    def act(actor, action, params=None):
        return apply(rec, action, Ctx(actor, TIMES[action.value], CAL, policy, rule), params)

    rec = reported(TIMES["report"], rule, policy)
    assert rec.verify_deadline == want["verify_deadline"]
    assert (rec.step, rec.step_started_at) == (Step.ACCEPT, TIMES["report"])
    assert (rec.accept_deadline, rec.step_deadline, rec.step_yellow_at) == (
        want["accept_deadline"], want["accept_deadline"], want["accept_yellow"])
    act(WORKER, Action.VERIFY)
    assert rec.step is Step.ACCEPT and rec.verified_at == TIMES["verify"]
    act(DUTY, Action.FILE)
    assert (rec.step, rec.step_started_at) == (Step.DISPATCH, TIMES["file"])
    assert (rec.dispatch_deadline, rec.step_deadline, rec.step_yellow_at) == (
        want["dispatch_deadline"], want["dispatch_deadline"], want["dispatch_yellow"])
    assert rec.close_deadline == want["close_deadline"]
    act(DISPATCHER, Action.DISPATCH, Params(department_id=D1))
    assert (rec.step, rec.step_started_at) == (Step.HANDLE, TIMES["dispatch"])
    assert (rec.handle_deadline, rec.step_deadline, rec.step_yellow_at) == (
        want["handle_deadline"], want["handle_deadline"], want["handle_yellow"])
    act(DEPT, Action.FEEDBACK)
    assert (rec.step, rec.step_started_at) == (Step.CHECK, TIMES["feedback"])
    assert (rec.check_deadline, rec.step_deadline, rec.step_yellow_at) == (
        want["check_deadline"], want["check_deadline"], want["check_yellow"])
    act(WORKER, Action.CHECK)
    assert (rec.step, rec.step_deadline) == (Step.CLOSE, want["close_deadline"])
    act(LEADER, Action.CLOSE)
    assert rec.step is None and rec.step_deadline is None and rec.step_yellow_at is None
    assert rec.close_type is want["close_type"] and rec.closed_level is Level.VILLAGE
    got = {s: getattr(rec, f"{s}_on_time") for s in ("verify", "accept", "dispatch", "handle", "check")}
    assert got == want["on_time"]


def _dispatched_wh():
    """暴露垃圾 (4 working hours), default policy: filed Thu 8 Oct 09:00, dispatched 09:20."""
    rec = reported(d(10, 8, 8, 50))
    apply(rec, Action.FILE, ctx(DUTY, d(10, 8, 9)))
    apply(rec, Action.DISPATCH, ctx(DISPATCHER, d(10, 8, 9, 20)), Params(department_id=D1))
    # dispatch 0.5 urgent h → 09:30; handle 4 wh → 15:00; check 2 wh → 17:00
    assert rec.close_deadline == d(10, 8, 17)
    assert rec.handle_deadline == d(10, 8, 14, 50)  # 2 h 40 to noon + 1 h 20
    assert rec.step_yellow_at == d(10, 8, 14, 2)  # 3.2 h: 2 h 40 + 32 min
    return rec


def test_extension_moves_handle_and_close_deadlines():
    rec = _dispatched_wh()
    entry = apply(rec, Action.EXTEND, ctx(LEADER, d(10, 8, 11)), Params(reason="需协调", extension=3))
    assert rec.handle_deadline == rec.step_deadline == d(10, 9, 8, 50)  # 14:50 + 2 h 40 + 20 min
    assert rec.close_deadline == d(10, 9, 11)  # 17:00 + 0.5 h + 2.5 h
    # the limit is now 7 working hours from 09:20; yellow at 5.6 h = 2 h 40 + 2 h 56
    assert rec.step_yellow_at == d(10, 8, 16, 26)
    assert rec.extension_count == 1 and rec.status is S.DISPATCHED
    assert '"new_deadline": "2026-10-09T08:50:00"' in entry.detail
    apply(rec, Action.FEEDBACK, ctx(DEPT, d(10, 9, 8, 45)))
    assert rec.handle_on_time is True  # late against the old deadline, on time against the extended one


def test_suspension_shifts_deadlines_by_the_paused_working_time():
    rec = _dispatched_wh()
    apply(rec, Action.SUSPEND, ctx(LEADER, d(10, 8, 11)), Params(reason="挂账"))
    assert rec.status is S.SUSPENDED and rec.status_before_suspend is S.DISPATCHED
    assert rec.suspended_at == d(10, 8, 11) and rec.step_deadline == d(10, 8, 14, 50)
    entry = apply(rec, Action.RESUME, ctx(LEADER, d(10, 9, 10)), Params(reason="恢复"))
    # paused working time: 11:00–12:00, 13:30–17:30, 08:30–10:00 = 6.5 h
    assert rec.handle_deadline == rec.step_deadline == d(10, 9, 13, 50)  # 14:50 + 2 h 40 + 3 h 30 + 20 min
    assert rec.step_yellow_at == d(10, 9, 11, 32)  # 14:02 + 3 h 28 + 3 h 02
    assert rec.close_deadline == d(10, 9, 16)  # 17:00 + 0.5 h + 3.5 h + 2.5 h
    assert rec.status is S.DISPATCHED and rec.suspended_at is None and rec.status_before_suspend is None
    assert rec.suspended_seconds == 23 * 3600 and '"suspended_seconds": 82800' in entry.detail


def test_suspending_an_overdue_step_does_not_put_it_back_on_time():
    rec = _dispatched_wh()
    apply(rec, Action.SUSPEND, ctx(LEADER, d(10, 8, 15, 30)), Params(reason="挂账"))  # handle deadline 14:50 passed
    apply(rec, Action.RESUME, ctx(LEADER, d(10, 9, 10)), Params(reason="恢复"))
    assert rec.handle_deadline == rec.step_deadline == d(10, 8, 14, 50)  # stays: it was already late
    assert rec.step_yellow_at == d(10, 8, 14, 2)
    assert rec.close_deadline == d(10, 9, 11, 30)  # 17:00 had not come: + 2 h + 1.5 h paused
    apply(rec, Action.FEEDBACK, ctx(DEPT, d(10, 9, 10, 30)))
    assert rec.handle_on_time is False


def test_suspension_in_continuous_time():
    rule = ClassRule(8, "0101", 2, U, D1, Level.TOWN)  # 上水井盖: 2 urgent hours
    rec = reported(d(10, 9, 17), rule)
    apply(rec, Action.FILE, ctx(DUTY, d(10, 9, 17, 10), rule))
    # 17:10 + 0.5 urgent h + 2 urgent h = Fri 19:40; the 2 working hours of the check follow on
    # Sat 10 Oct, a make-up working day: 08:30–10:30
    assert rec.close_deadline == d(10, 10, 10, 30)
    apply(rec, Action.DISPATCH, ctx(DISPATCHER, d(10, 9, 17, 20), rule), Params(department_id=D1))
    assert rec.handle_deadline == d(10, 9, 19, 20)
    apply(rec, Action.SUSPEND, ctx(LEADER, d(10, 9, 18), rule), Params(reason="挂账"))
    apply(rec, Action.RESUME, ctx(LEADER, d(10, 10, 18), rule), Params(reason="恢复"))
    assert rec.handle_deadline == rec.step_deadline == d(10, 10, 19, 20)  # + 24 h, night and make-up day alike
    assert rec.close_deadline == d(10, 11, 10, 30)  # shifted in the rule's unit: + 24 h


def test_suspension_at_the_closing_step():
    rec = _dispatched_wh()
    apply(rec, Action.FEEDBACK, ctx(DEPT, d(10, 8, 11)))
    apply(rec, Action.CHECK, ctx(WORKER, d(10, 8, 11, 30)))
    assert rec.step is Step.CLOSE and rec.step_deadline == d(10, 8, 17)
    apply(rec, Action.SUSPEND, ctx(LEADER, d(10, 8, 16)), Params(reason="挂账"))
    apply(rec, Action.RESUME, ctx(LEADER, d(10, 9, 9)), Params(reason="恢复"))
    # paused 16:00–17:30 and 08:30–09:00: 2 working hours → 17:00 + 0.5 h + 1.5 h
    assert rec.close_deadline == rec.step_deadline == d(10, 9, 10) and rec.status is S.CHECKED
    apply(rec, Action.CLOSE, ctx(LEADER, d(10, 9, 9, 59)))
    assert rec.close_type is CloseType.NORMAL


@pytest.mark.parametrize(("closed_at", "params", "want"), [
    (d(10, 8, 16, 59), Params(), CloseType.NORMAL),
    (d(10, 8, 17), Params(), CloseType.NORMAL),  # exactly at the deadline is on time
    (d(10, 8, 17, 1), Params(), CloseType.OVERDUE),
    (d(10, 9, 9), Params(close_type=CloseType.ERROR), CloseType.ERROR),
    (d(10, 8, 12), Params(close_type=CloseType.SPECIAL), CloseType.SPECIAL),
    (d(10, 8, 12), Params(close_type=CloseType.SELF_HANDLED), CloseType.NORMAL),  # not for the leader to choose
])
def test_close_type(closed_at, params, want):
    rec = _dispatched_wh()
    apply(rec, Action.FEEDBACK, ctx(DEPT, d(10, 8, 11)))
    apply(rec, Action.CHECK, ctx(WORKER, d(10, 8, 11, 30)))
    apply(rec, Action.CLOSE, ctx(LEADER, closed_at), params)
    assert rec.close_type is want and rec.closed_at == closed_at and rec.closed_level is Level.VILLAGE


def test_rework_starts_a_new_round():
    rec = _dispatched_wh()
    apply(rec, Action.FEEDBACK, ctx(DEPT, d(10, 8, 11)))
    apply(rec, Action.CHECK, ctx(WORKER, d(10, 8, 11, 30)))
    entry = apply(rec, Action.REWORK, ctx(LEADER, d(10, 8, 14)), Params(reason="未彻底解决"))
    assert rec.status is S.FILED and rec.rework_count == 1 and '"rework": 1' in entry.detail
    assert rec.handled_at is rec.checked_at is rec.handle_on_time is rec.check_on_time is None
    assert rec.department_id is None and rec.step is Step.DISPATCH
    assert rec.dispatch_deadline == d(10, 8, 14, 30)  # 0.5 urgent hours
    apply(rec, Action.DISPATCH, ctx(DISPATCHER, d(10, 8, 14, 10)), Params(department_id=D2))
    assert rec.first_dispatched_at == d(10, 8, 9, 20) and rec.dispatched_at == d(10, 8, 14, 10)
    assert rec.handle_deadline == d(10, 9, 9, 10)  # 4 wh: 3 h 20 on the 8th, 40 min on the 9th
    assert rec.close_deadline == d(10, 8, 17)  # the case's deadline does not restart


def test_return_clears_the_department_and_counts():
    rec = _dispatched_wh()
    entry = apply(rec, Action.RETURN, ctx(DEPT, d(10, 8, 10)), Params(reason="非本单位职责"))
    assert rec.status is S.FILED and rec.department_id is None and rec.return_count == 1
    assert f'"returned_by_department": {D1}' in entry.detail


def test_auto_dispatch_flag_follows_the_first_dispatch_only():
    rec = in_state(S.FILED).rec
    apply(rec, Action.DISPATCH, ctx(DISPATCHER, T0 + dt.timedelta(minutes=5)), Params(department_id=D1, auto=True))
    assert rec.auto_dispatched
    apply(rec, Action.ESCALATE, ctx(DEPT, T0 + dt.timedelta(minutes=9)), Params(reason="上报"))
    apply(rec, Action.DISPATCH, ctx(DISPATCHER, T0 + dt.timedelta(minutes=15)), Params(department_id=D2))
    assert rec.auto_dispatched  # still counted as auto-dispatched: the first dispatch was


def test_step_on_time_flags_at_the_boundary():
    rec = reported(d(10, 8, 9))
    assert rec.verify_deadline == d(10, 8, 9, 30)  # 0.5 urgent hours
    apply(rec, Action.VERIFY, ctx(WORKER, d(10, 8, 9, 30)))
    assert rec.verify_on_time is True
    rec = reported(d(10, 8, 9))
    apply(rec, Action.VERIFY, ctx(WORKER, d(10, 8, 9, 31)))
    assert rec.verify_on_time is False
    apply(rec, Action.FILE, ctx(DUTY, d(10, 9, 9)))  # accept: 1 working day → Fri 9 Oct 09:00
    assert rec.accept_on_time is True and rec.accept_deadline == d(10, 9, 9)


def test_self_handled_report():
    rec = new_record(id=5, code="S1", town_id=T1, source=CaseSource.GRID_WORKER, status=S.REPORTED,
                     reported_at=T0, updated_at=T0)
    entries = open_case(rec, ctx(WORKER, T0), self_handled=True)
    assert [e.action for e in entries] == ["report", "self_handle"]
    assert [(e.from_status, e.to_status) for e in entries] == [(None, "reported"), ("reported", "closed")]
    assert entries[1].reason == "微事不出格: 现场自行处置"
    assert rec.status is S.CLOSED and rec.self_handled
    assert rec.reported_at == rec.filed_at == rec.handled_at == rec.checked_at == rec.closed_at == T0
    assert rec.dispatched_at is None and rec.first_dispatched_at is None and rec.department_id is None
    assert (rec.level, rec.closed_level, rec.close_type) == (Level.GRID, Level.GRID, CloseType.SELF_HANDLED)
    assert rec.accept_on_time is True and rec.step is None and rec.step_deadline is None
    assert rec.close_deadline == d(10, 8, 17)  # 0.5 urgent h + 4 wh + 2 wh from 09:00
    assert available_actions(rec, LEADER) == [] and available_actions(rec, TOWN) == [Action.APPEAL]
    with pytest.raises(IllegalTransition):
        apply(rec, Action.REWORK, ctx(LEADER, T0), Params(reason="x"))
