"""Small hand-made districts for database tests."""

from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa
from sqlalchemy.orm import Session

from models.auth import Identity, hash_password
from models.db import make_engine
from models.enums import GridKind, UserRole
from models.schema import Department, District, Grid, Town, User, Village
from models.setup import init_database

# Two towns side by side, each with one village of two 0.01° × 0.01° grids:
#   town 001: grids at x 0–1, 1–2;  town 002: grids at x 2–3, 3–4 (units of 0.01°)
LON0, LAT0, STEP = 121.30, 28.50, 0.01


def square(ix: int, iy: int = 0) -> dict:
    x0, y0 = LON0 + ix * STEP, LAT0 + iy * STEP
    ring = [[x0, y0], [x0 + STEP, y0], [x0 + STEP, y0 + STEP], [x0, y0 + STEP], [x0, y0]]
    return {"type": "Polygon", "coordinates": [ring]}


def grid_centre(ix: int, iy: int = 0) -> tuple[float, float]:
    return LON0 + (ix + 0.5) * STEP, LAT0 + (iy + 0.5) * STEP


def make_db(url: str):
    engine = make_engine(url)
    init_database(engine)
    with Session(engine, info={"actor": "test"}) as s:
        build_small_district(s)
        s.commit()
    return engine


def build_small_district(s: Session) -> None:
    d = District(code="331004", name="测试区")
    s.add(d)
    s.flush()
    ix = 0
    for t in (1, 2):
        town = Town(district_id=d.id, code=f"331004{t:03d}", name=f"测试镇{t}")
        s.add(town)
        s.flush()
        village = Village(town_id=town.id, code=f"{town.code}001", name=f"测试村{t}")
        s.add(village)
        s.flush()
        for g in (1, 2):
            geom = square(ix)
            ring = geom["coordinates"][0]
            s.add(Grid(code=f"{village.code}{g:03d}", name=f"网格{t}-{g}", town_id=town.id,
                       village_id=village.id, kind=GridKind.RESIDENTIAL, households=300, population=800,
                       area_km2=1.1, geometry=json.dumps(geom), centroid_lon=grid_centre(ix)[0],
                       centroid_lat=grid_centre(ix)[1], min_lon=ring[0][0], min_lat=ring[0][1],
                       max_lon=ring[2][0], max_lat=ring[2][1], valid_from=dt.date(2020, 1, 1)))
            ix += 1
    s.flush()


def town_id(s: Session, n: int) -> int:
    return s.scalar(sa.select(Town.id).where(Town.code == f"331004{n:03d}"))


def dept_id(s: Session, code: str = "D01") -> int:
    return s.scalar(sa.select(Department.id).where(Department.code == code))


def identity(role: UserRole, town: int | None = None, dept: int | None = None, name: str | None = None) -> Identity:
    return Identity(None, name or role.value, name or role.value, role, town, dept)


def add_user(s: Session, username: str, role: UserRole, password: str = "secret1", town: int | None = None) -> User:
    u = User(username=username, display_name=username, role=role, town_id=town,
             password_hash=hash_password(password))
    s.add(u)
    s.flush()
    return u
