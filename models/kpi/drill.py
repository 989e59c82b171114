"""Drill-down: the case ids behind each tile and bar of the dashboard, and the queue filter a click opens.

The snapshot keeps, per drill-down target ("tile:closed", "class:1103", "overdue_open:2", …), the ids of
its cases newest first, at most `DRILL_CAP` of them (`newest_ids`, `capped`); `case_ids_for()` turns a
clicked target into a `QueueFilter` and `drill_truncated()` says whether it shows only the newest
`DRILL_CAP`. Every read of `DRILL_CAP` is in this module: patch it here.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from models.enums import CaseStatus, Light
from models.kpi.conditions import NEWEST
from models.kpi.snapshot import DashboardSnapshot
from models.queue import QueueFilter
from models.schema import Case

DRILL_CAP = 5000  # case ids kept per drill-down target (newest first)
NO_CASES = (-1,)  # QueueFilter.case_ids matching nothing (an empty tuple means "no restriction")


def newest_ids(session: Session, conds: list[Any]) -> list[int]:
    """Ids of the cases matching `conds`, newest first: `DRILL_CAP` + 1 at most (one more tells it was capped)."""
    return list(session.scalars(sa.select(Case.id).where(*conds).order_by(NEWEST).limit(DRILL_CAP + 1)))


def capped(drill: Mapping[str, list[int]]) -> tuple[Mapping[str, tuple[int, ...]], frozenset[str]]:
    """The drill-down ids as a snapshot keeps them (the newest `DRILL_CAP` per target), and the targets
    that had more."""
    kept = {k: tuple(v[:DRILL_CAP]) for k, v in drill.items()}
    return MappingProxyType(kept), frozenset(k for k, v in drill.items() if len(v) > DRILL_CAP)


def case_ids_for(target: tuple[str, str], snap: DashboardSnapshot) -> QueueFilter | None:
    """The queue filter behind a clicked tile or bar: `(kind, key)` as the charts emit it —
    ("tile", tile key), ("town", town code), ("department", code), ("class", class code),
    ("step", step), ("overdue_open" | "overdue_closed", bucket index). None: nothing to show (duty tiles).

    Period counts become the ids of their cases (newest `DRILL_CAP`); "open now" and "red now" become
    status and light filters, a town or department bar its open cases.
    """
    kind, key = target
    base = snap.scope_ids

    def ids(name: str, **kw: Any) -> QueueFilter:
        found = snap.drill.get(name, ())
        return base.queue_filter(case_ids=found or NO_CASES, **kw)

    if kind == "tile":
        if key == "open_now":
            return base.queue_filter()
        if key == "red_now":
            return base.queue_filter(lights=(Light.RED,))
        if key in ("duty_today", "duty_week"):
            return None
        if key in ("closed", "grassroots_resolution_rate"):
            return ids(f"tile:{key}", statuses=(CaseStatus.CLOSED,))
        if key in ("reported", "filed", "closure_rate", "on_time_closure_rate"):
            return ids(f"tile:{key}", statuses=())
        raise KeyError(key)
    if kind == "town":
        row = next(r for r in snap.towns if r.code == key)
        return QueueFilter(town_ids=(row.id,))
    if kind == "department":
        row = next(r for r in snap.departments if r.code == key)
        return QueueFilter(department_ids=(row.id,))
    if kind == "class":
        return ids(f"class:{key}", statuses=(), class_codes=(key,))
    if kind == "step":
        return ids(f"step:{key}", statuses=())
    if kind == "overdue_open":
        return ids(f"overdue_open:{int(key)}")
    if kind == "overdue_closed":
        return ids(f"overdue_closed:{int(key)}", statuses=(CaseStatus.CLOSED,))
    raise KeyError(kind)


def drill_truncated(target: tuple[str, str], snap: DashboardSnapshot) -> bool:
    """True when the drill-down behind `target` shows only the newest `DRILL_CAP` of its cases."""
    kind, key = target
    if kind == "tile":
        name = f"tile:{key}"
    elif kind in ("overdue_open", "overdue_closed"):
        name = f"{kind}:{int(key)}"
    else:
        name = f"{kind}:{key}"
    return name in snap.truncated


__all__ = ["DRILL_CAP", "NO_CASES", "capped", "case_ids_for", "drill_truncated", "newest_ids"]
