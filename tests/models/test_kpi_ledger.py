"""Every indicator key against values computed by hand on the 35-case ledger.

Scopes: the district, town 331004001, grid 331004001001001, department D01;
as of T1 = 2026-03-16 12:00 and as of now (live: the rollups serve district,
town and department); period [2026-03-01, 2026-04-01). Each through the
rollups, through raw SQL (use_rollups=False) and through `griddesk kpi --json`,
on SQLite and PostgreSQL. The cases are in tests/models/ledger_fixture.py with
their per-case facts (HAND); the sums below name the cases they count.

Shared arithmetic: months = 31 / (365.25 / 12) = 1.018480; region score =
10·(1 − public share) + 20 %·band + 30·closure + 40·on-time (rounded rates);
department score = 40·closure + 40·handle on-time + 20·(1 − rework).
Public sources: hotline, public, WeChat. Bands of filed / grid / month:
< 1 → 40, < 3 → 60, < 6 → 80, < 10 → 90, else 100.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from desktop.cli import main as cli_main
from models.auth import SYSTEM
from models.enums import UserRole
from models.kpi.api import compute
from models.kpi.formulas import KEYS
from models.kpi.rollup import rebuild_rollups
from models.kpi.scope import KpiScope
from models.lifecycle import Action
from models.lifecycle.service import CaseService
from models.schema import Case, KpiRollup
from tests.factories import identity, make_db
from tests.models.ledger_fixture import DEPT, GRID1, PERIOD, T1, TOWN1, build_ledger, check_hand_facts

K = KEYS
NOW = None  # evaluated live

EXPECTED = {
    # --- district, now ---------------------------------------------------------------
    ("district", NOW): dict(zip(K, (
        32,  # reported in March: 35 − L09, L32 (February), L35 (April)
        29,  # filed in March: 35 − L05, L16, L31 (voided), L09 (Feb), L10, L35 (April)
        3,  # voided: L05, L16, L31
        19,  # closed: L01 02 03 04 07 11 14 17 18 19 20 22 24 26 27 28 29 32 34
        26,  # due: 19 closed + open past deadline L08 12 13 15 21 23 30 (L06, L33 suspended; L25 not yet due)
        13,  # on time: L01 04 07 14 17 18 20 24 26 27 29 32 34 (late: L02 03 11 19 22 28)
        0.7308,  # 19/26 = 0.730769
        0.5,  # 13/26
        0.1304,  # reworked L03 L15 L29 / handled 23 (29 − L06 12 13 21 25 30) = 0.130435
        0.8947,  # 17/19 (L11, L18 closed at town level) = 0.894737
        22.58,  # 20 durations (min): 120+2880+1080+10130+1440+1440+60+4740+90+1560+1080+90+60+360+120+210+120+250
        #        +1200+60 = 27090 → 1354.5 min = 22.575 h → half-up 22.58
        48.0,  # rank ceil(0.9·20) = 18 of 60 60 60 90 90 120 120 120 210 250 360 1080 1080 1200 1440 1440 1560
        #        2880 4740 10130 → 2880 min
        0.75,  # verify: L02 T, L17 F, L25 T, L27 T → 3/4
        0.931,  # accept: 29 − L30, L32 late → 27/29 = 0.931034
        0.7692,  # dispatch: 26 dispatched (29 − L04 L20 L30), late L03 11 13 21 27 29 → 20/26
        0.7,  # handle: 20 handled with a flag, late L02 08 11 19 26 33 → 14/20
        0.8333,  # check: 18 checked, late L02 11 22 → 15/18
        0.2308,  # auto: L01 14 18 24 26 34 → 6/26
        65.1,  # 10·15/29 = 5.1724 + band(29/4/1.018480 = 7.12 → 90)·0.2 = 18 + 30·0.7308 = 21.924 + 40·0.5 = 20
        #        = 65.0964
        "C",
        74.62,  # 40·0.7308 + 40·0.7 + 20·(1 − 0.1304) = 29.232 + 28 + 17.392 = 74.624
        "C",
    ))),
    # --- district, T1 ----------------------------------------------------------------
    ("district", T1): dict(zip(K, (
        21,  # reported by T1: L01–L08 (8), L12 13 14, L17 18 19 20 21, L26 27 28, L31, L33
        20,  # filed by T1: L01 02 03 04 06 07 08 12 13 14 17 18 19 20 21 26 27 28 32 33
        2,  # voided by T1: L05, L31 (L16 was reported on 20 March)
        11,  # closed by T1: L01 02 03 04 14 17 18 19 20 26 32
        13,  # due: 11 + open at T1 with deadline ≤ T1: L08 (3-12 17:10), L13 (3-12 10:00); L06, L33 suspended
        8,  # on time: L01 04 14 17 18 20 26 32
        0.8462,  # 11/13 = 0.846154
        0.6154,  # 8/13 = 0.615385
        0.0714,  # reworked L03 / handled by T1: L01 02 03 04 08 14 17 18 19 20 26 27 32 33 = 14 → 1/14
        0.9091,  # 10/11 (L18 at town level)
        19.31,  # 12 durations: 120+2880+1080+1440+60+4740+90+1560+360+120+250+1200 = 13900 → 1158.33 min
        #        = 19.3056 h
        48.0,  # rank ceil(10.8) = 11 of 60 90 120 120 250 360 1080 1200 1440 1560 2880 4740 → 2880
        0.6667,  # verify: L02 T, L17 F, L27 T → 2/3
        0.95,  # accept: 20 − L32 → 19/20
        0.7778,  # dispatch by T1: 18 (20 − L04, L20), late L03 13 21 27 → 14/18
        0.5833,  # handle by T1: L01 T 02 F 03 T 08 F 14 T 17 T 18 T 19 F 26 F 27 T 32 T 33 F → 7/12
        0.8889,  # check by T1: L01 02 03 14 17 18 19 26 32, late L02 → 8/9
        0.2222,  # auto: L01 14 18 26 / 18 dispatched
        72.0,  # 10·12/20 = 6 + band(20/4/1.018480 = 4.91 → 80)·0.2 = 16 + 30·0.8462 = 25.386 + 40·0.6154 = 24.616
        #        = 72.002
        "C",
        75.75,  # 40·0.8462 + 40·0.5833 + 20·(1 − 0.0714) = 33.848 + 23.332 + 18.572 = 75.752
        "B",
    ))),
    # --- town 331004001 (grids g1, g2), now -------------------------------------------
    ("town", NOW): dict(zip(K, (
        20,  # g1: L01–L08, L10, L26 27 33 (12); g2: L11 12 13 14 15 16 28 34 (8)
        17,  # g1: L01 02 03 04 06 07 08 26 27 33; g2: L11 12 13 14 15 28 34
        2,  # L05, L16
        11,  # L01 02 03 04 07 26 27; L11 14 28 34
        15,  # 11 + L08 12 13 15 (L06, L33 suspended)
        7,  # L01 04 07 26 27 14 34
        0.7333,  # 11/15
        0.4667,  # 7/15
        0.1429,  # L03 L15 / handled 14 (17 − L06 12 13) = 0.142857
        0.9091,  # 10/11 (L11 at town level)
        26.53,  # 12 durations: 120+2880+1080+10130+1440+360+120+1200+1440+60+210+60 = 19100 → 1591.67 min
        #        = 26.5278 h
        48.0,  # rank 11 of 60 60 120 120 210 360 1080 1200 1440 1440 2880 10130 → 2880
        1.0,  # verify: L02, L27
        1.0,  # accept: 17/17
        0.75,  # dispatch: 16 (17 − L04), late L03 27 11 13 → 12/16
        0.5833,  # handle: 12, on time L01 03 07 27 14 28 34 → 7/12
        0.8,  # check: 10, late L02 L11 → 8/10
        0.25,  # auto: L01 26 14 34 → 4/16
        64.55,  # 10·10/17 = 5.8824 + band(17/2/1.018480 = 8.35 → 90)·0.2 = 18 + 30·0.7333 = 21.999
        #        + 40·0.4667 = 18.668 = 64.5494
        "C",
        69.81,  # 40·0.7333 + 40·0.5833 + 20·(1 − 0.1429) = 29.332 + 23.332 + 17.142 = 69.806
        "C",
    ))),
    ("town", T1): dict(zip(K, (
        15,  # L01–L08, L26 27 33; L12 13 14 28
        14,  # L01 02 03 04 06 07 08 26 27 33; L12 13 14 28
        1,  # L05
        6,  # L01 02 03 04 26 14
        8,  # 6 + L08, L13
        4,  # L01 04 26 14
        0.75,
        0.5,
        0.1111,  # L03 / handled L01 02 03 04 08 26 27 33 14 = 9
        1.0,  # all six at grid or village level
        15.13,  # 120+2880+1080+1440+360+120+1200+60 = 7260 / 8 = 907.5 min = 15.125 h → 15.13
        48.0,  # rank ceil(7.2) = 8: the largest, 2880
        1.0,  # L02, L27
        1.0,  # 14/14
        0.7692,  # dispatch: 13 (14 − L04), late L03 27 13 → 10/13
        0.5,  # handle: L01 T 02 F 03 T 08 F 26 F 27 T 33 F 14 T → 4/8
        0.8,  # check: L01 02 03 26 14, late L02 → 4/5
        0.2308,  # auto: L01 26 14 → 3/13
        66.93,  # 10·9/14 = 6.4286 + band(14/2/1.018480 = 6.87 → 90)·0.2 = 18 + 30·0.75 + 40·0.5 = 66.9286
        "C",
        67.78,  # 30 + 20 + 20·(1 − 0.1111) = 67.778
        "C",
    ))),
    # --- grid 331004001001001 (g1), now ------------------------------------------------
    ("grid", NOW): dict(zip(K, (
        12,  # L01–L08, L10, L26 27 33
        10,  # L01 02 03 04 06 07 08 26 27 33
        1,  # L05
        7,  # L01 02 03 04 07 26 27
        8,  # 7 + L08 (L06, L33 suspended)
        5,  # L01 04 07 26 27
        0.875,
        0.625,
        0.1111,  # L03 / handled 9 (10 − L06)
        1.0,
        36.1,  # 120+2880+1080+10130+1440+360+120+1200 = 17330 / 8 = 2166.25 min = 36.104 h
        168.83,  # rank ceil(7.2) = 8: the largest, 10130 min = 168.833 h
        1.0,  # L02, L27
        1.0,
        0.7778,  # dispatch: 9, late L03 27 → 7/9
        0.5,  # handle: on time L01 03 07 27 of 8
        0.8333,  # check: L01 02 03 07 26 27, late L02 → 5/6
        0.2222,  # auto: L01 26 / 9
        75.25,  # 10·6/10 = 6 + band(10/1/1.018480 = 9.82 → 90)·0.2 = 18 + 30·0.875 = 26.25 + 40·0.625 = 25
        "B",
        72.78,  # 35 + 20 + 20·(1 − 0.1111) = 72.778
        "C",
    ))),
    ("grid", T1): dict(zip(K, (
        11,  # L01–L08, L26 27 33
        10,
        1,
        5,  # L01 02 03 04 26
        6,  # 5 + L08
        3,  # L01 04 26
        0.8333,
        0.5,
        0.125,  # L03 / handled L01 02 03 04 08 26 27 33 = 8
        1.0,
        17.14,  # 120+2880+1080+1440+360+120+1200 = 7200 / 7 = 1028.57 min = 17.1429 h
        48.0,  # rank ceil(6.3) = 7: the largest, 2880
        1.0,
        1.0,
        0.7778,  # 9 dispatched, late L03 27
        0.4286,  # handle: L01 T 02 F 03 T 08 F 26 F 27 T 33 F → 3/7
        0.75,  # check: L01 02 03 26, late L02 → 3/4
        0.2222,
        69.0,  # 6 + 18 + 30·0.8333 = 24.999 + 40·0.5 = 20 → 68.999
        "C",
        67.98,  # 40·0.8333 + 40·0.4286 + 20·(1 − 0.125) = 33.332 + 17.144 + 17.5 = 67.976
        "C",
    ))),
    # --- department D01, now ------------------------------------------------------------
    ("department", NOW): dict(zip(K, (
        21,  # D01 cases reported in March: L01 02 03 06 07 08 10 11 12 13 19 21 22 23 24 25 26 27 28 29 33
        21,  # filed: L01 02 03 06 07 08 11 12 13 19 21 22 23 24 25 26 27 28 29 32 33
        0,  # voided cases have no department
        13,  # L01 02 03 07 11 19 22 24 26 27 28 29 32
        18,  # 13 + L08 12 13 21 23 (L06, L33 suspended; L25 not due; L15 has no department after its rework)
        7,  # L01 07 24 26 27 29 32
        0.7222,  # 13/18
        0.3889,  # 7/18
        0.125,  # L03 L29 / handled 16 (21 − L06 12 13 21 25)
        0.9231,  # 12/13 (L11 at town level)
        23.06,  # 120+2880+1080+10130+1440+1440+1560+1080+90+60+360+120+210+120+250+1200 = 22140 / 16
        #        = 1383.75 min = 23.0625 h
        48.0,  # rank ceil(14.4) = 15 of 16: 60 90 120 120 120 210 250 360 1080 1080 1200 1440 1440 1560 2880 10130
        1.0,  # verify: L02 25 27
        0.9524,  # accept: L32 late → 20/21
        0.7143,  # dispatch: 21, late L03 11 13 21 27 29 → 15/21
        0.625,  # handle: 16, late L02 08 11 19 26 33 → 10/16
        0.7857,  # check: 14 (L01 02 03 07 11 19 22 23 24 26 27 28 29 32), late L02 11 22 → 11/14
        0.1429,  # auto: L01 24 26 → 3/21
        58.46,  # 10·11/21 = 5.2381 + band(21/4/1.018480 = 5.15 → 80)·0.2 = 16 + 30·0.7222 = 21.666
        #        + 40·0.3889 = 15.556 = 58.4601
        "D",
        71.39,  # 40·0.7222 + 40·0.625 + 20·0.875 = 28.888 + 25 + 17.5 = 71.388
        "C",
    ))),
    ("department", T1): dict(zip(K, (
        14,  # L01 02 03 06 07 08 12 13 19 21 26 27 28 33
        15,  # L01 02 03 06 07 08 12 13 19 21 26 27 28 32 33
        0,
        6,  # L01 02 03 19 26 32
        8,  # 6 + L08, L13
        3,  # L01 26 32
        0.75,
        0.375,
        0.1111,  # L03 / handled L01 02 03 08 19 26 27 32 33 = 9
        1.0,
        16.69,  # 120+2880+1080+1440+1560+360+120+250+1200 = 9010 / 9 = 1001.11 min = 16.6852 h
        48.0,  # rank ceil(8.1) = 9: the largest, 2880
        1.0,  # L02, L27
        0.9333,  # 14/15 (L32 late)
        0.7333,  # dispatch: 15, late L03 13 21 27 → 11/15
        0.4444,  # handle: L01 T 02 F 03 T 08 F 19 F 26 F 27 T 32 T 33 F → 4/9
        0.8333,  # check: L01 02 03 19 26 32, late L02 → 5/6
        0.1333,  # auto: L01 26 → 2/15
        59.5,  # 10·9/15 = 6 + band(15/4/1.018480 = 3.68 → 80)·0.2 = 16 + 30·0.75 = 22.5 + 40·0.375 = 15
        "D",
        65.55,  # 30 + 40·0.4444 = 17.776 + 20·(1 − 0.1111) = 17.778 → 65.554
        "C",
    ))),
}

SCOPES = {"district": KpiScope(), "town": KpiScope("town", TOWN1), "grid": KpiScope("grid", GRID1),
          "department": KpiScope("department", DEPT)}
CLI_SCOPE = {"district": [], "town": ["--town", TOWN1], "grid": ["--grid", GRID1], "department": ["--department", DEPT]}
WHEN = {"now": NOW, "T1": T1}

_CACHE: dict[str, tuple] = {}


def _ledger_db(db_url: str):
    kind = "sqlite" if db_url.startswith("sqlite") else "postgresql"
    if kind not in _CACHE:
        engine = make_db(db_url)
        with Session(engine, info={"actor": "ledger"}) as s:
            build_ledger(s)
            assert check_hand_facts(s) == []
            s.commit()
        _CACHE[kind] = (engine, db_url)
    return _CACHE[kind]


@pytest.fixture
def ledger(db_url):
    return _ledger_db(db_url)


def test_the_expectations_are_complete():
    assert set(EXPECTED) == {(s, w) for s in SCOPES for w in WHEN.values()}
    for values in EXPECTED.values():
        assert list(values) == list(KEYS) and len(KEYS) == 22


@pytest.mark.parametrize("use_rollups", [True, False], ids=["rollups", "sql"])
@pytest.mark.parametrize("when", list(WHEN))
@pytest.mark.parametrize("scope", list(SCOPES))
def test_compute_matches_the_hand_values(ledger, scope, when, use_rollups):
    engine, _ = ledger
    with Session(engine) as s:
        got = compute(s, SYSTEM, SCOPES[scope], *PERIOD, WHEN[when], use_rollups=use_rollups)
        s.commit()
    assert got == EXPECTED[(scope, WHEN[when])]


@pytest.mark.parametrize("when", list(WHEN))
@pytest.mark.parametrize("scope", list(SCOPES))
def test_cli_json_gives_the_same_numbers(ledger, scope, when, capsys):
    _, url = ledger
    argv = ["--db", url, "kpi", "--from", PERIOD[0].isoformat(), "--to", PERIOD[1].isoformat(), "--json",
            *CLI_SCOPE[scope]]
    if WHEN[when] is not None:
        argv += ["--asof", WHEN[when].isoformat()]
    assert cli_main(argv) == 0
    out = capsys.readouterr().out
    got = json.loads(out)
    assert list(got) == list(KEYS)
    assert got == EXPECTED[(scope, WHEN[when])]


def test_rollups_hold_the_ledger_and_rebuild_gives_the_same(ledger):
    engine, _ = ledger
    with Session(engine) as s:
        compute(s, SYSTEM, KpiScope(), *PERIOD)  # refresh
        s.commit()
        before = s.execute(sa.select(KpiRollup).order_by(KpiRollup.day, KpiRollup.town_id,
                                                         KpiRollup.department_id)).scalars().all()
        before = [{c.key: getattr(r, c.key) for c in KpiRollup.__table__.columns} for r in before]
        assert sum(r["filed"] for r in before) == 35 - 3  # every filed case of the ledger, in its filing day
        assert sum(r["reported"] for r in before) == 35
    rebuild_rollups(engine)
    with Session(engine) as s:
        after = [{c.key: getattr(r, c.key) for c in KpiRollup.__table__.columns} for r in s.execute(
            sa.select(KpiRollup).order_by(KpiRollup.day, KpiRollup.town_id, KpiRollup.department_id)).scalars()]
    assert after == before


def test_a_new_change_reaches_the_rollups_incrementally(db_url):
    """Closing L23 (checked, past its deadline) moves exactly the counters it should."""
    engine = make_db(db_url)
    try:
        with Session(engine, info={"actor": "ledger"}) as s:
            ids = build_ledger(s)
            s.commit()
        with Session(engine) as s:
            compute(s, SYSTEM, KpiScope(), *PERIOD)
            s.commit()
        at = dt.datetime(2026, 3, 23, 15, 0)  # deadline 15:20: on time
        with Session(engine) as s:
            case = s.get(Case, ids["L23"])
            CaseService(s, identity(UserRole.SHIFT_LEADER), clock=lambda: at).act(case.id, case.version, Action.CLOSE)
            s.commit()
        with Session(engine) as s:
            live = compute(s, SYSTEM, KpiScope(), *PERIOD)
            s.commit()
            raw = compute(s, SYSTEM, KpiScope(), *PERIOD, use_rollups=False)
        assert live == raw
        want = dict(EXPECTED[("district", NOW)])
        want.update(closed=20, closed_on_time=14,
                    closure_rate=0.7692,  # 20/26 (L23 was already due)
                    on_time_closure_rate=0.5385,  # 14/26
                    grassroots_resolution_rate=0.9,  # 18/20
                    region_score=67.79,  # 5.1724 + 18 + 30·0.7692 = 23.076 + 40·0.5385 = 21.54 → 67.7884
                    department_score=76.16, department_grade="B")  # 30.768 + 28 + 17.392
        assert live == want
    finally:
        engine.dispose()
