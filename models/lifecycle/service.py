"""The case engine on the database: report, act, auto-dispatch, supervise.

One `CaseService` per session (one per user action or refresh cycle). Every
write goes through `engine.apply` (rules) and appends the flow log; the
session's flush hook writes the audit log and the change feed. The caller
commits; on any refusal nothing is flushed.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict
from functools import cached_property
from typing import Callable

import shapely
import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from models.auth import Identity
from models.calendar_store import load_calendar
from models.enums import CaseSource, CaseStatus, Level
from models.enums import UserRole as R
from models.geo.locate import GridLocator
from models.lifecycle import autodispatch, supervision
from models.lifecycle.actions import Action
from models.lifecycle.duplicates import DuplicateCandidate, find_duplicates
from models.lifecycle.engine import Ctx, FlowEntry, Params, apply
from models.lifecycle.errors import CaseError, OutOfScope, VersionConflict
from models.lifecycle.intake import open_case
from models.lifecycle.limits import ClassRule
from models.policy import Policy
from models.policy_store import load_policy
from models.schema import Case, DictionaryVersion, FlowLog, Grid, MinorClass
from models.scope import town_filter

AUTO_DISPATCHER = Identity(None, "auto-dispatch", "自动派遣", R.DISPATCHER)
AUTO_SUPERVISOR = Identity(None, "auto-supervision", "自动督办", R.SHIFT_LEADER)


class NotFound(CaseError):
    pass


def class_rule(mc: MinorClass) -> ClassRule:
    return ClassRule(mc.id, mc.code, mc.time_limit, mc.time_unit, mc.department_id, mc.level)


def flow_row(case_id: int, entry: FlowEntry) -> FlowLog:
    return FlowLog(case_id=case_id, **asdict(entry))


class CaseService:
    def __init__(self, session: Session, identity: Identity,
                 clock: Callable[[], dt.datetime] | None = None, policy: Policy | None = None) -> None:
        self.session = session
        self.identity = identity
        self.clock = clock or (lambda: dt.datetime.now().replace(microsecond=0))
        self._policy = policy
        session.info["actor"] = identity.username

    @cached_property
    def policy(self) -> Policy:
        return self._policy or load_policy(self.session)

    @cached_property
    def calendar(self):
        return load_calendar(self.session, self.policy)

    def ctx(self, case: Case, actor: Identity | None = None, at: dt.datetime | None = None) -> Ctx:
        return Ctx(actor or self.identity, at or self.clock(), self.calendar, self.policy,
                   class_rule(case.minor_class))

    # --- reading --------------------------------------------------------
    def get(self, case_id: int | None = None, code: str | None = None) -> Case:
        q = sa.select(Case)
        q = q.where(Case.id == case_id) if case_id is not None else q.where(Case.code == code)
        town = town_filter(self.identity)
        if town is not None:
            # a scoped user gets one answer whether the case is elsewhere or nowhere
            case = self.session.scalar(q.where(Case.town_id == town))
            if case is None:
                raise OutOfScope(str(code or case_id))
            return case
        case = self.session.scalar(q)
        if case is None:
            raise NotFound(f"案件不存在 / no such case: {code or case_id}")
        return case

    def minor_class(self, code: str) -> MinorClass:
        mc = self.session.scalar(
            sa.select(MinorClass).join(DictionaryVersion, MinorClass.version_id == DictionaryVersion.id)
            .where(DictionaryVersion.active.is_(True), MinorClass.code == code))
        if mc is None:
            raise NotFound(f"字典中没有小类 / no minor class {code} in the active dictionary")
        return mc

    def locate_grid(self, lon: float, lat: float, on: dt.date | None = None) -> Grid | None:
        """The current grid containing the point (bbox in SQL, exact test with shapely)."""
        on = on or self.clock().date()
        rows = self.session.scalars(sa.select(Grid).where(
            Grid.min_lon <= lon, Grid.max_lon >= lon, Grid.min_lat <= lat, Grid.max_lat >= lat,
            Grid.valid_from <= on, sa.or_(Grid.valid_to.is_(None), Grid.valid_to > on))).all()
        point = shapely.Point(lon, lat)
        for grid in rows:
            if shapely.geometry.shape(json.loads(grid.geometry)).covers(point):
                return grid
        return None

    def duplicates(self, minor_class_id: int, lon: float, lat: float,
                   exclude_id: int | None = None) -> list[DuplicateCandidate]:
        return find_duplicates(self.session, self.identity, minor_class_id, lon, lat,
                               self.policy.intake.duplicate_radius_m, exclude_id)

    # --- writing --------------------------------------------------------
    def next_code(self, at: dt.datetime) -> str:
        prefix = at.strftime("AJ%Y%m%d")
        last = self.session.scalar(sa.select(sa.func.max(Case.code)).where(Case.code.like(prefix + "%")))
        serial = int(last[len(prefix):]) + 1 if last else 1
        return f"{prefix}{serial:05d}"

    def report(self, *, minor_code: str, lon: float, lat: float, description: str = "",
               source: CaseSource = CaseSource.HOTLINE, address: str = "", reporter_name: str = "",
               reporter_phone: str = "", grid_code: str | None = None, self_handled: bool = False,
               reason: str = "", at: dt.datetime | None = None) -> Case:
        """File a new report (or a self-handled one); grid found by point-in-polygon."""
        at = at or self.clock()
        mc = self.minor_class(minor_code)
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise CaseError(f"坐标超出范围 / coordinates out of range: {lon}, {lat}")
        grid = self.locate_grid(lon, lat, at.date())
        if grid is None and grid_code:
            grid = self.session.scalar(sa.select(Grid).where(Grid.code == grid_code, Grid.valid_to.is_(None)))
        if grid is None:
            raise CaseError(f"坐标不在任何网格内 / the point {lon:.6f}, {lat:.6f} is in no grid of the district")
        case = Case(code=self.next_code(at), minor_class=mc, minor_class_id=mc.id, description=description,
                    address=address, source=source, reporter_name=reporter_name, reporter_phone=reporter_phone,
                    lon=lon, lat=lat, grid_id=grid.id,
                    village_id=grid.village_id, town_id=grid.town_id, level=Level.GRID, card_points=0.0,
                    suspended_seconds=0, extension_count=0, rework_count=0, return_count=0,
                    status=CaseStatus.REPORTED, reported_at=at, updated_at=at)
        entries = open_case(case, self.ctx(case, at=at), self_handled=self_handled, reason=reason)
        self.session.add(case)
        self.session.flush()
        for entry in entries:
            self.session.add(flow_row(case.id, entry))
        self.session.flush()
        return case

    def act(self, case_id: int, expected_version: int, action: Action, params: Params | None = None,
            *, actor: Identity | None = None, at: dt.datetime | None = None) -> Case:
        """Apply `action` if the case is still at `expected_version`."""
        case = self.get(case_id)
        if case.version != expected_version:
            raise self._conflict(case, expected_version)
        entry = apply(case, action, self.ctx(case, actor, at), params)
        self.session.add(flow_row(case.id, entry))
        try:
            self.session.flush()
        except StaleDataError:
            self.session.rollback()
            fresh = self.get(case_id)
            raise self._conflict(fresh, expected_version) from None
        if action is Action.FILE:
            self.auto_dispatch(case, at=at)
        return case

    def _conflict(self, case: Case, expected: int) -> VersionConflict:
        rows = self.session.scalars(sa.select(FlowLog).where(FlowLog.case_id == case.id)
                                    .order_by(FlowLog.id.desc()).limit(5)).all()
        changes = [dict(at=r.at.isoformat(), action=r.action, actor=r.actor, to_status=r.to_status,
                        reason=r.reason) for r in reversed(rows)]
        return VersionConflict(case.code, expected, case.version, changes)

    def auto_dispatch(self, case: Case, at: dt.datetime | None = None) -> bool:
        """Dispatch a just-filed case by the rule table, if a rule matches."""
        rule = autodispatch.rule_for_case(self.session, case)
        if rule is None or case.status is not CaseStatus.FILED:
            return False
        entry = apply(case, Action.DISPATCH, self.ctx(case, AUTO_DISPATCHER, at),
                      Params(department_id=rule.department_id, level=rule.level, auto=True,
                             reason=f"自动派遣规则 #{rule.id}"))
        self.session.add(flow_row(case.id, entry))
        self.session.flush()
        return True

    def supervise(self, now: dt.datetime | None = None, limit: int = 5000) -> int:
        """Issue the cards the policy rule asks for; returns how many were issued."""
        now = now or self.clock()
        q = sa.select(Case).where(Case.status.in_([CaseStatus.FILED, CaseStatus.DISPATCHED, CaseStatus.HANDLED,
                                                   CaseStatus.CHECKED]),
                                  Case.step_deadline < now, Case.card != "red").limit(limit)
        town = town_filter(self.identity)
        if town is not None:
            q = q.where(Case.town_id == town)
        issued = 0
        for case in self.session.scalars(q):
            ctx = self.ctx(case, AUTO_SUPERVISOR, now)
            card = supervision.due_card(case, now, self.calendar, ctx.rule, self.policy)
            if card is None:
                continue
            entry = apply(case, Action.CARD, ctx, Params(card=card, auto=True, reason="超时自动督办"))
            self.session.add(flow_row(case.id, entry))
            issued += 1
        self.session.flush()
        return issued
