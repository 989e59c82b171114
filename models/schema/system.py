"""System tables: versioned policies, the audit log, the change feed, cameras
and conference providers."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.enums import AuditAction

from .base import BigId, Base, enum_col, intpk, str_name, timestamp


class PolicyRow(Base):
    """One version of the policy document (JSON of models.policy.Policy)."""

    __tablename__ = "policy"

    id: Mapped[intpk]
    version: Mapped[int] = mapped_column(Integer, unique=True)
    name: Mapped[str_name]
    effective_from: Mapped[dt.date] = mapped_column(Date)
    content: Mapped[str] = mapped_column(Text)
    created_at: Mapped[timestamp]
    created_by: Mapped[str] = mapped_column(String(64), default="system")


class AuditLog(Base):
    """Every write to every record: who, when, which row, old → new values (JSON)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[timestamp]
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[AuditAction] = enum_col(AuditAction)
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(40))
    changes: Mapped[str] = mapped_column(Text)  # JSON {column: [old, new]}


class ChangeFeed(Base):
    """Monotonic sequence of changed rows, polled by every seat for live refresh."""

    __tablename__ = "change_feed"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[timestamp]
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int] = mapped_column(BigId)
    town_id: Mapped[int | None] = mapped_column(Integer)


class Camera(Base):
    """A public-security camera (雪亮 / 天眼) linked to a grid."""

    __tablename__ = "camera"

    id: Mapped[intpk]
    name: Mapped[str_name]
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    grid_code: Mapped[str | None] = mapped_column(String(15))
    town_id: Mapped[int | None] = mapped_column(ForeignKey("town.id"))
    stream_url: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(8), default="rtsp")


class ConferenceProviderRow(Base):
    """A configured video-conference provider, shared by every seat."""

    __tablename__ = "conference_provider"

    id: Mapped[intpk]
    name: Mapped[str_name]
    kind: Mapped[str] = mapped_column(String(40))  # url | command | an entry-point kind
    config: Mapped[str] = mapped_column(Text)  # JSON
    enabled: Mapped[bool] = mapped_column(default=True)
    is_default: Mapped[bool] = mapped_column(default=False)
