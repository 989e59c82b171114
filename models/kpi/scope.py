"""What an indicator query covers: district, town, village, grid or department."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from models.auth import Identity
from models.lifecycle.errors import OutOfScope
from models.schema import Case, Department, Grid, Town, Village
from models.scope import town_filter


@dataclass(frozen=True)
class KpiScope:
    kind: str = "district"  # district | town | village | grid | department
    code: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("district", "town", "village", "grid", "department"):
            raise ValueError(f"unknown scope kind {self.kind!r}")
        if self.kind != "district" and not self.code:
            raise ValueError(f"scope {self.kind} needs a code")


@dataclass(frozen=True)
class ResolvedScope:
    scope: KpiScope
    town_id: int | None = None
    village_id: int | None = None
    grid_ids: tuple[int, ...] = ()
    department_id: int | None = None
    grid_count: int = 0

    def case_filter(self) -> list[Any]:
        """Conditions on cases; the town and department ones are not for an index (see
        `sql.unindexed`): the period's time range is the selective part, a whole town's
        or department's history is not. Villages and grids are small: their indexes help."""
        from models.kpi.sql import unindexed

        conds: list[Any] = []
        if self.town_id is not None:
            conds.append(unindexed(Case.town_id) == self.town_id)
        if self.village_id is not None:
            conds.append(Case.village_id == self.village_id)
        if self.grid_ids:
            conds.append(Case.grid_id.in_(self.grid_ids))
        if self.department_id is not None:
            conds.append(unindexed(Case.department_id) == self.department_id)
        return conds


def resolve(session: Session, scope: KpiScope, identity: Identity) -> ResolvedScope:
    """Look up the scope's ids; a town officer is held to their own town."""
    forced_town = town_filter(identity)
    current = sa.or_(Grid.valid_to.is_(None))
    town_id = village_id = dept_id = None
    grid_ids: tuple[int, ...] = ()
    if scope.kind == "town":
        town_id = session.scalar(sa.select(Town.id).where(Town.code == scope.code))
        if town_id is None:
            raise LookupError(f"no town {scope.code}")
    elif scope.kind == "village":
        row = session.execute(sa.select(Village.id, Village.town_id).where(Village.code == scope.code)).first()
        if row is None:
            raise LookupError(f"no village {scope.code}")
        village_id, town_id = row
    elif scope.kind == "grid":
        rows = session.execute(sa.select(Grid.id, Grid.town_id).where(Grid.code == scope.code)).all()
        if not rows:
            raise LookupError(f"no grid {scope.code}")
        grid_ids = tuple(r[0] for r in rows)  # every version of the grid
        town_id = rows[0][1]
    elif scope.kind == "department":
        dept_id = session.scalar(sa.select(Department.id).where(Department.code == scope.code))
        if dept_id is None:
            raise LookupError(f"no department {scope.code}")
    if forced_town is not None:
        if town_id is not None and town_id != forced_town:
            raise OutOfScope(scope.code or "")
        town_id = forced_town
    q = sa.select(sa.func.count()).select_from(Grid).where(current)
    if grid_ids:
        grid_count = 1
    else:
        if village_id is not None:
            q = q.where(Grid.village_id == village_id)
        elif town_id is not None:
            q = q.where(Grid.town_id == town_id)
        grid_count = session.scalar(q) or 0
    return ResolvedScope(scope, town_id, village_id, grid_ids, dept_id, grid_count)
