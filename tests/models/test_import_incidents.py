"""`griddesk import incidents`: a legacy ledger in, the indicators its times imply out.

- the hand ledger of test_kpi_ledger, exported as an old system's workbook and
  imported, gives the hand-computed indicators (except what the old format
  cannot carry: verification, auto-dispatch, the suspension of L07);
- deadlines the file leaves blank are computed from the rule and the calendar;
- every kind of bad input is reported with row, column and reason, and a failed
  import changes nothing.
"""

from __future__ import annotations

import csv
import datetime as dt

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from desktop.cli import main as cli_main
from models.auth import SYSTEM
from models.enums import CaseSource, CaseStatus, CloseType, Level
from models.importers.common import ImportFailed
from models.importers.incidents import INCIDENT_COLUMNS, import_incidents, parse_datetime
from models.importers.common import CellError
from models.kpi.api import compute
from models.schema import Case, Department, FlowLog, KpiRollup
from tests.factories import grid_centre
from tests.models.import_helpers import populated_db, snapshot, write_xlsx
from tests.models.ledger_fixture import HAND, PERIOD, legacy_rows
from tests.models.test_kpi_ledger import EXPECTED, SCOPES, WHEN

HEADERS = [c.header for c in INCIDENT_COLUMNS]
NOW = dt.datetime(2026, 11, 27, 12, 0)


@pytest.fixture
def engine(db_url):
    e = populated_db(db_url)
    yield e
    e.dispose()


def _cli(url, path, *extra):
    return cli_main(["--db", url, "import", "incidents", str(path), *extra])


def _xlsx(tmp_path, rows, name="ledger.xlsx"):
    return write_xlsx(tmp_path / name, HEADERS, [[r.get(h) for h in HEADERS] for r in rows])


# --- the hand ledger through the importer ----------------------------------------------

# What the old format cannot say, for each expectation of test_kpi_ledger (arithmetic there):
# no verification time (verify rate None), no auto-dispatch (rate 0), and no suspension record:
# L07 (suspended 7 days, handled within its shifted deadline) counts as handled late.
IMPORTED = {}
for (scope, when), values in EXPECTED.items():
    v = dict(values, verify_on_time_rate=None, auto_dispatch_rate=0.0)
    IMPORTED[(scope, when)] = v
IMPORTED[("district", None)].update(
    handle_on_time_rate=0.65,  # 13/20
    department_score=72.62, department_grade="C")  # 29.232 + 40·0.65 + 17.392 = 72.624
IMPORTED[("town", None)].update(
    handle_on_time_rate=0.5,  # 6/12
    department_score=66.47, department_grade="C")  # 29.332 + 20 + 17.142 = 66.474
IMPORTED[("grid", None)].update(
    handle_on_time_rate=0.375,  # 3/8
    department_score=67.78, department_grade="C")  # 35 + 15 + 17.778
# department D01, now: L15 (in rework, its old round's dispatch is the file's 派遣时间) becomes a
# dispatched D01 case: reported 22, filed 22, due 19 (open past its deadline), handled 17, reworked 3,
# dispatched 22 (on time 16), public 11 (hotline); and L07 is handled late
IMPORTED[("department", None)].update(
    reported=22, filed=22, due_to_close=19,
    closure_rate=0.6842,  # 13/19 = 0.684211
    on_time_closure_rate=0.3684,  # 7/19 = 0.368421
    rework_rate=0.1765,  # 3/17 = 0.176471
    accept_on_time_rate=0.9545,  # 21/22
    dispatch_on_time_rate=0.7273,  # 16/22
    handle_on_time_rate=0.5625,  # 9/16
    region_score=56.26,  # 10·11/22 = 5 + band(22/4/1.018480 = 5.40 → 80)·0.2 = 16 + 30·0.6842 = 20.526
    #                      + 40·0.3684 = 14.736 → 56.262
    region_grade="D",
    department_score=66.34, department_grade="C")  # 27.368 + 22.5 + 20·(1 − 0.1765) = 16.47 → 66.338


@pytest.fixture
def imported(engine, db_url, tmp_path):
    path = _xlsx(tmp_path, legacy_rows(with_deadline=False))
    assert _cli(db_url, path) == 0
    return engine


@pytest.mark.parametrize("when", list(WHEN))
@pytest.mark.parametrize("scope", list(SCOPES))
def test_the_imported_ledger_gives_its_indicators(imported, scope, when):
    with Session(imported) as s:
        for use_rollups in (True, False):
            got = compute(s, SYSTEM, SCOPES[scope], *PERIOD, WHEN[when], use_rollups=use_rollups)
            assert got == IMPORTED[(scope, WHEN[when])], (scope, when, use_rollups)
        s.commit()


def test_imported_rows_follow_from_their_times(imported):
    with Session(imported) as s:
        depts = dict(s.execute(sa.select(Department.id, Department.code)).all())
        cases = {c.code: c for c in s.scalars(sa.select(Case))}
        assert len(cases) == 35
        for code, case in cases.items():
            h = HAND[code]
            # the deadline the file left blank is the one the engine computed (L07, L25: given)
            if h.close_deadline:
                assert case.close_deadline.strftime("%m-%d %H:%M") == h.close_deadline, code
            assert case.close_type == h.close_type, code
            if code not in ("L15",):  # in rework: the old format shows its last dispatch
                assert case.status is h.status, code
                assert depts.get(case.department_id) == h.dept, code
            flags = "".join("-" if v is None else ("T" if v else "F") for v in (
                case.verify_on_time, case.accept_on_time, case.dispatch_on_time, case.handle_on_time,
                case.check_on_time))
            want = "-" + h.flags[1:]  # no verification in the old format
            if code == "L07":
                want = "-TTFT"  # the suspension is not in the file: handled late against the rule
            assert flags == want, code
            flow = s.scalars(sa.select(FlowLog).where(FlowLog.case_id == case.id).order_by(FlowLog.id)).all()
            assert flow[0].action == "report" and flow[0].from_status is None
            assert flow[-1].to_status == case.status.value, code
            for a, b in zip(flow, flow[1:]):
                assert b.from_status == a.to_status and b.at >= a.at
            assert {f.actor for f in flow} == {"legacy-import"} and {f.reason for f in flow} == {"历史台账导入"}
        l04, l06, l33, l01 = cases["L04"], cases["L06"], cases["L33"], cases["L01"]
        assert l04.self_handled and l04.close_type is CloseType.SELF_HANDLED and l04.closed_level is Level.GRID
        assert l06.status_before_suspend is CaseStatus.DISPATCHED and l33.status_before_suspend is CaseStatus.HANDLED
        assert l01.grid.code == "331004001001001"  # located from the point (no grid code in the file)
        assert cases["L02"].source is CaseSource.HOTLINE and cases["L03"].rework_count == 1
        assert s.scalar(sa.select(sa.func.sum(KpiRollup.filed))) == 32  # rollups recomputed for the slices


def test_csv_import_with_text_times(engine, db_url, tmp_path):
    rows = legacy_rows()[:6]
    path = tmp_path / "ledger.csv"
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(HEADERS)
        for r in rows:
            w.writerow(["" if r[h] is None else (r[h].strftime("%Y/%m/%d %H:%M") if isinstance(r[h], dt.datetime)
                                                 else r[h]) for h in HEADERS])
    assert _cli(db_url, path) == 0
    with Session(engine) as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Case)) == 6
        assert s.scalar(sa.select(Case.closed_at).where(Case.code == "L02")) == dt.datetime(2026, 3, 6, 9, 0)


def test_dry_run_writes_nothing(engine, db_url, tmp_path, capsys):
    before = snapshot(engine)
    assert _cli(db_url, _xlsx(tmp_path, legacy_rows()), "--dry-run") == 0
    assert "dry run" in capsys.readouterr().out
    assert snapshot(engine) == before


# --- bad input ---------------------------------------------------------------------------


def good_row(**changes):
    lon, lat = grid_centre(0)
    row = {"案件编号": "X1", "小类编码": "1102", "来源": "12345热线", "描述": "暴露垃圾", "经度": lon, "纬度": lat,
           "网格编码": None, "上报时间": dt.datetime(2026, 3, 2, 9, 0), "立案时间": dt.datetime(2026, 3, 2, 9, 20),
           "派遣时间": dt.datetime(2026, 3, 2, 9, 40), "处置完成时间": dt.datetime(2026, 3, 2, 11, 40),
           "核查时间": dt.datetime(2026, 3, 2, 14, 0), "结案时间": dt.datetime(2026, 3, 2, 15, 0), "作废时间": None,
           "返工次数": 0, "结案层级": "村社", "结案期限": None, "挂账": "否"}
    row.update(changes)
    return row


D = dt.datetime
BAD = {  # name: (rows, (sheet row, column, reason))
    "blank code": ([good_row(案件编号=None)], (2, "案件编号", "blank")),
    "code twice in the file": ([good_row(), good_row()], (3, "案件编号", "duplicate_in_file")),
    "code already in the database": ([good_row(案件编号="DUP-1")], (2, "案件编号", "duplicate_in_db")),
    "code too long": ([good_row(案件编号="X" * 30)], (2, "案件编号", "too_long")),
    "unknown class": ([good_row(小类编码="9999")], (2, "小类编码", "unknown_class")),
    "malformed class": ([good_row(小类编码="11A")], (2, "小类编码", "bad_minor_code")),
    "unknown source": ([good_row(来源="传真")], (2, "来源", "unknown_source")),
    "longitude not a number": ([good_row(经度="东经121度")], (2, "经度", "wrong_type")),
    "coordinates out of range": ([good_row(经度=200.0)], (2, "经度", "bad_coordinates")),
    "point outside every grid": ([good_row(经度=120.0, 纬度=30.0)], (2, "经度", "outside_grids")),
    "malformed grid code": ([good_row(网格编码="12345")], (2, "网格编码", "bad_grid_code")),
    "unknown grid": ([good_row(网格编码="331004009009009")], (2, "网格编码", "unknown_grid")),
    "unparseable date": ([good_row(立案时间="2026-13-45 09:00")], (2, "立案时间", "bad_date")),
    "date as words": ([good_row(派遣时间="昨天上午")], (2, "派遣时间", "bad_date")),
    "future date": ([good_row(结案时间=D(2027, 1, 1, 9, 0))], (2, "结案时间", "future_date")),
    "blank report time": ([good_row(上报时间=None)], (2, "上报时间", "blank")),
    "dispatched before filed": ([good_row(派遣时间=D(2026, 3, 2, 9, 10))], (2, "派遣时间", "out_of_order")),
    "closed before checked": ([good_row(结案时间=D(2026, 3, 2, 13, 0))], (2, "结案时间", "out_of_order")),
    "voided before reported": ([good_row(**{k: None for k in ("立案时间", "派遣时间", "处置完成时间", "核查时间", "结案时间",
                                                               "结案层级")}, 作废时间=D(2026, 3, 1, 9, 0))],
                               (2, "作废时间", "out_of_order")),
    "dispatched, never filed": ([good_row(立案时间=None)], (2, "派遣时间", "missing_step")),
    "closed without a check": ([good_row(核查时间=None)], (2, "结案时间", "missing_step")),
    "closed without closing level": ([good_row(结案层级=None)], (2, "结案层级", "missing_close_level")),
    "closing level on an open case": ([good_row(结案时间=None)], (2, "结案层级", "level_without_close")),
    "unknown closing level": ([good_row(结案层级="省级")], (2, "结案层级", "unknown_level")),
    "voided and closed": ([good_row(作废时间=D(2026, 3, 2, 16, 0))], (2, "作废时间", "voided_and_closed")),
    "voided after filing": ([good_row(**{k: None for k in ("派遣时间", "处置完成时间", "核查时间", "结案时间", "结案层级")},
                                      作废时间=D(2026, 3, 2, 10, 0))], (2, "作废时间", "voided_and_filed")),
    "suspension flag not 是/否": ([good_row(挂账="也许")], (2, "挂账", "bad_flag")),
    "closed and suspended": ([good_row(挂账="是")], (2, "挂账", "bad_suspension")),
    "negative rework count": ([good_row(返工次数=-1)], (2, "返工次数", "negative")),
    "rework count in words": ([good_row(返工次数="两次")], (2, "返工次数", "wrong_type")),
    "deadline before filing": ([good_row(结案期限=D(2026, 3, 1, 17, 0))], (2, "结案期限", "deadline_before_filing")),
    "unknown column": ([dict(good_row(), 处理人="张三")], (1, "处理人", "unknown_header")),
    "missing column": ([{k: v for k, v in good_row().items() if k != "上报时间"}], (1, "上报时间", "missing_header")),
    "no rows": ([], (None, None, "no_rows")),
}


@pytest.mark.parametrize("name", list(BAD))
def test_bad_input_is_reported_and_nothing_is_written(engine, name):
    rows, (where, column, reason) = BAD[name]
    if name == "code already in the database":
        with Session(engine, info={"actor": "test"}) as s:
            import_incidents(s, [good_row(案件编号="DUP-1")], source_name="first.xlsx", now=NOW)
            s.commit()
    before = snapshot(engine)
    with Session(engine, info={"actor": "test"}) as s:
        with pytest.raises(ImportFailed) as err:
            import_incidents(s, rows, source_name="bad.xlsx", now=NOW)
        s.rollback()
    found = [(p.where, p.column, p.reason) for p in err.value.problems]
    assert (where, column, reason) in found, found
    assert all(p.message() and "/" in p.message() for p in err.value.problems)  # 中文 / English
    assert snapshot(engine) == before


def test_every_problem_of_a_file_is_listed_by_the_cli(engine, db_url, tmp_path, capsys):
    rows = [good_row(案件编号=f"R{i}") for i in range(5)]
    rows[1]["小类编码"] = "9999"
    rows[2]["派遣时间"] = "2026-02-30 09:00"
    rows[3]["结案层级"] = None
    rows[4]["经度"], rows[4]["纬度"] = 120.0, 30.0
    rows.append(good_row(案件编号="R0"))
    before = snapshot(engine)
    assert _cli(db_url, _xlsx(tmp_path, rows)) == 1
    err = capsys.readouterr().err
    assert "nothing changed" in err
    for line in ("第 3 行 / row 3 [小类编码]", "第 4 行 / row 4 [派遣时间]", "第 5 行 / row 5 [结案层级]",
                 "第 6 行 / row 6 [经度]", "第 7 行 / row 7 [案件编号]"):
        assert line in err, err
    for reason in ("unknown_class", "bad_date", "missing_close_level", "outside_grids", "duplicate_in_file"):
        assert f"({reason})" in err
    assert snapshot(engine) == before


def test_a_failure_after_good_rows_leaves_no_trace(engine, db_url, tmp_path):
    rows = legacy_rows() + [good_row(案件编号="L01")]  # a duplicate code at the very end
    before = snapshot(engine)
    assert _cli(db_url, _xlsx(tmp_path, rows)) == 1
    assert snapshot(engine) == before


@pytest.mark.parametrize(("raw", "want"), [
    (D(2019, 3, 2, 9, 0, 0, 123), D(2019, 3, 2, 9, 0)),
    (dt.date(2019, 3, 2), D(2019, 3, 2)),
    ("2019-03-02 09:00", D(2019, 3, 2, 9, 0)),
    ("2019/3/2 9:05:30", D(2019, 3, 2, 9, 5, 30)),
    ("2019-03-02T09:00:00", D(2019, 3, 2, 9, 0)),
    ("2019年3月2日 9时5分", D(2019, 3, 2, 9, 5)),
    ("２０１９－０３－０２　０９：００", D(2019, 3, 2, 9, 0)),
    (43526.375, D(2019, 3, 2, 9, 0)),  # an Excel serial that lost its format
    ("43526.375", D(2019, 3, 2, 9, 0)),
    (None, None), ("  ", None),
])
def test_parse_datetime(raw, want):
    assert parse_datetime(raw) == want


@pytest.mark.parametrize("raw", ["2019-02-29 09:00", "2019-03-02 25:00", "soon", True, -5])
def test_parse_datetime_refuses(raw):
    with pytest.raises(CellError):
        parse_datetime(raw)
