"""Query pieces the dashboard modules share: a case time window as of a moment, the scope as
conditions no index serves, a timestamp hidden from the planner, newest-first order, and a database
day read back as a date.

Every dashboard query is bounded by a time range or the open statuses and reaches the cases through
an indexed range, so the cost of a refresh follows the period and the daily rate, not the length of
the history; these helpers keep the planner on that range.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from models.kpi.scope import ResolvedScope
from models.kpi.sql import unindexed
from models.schema import Case


def day_of(value: Any) -> dt.date:
    """A date as the database returns `date(...)` or a day column: text, datetime or date."""
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    if isinstance(value, dt.datetime):
        return value.date()
    return value


def window(col: Any, start: dt.datetime, end: dt.datetime, asof: dt.datetime) -> list[Any]:
    """`col` in [start, end) and not after `asof`."""
    return [col >= start, col < end, col <= asof]


def case_filters(rs: ResolvedScope) -> list[Any]:
    """`rs.case_filter()` with no index on any scope column, villages and grids included: every query
    here is bounded by a time range or the open statuses, and SQLite (without ANALYZE statistics)
    otherwise prefers an equality on town/village/grid and reads that area's whole history."""
    conds: list[Any] = []
    if rs.town_id is not None:
        conds.append(unindexed(Case.town_id) == rs.town_id)
    if rs.village_id is not None:
        conds.append(unindexed(Case.village_id) == rs.village_id)
    if rs.grid_ids:
        conds.append(unindexed(Case.grid_id).in_(rs.grid_ids))
    if rs.department_id is not None:
        conds.append(unindexed(Case.department_id) == rs.department_id)
    return conds


def unindexed_time(col: Any) -> Any:
    """A timestamp hidden from the planner, so another condition picks the index (`sql.unindexed`'s
    `col + 0` would turn SQLite's text timestamps into numbers)."""
    return sa.func.coalesce(col, col)


# newest first, sorted after the search: `ORDER BY id DESC LIMIT n` alone lets SQLite walk the whole table
# backwards by rowid instead of using the time-range index
NEWEST = (Case.id + 0).desc()


__all__ = ["NEWEST", "case_filters", "day_of", "unindexed_time", "window"]
