"""Field activity and assessment: patrols with GPS tracks, worker metrics, star
ratings, town assessments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Date, Float, ForeignKey, Index, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import BigId, Base, intpk, timestamp
from .org import Staff

Rate = Numeric(6, 2)  # a percentage 0.00–100.00
Money = Numeric(14, 2)


class Patrol(Base):
    """One patrol of a grid worker (巡查), summarised from its GPS track."""

    __tablename__ = "patrol"
    __table_args__ = (Index("ix_patrol_staff_start", "staff_id", "started_at"),)

    id: Mapped[intpk]
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    grid_code: Mapped[str] = mapped_column(String(15))
    started_at: Mapped[timestamp]
    ended_at: Mapped[timestamp]
    distance_m: Mapped[float] = mapped_column(Float, default=0.0)
    point_count: Mapped[int] = mapped_column(Integer, default=0)

    staff: Mapped[Staff] = relationship()
    points: Mapped[list[TrackPoint]] = relationship(back_populates="patrol", order_by="TrackPoint.t")


class TrackPoint(Base):
    __tablename__ = "track_point"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    patrol_id: Mapped[int] = mapped_column(ForeignKey("patrol.id"), index=True)
    t: Mapped[timestamp]
    lon: Mapped[float] = mapped_column(Float)  # WGS-84
    lat: Mapped[float] = mapped_column(Float)

    patrol: Mapped[Patrol] = relationship(back_populates="points")


class WorkerMetrics(Base):
    """Quarterly inputs of a full-time worker's star rating (issue 7)."""

    __tablename__ = "worker_metrics"
    __table_args__ = (UniqueConstraint("staff_id", "quarter"),)

    id: Mapped[intpk]
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    quarter: Mapped[str] = mapped_column(String(6))  # "2026Q3"
    basic_info_rate: Mapped[Decimal] = mapped_column(Rate)  # 基础信息录入率
    dynamic_info_rate: Mapped[Decimal] = mapped_column(Rate)  # 动态信息采集率
    knowledge_rate: Mapped[Decimal] = mapped_column(Rate)  # 应知应会知晓率
    satisfaction_rate: Mapped[Decimal] = mapped_column(Rate)  # 网格评价满意率
    source: Mapped[str] = mapped_column(String(200), default="")

    staff: Mapped[Staff] = relationship()


class StarRating(Base):
    """A stored quarterly star result (one row per worker and quarter)."""

    __tablename__ = "star_rating"
    __table_args__ = (UniqueConstraint("staff_id", "quarter"),)

    id: Mapped[intpk]
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    quarter: Mapped[str] = mapped_column(String(6))
    rated: Mapped[bool]  # False: still on probation
    rank: Mapped[int | None] = mapped_column(Integer)
    score: Mapped[Decimal | None] = mapped_column(Rate)
    qualified_star: Mapped[int | None] = mapped_column(Integer)
    previous_star: Mapped[int | None] = mapped_column(Integer)
    star: Mapped[int | None] = mapped_column(Integer)
    change: Mapped[str] = mapped_column(String(8), default="")
    bonus_percent: Mapped[int] = mapped_column(Integer, default=0)
    bonus_yuan: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    note: Mapped[str] = mapped_column(String(100), default="")
    policy_id: Mapped[int | None] = mapped_column(ForeignKey("policy.id"))
    computed_at: Mapped[timestamp]

    staff: Mapped[Staff] = relationship()


class TownAssessment(Base):
    """A town's assessment result for a period (year "2026" or quarter "2026Q3")."""

    __tablename__ = "town_assessment"
    __table_args__ = (UniqueConstraint("town_id", "period"),)

    id: Mapped[intpk]
    town_id: Mapped[int] = mapped_column(ForeignKey("town.id"))
    period: Mapped[str] = mapped_column(String(6))
    score: Mapped[Decimal] = mapped_column(Rate)
    rank: Mapped[int] = mapped_column(Integer)
    tier: Mapped[int] = mapped_column(Integer)
    coefficient: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    grid_count: Mapped[int] = mapped_column(Integer)
    base_funding: Mapped[Decimal] = mapped_column(Money)
    allocated_funding: Mapped[Decimal] = mapped_column(Money)
    policy_id: Mapped[int | None] = mapped_column(ForeignKey("policy.id"))
    computed_at: Mapped[timestamp]


__all__ = ["Patrol", "TrackPoint", "WorkerMetrics", "StarRating", "TownAssessment", "dt", "Date"]
