"""Assessment and finance rules of issue 7: star ratings, bonuses, town funding.

Pure functions over frozen dataclasses; money is `Decimal`, rounded half-up to
fen exactly where the issue says. Every number comes from `models.policy`.
"""

from models.assessment.bonus import QuarterResult, YearBonus, yearly_bonus
from models.assessment.funding import FundingResult, TownAllocation, TownScore, allocate_funding, town_score
from models.assessment.stars import (
    Quarter,
    StarChange,
    StarRating,
    StarResult,
    StarSummary,
    WorkerMetrics,
    rate_workers,
)

__all__ = [
    "FundingResult",
    "Quarter",
    "QuarterResult",
    "StarChange",
    "StarRating",
    "StarResult",
    "StarSummary",
    "TownAllocation",
    "TownScore",
    "WorkerMetrics",
    "YearBonus",
    "allocate_funding",
    "rate_workers",
    "town_score",
    "yearly_bonus",
]
