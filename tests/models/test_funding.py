"""Town tiers and funding allocation of issue 7, against hand-computed values."""

from __future__ import annotations

import dataclasses as dc
from decimal import Decimal as D

import pytest

from models.assessment import TownScore, allocate_funding, town_score
from models.assessment.funding import tier_sizes
from models.policy import FundingPolicy

P = FundingPolicy()


def t(code: str, score: str, grids: int, name: str | None = None) -> TownScore:
    return TownScore(code, name or f"镇{code}", grids, D(score))


@pytest.mark.parametrize(
    ("n", "sizes"),
    [
        (1, (0, 1, 0)),  # round(1/3) = 0: the only town is tier 2
        (2, (1, 0, 1)),  # round(2/3) = 1
        (3, (1, 1, 1)),
        (4, (1, 2, 1)),  # round(4/3) = 1
        (5, (2, 1, 2)),  # round(5/3) = 2
        (10, (3, 4, 3)),  # round(10/3) = 3
        (0, (0, 0, 0)),
    ],
)
def test_tier_sizes(n, sizes):
    assert tier_sizes(n, P) == sizes


def test_tier_sizes_never_overlap_with_a_large_share():
    # share 0.5 and n = 3: round(1.5) = 2 for tier 1, leaving 1 for tier 3 and none for tier 2
    assert tier_sizes(3, dc.replace(P, tier_share=D("0.5"))) == (2, 0, 1)


def test_one_town():
    r = allocate_funding([t("330001", "80", 10)], P)
    (a,) = r.rows
    assert (a.rank, a.tier, a.coefficient, a.base_yuan, a.allocated_yuan) == (1, 2, D("1.0"), D(300000), D(300000))
    assert r.balance == D(21_700_000) and not r.overspent


def test_two_towns():
    r = allocate_funding([t("330002", "80", 20), t("330001", "90", 10)], P)
    assert [(a.town.code, a.tier, a.base_yuan, a.allocated_yuan) for a in r.rows] == [
        ("330001", 1, D(300000), D(360000)),  # 10 × 30,000 × 1.2
        ("330002", 3, D(600000), D(480000)),  # 20 × 30,000 × 0.8
    ]
    assert (r.total_allocated, r.balance) == (D(840000), D(21_160_000))


def test_four_towns_with_a_score_tie():
    r = allocate_funding(
        [t("330002", "85", 20), t("330003", "70", 10), t("330004", "90", 10), t("330001", "85", 10)], P
    )
    assert [(a.rank, a.town.code, a.tier, a.allocated_yuan) for a in r.rows] == [
        (1, "330004", 1, D(360000)),
        (2, "330001", 2, D(300000)),  # tie at 85: code 330001 before 330002
        (3, "330002", 2, D(600000)),
        (4, "330003", 3, D(240000)),
    ]
    assert (r.total_grids, r.total_base, r.total_allocated, r.balance) == (
        50,
        D(1_500_000),
        D(1_500_000),
        D(20_500_000),
    )


def test_ten_towns():
    data = [  # code, score, grids, expected tier, expected 分配经费
        ("331004001", "95", 20, 1, 720_000),
        ("331004002", "90", 25, 1, 900_000),
        ("331004003", "88", 30, 1, 1_080_000),  # tie with 004 at the tier boundary: lower code wins tier 1
        ("331004004", "88", 15, 2, 450_000),
        ("331004005", "85", 40, 2, 1_200_000),
        ("331004006", "80", 10, 2, 300_000),
        ("331004007", "80", 35, 2, 1_050_000),
        ("331004008", "75", 22, 3, 528_000),
        ("331004009", "70", 18, 3, 432_000),
        ("331004010", "60", 5, 3, 120_000),
    ]
    r = allocate_funding([t(c, s, g) for c, s, g, _, _ in reversed(data)], P)
    assert [a.town.code for a in r.rows] == [d[0] for d in data]
    assert [(a.tier, a.allocated_yuan) for a in r.rows] == [(d[3], D(d[4])) for d in data]
    assert [a.base_yuan for a in r.rows] == [D(d[2] * 30000) for d in data]
    assert r.total_grids == 220
    assert r.total_base == D(6_600_000)
    assert r.total_allocated == D(6_780_000)
    assert r.balance == D(15_220_000)


def test_overspent_fund():
    r = allocate_funding([t("A", "90", 500), t("B", "80", 300)], P)
    # 500 × 30,000 × 1.2 = 18,000,000; 300 × 30,000 × 0.8 = 7,200,000
    assert r.total_allocated == D(25_200_000)
    assert r.balance == D(-3_200_000) and r.overspent


def test_policy_fund_and_rounding_half_up():
    policy = dc.replace(P, fund_yuan=D(20), per_grid_yuan=D("10.05"), tier_coefficients=(D("1.5"), D("1.0"), D("0.5")))
    r = allocate_funding([t("A", "90", 1), t("B", "80", 1)], policy)
    # 10.05 × 1.5 = 15.075 -> 15.08; 10.05 × 0.5 = 5.025 -> 5.03 (half-even would give 15.08 / 5.02)
    assert [a.allocated_yuan for a in r.rows] == [D("15.08"), D("5.03")]
    assert r.balance == D("-0.11") and r.overspent


def test_duplicate_town_code_rejected():
    with pytest.raises(ValueError):
        allocate_funding([t("A", "90", 1), t("A", "80", 1)], P)


def test_town_score_from_indicators():
    # 0.4 × 95 + 0.3 × 90 + 0.3 × 85.5 = 38 + 27 + 25.65
    assert town_score(D(95), D(90), D("85.5"), P) == D("90.65")
    # 0.4 × 90.0125 = 36.005; + 27 + 27 = 90.005 -> 90.01
    assert town_score(D("90.0125"), D(90), D(90), P) == D("90.01")
