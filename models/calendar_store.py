"""The work calendar as stored (calendar_day rows + the policy's working hours)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from models.policy import Policy
from models.schema import CalendarDay
from models.workcalendar import WorkCalendar


def load_calendar(session: Session, policy: Policy) -> WorkCalendar:
    rows = session.execute(sa.select(CalendarDay.day, CalendarDay.workday)).all()
    return WorkCalendar(holidays=[d for d, w in rows if not w], workdays=[d for d, w in rows if w],
                        work_hours=policy.timers.work_hours)
