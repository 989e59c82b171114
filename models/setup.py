"""Creating a database: schema (Alembic) plus the default dictionary, policy,
departments and work calendar (`griddesk db init`)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from models import migrate
from models.defaults import dictionary as dd
from models.policy import Policy
from models.policy_store import save_policy
from models.schema import CalendarDay, Department, DictionaryVersion, MajorClass, MinorClass


def init_database(engine: Engine, years: tuple[int, ...] | None = None) -> None:
    """Migrate to head and insert the defaults into an empty database."""
    migrate.upgrade(engine)
    with Session(engine, info={"actor": "system"}) as session:
        if session.scalar(sa.select(sa.func.count()).select_from(DictionaryVersion)):
            return  # already initialised
        today = dt.date.today()
        save_policy(session, Policy(), dt.date(2000, 1, 1))
        depts = insert_departments(session)
        insert_default_dictionary(session, depts, today)
        insert_calendar(session, years or (today.year - 1, today.year, today.year + 1))
        session.commit()


def insert_departments(session: Session) -> dict[str, Department]:
    out = {}
    for code, name in dd.DEPARTMENTS:
        out[code] = Department(code=code, name=name)
        session.add(out[code])
    session.flush()
    return out


def insert_default_dictionary(session: Session, depts: dict[str, Department], on: dt.date) -> DictionaryVersion:
    version = DictionaryVersion(name="默认字典 (城市管理 CJ/T 214 + 全科网格)", effective_from=dt.date(2000, 1, 1),
                                active=True, created_at=dt.datetime.now().replace(microsecond=0),
                                source="built-in")
    session.add(version)
    majors = {}
    for code, name, kind in dd.MAJORS:
        majors[code] = MajorClass(version=version, code=code, name=name, kind=kind)
        session.add(majors[code])
    session.flush()
    for code, name, limit, unit, dept, level, filing, closing in dd.MINORS:
        major = majors[code[:2]]
        session.add(MinorClass(version_id=version.id, major_id=major.id, code=code, name=name, kind=major.kind,
                               filing_condition=filing, time_limit=limit, time_unit=dd.UNITS[unit],
                               closing_condition=closing, department_id=depts[dept].id, level=dd.LEVELS[level]))
    session.flush()
    return version


def insert_calendar(session: Session, years: tuple[int, ...]) -> None:
    from models.defaults.cn_holidays import default_calendar_rows

    for year in years:
        for day, kind, name in default_calendar_rows(year):
            if session.get(CalendarDay, day) is None:
                session.add(CalendarDay(day=day, workday=(kind == "workday"), name=name))
    session.flush()
