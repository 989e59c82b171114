"""Town and department rankings with grades, and the most reported classes (issue 6).

The rankings are the indicators `compute()` gives each town or department: live, the same counters
grouped by town or department in one query over the rollups, fed through the same `indicators()`
formula (`_grouped_indicators`); as of a past time, `compute()` for each of them. Towns rank by region
score, departments by department score, best first. `class_breakdown()` gives the `TOP_CLASSES` most
reported minor classes of a period (by code, across dictionary versions).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from models.auth import Identity
from models.enums import CaseStatus
from models.kpi import rollup
from models.kpi.api import compute
from models.kpi.conditions import NEWEST, case_filters, window
from models.kpi.formulas import Counters, indicators, nearest_rank
from models.kpi.periods import Period
from models.kpi.scope import KpiScope, ResolvedScope
from models.kpi.snapshot import ClassBar, RankRow, frozen
from models.policy_store import load_policy
from models.schema import Case, Department, Grid, KpiHandleHist, KpiRollup, MinorClass, Town
from models.scope import scope_towns, town_filter

TOP_CLASSES = 10


def class_breakdown(session: Session, rs: ResolvedScope, period: Period, now: dt.datetime,
                    drill: dict[str, list[int]] | None = None, top: int = TOP_CLASSES) -> list[ClassBar]:
    """The most reported minor classes in the period (by code, across dictionary versions)."""
    conds = [*window(Case.reported_at, period.start, period.end, now), *case_filters(rs)]
    q = (sa.select(MinorClass.code, sa.func.max(MinorClass.name), sa.func.count()).select_from(Case).join(
        MinorClass, Case.minor_class_id == MinorClass.id).where(*conds).group_by(MinorClass.code)
         .order_by(sa.func.count().desc(), MinorClass.code).limit(top))
    bars = [ClassBar(c, n, int(k)) for c, n, k in session.execute(q)]
    if drill is not None and bars:
        for cid, code in session.execute(sa.select(Case.id, MinorClass.code).select_from(Case).join(
                MinorClass, Case.minor_class_id == MinorClass.id).where(
                *conds, MinorClass.code.in_([b.code for b in bars])).order_by(NEWEST)):
            drill[f"class:{code}"].append(cid)
    return bars


# --- rankings ---------------------------------------------------------------------------------------------------

def rankings(session: Session, identity: Identity, period: Period, now: dt.datetime, live: bool,
             kind: str) -> list[RankRow]:
    """Towns (by region score) or departments (by department score) with grades, best first.

    Live, from one grouped query over the rollups through the same `indicators()` as `compute`;
    as of a past time, `compute` for each of them.
    """
    if kind not in ("town", "department"):
        raise ValueError(kind)
    if kind == "town":
        entities = session.execute(scope_towns(sa.select(Town.id, Town.code, Town.name), identity)
                                   .order_by(Town.code)).all()
    else:
        entities = session.execute(sa.select(Department.id, Department.code, Department.name)
                                   .order_by(Department.code)).all()
    if live:
        rollup.refresh(session)
        results = _grouped_indicators(session, identity, period, now, kind, [e.id for e in entities])
    else:
        results = {e.id: compute(session, identity, KpiScope(kind, e.code), period.date_from, period.date_to, now)
                   for e in entities}
    score_key, grade_key = ("region_score", "region_grade") if kind == "town" else \
        ("department_score", "department_grade")
    rows = []
    for e in entities:
        k = results[e.id]
        if kind == "department" and not (k["reported"] or k["filed"]):
            continue  # a department with no case in the period has nothing to rank
        rows.append((e, k))
    rows.sort(key=lambda ek: (ek[1][score_key] is None, -(ek[1][score_key] or 0), ek[0].code))
    out, rank = [], 0
    for e, k in rows:
        if k[score_key] is not None:
            rank += 1
        out.append(RankRow(kind, e.id, e.code, e.name, k[score_key], k[grade_key],
                           rank if k[score_key] is not None else None, frozen(k)))
    return out


def _grouped_indicators(session: Session, identity: Identity, period: Period, now: dt.datetime, kind: str,
                        ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """`compute(kind, each id)` over the rollups in a few grouped queries (same counters, same formula)."""
    forced = town_filter(identity)
    names = Counters.names()
    rcol = KpiRollup.town_id if kind == "town" else KpiRollup.department_id
    hcol = KpiHandleHist.town_id if kind == "town" else KpiHandleHist.department_id
    ccol = Case.town_id if kind == "town" else Case.department_id
    conds = [KpiRollup.day >= period.date_from, KpiRollup.day < period.date_to]
    hconds = [KpiHandleHist.day >= period.date_from, KpiHandleHist.day < period.date_to]
    cconds = []
    if forced is not None:
        conds.append(KpiRollup.town_id == forced)
        hconds.append(KpiHandleHist.town_id == forced)
        cconds.append(Case.town_id == forced)
    counters: dict[int, Counters] = {}
    for row in session.execute(sa.select(rcol.label("k"), *[sa.func.coalesce(sa.func.sum(getattr(KpiRollup, n)), 0)
                                                           .label(n) for n in names]).where(*conds).group_by(rcol)):
        m = row._mapping
        counters[m["k"]] = Counters(**{n: (float(m[n]) if n == "handle_seconds" else int(m[n])) for n in names})
    hist: dict[int, list[tuple[float, int]]] = defaultdict(list)
    for k, minutes, n in session.execute(sa.select(hcol, KpiHandleHist.minutes, sa.func.sum(KpiHandleHist.n))
                                         .where(*hconds).group_by(hcol, KpiHandleHist.minutes)
                                         .order_by(hcol, KpiHandleHist.minutes)):
        hist[k].append((float(minutes), int(n)))
    due = {k: int(n) for k, n in session.execute(sa.select(ccol, sa.func.count()).where(
        *window(Case.filed_at, period.start, period.end, now), *cconds,
        sa.or_(Case.closed_at.is_(None), Case.closed_at > now), Case.status != CaseStatus.SUSPENDED,
        Case.close_deadline <= now).group_by(ccol))}
    current = Grid.valid_to.is_(None)
    if kind == "town":
        grids = {k: int(n) for k, n in session.execute(
            sa.select(Grid.town_id, sa.func.count()).where(current).group_by(Grid.town_id))}
    else:
        q = sa.select(sa.func.count()).select_from(Grid).where(current)
        if forced is not None:
            q = q.where(Grid.town_id == forced)
        all_grids = session.scalar(q) or 0
        grids = dict.fromkeys(ids, all_grids)
    months = period.days / (365.25 / 12)
    weights = load_policy(session).scores
    out = {}
    for i in ids:
        c = counters.get(i, Counters())
        p90 = nearest_rank(hist.get(i, []))
        out[i] = indicators(c, c.closed + due.get(i, 0), None if p90 is None else p90 * 60, grids.get(i, 0),
                            months, weights)
    return out


__all__ = ["TOP_CLASSES", "class_breakdown", "rankings"]
