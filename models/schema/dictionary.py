"""The versioned class dictionary (DOMAIN §3) and the work calendar."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.enums import ClassKind, Level, TimeUnit

from .base import Base, enum_col, intpk, str_name, timestamp
from .geo import Department


class DictionaryVersion(Base):
    """One version of the dictionary; exactly one is active at a time."""

    __tablename__ = "dict_version"

    id: Mapped[intpk]
    name: Mapped[str_name]
    effective_from: Mapped[dt.date] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[timestamp]
    source: Mapped[str | None] = mapped_column(String(300))  # file it was imported from

    majors: Mapped[list[MajorClass]] = relationship(back_populates="version", order_by="MajorClass.code")


class MajorClass(Base):
    __tablename__ = "dict_major"
    __table_args__ = (UniqueConstraint("version_id", "code"),)

    id: Mapped[intpk]
    version_id: Mapped[int] = mapped_column(ForeignKey("dict_version.id"))
    code: Mapped[str] = mapped_column(String(8))
    name: Mapped[str_name]
    kind: Mapped[ClassKind] = enum_col(ClassKind)

    version: Mapped[DictionaryVersion] = relationship(back_populates="majors")
    minors: Mapped[list[MinorClass]] = relationship(back_populates="major", order_by="MinorClass.code")


class MinorClass(Base):
    """A minor class with its rule row (立案条件, 处置时限, 结案条件, department, level)."""

    __tablename__ = "dict_minor"
    __table_args__ = (
        UniqueConstraint("version_id", "code"),
        Index("ix_dict_minor_code", "code", "id"),  # the queue's class order walks the codes (0004)
    )

    id: Mapped[intpk]
    version_id: Mapped[int] = mapped_column(ForeignKey("dict_version.id"), index=True)
    major_id: Mapped[int] = mapped_column(ForeignKey("dict_major.id"))
    code: Mapped[str] = mapped_column(String(8))  # unique within a version, e.g. "0101"
    name: Mapped[str_name]
    kind: Mapped[ClassKind] = enum_col(ClassKind)
    filing_condition: Mapped[str] = mapped_column(Text, default="")
    time_limit: Mapped[float] = mapped_column(Float)
    time_unit: Mapped[TimeUnit] = enum_col(TimeUnit)
    closing_condition: Mapped[str] = mapped_column(Text, default="")
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    level: Mapped[Level] = enum_col(Level, default=Level.VILLAGE)

    major: Mapped[MajorClass] = relationship(back_populates="minors")
    department: Mapped[Department | None] = relationship()


class CalendarDay(Base):
    """An exception to the Mon–Fri week: a holiday or a make-up working day."""

    __tablename__ = "calendar_day"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    workday: Mapped[bool]  # True: make-up working day (调休上班); False: holiday
    name: Mapped[str] = mapped_column(String(40), default="")
