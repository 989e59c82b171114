"""Reading the towns' metrics sheets and the funding scores sheet (issue 7): good input and every bad kind."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from pathlib import Path

import pytest
from openpyxl import Workbook

from reports.metrics_sheet import (
    METRICS_HEADERS,
    SCORES_HEADERS,
    SheetError,
    load_metrics,
    load_scores,
    read_metrics_files,
    read_scores_file,
)


def good_row(staff_no: str = "1001", **changes) -> list:
    row = {
        "工号": staff_no,
        "姓名": "张三",
        "镇街": "路桥街道",
        "网格编码": "331004001001001",
        "入职日期": dt.date(2025, 1, 15),
        "基础信息录入率": 95,
        "动态信息采集率": 96.5,
        "应知应会知晓率": 97,
        "网格评价满意率": 98,
        "上季星级": 3,
    }
    row.update(changes)
    return [row[h] for h in METRICS_HEADERS]


def write_sheet(path: Path, rows: list[list], headers=METRICS_HEADERS, formats: dict[str, str] | None = None) -> Path:
    """A workbook with `headers` in row 1 and `rows` below; `formats` maps a cell ("F2") to a number format."""
    wb = Workbook()
    ws = wb.active
    if headers:
        ws.append(list(headers))
    for row in rows:
        ws.append(row)
    for ref, fmt in (formats or {}).items():
        ws[ref].number_format = fmt
    wb.save(path)
    return path


def only_problem(path: Path):
    with pytest.raises(SheetError) as info:
        load_metrics([path])
    assert len(info.value.problems) == 1, info.value.problems
    return info.value.problems[0]


# --- good input ---------------------------------------------------------------------
def test_reads_numbers_dates_and_text(tmp_path):
    path = write_sheet(
        tmp_path / "路桥.xlsx",
        [
            good_row(),
            good_row(1002, 网格编码=331004001001002, 入职日期="2024/3/1", 上季星级=None),
            [None] * 10,  # blank rows are skipped
            good_row("1003", 入职日期=dt.datetime(2023, 5, 6, 0, 0), 上季星级=0, 基础信息录入率="88.5"),
        ],
    )
    rows = load_metrics([path])
    assert [r.staff_no for r in rows] == ["1001", "1002", "1003"]
    a, b, c = rows
    assert a.rates == (D(95), D("96.5"), D(97), D(98)) and a.previous_star == 3
    assert a.hire_date == dt.date(2025, 1, 15)
    assert b.grid_code == "331004001001002" and b.hire_date == dt.date(2024, 3, 1) and b.previous_star is None
    assert c.hire_date == dt.date(2023, 5, 6) and c.previous_star == 0 and c.basic_info_rate == D("88.5")


def test_percentage_formatted_cells_are_percent_points(tmp_path):
    path = write_sheet(
        tmp_path / "pct.xlsx",
        [
            good_row(基础信息录入率=0.955, 动态信息采集率=1, 应知应会知晓率="97.25%", 网格评价满意率=0),
        ],
        formats={"F2": "0.00%", "G2": "0%", "I2": "0.0%"},
    )
    (row,) = load_metrics([path])
    assert row.rates == (D("95.5"), D(100), D("97.25"), D(0))


def test_percentage_cell_over_100_percent_rejected(tmp_path):
    path = write_sheet(tmp_path / "pct.xlsx", [good_row(基础信息录入率=1.2)], formats={"F2": "0%"})
    p = only_problem(path)
    assert (p.row, p.column, p.header) == (2, "F", "基础信息录入率")
    assert "120" in p.message


def test_headers_with_percent_suffix_and_extra_columns_accepted(tmp_path):
    headers = [h + ("(%)" if h.endswith("率") else "") for h in METRICS_HEADERS] + ["备注"]
    path = write_sheet(tmp_path / "x.xlsx", [good_row() + ["无"]], headers=headers)
    assert load_metrics([path])[0].satisfaction_rate == D(98)


# --- every bad kind: one clear problem naming file, row and column -------------------------
def test_wrong_header(tmp_path):
    headers = list(METRICS_HEADERS)
    headers[5] = "基础信息录入"
    p = only_problem(write_sheet(tmp_path / "h.xlsx", [good_row()], headers=headers))
    assert (p.file, p.row, p.column) == ("h.xlsx", 1, "F")
    assert str(p) == "h.xlsx 第1行 F列：表头应为「基础信息录入率」，实为「基础信息录入」"


def test_missing_column(tmp_path):
    p = only_problem(write_sheet(tmp_path / "h.xlsx", [good_row()[:9]], headers=METRICS_HEADERS[:9]))
    assert (p.row, p.column) == (1, "J") and "缺少列「上季星级」" in p.message


@pytest.mark.parametrize(
    ("changes", "column", "header", "words"),
    [
        ({"动态信息采集率": "abc"}, "G", "动态信息采集率", "不是数字"),
        ({"应知应会知晓率": 100.5}, "H", "应知应会知晓率", "0–100"),
        ({"网格评价满意率": -1}, "I", "网格评价满意率", "0–100"),
        ({"基础信息录入率": None}, "F", "基础信息录入率", "不能为空"),
        ({"入职日期": "2025-13-01"}, "E", "入职日期", "不是有效日期"),
        ({"入职日期": "昨天"}, "E", "入职日期", "不是有效日期"),
        ({"上季星级": 6}, "J", "上季星级", "0–5"),
        ({"上季星级": 2.5}, "J", "上季星级", "0–5"),
        ({"上季星级": "三星"}, "J", "上季星级", "0–5"),
        ({"姓名": None}, "B", "姓名", "不能为空"),
        ({"动态信息采集率": True}, "G", "动态信息采集率", "不是数字"),
    ],
)
def test_bad_cell(tmp_path, changes, column, header, words):
    p = only_problem(write_sheet(tmp_path / "bad.xlsx", [good_row("1"), good_row("2", **changes)]))
    assert (p.file, p.row, p.column, p.header) == ("bad.xlsx", 3, column, header)
    assert words in p.message
    assert str(p).startswith(f"bad.xlsx 第3行 {column}列（{header}）：")


def test_duplicate_staff_number_in_one_file(tmp_path):
    p = only_problem(write_sheet(tmp_path / "d.xlsx", [good_row("7"), good_row("8"), good_row("7")]))
    assert (p.row, p.column, p.header) == (4, "A", "工号")
    assert "工号 7 重复，已在 d.xlsx 第2行出现" in p.message


def test_duplicate_staff_number_across_files_and_merge(tmp_path):
    a = write_sheet(tmp_path / "a.xlsx", [good_row("1"), good_row("2")])
    b = write_sheet(tmp_path / "b.xlsx", [good_row("3"), good_row("2", 姓名="李四"), good_row("4", 上季星级=9)])
    result = read_metrics_files([a, b])
    assert [r.staff_no for r in result.rows] == ["1", "2", "3"]  # the first "2" kept, bad row "4" left out
    assert result.rows[1].name == "张三"
    assert [(p.file, p.row, p.column) for p in result.problems] == [("b.xlsx", 4, "J"), ("b.xlsx", 3, "A")]
    assert "已在 a.xlsx 第3行出现" in result.problems[1].message
    with pytest.raises(SheetError) as info:
        load_metrics([a, b])
    assert len(info.value.problems) == 2
    assert "b.xlsx 第3行 A列（工号）" in str(info.value) and "b.xlsx 第4行 J列（上季星级）" in str(info.value)


def test_all_problems_of_a_file_are_listed(tmp_path):
    path = write_sheet(
        tmp_path / "m.xlsx",
        [good_row("1", 基础信息录入率="x"), good_row("2", 上季星级=7), good_row("3", 入职日期=None)],
    )
    with pytest.raises(SheetError) as info:
        load_metrics([path])
    assert [(p.row, p.column) for p in info.value.problems] == [(2, "F"), (3, "J"), (4, "E")]


def test_empty_sheet(tmp_path):
    p = only_problem(write_sheet(tmp_path / "e.xlsx", [], headers=None))
    assert (p.row, p.column) == (1, None) and "为空" in p.message


def test_header_only(tmp_path):
    p = only_problem(write_sheet(tmp_path / "e.xlsx", []))
    assert p.row == 2 and "没有数据行" in p.message


def test_not_a_workbook(tmp_path):
    path = tmp_path / "notes.xlsx"
    path.write_text("工号,姓名\n1,张三\n", encoding="utf-8")
    p = only_problem(path)
    assert p.file == "notes.xlsx" and "不是有效的 Excel 工作簿" in p.message


def test_corrupt_workbook(tmp_path):
    good = write_sheet(tmp_path / "g.xlsx", [good_row()])
    path = tmp_path / "broken.xlsx"
    path.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    p = only_problem(path)
    assert p.file == "broken.xlsx" and ("不是有效的 Excel 工作簿" in p.message or "损坏" in p.message)


def test_missing_file(tmp_path):
    assert "文件不存在" in only_problem(tmp_path / "nope.xlsx").message


def test_error_message_lists_problems_in_one_line(tmp_path):
    path = write_sheet(tmp_path / "many.xlsx", [good_row(str(i), 基础信息录入率="x") for i in range(12)])
    with pytest.raises(SheetError) as info:
        load_metrics([path])
    text = str(info.value)
    assert "\n" not in text and len(info.value.problems) == 12
    assert text.startswith("many.xlsx 第2行 F列（基础信息录入率）：") and "另有 2 处问题未列出" in text


# --- scores file ------------------------------------------------------------------------
def test_scores_file(tmp_path):
    path = write_sheet(
        tmp_path / "s.xlsx",
        [["331004001", "路桥街道", 30, 91.5], ["331004002", "路南街道", None, "88"]],
        headers=SCORES_HEADERS,
    )
    rows = load_scores(path)
    assert [(r.code, r.name, r.grids, r.score) for r in rows] == [
        ("331004001", "路桥街道", 30, D("91.5")),
        ("331004002", "路南街道", None, D(88)),
    ]


def test_scores_file_without_grid_column(tmp_path):
    path = write_sheet(tmp_path / "s.xlsx", [["1", "甲", 80]], headers=("镇街编码", "镇街名称", "考核得分"))
    assert load_scores(path)[0].grids is None


@pytest.mark.parametrize(
    ("row", "column", "words"),
    [
        (["2", "乙", 10, 101], "D", "0–100"),
        (["2", "乙", 10, "九十"], "D", "不是数字"),
        (["2", "乙", -3, 80], "C", "非负整数"),
        (["2", "乙", 2.5, 80], "C", "非负整数"),
        (["1", "乙", 10, 80], "A", "镇街编码 1 重复"),
    ],
)
def test_scores_bad_rows(tmp_path, row, column, words):
    path = write_sheet(tmp_path / "s.xlsx", [["1", "甲", 10, 90], row], headers=SCORES_HEADERS)
    result = read_scores_file(path)
    assert len(result.problems) == 1
    p = result.problems[0]
    assert (p.row, p.column) == (3, column) and words in p.message
    with pytest.raises(SheetError):
        load_scores(path)
