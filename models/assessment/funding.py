"""Yearly town tiers and funding allocation (DOMAIN §6, issue 7 "Town tiers and funding").

Towns are ordered by 考核得分 descending, then 镇街编码 ascending; the first
round-half-up(n × tier_share) are tier 1, the last as many are tier 3, the rest
tier 2. 基础经费 = 网格数 × per grid; 分配经费 = 基础经费 × tier coefficient;
以奖代补结余 = fund − Σ 分配经费 (negative = overspent).
"""

from __future__ import annotations

import dataclasses as dc
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from models.assessment.stars import round_half_up
from models.policy import FundingPolicy


@dc.dataclass(frozen=True)
class TownScore:
    """One town's input: 镇街编码, 镇街名称, 网格数, 考核得分 (percent points)."""

    code: str
    name: str
    grids: int
    score: Decimal

    def __post_init__(self) -> None:
        if self.grids < 0:
            raise ValueError(f"{self.code}: negative grid count")


@dc.dataclass(frozen=True)
class TownAllocation:
    rank: int
    town: TownScore
    tier: int  # 1, 2 or 3
    coefficient: Decimal
    base_yuan: Decimal  # 基础经费
    allocated_yuan: Decimal  # 分配经费


@dc.dataclass(frozen=True)
class FundingResult:
    rows: tuple[TownAllocation, ...]
    fund_yuan: Decimal
    per_grid_yuan: Decimal

    @property
    def total_grids(self) -> int:
        return sum(r.town.grids for r in self.rows)

    @property
    def total_base(self) -> Decimal:
        return sum((r.base_yuan for r in self.rows), Decimal(0))

    @property
    def total_allocated(self) -> Decimal:
        return sum((r.allocated_yuan for r in self.rows), Decimal(0))

    @property
    def balance(self) -> Decimal:
        """以奖代补结余; negative when the allocations exceed the fund (超支)."""
        return self.fund_yuan - self.total_allocated

    @property
    def overspent(self) -> bool:
        return self.balance < 0


def town_score(
    on_time_closure_rate: Decimal, closure_rate: Decimal, worker_mean_score: Decimal, policy: FundingPolicy
) -> Decimal:
    """考核得分 from the database side, in percent, rounded half-up to 2 decimals:
    0.4 × 按期结案率 + 0.3 × 结案率 + 0.3 × the workers' mean 综合得分."""
    return round_half_up(
        policy.score_on_time_closure * on_time_closure_rate
        + policy.score_closure * closure_rate
        + policy.score_worker_mean * worker_mean_score
    )


def tier_sizes(n: int, policy: FundingPolicy) -> tuple[int, int, int]:
    """(tier 1, tier 2, tier 3) sizes: first and last round-half-up(n × share), tier 2 the rest.

    With the default share 1/3 this gives n=1 -> (0,1,0), 2 -> (1,0,1), 4 -> (1,2,1), 10 -> (3,4,3).
    If an administrator's share would make tiers 1 and 3 overlap, tier 3 gets what is left.
    """
    edge = int((Decimal(n) * policy.tier_share).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    first = min(edge, n)
    last = min(edge, n - first)
    return first, n - first - last, last


def allocate_funding(towns: Iterable[TownScore], policy: FundingPolicy) -> FundingResult:
    towns = sorted(towns, key=lambda t: (-t.score, t.code))
    codes = [t.code for t in towns]
    if len(set(codes)) != len(codes):
        raise ValueError("duplicate town code")
    first, middle, _last = tier_sizes(len(towns), policy)
    rows = []
    for i, town in enumerate(towns):
        tier = 1 if i < first else 2 if i < first + middle else 3
        coefficient = policy.tier_coefficients[tier - 1]
        base = round_half_up(town.grids * policy.per_grid_yuan)
        rows.append(TownAllocation(i + 1, town, tier, coefficient, base, round_half_up(base * coefficient)))
    return FundingResult(tuple(rows), policy.fund_yuan, policy.per_grid_yuan)
