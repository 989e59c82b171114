"""Indicator rollups: per (day, town, department) counters, maintained incrementally."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, Float, Integer
from sqlalchemy.orm import Mapped, mapped_column

from .base import BigId, Base



class KpiRollup(Base):
    """Counters of one (day, town, department) bucket.

    `reported` and `voided` count cases *reported* on `day`; every other counter
    counts the cohort *filed* on `day`, in the cases' current state.
    """

    __tablename__ = "kpi_rollup"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    town_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    department_id: Mapped[int] = mapped_column(Integer, primary_key=True)  # 0: none
    handle_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    reported: Mapped[int] = mapped_column(Integer, default=0)
    voided: Mapped[int] = mapped_column(Integer, default=0)
    filed: Mapped[int] = mapped_column(Integer, default=0)
    closed: Mapped[int] = mapped_column(Integer, default=0)
    closed_on_time: Mapped[int] = mapped_column(Integer, default=0)
    closed_grassroots: Mapped[int] = mapped_column(Integer, default=0)
    handled: Mapped[int] = mapped_column(Integer, default=0)
    reworked: Mapped[int] = mapped_column(Integer, default=0)
    handle_n: Mapped[int] = mapped_column(Integer, default=0)
    dispatched: Mapped[int] = mapped_column(Integer, default=0)
    auto_dispatched: Mapped[int] = mapped_column(Integer, default=0)
    public_reports: Mapped[int] = mapped_column(Integer, default=0)
    verify_done: Mapped[int] = mapped_column(Integer, default=0)
    verify_on_time: Mapped[int] = mapped_column(Integer, default=0)
    accept_done: Mapped[int] = mapped_column(Integer, default=0)
    accept_on_time: Mapped[int] = mapped_column(Integer, default=0)
    dispatch_done: Mapped[int] = mapped_column(Integer, default=0)
    dispatch_on_time: Mapped[int] = mapped_column(Integer, default=0)
    handle_done: Mapped[int] = mapped_column(Integer, default=0)
    handle_on_time: Mapped[int] = mapped_column(Integer, default=0)
    check_done: Mapped[int] = mapped_column(Integer, default=0)
    check_on_time: Mapped[int] = mapped_column(Integer, default=0)



class KpiHandleHist(Base):
    """Handling durations (whole minutes) of the cohort filed on `day`, for percentiles."""

    __tablename__ = "kpi_handle_hist"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    town_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    department_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    minutes: Mapped[int] = mapped_column(Integer, primary_key=True)
    n: Mapped[int] = mapped_column(Integer)


class KpiState(Base):
    """How far the rollups have consumed the change feed."""

    __tablename__ = "kpi_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_feed_id: Mapped[int] = mapped_column(BigId, default=0)
