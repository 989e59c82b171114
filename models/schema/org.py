"""People: grid staff and GridDesk users."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.enums import StaffRole, UserRole

from .base import Base, enum_col, intpk, str_name, timestamp
from .geo import Department, Grid, Town


class Staff(Base):
    """A member of a grid team (指导员 / 网格长 / 专职网格员 / 兼职网格员)."""

    __tablename__ = "staff"

    id: Mapped[intpk]
    staff_no: Mapped[str] = mapped_column(String(32), unique=True)  # 工号
    name: Mapped[str_name]
    role: Mapped[StaffRole] = enum_col(StaffRole)
    grid_code: Mapped[str] = mapped_column(String(15), index=True)  # stable across grid versions
    town_id: Mapped[int] = mapped_column(ForeignKey("town.id"), index=True)
    hire_date: Mapped[dt.date] = mapped_column(Date)
    probation_end: Mapped[dt.date] = mapped_column(Date)
    phone: Mapped[str | None] = mapped_column(String(20))
    left_date: Mapped[dt.date | None] = mapped_column(Date)

    town: Mapped[Town] = relationship()


class User(Base):
    """A GridDesk seat login. Town officers are scoped to one town."""

    __tablename__ = "app_user"

    id: Mapped[intpk]
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str_name]
    role: Mapped[UserRole] = enum_col(UserRole)
    town_id: Mapped[int | None] = mapped_column(ForeignKey("town.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    password_hash: Mapped[str] = mapped_column(String(200))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[timestamp | None]
    active: Mapped[bool] = mapped_column(default=True)

    town: Mapped[Town | None] = relationship()
    department: Mapped[Department | None] = relationship()


__all__ = ["Staff", "User", "Grid"]
