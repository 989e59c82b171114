"""Duplicate suggestion at intake: open cases of the same minor class nearby."""

from __future__ import annotations

import math
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from models.auth import Identity
from models.enums import CaseStatus
from models.geo.locate import haversine_m
from models.schema import Case
from models.scope import scope_cases

_OPEN = [s for s in CaseStatus if s.is_open]


@dataclass(frozen=True)
class DuplicateCandidate:
    case_id: int
    code: str
    distance_m: float
    status: CaseStatus
    reported_at: object
    description: str


def find_duplicates(session: Session, identity: Identity, minor_class_id: int, lon: float, lat: float,
                    radius_m: float, exclude_id: int | None = None) -> list[DuplicateCandidate]:
    """Open cases of the class within `radius_m` metres, nearest first."""
    dlat = radius_m / 111_320.0
    dlon = radius_m / (111_320.0 * max(math.cos(math.radians(lat)), 0.01))
    q = sa.select(Case.id, Case.code, Case.lon, Case.lat, Case.status, Case.reported_at, Case.description).where(
        Case.minor_class_id == minor_class_id, Case.status.in_(_OPEN),
        Case.lon.between(lon - dlon, lon + dlon), Case.lat.between(lat - dlat, lat + dlat))
    if exclude_id is not None:
        q = q.where(Case.id != exclude_id)
    out = []
    for row in session.execute(scope_cases(q, identity)):
        d = haversine_m(lon, lat, row.lon, row.lat)
        if d <= radius_m:
            out.append(DuplicateCandidate(row.id, row.code, round(d, 1), row.status, row.reported_at,
                                          row.description))
    return sorted(out, key=lambda c: c.distance_m)
