"""Cases (incidents), their flow log, attachments and the auto-dispatch rule table."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.enums import Card, CaseSource, CaseStatus, CloseType, Level, Step

from .base import BigId, Base, enum_col, intpk, str_name, timestamp
from .dictionary import MinorClass
from .geo import Department, Grid


class Case(Base):
    """One case of the closed loop. `version` guards every write (optimistic locking).

    Step timestamps are the *latest* completion of each step (a rework repeats
    dispatch and handling); deadlines are those of the current round. All times
    are naive local time of the district.
    """

    __tablename__ = "case_"
    __table_args__ = (
        Index("ix_case_town_status", "town_id", "status"),
        Index("ix_case_filed", "filed_at"),
        Index("ix_case_reported", "reported_at"),
        Index("ix_case_open_deadline", "status", "step_deadline"),
        Index("ix_case_closed", "closed_at"),
        Index("ix_case_class_loc", "minor_class_id", "lon", "lat"),
        # the live queue (models/queue.py): the light filter from the index alone (0003), and one
        # (status, key, id, town) index per order, so a page is an index range per status (0004)
        Index("ix_case_queue_light", "status", "step_deadline", "step_yellow_at"),
        Index("ix_case_queue_card", "status", "card", "id", "town_id"),
        Index("ix_case_queue_deadline", "status", "step_deadline", "id", "town_id"),
        Index("ix_case_queue_code", "status", "code", "id", "town_id"),
        Index("ix_case_queue_reported", "status", "reported_at", "id", "town_id"),
        Index("ix_case_queue_updated", "status", "updated_at", "id", "town_id"),
        Index("ix_case_queue_town", "status", "town_id", "id"),
        Index("ix_case_queue_class", "status", "minor_class_id", "id", "town_id"),
        Index("ix_case_queue_level", "status", "level", "id", "town_id"),
        Index("ix_case_queue_status", "status", "id", "town_id", "step_deadline", "step_yellow_at"),
    )

    id: Mapped[intpk]
    code: Mapped[str] = mapped_column(String(24), unique=True)
    minor_class_id: Mapped[int] = mapped_column(ForeignKey("dict_minor.id"), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    source: Mapped[CaseSource] = enum_col(CaseSource)
    reporter_name: Mapped[str] = mapped_column(String(100), default="")
    reporter_phone: Mapped[str] = mapped_column(String(32), default="")
    reporter_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    lon: Mapped[float] = mapped_column(Float)  # WGS-84
    lat: Mapped[float] = mapped_column(Float)
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid.id"), index=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("village.id"), index=True)
    town_id: Mapped[int] = mapped_column(ForeignKey("town.id"))
    level: Mapped[Level] = enum_col(Level, default=Level.GRID)  # current handling level
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    status: Mapped[CaseStatus] = enum_col(CaseStatus, default=CaseStatus.REPORTED)
    status_before_suspend: Mapped[CaseStatus | None] = enum_col(CaseStatus, nullable=True)
    self_handled: Mapped[bool] = mapped_column(default=False)
    auto_dispatched: Mapped[bool] = mapped_column(default=False)
    is_demo: Mapped[bool] = mapped_column(default=False)

    # step completion times
    reported_at: Mapped[timestamp]
    verified_at: Mapped[timestamp | None]
    filed_at: Mapped[timestamp | None]  # 立案 (accepted)
    dispatched_at: Mapped[timestamp | None]
    handled_at: Mapped[timestamp | None]  # 处置反馈
    checked_at: Mapped[timestamp | None]
    closed_at: Mapped[timestamp | None]
    voided_at: Mapped[timestamp | None]
    first_dispatched_at: Mapped[timestamp | None]

    # deadlines of the current round
    verify_deadline: Mapped[timestamp | None]
    accept_deadline: Mapped[timestamp | None]
    dispatch_deadline: Mapped[timestamp | None]
    handle_deadline: Mapped[timestamp | None]
    check_deadline: Mapped[timestamp | None]
    close_deadline: Mapped[timestamp | None]  # 结案期限 of the whole case
    step_deadline: Mapped[timestamp | None]  # deadline of the step now running (queue sort)
    step_started_at: Mapped[timestamp | None]  # when the running step started
    step_yellow_at: Mapped[timestamp | None]  # when the running step reaches the yellow share
    step: Mapped[Step | None] = enum_col(Step, nullable=True)  # the running timed step

    # on-time flags of each step's latest completion (kept for indicators)
    verify_on_time: Mapped[bool | None]
    accept_on_time: Mapped[bool | None]
    dispatch_on_time: Mapped[bool | None]
    handle_on_time: Mapped[bool | None]
    check_on_time: Mapped[bool | None]

    suspended_at: Mapped[timestamp | None]  # start of the running suspension
    suspended_seconds: Mapped[int] = mapped_column(Integer, default=0)  # finished suspensions
    extension_count: Mapped[int] = mapped_column(Integer, default=0)
    rework_count: Mapped[int] = mapped_column(Integer, default=0)
    return_count: Mapped[int] = mapped_column(Integer, default=0)
    card: Mapped[Card] = enum_col(Card, default=Card.NONE)
    card_points: Mapped[float] = mapped_column(Float, default=0.0)
    closed_level: Mapped[Level | None] = enum_col(Level, nullable=True)
    close_type: Mapped[CloseType | None] = enum_col(CloseType, nullable=True)
    appeal_pending: Mapped[bool] = mapped_column(default=False)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("case_.id"))

    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[timestamp]

    __mapper_args__ = {"version_id_col": version}

    minor_class: Mapped[MinorClass] = relationship()
    grid: Mapped[Grid] = relationship()
    department: Mapped[Department | None] = relationship()
    flow: Mapped[list[FlowLog]] = relationship(back_populates="case", order_by="FlowLog.id")
    attachments: Mapped[list[Attachment]] = relationship(back_populates="case")


class FlowLog(Base):
    """Append-only record of every transition of a case."""

    __tablename__ = "flow_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_.id"), index=True)
    at: Mapped[timestamp]
    action: Mapped[str] = mapped_column(String(24))
    actor: Mapped[str] = mapped_column(String(100))  # username or staff name
    role: Mapped[str] = mapped_column(String(24))
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str] = mapped_column(String(24))
    level: Mapped[str | None] = mapped_column(String(24))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[str | None] = mapped_column(Text)  # JSON: extra facts (card, extension, conference …)

    case: Mapped[Case] = relationship(back_populates="flow")


class Attachment(Base):
    """A photo or file attached to a case (stored on disk or as bytes)."""

    __tablename__ = "attachment"

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(ForeignKey("case_.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="photo")  # photo | file
    stage: Mapped[str] = mapped_column(String(16), default="report")  # report | handle | check
    filename: Mapped[str] = mapped_column(String(260))
    mime: Mapped[str] = mapped_column(String(80), default="image/jpeg")
    data: Mapped[bytes | None]
    path: Mapped[str | None] = mapped_column(String(500))
    added_at: Mapped[timestamp]
    added_by: Mapped[str] = mapped_column(String(100))

    case: Mapped[Case] = relationship(back_populates="attachments")


class DispatchRule(Base):
    """Auto-dispatch: class × (town or grid) → department and level.

    The most specific matching row wins: grid over town over district-wide
    (both null); within equal specificity the lowest `priority` value.
    """

    __tablename__ = "dispatch_rule"

    id: Mapped[intpk]
    minor_class_code: Mapped[str] = mapped_column(String(8), index=True)
    town_id: Mapped[int | None] = mapped_column(ForeignKey("town.id"))
    grid_code: Mapped[str | None] = mapped_column(String(15))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    level: Mapped[Level] = enum_col(Level)
    priority: Mapped[int] = mapped_column(Integer, default=100)
    active: Mapped[bool] = mapped_column(default=True)
    note: Mapped[str] = mapped_column(String(200), default="")


__all__ = ["Case", "FlowLog", "Attachment", "DispatchRule", "str_name", "dt"]
