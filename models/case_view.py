"""A case as the detail panel shows it: every field, the flow log, the timers
and exactly the actions this user may take now — one frozen snapshot."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from models.auth import Identity
from models.enums import Card, CaseStatus, Level, Light, Step, TimeUnit
from models.lifecycle.actions import Action
from models.lifecycle.engine import available_actions
from models.lifecycle.limits import step_limit
from models.lifecycle.service import CaseService, class_rule
from models.queue import light_of
from models.schema import Attachment, Case, Department


@dataclass(frozen=True)
class FlowItem:
    at: dt.datetime
    action: str
    actor: str
    role: str
    from_status: str | None
    to_status: str
    level: str | None
    department: str
    reason: str
    detail: dict[str, Any]


@dataclass(frozen=True)
class StepTimer:
    step: Step
    deadline: dt.datetime | None
    done_at: dt.datetime | None
    on_time: bool | None
    running: bool
    light: Light
    used_fraction: float | None  # of the limit, for the running step
    remaining_seconds: float | None


@dataclass(frozen=True)
class AttachmentInfo:
    id: int
    filename: str
    kind: str
    stage: str
    mime: str
    added_at: dt.datetime
    added_by: str


@dataclass(frozen=True)
class CaseDetail:
    id: int
    code: str
    version: int
    fields: dict[str, Any]  # column → value (enums as values)
    class_code: str
    class_name: str
    time_limit: float
    time_unit: TimeUnit
    grid_code: str
    grid_name: str
    town_name: str
    department: str
    status: CaseStatus
    level: Level
    card: Card
    light: Light
    timers: tuple[StepTimer, ...]
    flow: tuple[FlowItem, ...]
    attachments: tuple[AttachmentInfo, ...]
    actions: tuple[Action, ...]
    duplicate_of_code: str | None


def load_detail(session: Session, identity: Identity, case_id: int, now: dt.datetime | None = None) -> CaseDetail:
    """Scoped: a town officer asking for another town's case gets OutOfScope."""
    now = now or dt.datetime.now().replace(microsecond=0)
    svc = CaseService(session, identity, clock=lambda: now)
    case = svc.get(case_id)
    depts = dict(session.execute(sa.select(Department.id, Department.name)).all())
    fields = {}
    for col in Case.__table__.columns:
        v = getattr(case, col.key)
        fields[col.key] = v.value if hasattr(v, "value") else v
    rule = class_rule(case.minor_class)
    timers = []
    done_cols = {Step.VERIFY: "verified_at", Step.ACCEPT: "filed_at", Step.DISPATCH: "dispatched_at",
                 Step.HANDLE: "handled_at", Step.CHECK: "checked_at", Step.CLOSE: "closed_at"}
    for step in Step:
        deadline = getattr(case, f"{step.value}_deadline")
        done = getattr(case, done_cols[step])
        running = case.step is step and case.status.is_open
        on_time = None if step is Step.CLOSE else getattr(case, f"{step.value}_on_time")
        if step is Step.CLOSE and done is not None and deadline is not None:
            on_time = done <= deadline
        fraction = remaining = None
        light = Light.NONE
        if running and case.step_started_at and case.step_deadline:
            unit = step_limit(step, rule, svc.policy)[1]
            total = svc.calendar.elapsed(case.step_started_at, case.step_deadline, unit)
            used = svc.calendar.elapsed(case.step_started_at, now, unit)
            fraction = used / total if total > 0 else None
            remaining = (case.step_deadline - now).total_seconds()
            light = light_of(case.status, case.step_yellow_at, case.step_deadline, now)
        timers.append(StepTimer(step, deadline, done, on_time, running, light, fraction, remaining))
    flow = tuple(FlowItem(f.at, f.action, f.actor, f.role, f.from_status, f.to_status, f.level,
                          depts.get(f.department_id, "") if f.department_id else "", f.reason,
                          json.loads(f.detail) if f.detail else {}) for f in case.flow)
    atts = tuple(AttachmentInfo(a.id, a.filename, a.kind, a.stage, a.mime, a.added_at, a.added_by)
                 for a in session.scalars(sa.select(Attachment).where(Attachment.case_id == case.id)))
    dup = session.scalar(sa.select(Case.code).where(Case.id == case.duplicate_of_id)) if case.duplicate_of_id else None
    return CaseDetail(
        id=case.id, code=case.code, version=case.version, fields=fields, class_code=case.minor_class.code,
        class_name=case.minor_class.name, time_limit=case.minor_class.time_limit,
        time_unit=case.minor_class.time_unit, grid_code=case.grid.code, grid_name=case.grid.name,
        town_name=case.grid.town.name, department=case.department.name if case.department else "",
        status=case.status, level=case.level, card=case.card,
        light=light_of(case.status, case.step_yellow_at, case.step_deadline, now), timers=tuple(timers),
        flow=flow, attachments=atts, actions=tuple(available_actions(case, identity)), duplicate_of_code=dup)


def attachment_bytes(session: Session, identity: Identity, attachment_id: int) -> bytes:
    att = session.get(Attachment, attachment_id)
    if att is None:
        raise LookupError(attachment_id)
    CaseService(session, identity).get(att.case_id)  # scope check
    if att.data is not None:
        return att.data
    with open(att.path, "rb") as fh:  # type: ignore[arg-type]
        return fh.read()
