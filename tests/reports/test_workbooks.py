"""The written workbooks: layout shared by every workbook, the three reports, streaming and atomic output."""

from __future__ import annotations

import dataclasses as dc
import datetime as dt
from decimal import Decimal as D
from pathlib import Path

import pytest
from openpyxl import load_workbook

from models.assessment import QuarterResult, TownScore, allocate_funding, rate_workers, yearly_bonus
from models.policy import Policy
from reports.funding_report import BALANCE_FORMAT, funding_json, write_funding_report
from reports.ledger_report import LEDGER_COLUMNS, LedgerCounter, ledger_json, write_ledger_report
from reports.stars_report import bonus_json, stars_json, write_bonus_report, write_stars_report
from reports.workbook import Cancelled, Column, ReportMeta, fitted_width, text_width, write_streaming
from tests.models.test_stars import Q3, ten_workers

POLICY = Policy()
WHEN = dt.datetime(2026, 10, 8, 9, 30)


def ten_towns():
    data = [
        ("331004001", "95", 20),
        ("331004002", "90", 25),
        ("331004003", "88", 30),
        ("331004004", "88", 15),
        ("331004005", "85", 40),
        ("331004006", "80", 10),
        ("331004007", "80", 35),
        ("331004008", "75", 22),
        ("331004009", "70", 18),
        ("331004010", "60", 5),
    ]
    return [TownScore(c, f"镇街{c[-2:]}", g, D(s)) for c, s, g in data]


def values(ws, row: int) -> list:
    return [c.value for c in ws[row]]


def test_text_width_counts_cjk_double():
    assert fitted_width("网格员") == 7 and fitted_width("ab") == 2
    assert text_width("abc") == 3
    assert text_width("网格员") == 6
    assert text_width("A网格（1）") == 10  # 1 + 4 + full-width brackets 2 + 1 + 2


# --- stars ------------------------------------------------------------------------------
@pytest.fixture
def stars_book(tmp_path):
    rating = rate_workers(ten_workers(), Q3, POLICY.stars)
    path = write_stars_report(tmp_path / "stars.xlsx", rating, POLICY, source="路桥.xlsx", generated_at=WHEN)
    return load_workbook(path), rating


def test_stars_sheets_and_headers(stars_book):
    wb, _ = stars_book
    assert wb.sheetnames == ["星级评定", "汇总", "说明"]
    ws = wb["星级评定"]
    assert values(ws, 1) == [
        "排名",
        "工号",
        "姓名",
        "镇街",
        "网格编码",
        "基础信息录入率",
        "动态信息采集率",
        "应知应会知晓率",
        "网格评价满意率",
        "综合得分",
        "达标星级",
        "上季星级",
        "本季星级",
        "变动",
        "奖金比例",
        "季度考核奖(元)",
        "备注",
    ]
    assert ws.max_row == 12  # 10 rated + 1 on probation


def test_stars_rows_and_formats(stars_book):
    ws = stars_book[0]["星级评定"]
    first = values(ws, 2)
    assert first[:5] == [1, "W03", "员W03", "路桥街道", "331004001001001"]
    assert first[5] == pytest.approx(0.97) and ws["F2"].number_format == "0.00%"
    assert first[9] == 97 and ws["J2"].number_format == "0.00"
    assert first[10:14] == [5, 3, 5, "升"]
    assert first[14] == pytest.approx(1.2) and ws["O2"].number_format == "0.00%"
    assert first[15] == 1800 and ws["P2"].number_format == "#,##0.00"
    assert first[16] is None
    assert values(ws, 3)[16] == "名额已满，由5星降为4星"
    assert values(ws, 6)[13] == "新评"  # W01, no previous star
    assert values(ws, 11)[12:] == [0, "降", 0, 0, "未达星级"]
    probation = values(ws, 12)
    assert probation[0] is None and probation[1] == "W11" and probation[16] == "试用期"
    assert probation[9:16] == [None, None, 5, None, None, None, None]


def test_every_workbook_layout(stars_book):
    wb, _ = stars_book
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2", ws.title
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:"), ws.title
        assert ws.page_setup.orientation == "landscape"
        assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.print_title_rows == "$1:$1"
        assert ws.oddHeader.center.text == "&B网格员季度星级评定&B"
        assert ws.oddHeader.left.text == "2026年第3季度"
        assert ws.oddHeader.right.text == "生成时间 2026-10-08 09:30"
        assert "&P" in ws.oddFooter.center.text and "&N" in ws.oddFooter.center.text
    ws = wb["星级评定"]
    assert ws.auto_filter.ref == "A1:Q12"
    # 基础信息录入率: 7 wide characters × 2.2 = 15.4 -> 16, + 3 for the filter button
    assert ws.column_dimensions["F"].width == 19
    # 备注 fitted to its longest text: 名额已满，由5星降为4星 = 10 wide × 2.2 + 2 narrow = 24, + 2
    assert ws.column_dimensions["Q"].width == 26
    # 季度考核奖(元): 6 wide × 2.2 + 2 narrow = 15.2 -> 16, + 3; wider than "1,800.00" + 2
    assert ws.column_dimensions["P"].width == 19


def test_stars_summary_sheet(stars_book):
    ws = stars_book[0]["汇总"]
    assert values(ws, 1)[:5] == ["镇街", "参评人数", "试用期人数", "五星人数", "五星占比"]
    assert values(ws, 1)[-1] == "季度考核奖合计(元)"
    town = values(ws, 2)
    assert town[:5] == ["路桥街道", 10, 1, 1, pytest.approx(0.1)]
    assert ws["E2"].number_format == "0.00%"
    district = values(ws, 3)
    assert district[0] == "全区" and district[-1] == D("10650") and ws["P3"].number_format == "#,##0.00"
    quota = values(ws, 4)
    assert quota[:9] == ["全区限额", None, None, 1, pytest.approx(0.1), 2, pytest.approx(0.2), 4, pytest.approx(0.4)]
    assert ws.auto_filter.ref == "A1:P2"  # the district and quota rows stay outside the filter


def test_notes_sheet_lists_policy_values(stars_book):
    ws = stars_book[0]["说明"]
    items = {r[0]: r[1] for r in ws.iter_rows(min_row=2, values_only=True)}
    assert items["报表"] == "网格员季度星级评定" and items["期间"] == "2026年第3季度"
    assert items["生成时间"] == "2026-10-08 09:30:00" and items["数据来源"] == "路桥.xlsx"
    assert items["政策版本"] == POLICY.name
    assert items["试用期（月）（stars.probation_months）"] == "3"
    assert (
        items["星级名额（星级, 占参评人数比例，向下取整）（stars.quotas）"] == '[[5, "0.10"], [4, "0.20"], [3, "0.40"]]'
    )
    assert items["奖金比例 0–5 星（%）（stars.bonus_percent）"] == "[0, 20, 50, 80, 100, 120]"


def test_stars_json_matches_rating(stars_book):
    _, rating = stars_book
    data = stars_json(rating, POLICY)
    assert data["quotas"] == {"5": 1, "4": 2, "3": 4}
    assert [r["star"] for r in data["rows"]] == [5, 4, 4, 3, 3, 3, 3, 2, 1, 0, None]
    assert data["rows"][0]["bonus"] == 1800 and data["rows"][0]["change"] == "up"
    assert data["rows"][-1]["note"] == "试用期"
    assert data["district"]["bonus_total"] == 10650 and data["district"]["counts"]["3"] == 4


# --- funding -------------------------------------------------------------------------------
def funding_book(tmp_path, towns, policy=POLICY):
    result = allocate_funding(towns, policy.funding)
    path = write_funding_report(tmp_path / "funding.xlsx", 2026, result, policy, generated_at=WHEN)
    return load_workbook(path), result


def test_funding_sheet_formulas(tmp_path):
    wb, result = funding_book(tmp_path, ten_towns())
    assert wb.sheetnames == ["经费分配", "说明"]
    ws = wb["经费分配"]
    assert values(ws, 1) == [
        "排名",
        "镇街编码",
        "镇街名称",
        "网格数",
        "考核得分",
        "档次",
        "系数",
        "基础经费(元)",
        "分配经费(元)",
    ]
    assert values(ws, 2) == [1, "331004001", "镇街01", 20, 95, "一档", 1.2, "=ROUND(D2*30000,2)", "=ROUND(H2*G2,2)"]
    assert values(ws, 11)[5:7] == ["三档", 0.8] and ws["G2"].number_format == "0.0#"
    assert values(ws, 12) == ["合计", None, None, "=SUM(D2:D11)", None, None, None, "=SUM(H2:H11)", "=SUM(I2:I11)"]
    balance = values(ws, 13)
    assert balance[0] == "以奖代补结余" and balance[8] == "=22000000-I12"
    assert ws["I13"].number_format == BALANCE_FORMAT and ws["H2"].number_format == "#,##0.00"
    assert ws["A13"].font.color is None or ws["A13"].font.color.rgb != "00C00000"
    assert ws.auto_filter.ref == "A1:I11"
    data = funding_json(2026, result, POLICY)
    assert (data["total_grids"], data["total_base"], data["total_allocated"], data["balance"]) == (
        220,
        6_600_000,
        6_780_000,
        15_220_000,
    )
    assert [t["tier"] for t in data["towns"]] == [1, 1, 1, 2, 2, 2, 2, 3, 3, 3]


def test_funding_overspent_is_red(tmp_path):
    towns = [TownScore("A", "甲", 500, D(90)), TownScore("B", "乙", 300, D(80))]
    wb, result = funding_book(tmp_path, towns)
    ws = wb["经费分配"]
    assert ws["I5"].value == "=22000000-I4" and "[Red]" in ws["I5"].number_format and "超支" in ws["I5"].number_format
    assert ws["A5"].font.color.rgb == "00C00000"
    assert funding_json(2026, result, POLICY)["balance"] == -3_200_000


def test_funding_uses_policy_numbers(tmp_path):
    policy = dc.replace(
        POLICY, funding=dc.replace(POLICY.funding, fund_yuan=D("1000000.5"), per_grid_yuan=D("12345.67"))
    )
    wb, _ = funding_book(tmp_path, ten_towns(), policy)
    ws = wb["经费分配"]
    assert ws["H2"].value == "=ROUND(D2*12345.67,2)" and ws["I13"].value == "=1000000.5-I12"
    notes = {r[0]: r[1] for r in wb["说明"].iter_rows(min_row=2, values_only=True)}
    assert notes["区级经费总额（元）（funding.fund_yuan）"] == "1000000.5"


# --- bonus -------------------------------------------------------------------------------------
def test_bonus_workbook(tmp_path):
    bonuses = yearly_bonus(
        [
            QuarterResult(1, "1", "张三", "甲镇", 4, D(1500)),
            QuarterResult(3, "1", "张三", "甲镇", 5, D(1800)),
            QuarterResult(2, "2", "李四", "甲镇", 1, D(300)),
        ]
    )
    path = write_bonus_report(tmp_path / "bonus.xlsx", 2026, bonuses, POLICY, generated_at=WHEN)
    ws = load_workbook(path)["年度考核奖"]
    assert values(ws, 2) == ["1", "张三", "甲镇", 4, 1500, None, None, 5, 1800, None, None, "=SUM(E2,G2,I2,K2)"]
    assert values(ws, 4)[0] == "合计" and values(ws, 4)[4] == "=SUM(E2:E3)" and values(ws, 4)[11] == "=SUM(L2:L3)"
    assert values(ws, 4)[3] is None  # no sum of star numbers
    assert bonus_json(2026, bonuses, POLICY)["total"] == 3600


# --- streaming and atomic output ------------------------------------------------------------------
META = ReportMeta("测试台账", "2026年", WHEN)
COLS = (Column("n", "序号", "int"), Column("name", "名称"))


def test_streaming_splits_before_the_row_limit(tmp_path):
    calls = []
    rows = ({"n": i, "name": f"第{i}行"} for i in range(11))
    result = write_streaming(
        tmp_path / "big.xlsx",
        COLS,
        rows,
        META,
        sheet_title="台账",
        max_rows=5,
        total=11,
        progress=lambda done, total: calls.append((done, total)),
        progress_every=4,
    )
    assert result.rows == 11 and result.sheets == ("台账", "台账(2)", "台账(3)")
    wb = load_workbook(tmp_path / "big.xlsx")
    assert wb.sheetnames == ["台账", "台账(2)", "台账(3)", "说明"]
    got = []
    for name in result.sheets:
        ws = wb[name]
        assert ws.max_row <= 5 and values(ws, 1) == ["序号", "名称"]
        assert ws.freeze_panes == "A2" and ws.print_title_rows == "$1:$1"
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.orientation == "landscape"
        got += [r[0] for r in ws.iter_rows(min_row=2, values_only=True)]
    assert got == list(range(11))
    assert [wb[n].max_row for n in result.sheets] == [5, 5, 4]
    assert wb["台账(3)"].auto_filter.ref == "A1:B4"
    assert calls == [(4, 11), (8, 11), (11, 11)]


def test_streaming_exactly_full_sheet_does_not_open_an_empty_one(tmp_path):
    result = write_streaming(
        tmp_path / "x.xlsx", COLS, ({"n": i} for i in range(4)), META, sheet_title="台账", max_rows=5
    )
    assert result.sheets == ("台账",)


def test_streaming_cancel_leaves_no_file(tmp_path):
    seen = []

    def rows():
        for i in range(100):
            seen.append(i)
            yield {"n": i}

    with pytest.raises(Cancelled):
        write_streaming(tmp_path / "c.xlsx", COLS, rows(), META, sheet_title="台账", cancel=lambda: len(seen) >= 3)
    assert list(tmp_path.iterdir()) == []
    assert len(seen) == 3


def test_failure_keeps_the_old_file_and_leaves_no_partial_one(tmp_path):
    target = tmp_path / "out.xlsx"
    target.write_bytes(b"old")

    def rows():
        yield {"n": 1}
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        write_streaming(target, COLS, rows(), META, sheet_title="台账")
    assert target.read_bytes() == b"old" and sorted(p.name for p in tmp_path.iterdir()) == ["out.xlsx"]


def test_missing_output_directory(tmp_path):
    with pytest.raises(FileNotFoundError):
        write_streaming(tmp_path / "no" / "x.xlsx", COLS, [], META, sheet_title="台账")


# --- ledger ------------------------------------------------------------------------------------------
def test_ledger_rows_labels_and_local_time(tmp_path):
    rows = [
        {
            "code": "2026000001",
            "class_name": "暴露垃圾",
            "town": "路桥街道",
            "grid_code": "331004001001001",
            "status": "closed",
            "reported_at": dt.datetime(2026, 3, 1, 0, 30, tzinfo=dt.UTC),
            "closed_at": dt.datetime(2026, 3, 2, 9, 0),
            "light": "red",
            "card": "yellow",
        },
        {"code": "2026000002", "status": "dispatched", "light": "green", "card": "none"},
    ]
    counter = LedgerCounter(rows)
    result = write_ledger_report(
        tmp_path / "l.xlsx",
        counter,
        POLICY,
        date_from=dt.date(2026, 3, 1),
        date_to=dt.date(2026, 3, 31),
        generated_at=WHEN,
        max_rows=2,
    )
    assert result.sheets == ("案件台账", "案件台账(2)")
    wb = load_workbook(tmp_path / "l.xlsx")
    ws = wb["案件台账"]
    assert values(ws, 1) == [c.header for c in LEDGER_COLUMNS]
    row = dict(zip([c.key for c in LEDGER_COLUMNS], values(ws, 2)))
    assert row["status"] == "已结案" and row["light"] == "红灯" and row["card"] == "黄牌"
    assert row["reported_at"] == dt.datetime(2026, 3, 1, 8, 30)  # UTC 00:30 = 08:30 Asia/Shanghai
    assert ws.cell(2, 6).number_format == "yyyy-mm-dd hh:mm:ss"
    second = dict(zip([c.key for c in LEDGER_COLUMNS], values(wb["案件台账(2)"], 2)))
    assert second["status"] == "已派遣" and second["card"] is None and second["verified_at"] is None
    assert ws.oddHeader.left.text == "2026-03-01 至 2026-03-31"
    data = ledger_json(counter, dt.date(2026, 3, 1), dt.date(2026, 3, 31), None, result.sheets)
    assert data["rows"] == 2 and data["status"] == {"closed": 1, "dispatched": 1} and data["card"]["yellow"] == 1


def test_stars_output_is_atomic(tmp_path, monkeypatch):
    rating = rate_workers(ten_workers(), Q3, POLICY.stars)
    target = tmp_path / "s.xlsx"

    def boom(self, filename):
        Path(filename).write_bytes(b"half")
        raise OSError("disk full")

    monkeypatch.setattr("openpyxl.workbook.workbook.Workbook.save", boom)
    with pytest.raises(OSError):
        write_stars_report(target, rating, POLICY)
    assert list(tmp_path.iterdir()) == []
