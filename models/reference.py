"""Reference lists the GUI pickers need: active classes, departments, towns,
the district's bounding box — plain tuples, scoped where it matters."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from models.auth import Identity
from models.schema import Department, DictionaryVersion, Grid, MajorClass, MinorClass, Town
from models.scope import scope_grids, scope_towns


@dataclass(frozen=True)
class ClassRow:
    code: str
    name: str
    major_name: str
    kind: str
    time_limit: float
    time_unit: str
    filing_condition: str
    department_id: int | None
    level: str


def active_classes(session: Session) -> list[ClassRow]:
    rows = session.execute(
        sa.select(MinorClass.code, MinorClass.name, MajorClass.name, MinorClass.kind, MinorClass.time_limit,
                  MinorClass.time_unit, MinorClass.filing_condition, MinorClass.department_id, MinorClass.level)
        .join(MajorClass, MinorClass.major_id == MajorClass.id)
        .join(DictionaryVersion, MinorClass.version_id == DictionaryVersion.id)
        .where(DictionaryVersion.active.is_(True)).order_by(MinorClass.code)).all()
    return [ClassRow(c, n, m, k.value, t, u.value, f, d, lv.value) for c, n, m, k, t, u, f, d, lv in rows]


def departments(session: Session) -> list[tuple[int, str, str]]:
    return [tuple(r) for r in session.execute(sa.select(Department.id, Department.code, Department.name)
                                              .order_by(Department.code))]


def towns(session: Session, identity: Identity) -> list[tuple[int, str, str]]:
    return [tuple(r) for r in session.execute(scope_towns(sa.select(Town.id, Town.code, Town.name), identity)
                                              .order_by(Town.code))]


def district_bbox(session: Session, identity: Identity) -> tuple[float, float, float, float] | None:
    row = session.execute(scope_grids(sa.select(sa.func.min(Grid.min_lon), sa.func.min(Grid.min_lat),
                                                sa.func.max(Grid.max_lon), sa.func.max(Grid.max_lat))
                                      .where(Grid.valid_to.is_(None)), identity)).one()
    return None if row[0] is None else tuple(row)
