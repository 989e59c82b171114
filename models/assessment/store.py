"""Assessment inputs and results in the database (star ratings, bonuses, funding,
the case ledger), scoped like every other query."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Iterator

import sqlalchemy as sa
from sqlalchemy.orm import Session

from models.assessment.bonus import QuarterResult
from models.assessment.funding import TownScore, town_score
from models.assessment.stars import Quarter, StarChange, StarResult, WorkerMetrics, composite_score
from models.auth import Identity
from models.enums import StaffRole
from models.kpi.api import compute
from models.kpi.scope import KpiScope
from models.policy import Policy
from models.queue import light_of
from models.schema import Case, Grid, MinorClass, Staff, StarRating, Town, WorkerMetrics as MetricsRow
from models.scope import scope_cases, scope_staff, town_filter


class AssessmentError(Exception):
    pass


def _prev_quarter(q: Quarter) -> str:
    return f"{q.year - 1}Q4" if q.number == 1 else f"{q.year}Q{q.number - 1}"


def star_inputs(session: Session, identity: Identity, quarter: Quarter) -> tuple[list[WorkerMetrics], list[str]]:
    """Full-time workers with metrics for the quarter; also the 工号 of those without."""
    if town_filter(identity) is not None:
        raise AssessmentError("星级评定按全区名额统一计算, 镇街账号不能发起 / star ratings use district-wide quotas; "
                              "a town account cannot run them")
    q = str(quarter)
    prev = dict(session.execute(sa.select(StarRating.staff_id, StarRating.star)
                                .where(StarRating.quarter == _prev_quarter(quarter))).all())
    rows = session.execute(
        sa.select(Staff, Town.name, MetricsRow).join(Town, Staff.town_id == Town.id)
        .outerjoin(MetricsRow, sa.and_(MetricsRow.staff_id == Staff.id, MetricsRow.quarter == q))
        .where(Staff.role == StaffRole.FULL_TIME,
               sa.or_(Staff.left_date.is_(None), Staff.left_date > quarter.last_day))
        .order_by(Staff.staff_no)).all()
    out, missing = [], []
    for staff, town, m in rows:
        if staff.hire_date > quarter.last_day:
            continue
        if m is None:
            missing.append(staff.staff_no)
            continue
        out.append(WorkerMetrics(staff.staff_no, staff.name, town, staff.grid_code, staff.hire_date,
                                 m.basic_info_rate, m.dynamic_info_rate, m.knowledge_rate, m.satisfaction_rate,
                                 prev.get(staff.id)))
    return out, missing


def store_stars(session: Session, identity: Identity, quarter: Quarter, rows: list[StarResult],
                policy_id: int | None = None) -> int:
    if town_filter(identity) is not None:
        raise AssessmentError("镇街账号不能保存星级结果 / a town account cannot store star ratings")
    ids = dict(session.execute(sa.select(Staff.staff_no, Staff.id)).all())
    q = str(quarter)
    session.execute(sa.delete(StarRating).where(StarRating.quarter == q))
    now = dt.datetime.now().replace(microsecond=0)
    for r in rows:
        w = r.worker
        session.add(StarRating(
            staff_id=ids[w.staff_no], quarter=q, rated=not r.on_probation, rank=r.rank, score=r.score,
            qualified_star=r.earned_star, previous_star=w.previous_star, star=r.star,
            change=r.change.value if r.change else "", bonus_percent=r.bonus_percent or 0,
            bonus_yuan=r.bonus or Decimal(0), note="试用期" if r.on_probation else "", policy_id=policy_id,
            computed_at=now))
    session.flush()
    return len(rows)


def quarter_results(session: Session, identity: Identity, year: int) -> list[QuarterResult]:
    q = (sa.select(StarRating, Staff.staff_no, Staff.name, Town.name).join(Staff, StarRating.staff_id == Staff.id)
         .join(Town, Staff.town_id == Town.id).where(StarRating.quarter.like(f"{year}Q%")))
    q = scope_staff(q, identity)
    return [QuarterResult(int(r.quarter[-1]), no, name, town, r.star if r.rated else None, r.bonus_yuan)
            for r, no, name, town in session.execute(q)]


def grid_counts(session: Session, town_codes: list[str] | None = None) -> dict[str, int]:
    q = (sa.select(Town.code, sa.func.count(Grid.id)).join(Grid, Grid.town_id == Town.id)
         .where(Grid.valid_to.is_(None)).group_by(Town.code))
    if town_codes:
        q = q.where(Town.code.in_(town_codes))
    return {code: n for code, n in session.execute(q)}


def town_scores(session: Session, identity: Identity, year: int, policy: Policy) -> list[TownScore]:
    """考核得分 = 0.4 按期结案率 + 0.3 结案率 + 0.3 workers' mean 综合得分 over the year (percent)."""
    start, end = dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
    asof = min(dt.datetime.combine(end, dt.time()), dt.datetime.now().replace(microsecond=0))
    counts = grid_counts(session)
    out = []
    for town_id, code, name in session.execute(sa.select(Town.id, Town.code, Town.name).order_by(Town.code)):
        kpi = compute(session, identity if identity.town_id in (None, town_id) else _system(),
                      KpiScope("town", code), start, end, asof)
        metrics = session.execute(sa.select(MetricsRow).join(Staff, MetricsRow.staff_id == Staff.id)
                                  .where(Staff.town_id == town_id, MetricsRow.quarter.like(f"{year}Q%"))).scalars().all()
        scores = [composite_score((m.basic_info_rate, m.dynamic_info_rate, m.knowledge_rate, m.satisfaction_rate),
                                  policy.stars) for m in metrics]
        mean = sum(scores, Decimal(0)) / len(scores) if scores else Decimal(0)
        on_time = Decimal(str(kpi["on_time_closure_rate"] or 0)) * 100
        closure = Decimal(str(kpi["closure_rate"] or 0)) * 100
        out.append(TownScore(code, name, counts.get(code, 0), town_score(on_time, closure, mean, policy.funding)))
    return out


def _system() -> Identity:
    from models.auth import SYSTEM

    return SYSTEM


LEDGER_COLUMNS = (Case.code, MinorClass.name.label("class_name"), Town.name.label("town"),
                  Grid.code.label("grid_code"), Case.status, Case.reported_at, Case.verified_at, Case.filed_at,
                  Case.dispatched_at, Case.handled_at, Case.checked_at, Case.closed_at, Case.card,
                  Case.step_yellow_at, Case.step_deadline)


def ledger_rows(session: Session, identity: Identity, date_from: dt.date, date_to: dt.date,
                town_code: str | None = None, now: dt.datetime | None = None) -> tuple[int, Iterator[dict[str, Any]]]:
    """Cases reported in [from, to) with step times, light and card, streamed."""
    now = now or dt.datetime.now()
    own = town_filter(identity)
    if own is not None and town_code is not None:
        own_code = session.scalar(sa.select(Town.code).where(Town.id == own))
        if town_code != own_code:
            raise AssessmentError(f"镇街 {town_code} 不在您的辖区 / town {town_code} is outside your town")
    q = (sa.select(*LEDGER_COLUMNS).join(MinorClass, Case.minor_class_id == MinorClass.id)
         .join(Grid, Case.grid_id == Grid.id).join(Town, Case.town_id == Town.id)
         .where(Case.reported_at >= dt.datetime.combine(date_from, dt.time()),
                Case.reported_at < dt.datetime.combine(date_to, dt.time())))
    if town_code:
        q = q.where(Town.code == town_code)
    q = scope_cases(q, identity)
    total = session.scalar(sa.select(sa.func.count()).select_from(q.subquery())) or 0

    def rows() -> Iterator[dict[str, Any]]:
        for r in session.execute(q.order_by(Case.reported_at, Case.id).execution_options(yield_per=2000)):
            m = dict(r._mapping)
            m["light"] = light_of(m["status"], m.pop("step_yellow_at"), m.pop("step_deadline"), now)
            yield m

    return total, rows()


def stored_stars(s: Session, identity: Identity, quarter: Quarter) -> list[StarResult]:
    """The saved star results of `quarter` that `identity` may see (a town officer: their town)."""
    q = str(quarter)
    stmt = (sa.select(StarRating, Staff.staff_no, Staff.name, Staff.grid_code, Staff.hire_date, Town.name, MetricsRow)
            .join(Staff, StarRating.staff_id == Staff.id).join(Town, Staff.town_id == Town.id)
            .outerjoin(MetricsRow, sa.and_(MetricsRow.staff_id == Staff.id, MetricsRow.quarter == q))
            .where(StarRating.quarter == q))
    out = []
    for r, no, name, grid, hired, town, m in s.execute(scope_staff(stmt, identity)):
        # metrics deleted after the rating: the rates show as 0, the stored result stands
        rates = (m.basic_info_rate, m.dynamic_info_rate, m.knowledge_rate, m.satisfaction_rate) if m is not None \
            else (Decimal(0),) * 4
        w = WorkerMetrics(no, name, town, grid, hired, *rates, previous_star=r.previous_star)
        if not r.rated:
            out.append(StarResult(w, True))
            continue
        out.append(StarResult(w, False, r.rank, r.score, r.qualified_star, r.star,
                              StarChange(r.change) if r.change else None, r.bonus_percent, r.bonus_yuan))
    return out
