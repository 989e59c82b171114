"""Simulating cases through the real engine for demo data.

Each case is a plain record driven by `models.lifecycle` (the same `apply` the
GUI and CLI use), at sampled moments that follow DOMAIN.md: most steps on time,
~5–10 % of cases handled late, a few percent reworked, returned, escalated,
extended or suspended, > 95 % closed at grid or village level, and about a third
of grid-worker reports fixed on the spot (自处理). Nothing happens after `now`:
recent cases stay open at whatever step they have reached.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from models.auth import Identity
from models.enums import Card, CaseSource, CaseStatus, Level, Step
from models.enums import UserRole as R
from models.lifecycle import Action, Ctx, FlowEntry, Params, apply, open_case
from models.lifecycle.actions import OPEN_WORK
from models.lifecycle.limits import ClassRule, step_limit
from models.lifecycle.record import new_record
from models.lifecycle.supervision import overdue_multiple
from models.policy import Policy

DUTY = Identity(None, "demo-duty", "值班员(演示)", R.DUTY_OFFICER)
DISPATCHER = Identity(None, "demo-dispatch", "派遣员(演示)", R.DISPATCHER)
AUTO = Identity(None, "auto-dispatch", "自动派遣", R.DISPATCHER)
LEADER = Identity(None, "demo-leader", "值班长(演示)", R.SHIFT_LEADER)
SUPERVISOR = Identity(None, "auto-supervision", "自动督办", R.SHIFT_LEADER)
WORKER = Identity(None, "demo-grid", "网格员(演示)", R.GRID_WORKER)

SOURCES = [(CaseSource.GRID_WORKER, 0.70), (CaseSource.HOTLINE, 0.14), (CaseSource.CAMERA, 0.05),
           (CaseSource.PUBLIC, 0.06), (CaseSource.WECHAT, 0.05)]
LEVELS = [(Level.GRID, 0.58), (Level.VILLAGE, 0.385), (Level.TOWN, 0.03), (Level.DISTRICT, 0.005)]
VOID_REASONS = ["不属于受理范围", "信息不实, 现场核实无此问题", "重复上报", "上报人撤回"]


@dataclass(frozen=True)
class CaseSeed:
    """What the generator decided about one case before the loop runs."""

    case_id: int
    code: str
    reported_at: dt.datetime
    rule: ClassRule
    class_name: str
    lon: float
    lat: float
    grid_id: int
    village_id: int
    town_id: int
    grid_name: str
    auto_rule: tuple[int, Level] | None  # (department id, level) when an auto-dispatch rule matches


def _pick(rng: random.Random, weighted: list[tuple[Any, float]]) -> Any:
    x = rng.random() * sum(w for _, w in weighted)
    for value, w in weighted:
        x -= w
        if x <= 0:
            return value
    return weighted[-1][0]


class Simulator:
    def __init__(self, calendar: Any, policy: Policy, now: dt.datetime, rng: random.Random) -> None:
        self.cal, self.policy, self.now, self.rng = calendar, policy, now, rng

    def _ctx(self, actor: Identity, at: dt.datetime, rule: ClassRule) -> Ctx:
        return Ctx(actor, at, self.cal, self.policy, rule)

    def _later(self, at: dt.datetime, minutes: float) -> dt.datetime:
        return (at + dt.timedelta(minutes=max(minutes, 1.0))).replace(second=0, microsecond=0)

    def _frac(self, case: Any, step: Step, rule: ClassRule, frac: float) -> dt.datetime:
        """The moment `frac` of the running step's limit is used (on the work calendar)."""
        value, unit = step_limit(step, rule, self.policy)
        t = self.cal.add(case.step_started_at, max(frac, 0.01) * value, unit)
        return max(t, case.step_started_at + dt.timedelta(minutes=1)).replace(second=0, microsecond=0)

    def run(self, seed: CaseSeed) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        rng, rule = self.rng, seed.rule
        source = _pick(rng, SOURCES)
        self_handled = source is CaseSource.GRID_WORKER and rng.random() < 0.36
        case = new_record(
            id=seed.case_id, code=seed.code, minor_class_id=rule.minor_class_id, source=source,
            description=f"【演示】{seed.grid_name}发现{seed.class_name}问题", address=f"{seed.grid_name}",
            lon=seed.lon, lat=seed.lat, grid_id=seed.grid_id, village_id=seed.village_id, town_id=seed.town_id,
            reporter_name="网格员" if source is CaseSource.GRID_WORKER else "市民(演示)", is_demo=True,
            status=CaseStatus.REPORTED, reported_at=seed.reported_at, updated_at=seed.reported_at)
        reporter = WORKER if source is CaseSource.GRID_WORKER else DUTY
        flow: list[FlowEntry] = list(open_case(case, self._ctx(reporter, seed.reported_at, rule),
                                               self_handled=self_handled))
        if not self_handled:
            self._loop(case, seed, flow)
        return _row(case), [dict(vars(f), case_id=seed.case_id) for f in flow]

    # one step at a time; each returns False when `now` is reached
    def _do(self, case, flow, action, actor, at, rule, params=None) -> bool:
        at = max(at, case.updated_at + dt.timedelta(minutes=1))  # keep the loop in order
        if at >= self.now:
            return False
        self._cards_until(case, flow, at, rule)
        flow.append(apply(case, action, self._ctx(actor, at, rule), params))
        return True

    def _cards_until(self, case, flow, until: dt.datetime, rule: ClassRule) -> None:
        """Issue the rule's cards that fall due before `until` (yellow at red light, red at 2×)."""
        if case.step is None or case.step_deadline is None or case.status not in OPEN_WORK:
            return  # supervision covers filed, unfinished cases (as CaseService.supervise)
        sp = self.policy.supervision
        moments = []
        if case.card.rank < Card.YELLOW.rank:
            moments.append((case.step_deadline + dt.timedelta(minutes=1), Card.YELLOW))
        unit = step_limit(case.step, rule, self.policy)[1]
        limit = self.cal.elapsed(case.step_started_at, case.step_deadline, unit) \
            if case.step_deadline > case.step_started_at else 0.0
        if case.card.rank < Card.RED.rank and limit > 0:
            moments.append((self.cal.add(case.step_started_at, limit * sp.auto_red_at_multiple, unit)
                            + dt.timedelta(minutes=1), Card.RED))
        for at, card in moments:
            at = at.replace(second=0, microsecond=0)
            if case.updated_at < at < until and at < self.now and card.rank > case.card.rank:
                multiple = overdue_multiple(case, at, self.cal, rule, self.policy)
                want = Card.RED if multiple and multiple >= sp.auto_red_at_multiple else Card.YELLOW
                if want.rank > case.card.rank:
                    flow.append(apply(case, Action.CARD, self._ctx(SUPERVISOR, at, rule),
                                      Params(card=want, auto=True, reason="超时自动督办")))

    def _loop(self, case, seed: CaseSeed, flow) -> None:
        rng, rule = self.rng, seed.rule
        t = case.reported_at
        if case.source is not CaseSource.GRID_WORKER and rng.random() < 0.6:
            t = self._later(t, rng.uniform(8, 40))
            if not self._do(case, flow, Action.VERIFY, WORKER, t, rule):
                return
        t = self._later(t, rng.lognormvariate(3.3, 0.8))  # median ~27 min to intake
        if rng.random() < 0.02:
            t = self._frac(case, Step.ACCEPT, rule, rng.uniform(1.05, 1.6))
        if rng.random() < 0.05:
            self._do(case, flow, Action.VOID, DUTY, t, rule, Params(reason=rng.choice(VOID_REASONS)))
            return
        if not self._do(case, flow, Action.FILE, DUTY, t, rule):
            return
        level = _pick(rng, LEVELS)
        for round_ in range(4):  # dispatch → handle → check → close, repeated on rework/return
            if not self._dispatch(case, seed, flow, t, level, auto_ok=round_ == 0):
                return
            t = case.dispatched_at
            outcome = self._handle(case, seed, flow)
            if outcome is None:
                return
            if outcome == "again":
                t = case.updated_at
                level = case.level
                continue
            return

    def _dispatch(self, case, seed, flow, t, level, auto_ok: bool) -> bool:
        rng, rule = self.rng, seed.rule
        if auto_ok and seed.auto_rule and rng.random() < 0.92:
            dept, lvl = seed.auto_rule
            return self._do(case, flow, Action.DISPATCH, AUTO, t, rule,
                            Params(department_id=dept, level=lvl, auto=True, reason="自动派遣"))
        t = self._later(t, rng.lognormvariate(2.5, 0.6))  # median ~12 min
        if rng.random() < 0.04:
            t = self._frac(case, Step.DISPATCH, rule, rng.uniform(1.1, 2.5))
        return self._do(case, flow, Action.DISPATCH, DISPATCHER, t, rule,
                        Params(department_id=rule.department_id or 1, level=level))

    def _handler(self, case) -> Identity:
        if case.level is Level.DISTRICT:
            return Identity(None, "demo-dept", "职能部门(演示)", R.DEPARTMENT, None, case.department_id)
        if case.level is Level.TOWN:
            return Identity(None, "demo-town", "镇街(演示)", R.TOWN_OFFICER, case.town_id)
        return WORKER

    def _handle(self, case, seed, flow) -> str | None:
        """Returns None when `now` stops the case, 'again' after rework/return/escalation, 'done'."""
        rng, rule = self.rng, seed.rule
        x = rng.random()
        if x < 0.02 and case.level is not Level.DISTRICT and case.rework_count == 0:
            at = self._frac(case, Step.HANDLE, rule, rng.uniform(0.05, 0.3))
            who = Identity(None, "demo-town", "镇街(演示)", R.TOWN_OFFICER, case.town_id)
            ok = self._do(case, flow, Action.ESCALATE, who, at, rule, Params(reason="超出本级处置能力, 上报上级"))
            return "again" if ok else None
        if x < 0.035 and case.return_count == 0:
            at = self._frac(case, Step.HANDLE, rule, rng.uniform(0.05, 0.2))
            ok = self._do(case, flow, Action.RETURN, LEADER, at, rule, Params(reason="非本单位职责, 申请回退"))
            return "again" if ok else None
        if x < 0.05:
            at = self._frac(case, Step.HANDLE, rule, rng.uniform(0.3, 0.7))
            if not self._do(case, flow, Action.EXTEND, LEADER, at, rule,
                            Params(extension=rule.time_limit, reason="需协调多部门, 申请延期")):
                return None
        if 0.05 <= x < 0.06:
            at = self._frac(case, Step.HANDLE, rule, rng.uniform(0.2, 0.6))
            if not self._do(case, flow, Action.SUSPEND, LEADER, at, rule, Params(reason="涉及历史遗留问题, 挂账")):
                return None
            at = self._later(at, rng.uniform(1, 20) * 24 * 60)
            if not self._do(case, flow, Action.RESUME, LEADER, at, rule, Params(reason="条件具备, 恢复处置")):
                return None
        late = rng.random() < 0.07
        frac = rng.uniform(1.05, 2.6) if late else rng.betavariate(2.2, 2.8) * 0.95
        at = self._frac(case, Step.HANDLE, rule, frac)
        if case.step_started_at and case.status is CaseStatus.DISPATCHED and at <= case.step_started_at:
            at = self._later(case.step_started_at, 5)
        if not self._do(case, flow, Action.FEEDBACK, self._handler(case), at, rule):
            return None
        at = self._frac(case, Step.CHECK, rule, rng.uniform(1.05, 1.5) if rng.random() < 0.03
                        else rng.uniform(0.05, 0.8))
        if rng.random() < 0.035 and case.rework_count < 2:
            ok = self._do(case, flow, Action.REWORK, WORKER, at, rule, Params(reason="核查未通过: 问题未彻底解决"))
            return "again" if ok else None
        if not self._do(case, flow, Action.CHECK, WORKER, at, rule):
            return None
        at = self._later(at, rng.lognormvariate(3.0, 0.7))
        if not self._do(case, flow, Action.CLOSE, LEADER, at, rule):
            return None
        return "done"


def _row(case: Any) -> dict[str, Any]:
    from models.lifecycle.record import as_row

    return as_row(case)
