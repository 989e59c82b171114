"""Demo life: a simulator that keeps the demo district busy in real time.

`LiveSimulator.tick(now)` does what a command centre's seats would have done
since the previous tick: new reports arrive at Luqiao's rate (~130 a day,
shaped by the hour of day and quieter at weekends), and every open demo case
whose next step is due moves on — verified, filed (auto-dispatch rules apply),
dispatched, handled, checked, closed, now and then voided, returned, escalated,
extended or reworked. Everything goes through `CaseService` with the demo role
identities, so the flow log, the audit log and the change feed are the real
ones and the other seats see the changes live. `CaseService.supervise` issues
the cards the policy asks for.

New cases are demo cases (`is_demo`, description prefixed 【演示】); only demo
cases are moved, and a case someone else touched is simply re-planned. `speed`
multiplies the arrival rate and divides the delays (timestamps stay real).
Deterministic for an `rng` seed given the same sequence of `now` and the same
database. No Qt here: the desktop driver runs `tick` on a worker thread.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass
from typing import Any

import shapely
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.auth import Identity
from models.calendar_store import load_calendar
from models.defaults.dictionary import DEMO_WEIGHTS
from models.demo.simulate import DISPATCHER, DUTY, LEADER, LEVELS, SOURCES, VOID_REASONS, WORKER, _pick
from models.enums import CaseSource, CaseStatus, Level
from models.enums import UserRole as R
from models.geo.demo_geography import random_point_in
from models.lifecycle import Action, CaseError, Params
from models.lifecycle.service import AUTO_SUPERVISOR, CaseService
from models.policy_store import load_policy
from models.schema import Case, DictionaryVersion, Grid, MinorClass

CASES_PER_DAY = 48_000 / 365  # Luqiao's level (models.demo.seed.CASES_PER_YEAR)
# Reports per hour of day, relative (the same profile the seeded year uses).
HOUR_WEIGHTS = (1, 0.5, 0.3, 0.3, 0.4, 1, 3, 7, 10, 11, 10, 8, 5, 7, 9, 10, 9, 8, 5, 3, 2, 2, 1.5, 1)
WEEKEND_FACTOR = 0.65
DEMO_PREFIX = "【演示】"
MAX_REPORTS_PER_TICK = 50
MAX_ACTIONS_PER_TICK = 200
MAX_GAP = dt.timedelta(hours=1)  # a driver paused longer does not flood the wall on resume
SUPERVISE_EVERY = dt.timedelta(seconds=60)
OPEN = (CaseStatus.REPORTED, CaseStatus.VERIFIED, CaseStatus.FILED, CaseStatus.DISPATCHED, CaseStatus.HANDLED,
        CaseStatus.CHECKED, CaseStatus.SUSPENDED)


@dataclass(frozen=True)
class _Plan:
    """The next step planned for one open demo case, valid while its version is unchanged."""

    due: dt.datetime
    version: int
    action: Action


@dataclass(frozen=True)
class _GridInfo:
    id: int
    name: str
    households: int
    geometry: str


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 50:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def hourly_rate(rate_per_hour: float, at: dt.datetime) -> float:
    """Expected reports per hour at `at`: the daily mean shaped by hour of day and weekday."""
    shape = HOUR_WEIGHTS[at.hour] * 24 / sum(HOUR_WEIGHTS)
    return rate_per_hour * shape * (WEEKEND_FACTOR if at.weekday() >= 5 else 1.0)


class LiveSimulator:
    """Reports and moves demo cases in real time; one `tick(now)` per call, one thread at a time."""

    def __init__(self, engine: Engine, rng: random.Random, rate_per_hour: float = CASES_PER_DAY / 24,
                 *, speed: float = 1.0) -> None:
        if speed <= 0 or rate_per_hour < 0:
            raise ValueError("speed must be > 0 and rate_per_hour >= 0")
        self.engine = engine
        self.rng = rng
        self.rate_per_hour = rate_per_hour
        self.speed = speed
        self._plans: dict[int, _Plan] = {}
        self._last: dt.datetime | None = None
        self._last_supervise: dt.datetime | None = None
        self._grids: list[_GridInfo] | None = None
        self._grid_cum: list[float] = []
        self._shapes: dict[int, Any] = {}
        self._classes: list[tuple[str, str]] = []  # (code, name)
        self._class_cum: list[float] = []

    # --- the tick -------------------------------------------------------------
    def tick(self, now: dt.datetime) -> dict[str, Any]:
        """Do what is due up to `now`; returns counts per action and the changed case ids."""
        now = now.replace(microsecond=0)
        out: dict[str, Any] = {"now": now, "reported": 0, "self_handled": 0, "auto_dispatched": 0, "cards": 0,
                               "conflicts": 0, "open": 0, "case_ids": []}
        changed: set[int] = set()
        with Session(self.engine, info={"actor": "demo-live", "now": now}) as s:
            event.listen(s, "before_flush", _mark_new_cases_demo)
            policy = load_policy(s)
            calendar = load_calendar(s, policy)
            services: dict[str, CaseService] = {}

            def service(who: Identity) -> CaseService:
                svc = services.get(who.username)
                if svc is None:
                    svc = services[who.username] = CaseService(s, who, clock=lambda: now, policy=policy)
                    svc.__dict__["calendar"] = calendar  # one calendar per tick, not one per seat
                s.info["actor"] = who.username
                return svc

            self._ensure_lookups(s)
            gap = min(now - self._last, MAX_GAP) if self._last is not None and now > self._last else dt.timedelta()
            self._last = max(now, self._last or now)
            lam = hourly_rate(self.rate_per_hour, now) * self.speed * gap.total_seconds() / 3600
            for _ in range(min(_poisson(self.rng, lam), MAX_REPORTS_PER_TICK)):
                case_id = self._report(s, service, now, out)
                if case_id is not None:
                    changed.add(case_id)
            self._advance(s, service, now, out, changed)
            if self._last_supervise is None or now - self._last_supervise >= SUPERVISE_EVERY:
                self._last_supervise = now
                out["cards"] = service(AUTO_SUPERVISOR).supervise(now)
                s.commit()
        out["case_ids"] = sorted(changed)
        return out

    # --- new reports -----------------------------------------------------------
    def _ensure_lookups(self, s: Session) -> None:
        if self._grids is not None:
            return
        rows = s.execute(sa.select(Grid.id, Grid.name, Grid.households, Grid.geometry)
                         .where(Grid.valid_to.is_(None)).order_by(Grid.id)).all()
        self._grids = [_GridInfo(r.id, r.name, max(int(r.households or 0), 1), r.geometry) for r in rows]
        self._grid_cum = _cumulative([g.households for g in self._grids])
        names = dict(s.execute(sa.select(MinorClass.code, MinorClass.name)
                               .join(DictionaryVersion, MinorClass.version_id == DictionaryVersion.id)
                               .where(DictionaryVersion.active.is_(True))).all())
        self._classes = [(code, names[code]) for code in DEMO_WEIGHTS if code in names]
        self._class_cum = _cumulative([DEMO_WEIGHTS[c] for c, _ in self._classes])

    def _report(self, s: Session, service, now: dt.datetime, out: dict[str, Any]) -> int | None:
        if not self._grids or not self._classes:
            return None
        rng = self.rng
        code, name = self._classes[_bisect(self._class_cum, rng.random() * self._class_cum[-1])]
        grid = self._grids[_bisect(self._grid_cum, rng.random() * self._grid_cum[-1])]
        shape = self._shapes.get(grid.id)
        if shape is None:
            shape = self._shapes[grid.id] = shapely.from_geojson(grid.geometry)
        lon, lat = random_point_in(shape, rng)
        source = _pick(rng, SOURCES)
        self_handled = source is CaseSource.GRID_WORKER and rng.random() < 0.36
        reporter = WORKER if source is CaseSource.GRID_WORKER else DUTY
        try:
            case = service(reporter).report(
                minor_code=code, lon=lon, lat=lat, source=source, self_handled=self_handled, at=now,
                description=f"{DEMO_PREFIX}{grid.name}发现{name}问题", address=grid.name,
                reporter_name="网格员(演示)" if source is CaseSource.GRID_WORKER else "市民(演示)")
            s.commit()
        except (CaseError, IntegrityError):  # e.g. a code taken by a seat at the same moment
            s.rollback()
            out["conflicts"] += 1
            return None
        out["reported"] += 1
        out["self_handled"] += int(self_handled)
        return case.id

    # --- moving open cases -----------------------------------------------------
    def _advance(self, s: Session, service, now: dt.datetime, out: dict[str, Any], changed: set[int]) -> None:
        rows = s.execute(sa.select(Case.id, Case.version, Case.status, Case.source, Case.updated_at,
                                   Case.step_started_at, Case.step_deadline, Case.level, Case.rework_count,
                                   Case.extension_count, Case.return_count)
                         .where(Case.is_demo.is_(True), Case.status.in_(OPEN)).order_by(Case.id)).all()
        out["open"] = len(rows)
        live = {r.id for r in rows}
        for gone in [cid for cid in self._plans if cid not in live]:
            del self._plans[gone]
        for r in rows:
            plan = self._plans.get(r.id)
            if plan is None or plan.version != r.version:
                self._plans[r.id] = self._plan(r, now, first_seen=plan is None)
        due = sorted((p.due, cid) for cid, p in self._plans.items() if p.due <= now)
        for _, cid in due[:MAX_ACTIONS_PER_TICK]:
            plan = self._plans.pop(cid)
            try:
                case = service(LEADER).get(cid)
                if case.version != plan.version:
                    continue  # changed by someone else since planned: re-planned next tick
                actor, params = self._who_and_params(case, plan.action)
                case = service(actor).act(cid, plan.version, plan.action, params, at=now)
                if plan.action is Action.FILE and case.status is CaseStatus.DISPATCHED:
                    out["auto_dispatched"] += 1
                s.commit()
            except CaseError:
                s.rollback()
                out["conflicts"] += 1
                continue
            out[plan.action.value] = out.get(plan.action.value, 0) + 1
            changed.add(cid)

    def _minutes(self, minutes: float) -> dt.timedelta:
        return dt.timedelta(minutes=max(minutes, 0.5) / self.speed)

    def _plan(self, r: Any, now: dt.datetime, first_seen: bool) -> _Plan:
        """Pick the next action of a case and when it is due (delays as in models.demo.simulate)."""
        rng = self.rng
        anchor = r.updated_at
        span = (r.step_deadline - r.step_started_at) if r.step_deadline and r.step_started_at else None
        span_min = span.total_seconds() / 60 if span else 240.0
        status = r.status
        if status is CaseStatus.REPORTED and r.source is not CaseSource.GRID_WORKER and rng.random() < 0.6:
            action, minutes = Action.VERIFY, rng.uniform(8, 40)
        elif status in (CaseStatus.REPORTED, CaseStatus.VERIFIED):
            action = Action.VOID if rng.random() < 0.05 else Action.FILE
            minutes = rng.lognormvariate(3.3, 0.8)  # median ~27 min to intake
        elif status is CaseStatus.FILED:
            action, minutes = Action.DISPATCH, rng.lognormvariate(2.5, 0.6)  # median ~12 min
        elif status is CaseStatus.DISPATCHED:
            anchor = r.step_started_at or anchor
            x = rng.random()
            if x < 0.02 and r.return_count == 0:
                action, minutes = Action.RETURN, span_min * rng.uniform(0.05, 0.2)
            elif x < 0.035 and r.level is not Level.DISTRICT and r.rework_count == 0:
                action, minutes = Action.ESCALATE, span_min * rng.uniform(0.05, 0.3)
            elif x < 0.05 and r.extension_count == 0:
                action, minutes = Action.EXTEND, span_min * rng.uniform(0.3, 0.7)
            else:
                late = rng.random() < 0.07
                frac = rng.uniform(1.05, 1.6) if late else rng.betavariate(2.2, 2.8) * 0.95
                action, minutes = Action.FEEDBACK, span_min * frac
        elif status is CaseStatus.HANDLED:
            anchor = r.step_started_at or anchor
            action = Action.REWORK if rng.random() < 0.035 and r.rework_count < 2 else Action.CHECK
            minutes = span_min * (rng.uniform(1.05, 1.5) if rng.random() < 0.03 else rng.uniform(0.05, 0.8))
        elif status is CaseStatus.CHECKED:
            action, minutes = Action.CLOSE, rng.lognormvariate(3.0, 0.7)  # median ~20 min
        else:  # suspended
            action, minutes = Action.RESUME, rng.uniform(1, 20) * 24 * 60
        due = anchor + self._minutes(minutes)
        if first_seen and due <= now:
            # a backlog found at start-up moves on over the step's own time scale (the handling
            # limit for a case being handled), not all in the first minutes
            due = now + self._minutes(rng.uniform(0, max(minutes, span_min if span else 60.0)))
        return _Plan(max(due, anchor + dt.timedelta(seconds=1)), r.version, action)

    def _who_and_params(self, case: Case, action: Action) -> tuple[Identity, Params | None]:
        rng = self.rng
        if action is Action.VERIFY:
            return WORKER, None
        if action is Action.FILE:
            return DUTY, None
        if action is Action.VOID:
            return DUTY, Params(reason=rng.choice(VOID_REASONS))
        if action is Action.DISPATCH:
            level = _pick(rng, LEVELS)
            if level.rank < case.level.rank:
                level = case.level  # never below an escalation
            return DISPATCHER, Params(department_id=case.minor_class.department_id or 1, level=level)
        if action is Action.FEEDBACK:
            return _handler(case), None
        if action is Action.RETURN:
            return LEADER, Params(reason="非本单位职责, 申请回退")
        if action is Action.ESCALATE:
            return _town_officer(case), Params(reason="超出本级处置能力, 上报上级")
        if action is Action.EXTEND:
            return LEADER, Params(extension=float(case.minor_class.time_limit), reason="需协调多部门, 申请延期")
        if action is Action.CHECK:
            return WORKER, None
        if action is Action.REWORK:
            return WORKER, Params(reason="核查未通过: 问题未彻底解决")
        if action is Action.CLOSE:
            return LEADER, None
        return LEADER, Params(reason="条件具备, 恢复处置")  # resume


def _town_officer(case: Case) -> Identity:
    return Identity(None, "demo-town", "镇街(演示)", R.TOWN_OFFICER, case.town_id)


def _handler(case: Case) -> Identity:
    if case.level is Level.DISTRICT:
        return Identity(None, "demo-dept", "职能部门(演示)", R.DEPARTMENT, None, case.department_id)
    if case.level is Level.TOWN:
        return _town_officer(case)
    return WORKER


def _mark_new_cases_demo(session: Session, _ctx: Any, _instances: Any) -> None:
    """Cases this simulator creates are demo cases from their first INSERT on."""
    for obj in session.new:
        if isinstance(obj, Case):
            obj.is_demo = True


def _cumulative(weights: list[float] | list[int]) -> list[float]:
    out, acc = [], 0.0
    for w in weights:
        acc += w
        out.append(acc)
    return out


def _bisect(cum: list[float], x: float) -> int:
    import bisect

    return min(bisect.bisect(cum, x), len(cum) - 1)


__all__ = ["CASES_PER_DAY", "DEMO_PREFIX", "LiveSimulator", "hourly_rate"]
