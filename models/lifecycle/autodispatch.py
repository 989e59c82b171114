"""Auto-dispatch by the rule table: class × (grid or town) → department and level."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from models.schema import Case, DispatchRule


def match_rule(session: Session, minor_code: str, town_id: int, grid_code: str) -> DispatchRule | None:
    """The most specific active rule: grid over town over district-wide, then priority."""
    rows = session.scalars(
        sa.select(DispatchRule).where(
            DispatchRule.active.is_(True),
            DispatchRule.minor_class_code == minor_code,
            sa.or_(DispatchRule.grid_code == grid_code, DispatchRule.grid_code.is_(None)),
            sa.or_(DispatchRule.town_id == town_id, DispatchRule.town_id.is_(None)),
        )
    ).all()
    if not rows:
        return None

    def key(r: DispatchRule) -> tuple[int, int, int]:
        specificity = 0 if r.grid_code else (1 if r.town_id else 2)
        return (specificity, r.priority, r.id)

    return min(rows, key=key)


def rule_for_case(session: Session, case: Case) -> DispatchRule | None:
    return match_rule(session, case.minor_class.code, case.town_id, case.grid.code)
