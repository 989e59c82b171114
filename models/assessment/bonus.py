"""Yearly assessment bonus: the sum of a worker's quarterly bonuses (issue 7)."""

from __future__ import annotations

import dataclasses as dc
from collections.abc import Iterable
from decimal import Decimal

from models.assessment.stars import StarResult, staff_no_key


@dc.dataclass(frozen=True)
class QuarterResult:
    """A stored quarter result of one worker: star None = on probation / not rated."""

    quarter: int  # 1..4
    staff_no: str
    name: str
    town: str
    star: int | None
    bonus: Decimal

    @classmethod
    def from_star_result(cls, quarter: int, result: StarResult) -> QuarterResult:
        w = result.worker
        return cls(quarter, w.staff_no, w.name, w.town, result.star, result.bonus or Decimal(0))


@dc.dataclass(frozen=True)
class YearBonus:
    staff_no: str
    name: str
    town: str
    stars: tuple[int | None, int | None, int | None, int | None]  # per quarter; None = no star
    bonuses: tuple[Decimal | None, Decimal | None, Decimal | None, Decimal | None]  # None = no result that quarter

    @property
    def total(self) -> Decimal:
        return sum((b for b in self.bonuses if b is not None), Decimal(0))


def yearly_bonus(results: Iterable[QuarterResult]) -> list[YearBonus]:
    """Group by 工号 and sum the quarters; name and town are those of the latest quarter.

    Sorted by town, then 工号. Two results for the same worker and quarter are an error.
    """
    by_worker: dict[str, dict[int, QuarterResult]] = {}
    for r in results:
        if not 1 <= r.quarter <= 4:
            raise ValueError(f"{r.staff_no}: quarter {r.quarter} outside 1..4")
        quarters = by_worker.setdefault(r.staff_no, {})
        if r.quarter in quarters:
            raise ValueError(f"{r.staff_no}: two results for quarter {r.quarter}")
        quarters[r.quarter] = r
    out = []
    for staff_no, quarters in by_worker.items():
        latest = quarters[max(quarters)]
        stars = tuple(quarters[q].star if q in quarters else None for q in range(1, 5))
        bonuses = tuple(quarters[q].bonus if q in quarters else None for q in range(1, 5))
        out.append(YearBonus(staff_no, latest.name, latest.town, stars, bonuses))  # type: ignore[arg-type]
    return sorted(out, key=lambda y: (y.town, staff_no_key(y.staff_no)))
