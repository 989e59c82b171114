"""The preview tables of the reports panel, without Qt: the same columns and numbers as the workbooks,
Excel's texts, the stored rating a town officer sees, and which role gets which report."""

from __future__ import annotations

import dataclasses as dc
import datetime as dt
from decimal import Decimal as D

import pytest
from openpyxl import load_workbook

from models.assessment import TownScore, allocate_funding, rate_workers, yearly_bonus
from models.assessment.bonus import QuarterResult
from models.assessment.stars import Quarter
from models.enums import UserRole as R
from models.policy import DEFAULT_POLICY, FundingPolicy
from reports import preview as pv
from reports.funding_report import funding_json, write_funding_report
from reports.ledger_report import LEDGER_COLUMNS
from reports.metrics_sheet import Problem, read_metrics_files
from reports.stars_report import bonus_json, stars_json, write_bonus_report, write_stars_report
from reports.workbook import json_value
from tests.models.test_stars import ten_workers
from tests.reports.test_metrics_sheet import good_row, write_sheet

Q3 = Quarter(2026, 3)
P = DEFAULT_POLICY


def two_town_workers():
    return [dc.replace(w, town="金清镇") if i % 3 == 0 else w for i, w in enumerate(ten_workers())]


# --- texts -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "kind", "text"),
    [
        (None, "money", ""),
        (D("1800"), "money", "1,800.00"),
        (D("-340000"), "money", "-340,000.00"),
        (D("0.125"), "money", "0.13"),
        (D("-0.125"), "money", "-0.13"),
        (D("-340000"), "balance", "超支 340,000.00"),
        (D("21160000"), "balance", "21,160,000.00"),
        (D("1.2"), "percent", "120.00%"),
        (D("95.5"), "rate", "95.50%"),
        (D("90.005"), "score", "90.01"),  # Excel's 0.00 rounds half away from zero too
        (D("1.2"), "coef", "1.2"),
        (D("1"), "coef", "1.0"),
        (D("0.85"), "coef", "0.85"),
        (5, "int", "5"),
        (0, "int", "0"),
        (dt.date(2026, 1, 15), "date", "2026-01-15"),
        (dt.datetime(2026, 3, 2, 9, 0), "datetime", "2026-03-02 09:00:00"),
        ("全区", "int", "全区"),
        (D("0.0123"), "signed_percent", "+1.23%"),
        (-2, "signed_int", "-2"),
        (D("12.5"), "hours", "12.50"),
        ("W01", "text", "W01"),
    ],
)
def test_format_cell(value, kind, text):
    assert pv.format_cell(value, kind) == text


def test_ledger_codes_are_translated_when_shown_and_kept_raw_underneath():
    rows = [{"code": "C1", "status": "closed", "light": "red", "card": "yellow",
             "reported_at": dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.timezone.utc)}]
    sheet = pv.ledger_sheet(rows, total=1200, timezone="Asia/Shanghai")
    assert sheet.headers == tuple(c.header for c in LEDGER_COLUMNS)
    row = sheet.as_dicts()[0]
    assert row["status"] == "closed" and row["reported_at"] == dt.datetime(2026, 3, 2, 9, 0)  # local, naive
    col = sheet.headers.index
    assert [sheet.text(0, col(h)) for h in ("状态", "灯色", "督办", "上报时间")] == [
        "已结案", "红灯", "黄牌", "2026-03-02 09:00:00"]
    assert sheet.truncated and sheet.total_rows == 1200


# --- the same columns and numbers as the workbooks --------------------------------------------------
def workbook_cells(path, sheet):
    return [list(r) for r in load_workbook(path)[sheet].iter_rows(values_only=True)]


def assert_sheet_is_workbook(sheet: pv.PreviewSheet, cells: list[list], formulas: bool = False) -> None:
    """Header row equal; every value the preview holds is what the writer put in the cell."""
    assert tuple(cells[0]) == sheet.headers
    assert len(cells) - 1 == len(sheet.rows)
    for r, row in enumerate(sheet.rows):
        for c, (col, value) in enumerate(zip(sheet.columns, row)):
            cell = cells[r + 1][c]
            if isinstance(cell, str) and cell.startswith("="):
                assert formulas, (r, c, cell)  # checked against --json instead
                continue
            expected = col.cell_value(value)
            if isinstance(expected, (int, float, D)) and not isinstance(expected, bool):
                assert cell == pytest.approx(float(expected)), (r, col.header)
            else:
                assert cell == expected, (r, col.header)


def test_star_sheets_are_the_workbook(tmp_path):
    rating = rate_workers(two_town_workers(), Q3, P.stars)
    stars, summary = pv.star_sheets(rating, P.stars)
    write_stars_report(tmp_path / "s.xlsx", rating, P)
    assert_sheet_is_workbook(stars, workbook_cells(tmp_path / "s.xlsx", "星级评定"))
    assert_sheet_is_workbook(summary, workbook_cells(tmp_path / "s.xlsx", "汇总"))
    data = stars_json(rating, P)
    assert [r["staff_no"] for r in stars.as_dicts()] == [r["staff_no"] for r in data["rows"]]
    assert [r[0] for r in summary.rows] == ["路桥街道", "金清镇", "全区", "全区限额"]
    assert summary.footer_rows == 2 and summary.is_footer(2) and not summary.is_footer(1)
    assert stars.text(0, stars.headers.index("季度考核奖(元)")) == "1,800.00"
    assert stars.numeric(0, 0) and not stars.numeric(0, 1)


def test_funding_sheet_computes_the_workbook_formulas_and_flags_overspending(tmp_path):
    policy = dc.replace(P, funding=dc.replace(FundingPolicy(), fund_yuan=D(500000)))
    result = allocate_funding([TownScore("A", "甲镇", 10, D(90)), TownScore("B", "乙镇", 20, D(80))], policy.funding)
    sheet = pv.funding_sheet(result)
    write_funding_report(tmp_path / "f.xlsx", 2026, result, policy)
    cells = workbook_cells(tmp_path / "f.xlsx", "经费分配")
    assert_sheet_is_workbook(sheet, cells, formulas=True)
    data = funding_json(2026, result, policy)
    assert [(r["code"], r["base"], r["allocated"]) for r in json_value(sheet.as_dicts())] == [
        (t["code"], t["base"], t["allocated"]) for t in data["towns"]]
    total, balance = sheet.rows[-2:]
    assert json_value(total[-1]) == data["total_allocated"] == 840000
    assert json_value(balance[-1]) == data["balance"] == -340000
    last, col = len(sheet.rows) - 1, len(sheet.columns) - 1
    assert sheet.alert(last, col) and sheet.text(last, col) == "超支 340,000.00"
    assert not sheet.alert(last - 1, col) and sheet.text(0, 6) == "1.2"


def test_bonus_sheet_sums_like_the_workbook(tmp_path):
    bonuses = yearly_bonus([QuarterResult(1, "7", "王五", "甲镇", 4, D(1500)),
                            QuarterResult(2, "7", "王五", "甲镇", 5, D(1800)),
                            QuarterResult(2, "8", "赵六", "乙镇", None, D(0))])
    sheet = pv.bonus_sheet(bonuses)
    write_bonus_report(tmp_path / "b.xlsx", 2026, bonuses, P)
    assert_sheet_is_workbook(sheet, workbook_cells(tmp_path / "b.xlsx", "年度考核奖"), formulas=True)
    data = bonus_json(2026, bonuses, P)
    assert json_value(sheet.rows[-1][-1]) == data["total"] == 3300
    assert json_value([sheet.rows[-1][4 + 2 * i] for i in range(4)]) == data["quarter_totals"]
    wang = [r[0] for r in sheet.rows].index("7")
    assert sheet.text(wang, 3) == "4" and sheet.text(wang, 4) == "1,500.00" and sheet.text(wang, 7) == ""


# --- stored results -------------------------------------------------------------------------------------
def test_stored_rating_of_the_district_is_the_rating():
    rating = rate_workers(two_town_workers(), Q3, P.stars)
    assert pv.stored_rating(Q3, reversed(rating.rows), P.stars) == rating


def test_a_town_sees_only_its_rows_without_district_quotas():
    rating = rate_workers(two_town_workers(), Q3, P.stars)
    mine = [r for r in rating.rows if r.worker.town == "金清镇"]
    view = pv.stored_rating(Q3, mine, P.stars, town_view="金清镇")
    assert view.rows == tuple(mine) and view.quotas == () and view.towns == ()
    assert view.district.town == "金清镇" and view.district.rated == sum(1 for r in mine if not r.on_probation)
    assert view.district.bonus_total == sum((r.bonus or 0 for r in mine), D(0))
    _stars, summary = pv.star_sheets(view, P.stars)
    assert [r[0] for r in summary.rows] == ["金清镇", "全区限额"]
    assert summary.rows[1][3] is None  # no district counts for a town


# --- imported files ---------------------------------------------------------------------------------------
def test_problems_sorted_by_file_and_row_with_the_column_header(tmp_path):
    a = write_sheet(tmp_path / "a.xlsx", [good_row("1"), good_row("2")])
    b = write_sheet(tmp_path / "b.xlsx", [good_row("2"), good_row("3", 网格评价满意率=101)])
    imported = read_metrics_files([a, b])
    sheet = pv.problems_sheet(imported.problems)
    assert [tuple(sheet.text(r, c) for c in range(4)) for r in range(len(sheet.rows))] == [
        ("b.xlsx", "2", "A（工号）", "工号 2 重复，已在 a.xlsx 第3行出现"),
        ("b.xlsx", "3", "I（网格评价满意率）", "应在 0–100 之间（或 0%–100%），实为 101"),
    ]
    whole_file = pv.problems_sheet([Problem("c.xlsx", "不是有效的 Excel 工作簿")])
    assert [whole_file.text(0, c) for c in range(4)] == ["c.xlsx", "", "", "不是有效的 Excel 工作簿"]
    good = pv.metrics_sheet(imported.rows)
    assert good.headers[0] == "工号" and len(good.rows) == 2
    assert [good.text(0, c) for c in (4, 5, 9)] == ["2025-01-15", "95.00%", "3"]


# --- roles ------------------------------------------------------------------------------------------------------
def test_reports_by_role():
    assert pv.reports_for(R.FINANCE) == pv.reports_for(R.ADMIN) == ("stars", "bonus", "funding", "ledger", "bulletin")
    assert pv.reports_for(R.TOWN_OFFICER) == ("stars", "ledger", "bulletin")
    assert pv.reports_for(R.SHIFT_LEADER) == ("ledger", "bulletin")
    assert pv.reports_for(R.SHIFT_LEADER, bulletin=False) == ("ledger",)
    assert pv.reports_for(R.DISPATCHER) == pv.reports_for(R.GRID_WORKER) == ()
    assert pv.sources_for(R.FINANCE, "stars") == ("database", "files", "stored")
    assert pv.sources_for(R.TOWN_OFFICER, "stars")[0] == "stored"
    assert pv.sources_for(R.FINANCE, "funding") == ("database", "files")
    assert pv.sources_for(R.FINANCE, "ledger") == ("database",)
