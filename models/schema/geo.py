"""Administrative units and grids (DOMAIN §2)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.enums import GridKind

from .base import Base, enum_col, intpk, str_code, str_name


class District(Base):
    __tablename__ = "district"

    id: Mapped[intpk]
    code: Mapped[str] = mapped_column(String(6), unique=True)  # GB/T 2260
    name: Mapped[str_name]
    boundary: Mapped[str | None] = mapped_column(Text)  # GeoJSON geometry, WGS-84
    is_demo: Mapped[bool] = mapped_column(default=False)

    towns: Mapped[list[Town]] = relationship(back_populates="district", order_by="Town.code")


class Town(Base):
    """Town or street (镇/街道)."""

    __tablename__ = "town"

    id: Mapped[intpk]
    district_id: Mapped[int] = mapped_column(ForeignKey("district.id"))
    code: Mapped[str] = mapped_column(String(9), unique=True)  # 6 + 3 digits
    name: Mapped[str_name]
    boundary: Mapped[str | None] = mapped_column(Text)

    district: Mapped[District] = relationship(back_populates="towns")
    villages: Mapped[list[Village]] = relationship(back_populates="town", order_by="Village.code")


class Village(Base):
    """Village or community (村/居/社区)."""

    __tablename__ = "village"

    id: Mapped[intpk]
    town_id: Mapped[int] = mapped_column(ForeignKey("town.id"), index=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)  # 6 + 3 + 3 digits
    name: Mapped[str_name]
    urban: Mapped[bool] = mapped_column(default=False)
    boundary: Mapped[str | None] = mapped_column(Text)

    town: Mapped[Town] = relationship(back_populates="villages")


class Grid(Base):
    """One version of a grid. A redrawn grid is a new row; the old one gets `valid_to`."""

    __tablename__ = "grid"
    __table_args__ = (
        UniqueConstraint("code", "valid_from"),
        Index("ix_grid_bbox", "min_lon", "max_lon", "min_lat", "max_lat"),
    )

    id: Mapped[intpk]
    code: Mapped[str] = mapped_column(String(15), index=True)
    name: Mapped[str_name]
    town_id: Mapped[int] = mapped_column(ForeignKey("town.id"), index=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("village.id"), index=True)
    kind: Mapped[GridKind] = enum_col(GridKind, default=GridKind.RESIDENTIAL)
    households: Mapped[int] = mapped_column(Integer, default=0)
    population: Mapped[int] = mapped_column(Integer, default=0)
    area_km2: Mapped[float] = mapped_column(Float, default=0.0)
    geometry: Mapped[str] = mapped_column(Text)  # GeoJSON Polygon/MultiPolygon, WGS-84
    centroid_lon: Mapped[float] = mapped_column(Float)
    centroid_lat: Mapped[float] = mapped_column(Float)
    min_lon: Mapped[float] = mapped_column(Float)
    min_lat: Mapped[float] = mapped_column(Float)
    max_lon: Mapped[float] = mapped_column(Float)
    max_lat: Mapped[float] = mapped_column(Float)
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)  # None: current version
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("grid.id"))

    town: Mapped[Town] = relationship()
    village: Mapped[Village] = relationship()


class Department(Base):
    """A functional department (职能部门) that handles dispatched cases."""

    __tablename__ = "department"

    id: Mapped[intpk]
    code: Mapped[str_code] = mapped_column(unique=True)
    name: Mapped[str_name]
    town_id: Mapped[int | None] = mapped_column(ForeignKey("town.id"))  # None: district-level
    phone: Mapped[str | None] = mapped_column(String(32))
