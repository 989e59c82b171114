"""Quarterly star rating of grid workers (DOMAIN §6, issue 7 "Star rating").

`rate_workers(workers, quarter, policy)` applies the rule in order:
probation, 综合得分, 达标星级, quotas in ranking order, bonus, change against the
previous quarter. Everything is plain data; the database and Excel sides only
feed `WorkerMetrics` in and read `StarRating` out.
"""

from __future__ import annotations

import calendar
import dataclasses as dc
import datetime as dt
import re
from collections.abc import Iterable, Sequence
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from enum import StrEnum

from models.policy import StarPolicy

CENT = Decimal("0.01")
MAX_STAR = 5


def round_half_up(value: Decimal, places: Decimal = CENT) -> Decimal:
    """Round half away from zero to `places` (0.005 -> 0.01), as finance does by hand."""
    return value.quantize(places, rounding=ROUND_HALF_UP)


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` plus whole calendar months; a day past the month's end is clamped.

    05-31 + 3 -> 08-31; 11-30 + 3 -> 02-28 (02-29 in a leap year).
    """
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dc.dataclass(frozen=True, order=True)
class Quarter:
    """A calendar quarter, written `2026Q3`."""

    year: int
    number: int

    def __post_init__(self) -> None:
        if not 1 <= self.number <= 4:
            raise ValueError(f"quarter number must be 1..4, not {self.number}")

    @classmethod
    def parse(cls, text: str) -> Quarter:
        m = re.fullmatch(r"\s*(\d{4})\s*[-]?\s*[Qq]([1-4])\s*", text)
        if not m:
            raise ValueError(f"not a quarter like 2026Q3: {text!r}")
        return cls(int(m.group(1)), int(m.group(2)))

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, 3 * self.number - 2, 1)

    @property
    def last_day(self) -> dt.date:
        month = 3 * self.number
        return dt.date(self.year, month, calendar.monthrange(self.year, month)[1])

    @property
    def label(self) -> str:
        return f"{self.year}Q{self.number}"

    @property
    def display(self) -> str:
        return f"{self.year}年第{self.number}季度"

    def __str__(self) -> str:
        return self.label


class StarChange(StrEnum):
    """变动 against the previous quarter; reports translate the codes (升/降/持平/新评)."""

    UP = "up"
    DOWN = "down"
    SAME = "same"
    NEW = "new"


@dc.dataclass(frozen=True)
class WorkerMetrics:
    """One row of a town's metrics sheet: the four rates are percent, 0–100."""

    staff_no: str
    name: str
    town: str
    grid_code: str
    hire_date: dt.date
    basic_info_rate: Decimal  # 基础信息录入率
    dynamic_info_rate: Decimal  # 动态信息采集率
    knowledge_rate: Decimal  # 应知应会知晓率
    satisfaction_rate: Decimal  # 网格评价满意率
    previous_star: int | None = None  # 上季星级; None = never rated

    def __post_init__(self) -> None:
        for rate in self.rates:
            if not Decimal(0) <= rate <= Decimal(100):
                raise ValueError(f"{self.staff_no}: rate {rate} outside 0–100")
        if self.previous_star is not None and not 0 <= self.previous_star <= MAX_STAR:
            raise ValueError(f"{self.staff_no}: previous star {self.previous_star} outside 0–5")

    @property
    def rates(self) -> tuple[Decimal, Decimal, Decimal, Decimal]:
        return (self.basic_info_rate, self.dynamic_info_rate, self.knowledge_rate, self.satisfaction_rate)


@dc.dataclass(frozen=True)
class StarResult:
    """One row of 星级评定. For a worker on probation only `worker` is set and `on_probation` is true."""

    worker: WorkerMetrics
    on_probation: bool
    rank: int | None = None  # 排名 among rated workers
    score: Decimal | None = None  # 综合得分
    earned_star: int | None = None  # 达标星级, before quotas
    star: int | None = None  # 本季星级, after quotas
    change: StarChange | None = None
    bonus_percent: int | None = None  # 奖金比例, percent
    bonus: Decimal | None = None  # 季度考核奖, yuan

    @property
    def lowered_by_quota(self) -> bool:
        return self.star is not None and self.earned_star is not None and self.star < self.earned_star


@dc.dataclass(frozen=True)
class StarSummary:
    """Counts per star (index 0..5) of one town, or of the district when `town` is None."""

    town: str | None
    rated: int
    probation: int
    counts: tuple[int, int, int, int, int, int]
    bonus_total: Decimal

    def share(self, star: int) -> Decimal | None:
        """Share of the rated workers holding `star` (0..1, unrounded); None when nobody is rated."""
        return Decimal(self.counts[star]) / Decimal(self.rated) if self.rated else None


@dc.dataclass(frozen=True)
class StarRating:
    quarter: Quarter
    rows: tuple[StarResult, ...]  # rated workers in ranking order, then probation rows
    quotas: tuple[tuple[int, int], ...]  # (star, most workers allowed) over all rated workers
    towns: tuple[StarSummary, ...]
    district: StarSummary

    @property
    def rated(self) -> tuple[StarResult, ...]:
        return tuple(r for r in self.rows if not r.on_probation)


def probation_end(hire_date: dt.date, policy: StarPolicy) -> dt.date:
    """The day the probation ends: hire date plus `probation_months` calendar months."""
    return add_months(hire_date, policy.probation_months)


def on_probation(hire_date: dt.date, quarter: Quarter, policy: StarPolicy) -> bool:
    """Rule 1: rated only when the probation ends on or before the quarter's last day."""
    return probation_end(hire_date, policy) > quarter.last_day


def composite_score(rates: Sequence[Decimal], policy: StarPolicy) -> Decimal:
    """Rule 2: weighted sum of the four rates, rounded half-up to 2 decimals (the sum, not each term)."""
    if len(rates) != len(policy.rate_weights):
        raise ValueError("need one rate per weight")
    return round_half_up(sum((w * r for w, r in zip(policy.rate_weights, rates)), Decimal(0)))


def earned_star(score: Decimal, policy: StarPolicy) -> int:
    """Rule 3: the first threshold (from the top) that the score reaches; 0 = 未达星级."""
    for minimum, star in sorted(policy.thresholds, key=lambda t: t[0], reverse=True):
        if score >= minimum:
            return star
    return 0


def quota_counts(rated: int, policy: StarPolicy) -> dict[int, int]:
    """Rule 4: star -> floor(share × N)."""
    return {star: int((share * rated).to_integral_value(rounding=ROUND_FLOOR)) for star, share in policy.quotas}


def bonus_for(star: int, policy: StarPolicy) -> tuple[int, Decimal]:
    """Rule 5: (奖金比例 in percent, 季度考核奖 in yuan rounded half-up to fen)."""
    percent = policy.bonus_percent[star]
    return percent, round_half_up(policy.quarterly_bonus_base * percent / 100)


def star_change(previous: int | None, star: int) -> StarChange:
    if previous is None:
        return StarChange.NEW
    if star > previous:
        return StarChange.UP
    if star < previous:
        return StarChange.DOWN
    return StarChange.SAME


def staff_no_key(staff_no: str) -> tuple:
    """工号 order: digit runs compare as numbers ("999" < "1000", "LQ2" < "LQ10"), the rest as text."""
    parts = re.split(r"(\d+)", staff_no)
    return tuple((0, int(p), p) if p.isdigit() else (1, 0, p) for p in parts if p)


def ranking_key(worker: WorkerMetrics, score: Decimal) -> tuple:
    """Score descending, previous star descending (blank lowest), hire date ascending, 工号 ascending."""
    previous = -1 if worker.previous_star is None else worker.previous_star
    return (-score, -previous, worker.hire_date, staff_no_key(worker.staff_no))


def rate_workers(workers: Iterable[WorkerMetrics], quarter: Quarter, policy: StarPolicy) -> StarRating:
    """Apply rules 1–6 of issue 7 to every worker of the district for `quarter`."""
    workers = list(workers)
    seen: set[str] = set()
    for w in workers:
        if w.staff_no in seen:
            raise ValueError(f"duplicate staff number {w.staff_no}")
        seen.add(w.staff_no)

    scored = [(w, composite_score(w.rates, policy)) for w in workers if not on_probation(w.hire_date, quarter, policy)]
    scored.sort(key=lambda ws: ranking_key(*ws))
    quotas = quota_counts(len(scored), policy)
    given = {star: 0 for star in quotas}

    rows: list[StarResult] = []
    for rank, (worker, score) in enumerate(scored, start=1):
        earned = earned_star(score, policy)
        star = earned
        while star in quotas and given[star] >= quotas[star]:
            star -= 1
        if star in given:
            given[star] += 1
        percent, bonus = bonus_for(star, policy)
        rows.append(
            StarResult(
                worker, False, rank, score, earned, star, star_change(worker.previous_star, star), percent, bonus
            )
        )
    probation = sorted(
        (w for w in workers if on_probation(w.hire_date, quarter, policy)), key=lambda w: staff_no_key(w.staff_no)
    )
    rows.extend(StarResult(w, True) for w in probation)

    towns = tuple(
        _summary(town, [r for r in rows if r.worker.town == town]) for town in sorted({r.worker.town for r in rows})
    )
    return StarRating(quarter, tuple(rows), tuple(sorted(quotas.items(), reverse=True)), towns, _summary(None, rows))


def _summary(town: str | None, rows: Sequence[StarResult]) -> StarSummary:
    counts = [0] * (MAX_STAR + 1)
    total = Decimal(0)
    for r in rows:
        if r.star is not None:
            counts[r.star] += 1
            total += r.bonus or Decimal(0)
    rated = sum(1 for r in rows if not r.on_probation)
    return StarSummary(town, rated, len(rows) - rated, tuple(counts), total)  # type: ignore[arg-type]
