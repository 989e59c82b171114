"""What the map shows, as plain data: grid GeoJSON, per-grid measures, case
markers, cameras, workers' last positions and a day's patrol tracks — scoped."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from models.auth import Identity
from models.enums import CaseStatus, StaffRole
from models.queue import OPEN, QueueFilter, QueueQuery, QueueRow
from models.schema import Camera, Case, Grid, Patrol, Staff, Town, TrackPoint, Village
from models.scope import scope_cases, scope_grids, town_filter

MEASURES = ("open_cases", "red_cases", "closure_rate", "cases_per_km2")


def grid_features(session: Session, identity: Identity, on: dt.date | None = None) -> dict[str, Any]:
    on = on or dt.date.today()
    q = (sa.select(Grid.id, Grid.code, Grid.name, Grid.geometry, Grid.households, Grid.area_km2, Town.name.label("town"),
                   Village.name.label("village"))
         .join(Town, Grid.town_id == Town.id).join(Village, Grid.village_id == Village.id)
         .where(Grid.valid_from <= on, sa.or_(Grid.valid_to.is_(None), Grid.valid_to > on)))
    q = scope_grids(q, identity)
    features = [{"type": "Feature", "geometry": json.loads(r.geometry),
                 "properties": {"id": r.id, "code": r.code, "name": r.name, "town": r.town, "village": r.village,
                                "households": r.households, "area_km2": r.area_km2}}
                for r in session.execute(q)]
    return {"type": "FeatureCollection", "features": features}


def boundaries(session: Session, identity: Identity) -> tuple[dict[str, Any], dict[str, Any]]:
    town = town_filter(identity)
    tq = sa.select(Town.id, Town.code, Town.name, Town.boundary).where(Town.boundary.is_not(None))
    vq = sa.select(Village.id, Village.code, Village.name, Village.boundary).where(Village.boundary.is_not(None))
    if town is not None:
        tq, vq = tq.where(Town.id == town), vq.where(Village.town_id == town)

    def fc(rows):
        return {"type": "FeatureCollection", "features": [
            {"type": "Feature", "geometry": json.loads(r.boundary),
             "properties": {"id": r.id, "code": r.code, "name": r.name}} for r in rows]}

    return fc(session.execute(tq)), fc(session.execute(vq))


def grid_measures(session: Session, identity: Identity, now: dt.datetime,
                  since: dt.datetime | None = None) -> dict[str, dict[int, float]]:
    """Per grid: open cases, red cases now, closure rate and cases per km² of cases filed since `since`."""
    since = since or now - dt.timedelta(days=30)
    q = QueueQuery(identity)
    light = q.light_expr(now)
    open_q = scope_cases(sa.select(Case.grid_id, sa.func.count(),
                                   sa.func.sum(sa.case((light == "red", 1), else_=0)))
                         .where(Case.status.in_(OPEN)).group_by(Case.grid_id), identity)
    opened, red = {}, {}
    for gid, n, r in session.execute(open_q):
        opened[gid], red[gid] = float(n), float(r or 0)
    filed_q = scope_cases(sa.select(Case.grid_id, sa.func.count(),
                                    sa.func.sum(sa.case((Case.status == CaseStatus.CLOSED, 1), else_=0)))
                          .where(Case.filed_at >= since).group_by(Case.grid_id), identity)
    area = dict(session.execute(scope_grids(sa.select(Grid.id, Grid.area_km2).where(Grid.valid_to.is_(None)),
                                            identity)).all())
    closure, density = {}, {}
    for gid, n, closed in session.execute(filed_q):
        closure[gid] = round(float(closed or 0) / n, 4) if n else 0.0
        density[gid] = round(n / area[gid], 2) if area.get(gid) else 0.0
    for gid in area:
        opened.setdefault(gid, 0.0)
        red.setdefault(gid, 0.0)
        density.setdefault(gid, 0.0)
    return {"open_cases": opened, "red_cases": red, "closure_rate": closure, "cases_per_km2": density}


def case_marker(row: QueueRow, now: dt.datetime) -> dict[str, Any]:
    return {"id": row.id, "code": row.code, "lon": row.lon, "lat": row.lat, "light": row.light_at(now).value,
            "card": row.card.value, "title": f"{row.code} {row.class_name} · {row.grid_name}"}


def case_markers(session: Session, identity: Identity, now: dt.datetime,
                 flt: QueueFilter | None = None, limit: int = 20000) -> list[dict[str, Any]]:
    q = QueueQuery(identity, flt or QueueFilter())
    return [case_marker(r, now) for r in q.page(session, now, 0, limit)]


def cameras(session: Session, identity: Identity) -> list[dict[str, Any]]:
    q = sa.select(Camera.id, Camera.name, Camera.lon, Camera.lat, Camera.grid_code, Camera.stream_url, Camera.kind)
    town = town_filter(identity)
    if town is not None:
        q = q.where(Camera.town_id == town)
    return [dict(r._mapping) for r in session.execute(q)]


def worker_positions(session: Session, identity: Identity, day: dt.date) -> list[dict[str, Any]]:
    """Each full-time worker's last known position on `day` (from patrol tracks)."""
    last = (sa.select(Patrol.staff_id, sa.func.max(TrackPoint.t).label("t")).join(TrackPoint, TrackPoint.patrol_id == Patrol.id)
            .where(Patrol.started_at >= dt.datetime.combine(day, dt.time()),
                   Patrol.started_at < dt.datetime.combine(day + dt.timedelta(days=1), dt.time()))
            .group_by(Patrol.staff_id).subquery())
    q = (sa.select(Staff.id, Staff.name, Staff.grid_code, TrackPoint.lon, TrackPoint.lat, TrackPoint.t.label("at"))
         .join(last, last.c.staff_id == Staff.id).join(Patrol, Patrol.staff_id == Staff.id)
         .join(TrackPoint, sa.and_(TrackPoint.patrol_id == Patrol.id, TrackPoint.t == last.c.t))
         .where(Staff.role == StaffRole.FULL_TIME))
    town = town_filter(identity)
    if town is not None:
        q = q.where(Staff.town_id == town)
    return [{"id": r.id, "name": r.name, "grid": r.grid_code, "lon": r.lon, "lat": r.lat, "t": r.at.isoformat()}
            for r in session.execute(q)]


def patrol_tracks(session: Session, identity: Identity, day: dt.date, limit: int = 2000) -> list[dict[str, Any]]:
    """The day's tracks: [{id, staff, name, points: [[lon, lat, epoch_seconds], …]}]."""
    q = (sa.select(Patrol.id, Patrol.staff_id, Staff.name).join(Staff, Patrol.staff_id == Staff.id)
         .where(Patrol.started_at >= dt.datetime.combine(day, dt.time()),
                Patrol.started_at < dt.datetime.combine(day + dt.timedelta(days=1), dt.time()),
                Patrol.point_count > 0).order_by(Patrol.id).limit(limit))
    town = town_filter(identity)
    if town is not None:
        q = q.where(Staff.town_id == town)
    patrols = {r.id: {"id": r.id, "staff": r.staff_id, "name": r.name, "points": []} for r in session.execute(q)}
    if patrols:
        pts = sa.select(TrackPoint.patrol_id, TrackPoint.lon, TrackPoint.lat, TrackPoint.t).where(
            TrackPoint.patrol_id.in_(list(patrols))).order_by(TrackPoint.patrol_id, TrackPoint.t)
        for pid, lon, lat, t in session.execute(pts):
            patrols[pid]["points"].append([lon, lat, int(t.timestamp())])
    return [p for p in patrols.values() if p["points"]]
