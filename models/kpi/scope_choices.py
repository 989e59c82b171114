"""The dashboard's scope in three shapes: the scope picker's choices an identity may see
(`scope_options`), a scope's display name (`scope_name`), and a resolved scope as the incident queue
filters it (`scope_ids`, a village as the ids of its grids).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from models.auth import Identity
from models.kpi.scope import KpiScope, ResolvedScope
from models.kpi.snapshot import ScopeIds, ScopeOption
from models.schema import Department, District, Grid, Town, Village
from models.scope import scope_towns, town_filter


def scope_ids(session: Session, rs: ResolvedScope) -> ScopeIds:
    grids = rs.grid_ids
    if rs.village_id is not None and not grids:
        grids = tuple(session.scalars(sa.select(Grid.id).where(Grid.village_id == rs.village_id).order_by(Grid.id)))
    return ScopeIds(() if rs.town_id is None else (rs.town_id,), grids,
                    () if rs.department_id is None else (rs.department_id,))


def scope_name(session: Session, scope: KpiScope) -> str:
    table = {"district": None, "town": Town, "village": Village, "grid": Grid, "department": Department}[scope.kind]
    if table is None:
        return session.scalar(sa.select(District.name).limit(1)) or "全区"
    q = sa.select(table.name).where(table.code == scope.code)
    if table is Grid:
        q = q.order_by(Grid.valid_to.is_(None).desc(), Grid.id.desc())
    return session.scalar(q.limit(1)) or scope.code or ""


def scope_options(session: Session, identity: Identity) -> list[ScopeOption]:
    """The scope picker's choices that `identity` may see (district first)."""
    forced = town_filter(identity)
    out = [ScopeOption("district", None, scope_name(session, KpiScope()))]
    towns = session.execute(scope_towns(sa.select(Town.id, Town.code, Town.name), identity).order_by(Town.code)).all()
    codes = {t.id: t.code for t in towns}
    out += [ScopeOption("town", t.code, t.name) for t in towns]
    vq = sa.select(Village.code, Village.name, Village.town_id).order_by(Village.code)
    if forced is not None:
        vq = vq.where(Village.town_id == forced)
    out += [ScopeOption("village", v.code, v.name, codes.get(v.town_id)) for v in session.execute(vq)]
    gq = sa.select(Grid.code, Grid.name, Grid.town_id).where(Grid.valid_to.is_(None)).order_by(Grid.code)
    if forced is not None:
        gq = gq.where(Grid.town_id == forced)
    out += [ScopeOption("grid", g.code, g.name, codes.get(g.town_id)) for g in session.execute(gq)]
    dq = sa.select(Department.code, Department.name, Department.town_id).order_by(Department.code)
    if forced is not None:
        dq = dq.where(sa.or_(Department.town_id.is_(None), Department.town_id == forced))
    out += [ScopeOption("department", d.code, d.name, codes.get(d.town_id)) for d in session.execute(dq)]
    return out


__all__ = ["scope_ids", "scope_name", "scope_options"]
