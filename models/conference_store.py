"""Conference providers in the database, and video consults in the flow log (issue 8).

Providers (`conference_provider` rows) are shared by every seat: an administrator
saves them, each configuration checked with `models.conference.validate_config`
first, so a bad template never reaches the database. One enabled provider is the
default the consult dialog preselects.

A consult is held about a case, a grid or a town (`consult_for_case/_grid/_town`):
the target's codes and the proposed participants (the grid team's 网格长, 专职网格员
and 指导员 with their phones, the town officers of its town, the case's
department). `record_conference` writes its start and end into the case's flow
log, plus an audit row and a change-feed row (the flush hook leaves the
append-only flow log out of the audit, so the row is written here). Every
function checks scope: a town officer reaches only the cases, grids and
towns of their own town. No Qt here.
"""

from __future__ import annotations

import dataclasses as dc
import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from models.auth import Identity
from models.conference import ConferenceRequest, Participant, validate_config
from models.db import NOTIFY_CHANNEL
from models.enums import AuditAction, StaffRole, UserRole
from models.lifecycle.errors import CaseError, NotPermitted, OutOfScope
from models.schema import AuditLog, Case, ChangeFeed, ConferenceProviderRow, Department, FlowLog, Grid, Staff, \
    Town, User
from models.scope import town_filter

CONSULT_REASON = "视频会商"
PHASES = ("start", "end")
# Who may hold a video consult (finance has no case work); who may configure providers.
CONSULT_ROLES = frozenset(UserRole) - {UserRole.FINANCE}
ADMIN_ROLES = frozenset({UserRole.ADMIN})
# The grid team proposed for a consult, in this order; 兼职网格员 are not proposed.
GRID_TEAM = (StaffRole.LEADER, StaffRole.FULL_TIME, StaffRole.GUIDE)


class ConferenceStoreError(Exception):
    """A provider could not be saved or found."""


class InvalidProvider(ConferenceStoreError):
    """A configuration `validate_config` refuses; `problems` lists why."""

    def __init__(self, name: str, kind: str, problems: Sequence[str]) -> None:
        self.name, self.kind, self.problems = name, kind, list(problems)
        super().__init__(f"provider {name!r} ({kind}) not saved: " + "; ".join(self.problems))


class UnknownProvider(ConferenceStoreError, LookupError):
    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"no conference provider {name!r}")


class AdminOnly(ConferenceStoreError, PermissionError):
    def __init__(self, identity: Identity) -> None:
        super().__init__(f"only an administrator may change conference providers (not {identity.username}, "
                         f"{identity.role.value})")


class UnknownTarget(CaseError, LookupError):
    """No such case, grid or town."""

    def __init__(self, what: str) -> None:
        super().__init__(f"不存在 / not found: {what}")


# --------------------------------------------------------------------------- providers

@dc.dataclass(frozen=True)
class ProviderConfig:
    """A stored provider: plain data, safe to hand to the GUI thread."""

    id: int
    name: str
    kind: str
    config: dict[str, Any]
    enabled: bool
    is_default: bool


def _config_of(row: ConferenceProviderRow) -> ProviderConfig:
    try:
        config = json.loads(row.config or "{}")
    except ValueError:
        config = {}
    return ProviderConfig(row.id, row.name, row.kind, config if isinstance(config, dict) else {}, bool(row.enabled),
                          bool(row.is_default))


def list_providers(session: Session, *, enabled_only: bool = False) -> list[ProviderConfig]:
    """Stored providers, the default first, then by name."""
    q = sa.select(ConferenceProviderRow)
    if enabled_only:
        q = q.where(ConferenceProviderRow.enabled.is_(True))
    rows = [_config_of(r) for r in session.scalars(q)]
    return sorted(rows, key=lambda p: (not (p.is_default and p.enabled), p.name, p.id))


def has_enabled_provider(session: Session) -> bool:
    q = sa.select(sa.func.count()).select_from(ConferenceProviderRow).where(ConferenceProviderRow.enabled.is_(True))
    return bool(session.scalar(q))


def default_provider(session: Session) -> ProviderConfig | None:
    """The enabled provider marked default, else the first enabled one by name, else None."""
    enabled = list_providers(session, enabled_only=True)
    return enabled[0] if enabled else None


def get_provider(session: Session, name: str) -> ProviderConfig:
    row = _row(session, name)
    if row is None:
        raise UnknownProvider(name)
    return _config_of(row)


def _row(session: Session, name: str) -> ConferenceProviderRow | None:
    return session.scalars(sa.select(ConferenceProviderRow).where(ConferenceProviderRow.name == name.strip())
                           .order_by(ConferenceProviderRow.id)).first()


def _require_admin(session: Session, identity: Identity) -> None:
    if identity.role not in ADMIN_ROLES:
        raise AdminOnly(identity)
    session.info["actor"] = identity.username


def save_provider(session: Session, identity: Identity, name: str, kind: str, config: Mapping[str, Any], *,
                  enabled: bool = True, make_default: bool = False) -> ProviderConfig:
    """Add or replace the provider `name` after checking its configuration (admin only).

    Raises `InvalidProvider` with every problem when `validate_config` refuses it;
    nothing is written then. The first enabled provider becomes the default; with
    `make_default` this one does (and no other stays default). The caller commits.
    """
    _require_admin(session, identity)
    name = (name or "").strip()
    problems: list[str] = []
    if not name:
        problems.append("name: empty")
    elif len(name) > 200:
        problems.append("name: too_long")
    if not isinstance(config, Mapping):
        problems.append("config: not_a_mapping")
    else:
        problems += validate_config(kind, config)
    if problems:
        raise InvalidProvider(name, kind, problems)
    text = json.dumps(dict(config), ensure_ascii=False, sort_keys=True)
    row = _row(session, name)
    if row is None:
        row = ConferenceProviderRow(name=name, kind=kind, config=text, enabled=enabled, is_default=False)
        session.add(row)
    else:
        row.kind, row.config, row.enabled = kind, text, enabled
    session.flush()
    has_default = session.scalar(sa.select(sa.func.count()).select_from(ConferenceProviderRow).where(
        ConferenceProviderRow.is_default.is_(True), ConferenceProviderRow.enabled.is_(True),
        ConferenceProviderRow.id != row.id))
    if make_default or (enabled and not has_default):
        _make_default(session, row)
    elif not enabled:
        row.is_default = False
    session.flush()
    return _config_of(row)


def set_default_provider(session: Session, identity: Identity, name: str) -> ProviderConfig:
    _require_admin(session, identity)
    row = _row(session, name)
    if row is None:
        raise UnknownProvider(name)
    if not row.enabled:
        raise ConferenceStoreError(f"provider {name!r} is disabled; it cannot be the default")
    _make_default(session, row)
    session.flush()
    return _config_of(row)


def _make_default(session: Session, row: ConferenceProviderRow) -> None:
    for other in session.scalars(sa.select(ConferenceProviderRow).where(ConferenceProviderRow.is_default.is_(True),
                                                                         ConferenceProviderRow.id != row.id)):
        other.is_default = False
    row.is_default = True


def remove_provider(session: Session, identity: Identity, name: str) -> None:
    """Delete the provider `name` (admin only); another enabled one may then act as the default."""
    _require_admin(session, identity)
    row = _row(session, name)
    if row is None:
        raise UnknownProvider(name)
    session.delete(row)
    session.flush()


# --------------------------------------------------------------------------- consult targets

@dc.dataclass(frozen=True)
class ProposedParticipant:
    """Someone the consult dialog offers; `group` is grid, town or department."""

    name: str
    role: str  # staff role (leader, full_time, guide), town_officer or department
    phone: str
    group: str
    checked: bool = True

    def participant(self) -> Participant:
        return Participant(self.name, self.role, self.phone)


@dc.dataclass(frozen=True)
class ConsultTarget:
    """What a consult is about: a case, a grid or a town, with the proposed participants."""

    scope: str  # case | grid | town
    id: int
    code: str
    title: str
    case_code: str | None
    grid_code: str | None
    town_code: str | None
    town_id: int | None
    status: str | None  # the case's status (case scope only)
    proposals: tuple[ProposedParticipant, ...]

    def request(self, user: str, participants: Sequence[Participant | tuple[str, str, str]] = ()
                ) -> ConferenceRequest:
        """The provider's request: the room derived from the code, the chosen participants."""
        kw = dict(user=user, participants=tuple(participants))
        if self.scope == "case":
            return ConferenceRequest.for_case(self.code, grid_code=self.grid_code, town_code=self.town_code, **kw)
        if self.scope == "grid":
            return ConferenceRequest.for_grid(self.code, town_code=self.town_code, **kw)
        return ConferenceRequest.for_town(self.code, **kw)


def _check_role(identity: Identity) -> None:
    if identity.role not in CONSULT_ROLES:
        raise NotPermitted("conference", identity.role.value)


def _in_scope(identity: Identity, town_id: int | None, what: str) -> None:
    town = town_filter(identity)
    if town is not None and town_id != town:
        raise OutOfScope(what)


def _today(session: Session) -> dt.date:
    now = session.info.get("now")
    return (now or dt.datetime.now()).date()


def _grid_team(session: Session, grid_code: str) -> list[ProposedParticipant]:
    today = _today(session)
    rows = session.scalars(sa.select(Staff).where(
        Staff.grid_code == grid_code, Staff.role.in_(GRID_TEAM),
        sa.or_(Staff.left_date.is_(None), Staff.left_date > today))).all()
    order = {r: i for i, r in enumerate(GRID_TEAM)}
    rows = sorted(rows, key=lambda s: (order[s.role], s.name, s.staff_no))
    return [ProposedParticipant(s.name, s.role.value, s.phone or "", "grid") for s in rows]


def _town_officers(session: Session, town_id: int) -> list[ProposedParticipant]:
    rows = session.execute(sa.select(User.display_name, User.username, Staff.phone)
                           .outerjoin(Staff, User.staff_id == Staff.id)
                           .where(User.role == UserRole.TOWN_OFFICER, User.town_id == town_id,
                                  User.active.is_(True))
                           .order_by(User.display_name, User.username)).all()
    return [ProposedParticipant(r.display_name or r.username, UserRole.TOWN_OFFICER.value, r.phone or "", "town")
            for r in rows]


def _department(dept: Department | None) -> list[ProposedParticipant]:
    if dept is None:
        return []
    return [ProposedParticipant(dept.name, "department", dept.phone or "", "department")]


def _current_grid(session: Session, code: str) -> Grid | None:
    return session.scalars(sa.select(Grid).where(Grid.code == code).order_by(Grid.valid_to.is_(None).desc(),
                                                                             Grid.valid_from.desc())).first()


def _dedupe(items: Sequence[ProposedParticipant]) -> tuple[ProposedParticipant, ...]:
    seen, out = set(), []
    for p in items:
        key = (p.name, p.role, p.phone)
        if key not in seen:
            seen.add(key)
            out.append(p)
    return tuple(out)


def _case(session: Session, identity: Identity, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise UnknownTarget(f"case #{case_id}")
    _in_scope(identity, case.town_id, case.code)
    return case


def consult_for_case(session: Session, identity: Identity, case_id: int) -> ConsultTarget:
    """A case's consult: its grid team, its town's officers, its department."""
    _check_role(identity)
    case = _case(session, identity, case_id)
    town = session.get(Town, case.town_id)
    proposals = [*_grid_team(session, case.grid.code), *_town_officers(session, case.town_id),
                 *_department(case.department)]
    title = case.code + (f" {case.minor_class.name}" if case.minor_class is not None else "")
    return ConsultTarget("case", case.id, case.code, title, case.code, case.grid.code,
                         town.code if town else None, case.town_id, case.status.value, _dedupe(proposals))


def consult_for_grid(session: Session, identity: Identity, grid_id: int) -> ConsultTarget:
    """A grid's consult: its team and its town's officers."""
    _check_role(identity)
    grid = session.get(Grid, grid_id)
    if grid is None:
        raise UnknownTarget(f"grid #{grid_id}")
    _in_scope(identity, grid.town_id, grid.code)
    proposals = [*_grid_team(session, grid.code), *_town_officers(session, grid.town_id)]
    return ConsultTarget("grid", grid.id, grid.code, f"{grid.code} {grid.name}", None, grid.code, grid.town.code,
                         grid.town_id, None, _dedupe(proposals))


def consult_for_grid_code(session: Session, identity: Identity, grid_code: str) -> ConsultTarget:
    grid = _current_grid(session, grid_code)
    if grid is None:
        raise UnknownTarget(f"grid {grid_code}")
    return consult_for_grid(session, identity, grid.id)


def consult_for_town(session: Session, identity: Identity, town_id: int) -> ConsultTarget:
    """A town's consult: its officers (proposed) and its 网格长 (offered, not checked)."""
    _check_role(identity)
    town = session.get(Town, town_id)
    if town is None:
        raise UnknownTarget(f"town #{town_id}")
    _in_scope(identity, town.id, town.code)
    today = _today(session)
    leaders = session.scalars(sa.select(Staff).where(
        Staff.town_id == town.id, Staff.role == StaffRole.LEADER,
        sa.or_(Staff.left_date.is_(None), Staff.left_date > today)).order_by(Staff.grid_code, Staff.name)).all()
    proposals = [*_town_officers(session, town.id),
                 *(ProposedParticipant(s.name, s.role.value, s.phone or "", "grid", checked=False) for s in leaders)]
    return ConsultTarget("town", town.id, town.code, f"{town.code} {town.name}", None, None, town.code, town.id,
                         None, _dedupe(proposals))


def participants_for_case(session: Session, identity: Identity, case_id: int) -> list[ProposedParticipant]:
    return list(consult_for_case(session, identity, case_id).proposals)


def participants_for_grid(session: Session, identity: Identity, grid_id: int) -> list[ProposedParticipant]:
    return list(consult_for_grid(session, identity, grid_id).proposals)


def participants_for_town(session: Session, identity: Identity, town_id: int) -> list[ProposedParticipant]:
    return list(consult_for_town(session, identity, town_id).proposals)


# --------------------------------------------------------------------------- flow log

def _json(value: Any) -> str:
    def plain(v: Any) -> Any:
        if isinstance(v, (dt.datetime, dt.date)):
            return v.isoformat()
        if isinstance(v, (set, frozenset, tuple)):
            return list(v)
        return str(v)

    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=plain)


def _audit(session: Session, identity: Identity, at: dt.datetime, entity: str, entity_id: str,
           changes: Mapping[str, Any]) -> None:
    session.add(AuditLog(at=at, actor=identity.username, action=AuditAction.INSERT, entity=entity,
                         entity_id=entity_id, changes=_json(dict(changes))))


def record_conference(session: Session, identity: Identity, case_id: int, launch_payload: Mapping[str, Any],
                      phase: str, *, at: dt.datetime | None = None) -> FlowLog:
    """Write a consult's start or end into the case's flow log, the audit log and the change feed.

    `launch_payload` is `ConferenceLaunch.log_payload()` (or `ProcessRecord.log_payload()`),
    with whatever the caller adds (start/end times, permissions decided). The flow row:
    action `conference_start` / `conference_end`, the case's current status, reason
    "视频会商", detail `{"conference": payload}`. The caller commits.
    """
    if phase not in PHASES:
        raise ValueError(f"phase must be one of {PHASES}, not {phase!r}")
    _check_role(identity)
    case = _case(session, identity, case_id)
    at = at or session.info.get("now") or dt.datetime.now().replace(microsecond=0)
    payload = {**dict(launch_payload), "phase": phase}
    status = case.status.value
    row = FlowLog(case_id=case.id, at=at, action=f"conference_{phase}", actor=identity.username,
                  role=identity.role.value, from_status=status, to_status=status,
                  level=case.level.value if case.level is not None else None, department_id=case.department_id,
                  reason=CONSULT_REASON, detail=_json({"conference": payload}))
    session.info.setdefault("actor", identity.username)
    session.add(row)
    session.flush()
    # the flush hook leaves the append-only flow log out of the audit: write its row here
    _audit(session, identity, at, FlowLog.__tablename__, str(row.id),
           {"case_id": case.id, "action": row.action, "to_status": status, "reason": row.reason,
            "detail": json.loads(row.detail)})
    # other seats reload the case (its flow log grew) from the change feed
    session.add(ChangeFeed(at=at, entity="case", entity_id=case.id, town_id=case.town_id))
    session.flush()
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_notify(:ch, :payload)"), {"ch": NOTIFY_CHANNEL, "payload": str(case.id)})
    return row


def record_consult(session: Session, identity: Identity, scope: str, target_id: int,
                   launch_payload: Mapping[str, Any], phase: str, *, at: dt.datetime | None = None) -> None:
    """A consult's start or end for any target: a case's goes to its flow log (see
    `record_conference`); a grid's or town's, which have no flow log, to the audit log
    (entity "conference", id "grid:<id>" or "town:<id>")."""
    if scope == "case":
        record_conference(session, identity, target_id, launch_payload, phase, at=at)
        return
    if phase not in PHASES:
        raise ValueError(f"phase must be one of {PHASES}, not {phase!r}")
    _check_role(identity)
    if scope == "grid":
        grid = session.get(Grid, target_id)
        if grid is None:
            raise UnknownTarget(f"grid #{target_id}")
        _in_scope(identity, grid.town_id, grid.code)
    elif scope == "town":
        town = session.get(Town, target_id)
        if town is None:
            raise UnknownTarget(f"town #{target_id}")
        _in_scope(identity, town.id, town.code)
    else:
        raise ValueError(f"unknown consult scope {scope!r}")
    at = at or session.info.get("now") or dt.datetime.now().replace(microsecond=0)
    # entity "conference" (not "grid"/"town": no such row was inserted), id "grid:<id>" / "town:<id>"
    _audit(session, identity, at, "conference", f"{scope}:{target_id}",
           {"action": f"conference_{phase}", "reason": CONSULT_REASON,
            "conference": {**dict(launch_payload), "phase": phase}})
    session.flush()
