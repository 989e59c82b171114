"""Star rating rules of issue 7, each checked against hand-computed values."""

from __future__ import annotations

import dataclasses as dc
import datetime as dt
from decimal import Decimal as D

import pytest

from models.assessment import QuarterResult, StarChange, WorkerMetrics, rate_workers, yearly_bonus
from models.assessment.stars import (
    Quarter,
    add_months,
    composite_score,
    earned_star,
    on_probation,
    quota_counts,
    round_half_up,
)
from models.policy import StarPolicy

P = StarPolicy()
Q3 = Quarter(2026, 3)


def worker(
    staff_no: str,
    score: str | D | tuple = "97",
    prev: int | None = None,
    hire: dt.date = dt.date(2020, 1, 1),
    town: str = "路桥街道",
) -> WorkerMetrics:
    rates = score if isinstance(score, tuple) else (D(score),) * 4
    return WorkerMetrics(staff_no, f"员{staff_no}", town, "331004001001001", hire, *map(D, rates), previous_star=prev)


def by_staff(rating):
    return {r.worker.staff_no: r for r in rating.rows}


# --- quarter and probation ------------------------------------------------------
def test_quarter_parse_and_days():
    q = Quarter.parse("2026Q3")
    assert (q.first_day, q.last_day, q.label) == (dt.date(2026, 7, 1), dt.date(2026, 9, 30), "2026Q3")
    assert Quarter.parse("2024q1").last_day == dt.date(2024, 3, 31)
    assert Quarter(2026, 4).last_day == dt.date(2026, 12, 31)
    with pytest.raises(ValueError):
        Quarter.parse("2026Q5")


def test_add_months_clamps_to_month_end():
    assert add_months(dt.date(2026, 5, 31), 3) == dt.date(2026, 8, 31)
    assert add_months(dt.date(2025, 11, 30), 3) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2023, 11, 30), 3) == dt.date(2024, 2, 29)
    assert add_months(dt.date(2026, 10, 1), 3) == dt.date(2027, 1, 1)


@pytest.mark.parametrize(
    ("hire", "quarter", "probation"),
    [
        # probation of exactly 3 months ending on the quarter's last day: rated
        (dt.date(2026, 6, 30), Quarter(2026, 3), False),
        # one day later: the probation ends 2026-10-01, after 09-30
        (dt.date(2026, 7, 1), Quarter(2026, 3), True),
        (dt.date(2025, 12, 31), Quarter(2026, 1), False),  # ends 2026-03-31
        (dt.date(2026, 1, 1), Quarter(2026, 1), True),  # ends 2026-04-01
        (dt.date(2026, 9, 30), Quarter(2026, 4), False),  # ends 2026-12-30
        (dt.date(2026, 10, 1), Quarter(2026, 4), True),  # ends 2027-01-01
        (dt.date(2026, 12, 31), Quarter(2026, 3), True),  # hired after the quarter
    ],
)
def test_probation_edges(hire, quarter, probation):
    assert on_probation(hire, quarter, P) is probation


def test_probation_rows_listed_last_without_star_or_bonus_and_not_counted_in_n():
    # 9 rated workers all earning 5 stars plus one on probation: N = 9, so floor(0.9) = 0 five-star places
    workers = [worker(f"{i}", "99") for i in range(1, 10)] + [worker("0", "100", hire=dt.date(2026, 7, 1))]
    rating = rate_workers(workers, Q3, P)
    assert dict(rating.quotas) == {5: 0, 4: 1, 3: 3}
    last = rating.rows[-1]
    assert last.worker.staff_no == "0" and last.on_probation
    assert (last.rank, last.score, last.star, last.bonus, last.change) == (None, None, None, None, None)
    assert rating.district.rated == 9 and rating.district.probation == 1
    assert [r.star for r in rating.rows[:-1]] == [4, 3, 3, 3, 2, 2, 2, 2, 2]


# --- score and star ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("rates", "expected"),
    [
        (("90", "90", "90", "90.02"), "90.01"),  # 360.02 / 4 = 90.005 -> half-up 90.01 (half-even would give 90.00)
        (("90", "90", "90", "89.98"), "90.00"),  # 89.995 -> 90.00
        (("94.99", "95", "95", "94.99"), "95.00"),  # 379.98 / 4 = 94.995 -> 95.00, so 5 stars are earned
        (("100", "80", "70", "60.01"), "77.50"),  # 310.01 / 4 = 77.5025 -> 77.50
        (("0", "0", "0", "0"), "0.00"),
    ],
)
def test_composite_score_rounds_half_up(rates, expected):
    assert composite_score([D(r) for r in rates], P) == D(expected)


def test_round_half_up_at_half_a_fen():
    assert round_half_up(D("0.005")) == D("0.01")
    assert round_half_up(D("2.675")) == D("2.68")
    assert round_half_up(D("1500.004999")) == D("1500.00")


@pytest.mark.parametrize(
    ("score", "star"),
    [
        ("100", 5),
        ("95.00", 5),
        ("94.99", 4),
        ("90", 4),
        ("89.99", 3),
        ("80", 3),
        ("79.99", 2),
        ("70", 2),
        ("69.99", 1),
        ("60", 1),
        ("59.99", 0),
        ("0", 0),
    ],
)
def test_earned_star_thresholds(score, star):
    assert earned_star(D(score), P) == star


@pytest.mark.parametrize(
    ("n", "quotas"),
    [
        (1, {5: 0, 4: 0, 3: 0}),
        (4, {5: 0, 4: 0, 3: 1}),
        (5, {5: 0, 4: 1, 3: 2}),
        (9, {5: 0, 4: 1, 3: 3}),
        (10, {5: 1, 4: 2, 3: 4}),
        (19, {5: 1, 4: 3, 3: 7}),
        (20, {5: 2, 4: 4, 3: 8}),
    ],
)
def test_quota_counts_floor(n, quotas):
    assert quota_counts(n, P) == quotas


# --- the ten-worker case: every tie-break key and the quota walk-down -------------------
def ten_workers():
    return [
        worker("W01", "97", prev=None, hire=dt.date(2020, 1, 1)),  # blank previous star ranks lowest of the 97s
        worker("W02", "97", prev=3, hire=dt.date(2020, 1, 1)),  # later hire date than W03/W04
        worker("W04", "97", prev=3, hire=dt.date(2019, 6, 1)),  # same as W03 except 工号
        worker("W03", "97", prev=3, hire=dt.date(2019, 6, 1)),
        worker("W05", "97", prev=0, hire=dt.date(2018, 1, 1)),  # previous 0 beats blank, loses to 3
        worker("W06", "92", prev=3),
        worker("W07", "85", prev=4),
        worker("W08", "75", prev=None),
        worker("W09", "65", prev=1),
        worker("W10", "50", prev=2),
        worker("W11", "99", prev=5, hire=dt.date(2026, 7, 1)),  # probation
    ]


def test_ten_workers_by_hand():
    rating = rate_workers(ten_workers(), Q3, P)
    # N = 10: at most 1 five-star, 2 four-star, 4 three-star
    assert dict(rating.quotas) == {5: 1, 4: 2, 3: 4}
    order = [r.worker.staff_no for r in rating.rows]
    assert order == ["W03", "W04", "W02", "W05", "W01", "W06", "W07", "W08", "W09", "W10", "W11"]
    rows = by_staff(rating)
    expected = {
        # staff: (rank, earned, star, change, percent, bonus)
        "W03": (1, 5, 5, StarChange.UP, 120, "1800.00"),
        "W04": (2, 5, 4, StarChange.UP, 100, "1500.00"),  # 5-star place taken by W03
        "W02": (3, 5, 4, StarChange.UP, 100, "1500.00"),
        "W05": (4, 5, 3, StarChange.UP, 80, "1200.00"),  # 5 and 4 full: lowered two stars, one at a time
        "W01": (5, 5, 3, StarChange.NEW, 80, "1200.00"),
        "W06": (6, 4, 3, StarChange.SAME, 80, "1200.00"),
        "W07": (7, 3, 3, StarChange.DOWN, 80, "1200.00"),  # the 4th and last three-star place
        "W08": (8, 2, 2, StarChange.NEW, 50, "750.00"),
        "W09": (9, 1, 1, StarChange.SAME, 20, "300.00"),
        "W10": (10, 0, 0, StarChange.DOWN, 0, "0.00"),
    }
    for staff, (rank, earned, star, change, percent, bonus) in expected.items():
        r = rows[staff]
        assert (r.rank, r.earned_star, r.star, r.change, r.bonus_percent, r.bonus) == (
            rank,
            earned,
            star,
            change,
            percent,
            D(bonus),
        ), staff
    assert rows["W04"].lowered_by_quota and not rows["W03"].lowered_by_quota
    assert rating.district.counts == (1, 1, 1, 4, 2, 1)
    assert rating.district.bonus_total == D("10650.00")  # 1800 + 2×1500 + 4×1200 + 750 + 300 + 0


def test_three_star_quota_full_falls_to_two():
    # N = 5: quotas 5★ 0, 4★ 1, 3★ 2; five workers earning 3 stars -> 3, 3, 2, 2, 2
    rating = rate_workers([worker(f"{i}", str(85 - i)) for i in range(5)], Q3, P)
    assert [r.star for r in rating.rows] == [3, 3, 2, 2, 2]
    assert [r.earned_star for r in rating.rows] == [3, 3, 3, 3, 3]


def test_one_rated_worker_gets_no_quota_star():
    # N = 1: floor(0.1) = floor(0.2) = floor(0.4) = 0, so even 100 points gives 2 stars
    rating = rate_workers([worker("1", "100")], Q3, P)
    (r,) = rating.rows
    assert (r.earned_star, r.star, r.bonus) == (5, 2, D("750.00"))


def test_staff_number_tie_break_is_numeric():
    rating = rate_workers([worker("1000", "91"), worker("999", "91")], Q3, P)
    assert [r.worker.staff_no for r in rating.rows] == ["999", "1000"]


def test_score_tie_after_rounding_uses_previous_star():
    # 90.005 and 90.01 both round to 90.01: a tie, decided by the previous star
    a = worker("A", ("90", "90", "90", "90.02"), prev=1)
    b = worker("B", ("90.01", "90.01", "90.01", "90.01"), prev=2)
    rating = rate_workers([a, b], Q3, P)
    assert [r.worker.staff_no for r in rating.rows] == ["B", "A"]
    assert rating.rows[0].score == rating.rows[1].score == D("90.01")


def test_bonus_rounds_half_up_to_fen():
    # per grid 30000.1 × 20 % ÷ 4 = 1500.005 yuan; 4 stars (100 %) -> 1500.01
    policy = dc.replace(P, per_grid_yuan=D("30000.1"))
    workers = [worker(f"{i}", "92") for i in range(10)]
    rating = rate_workers(workers, Q3, policy)
    assert rating.rows[0].star == 4 and rating.rows[0].bonus == D("1500.01")
    assert rating.rows[2].star == 3 and rating.rows[2].bonus == D("1200.00")  # 1200.004 -> 1200.00


def test_policy_changes_apply():
    policy = dc.replace(P, thresholds=((D(50), 5),), quotas=(), bonus_percent=(0, 0, 0, 0, 0, 200))
    rating = rate_workers([worker("1", "51"), worker("2", "49")], Q3, policy)
    assert [(r.star, r.bonus) for r in rating.rows] == [(5, D("3000.00")), (0, D("0.00"))]


def test_town_summaries():
    workers = [worker(f"{i}", str(99 - i), town="甲镇" if i % 2 else "乙镇") for i in range(10)]
    rating = rate_workers(workers, Q3, P)
    # scores 99..90 for staff 0..9: earned 5,5,5,5,5,4,4,4,4,4; after quotas (1, 2, 4)
    # stars 5,4,4,3,3,3,3,2,2,2. 乙镇 has the even staff numbers: 0 (5), 2 (4), 4 (3), 6 (3), 8 (2)
    towns = {s.town: s for s in rating.towns}
    assert [s.town for s in rating.towns] == ["乙镇", "甲镇"]  # code-point order
    assert towns["乙镇"].counts == (0, 0, 1, 2, 1, 1)
    assert towns["甲镇"].counts == (0, 0, 2, 2, 1, 0)  # 1 (4), 3 (3), 5 (3), 7 (2), 9 (2)
    assert rating.district.counts == (0, 0, 3, 4, 2, 1)
    assert towns["乙镇"].share(5) == D("0.2") and towns["甲镇"].share(5) == D(0)
    assert towns["乙镇"].bonus_total == D("6450.00")  # 1800 + 1500 + 1200 + 1200 + 750
    assert towns["甲镇"].bonus_total == D("5400.00")  # 1500 + 1200 + 1200 + 750 + 750


def test_duplicate_staff_number_rejected():
    with pytest.raises(ValueError):
        rate_workers([worker("1"), worker("1")], Q3, P)


def test_rates_outside_range_rejected():
    with pytest.raises(ValueError):
        worker("1", ("101", "90", "90", "90"))


# --- yearly bonus --------------------------------------------------------------------------
def test_yearly_bonus_sums_quarters():
    results = [
        QuarterResult(1, "1", "张三", "甲镇", None, D(0)),  # probation
        QuarterResult(2, "1", "张三", "甲镇", 3, D("1200.00")),
        QuarterResult(3, "1", "张三", "乙镇", 5, D("1800.00")),  # moved town: latest town wins
        QuarterResult(4, "1", "张三", "乙镇", 4, D("1500.00")),
        QuarterResult(4, "2", "李四", "甲镇", 1, D("300.00")),
    ]
    years = yearly_bonus(results)
    assert [(y.staff_no, y.town) for y in years] == [("1", "乙镇"), ("2", "甲镇")]  # by town, then 工号
    zhang = years[0]
    assert zhang.stars == (None, 3, 5, 4)
    assert zhang.total == D("4500.00")
    assert years[1].bonuses == (None, None, None, D("300.00")) and years[1].total == D("300.00")
    with pytest.raises(ValueError):
        yearly_bonus([results[1], results[1]])
