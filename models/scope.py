"""Data-layer access scope: a town officer sees only the rows of their town.

Every query that returns cases, grids, staff or indicators goes through these
helpers, so the rule holds in the queue, the map, the KPIs, the exports and the
CLI alike — not only in what a view hides.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select

from models.auth import Identity
from models.schema import Case, Grid, Staff, Town


def town_filter(identity: Identity) -> int | None:
    """The town id every query of `identity` is restricted to, or None."""
    if identity.scoped:
        if identity.town_id is None:
            raise PermissionError("a town officer without a town sees nothing")
        return identity.town_id
    return None


def scope_cases(query: Select[Any], identity: Identity) -> Select[Any]:
    town = town_filter(identity)
    return query if town is None else query.where(Case.town_id == town)


def scope_grids(query: Select[Any], identity: Identity) -> Select[Any]:
    town = town_filter(identity)
    return query if town is None else query.where(Grid.town_id == town)


def scope_staff(query: Select[Any], identity: Identity) -> Select[Any]:
    town = town_filter(identity)
    return query if town is None else query.where(Staff.town_id == town)


def scope_towns(query: Select[Any], identity: Identity) -> Select[Any]:
    town = town_filter(identity)
    return query if town is None else query.where(Town.id == town)
