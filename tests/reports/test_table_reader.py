"""reports.table_reader: .xlsx and CSV into rows keyed by Chinese headers, every problem collected."""

from __future__ import annotations

import datetime as dt
import zipfile

import pytest
from openpyxl import Workbook

from models.importers.common import Column, Problem
from reports.table_reader import merge_problems, read_csv, read_table, read_xlsx
from tests.models.import_helpers import reasons, write_xlsx

COLUMNS = (
    Column("工号", "code"),
    Column("姓名", "text", max_length=10),
    Column("人数", "int"),
    Column("时限", "number", required=False, blank_ok=True),
    Column("日期", "date"),
    Column("大类编码", "code", width=2, required=False, blank_ok=True),
)
HEADERS = ["工号", "姓名", "人数", "时限", "日期"]


def test_reads_rows_with_types_and_row_numbers(tmp_path):
    path = write_xlsx(tmp_path / "a.xlsx", HEADERS + ["大类编码"], [
        ["A1", "张三", 3, 1.5, dt.datetime(2024, 3, 1), 1],
        [None, None, None, None, None, None],  # blank line in the middle: skipped
        [1002, " 李四 ", "12", "4", "2024/3/9", "01"],
        ["A3", "王五", 5.0, None, "2024-12-31", None],
    ])
    table = read_xlsx(path, COLUMNS)
    assert table.problems == []
    assert [r.row for r in table.rows] == [2, 4, 5]
    first, second, third = table.rows
    assert first == {"工号": "A1", "姓名": "张三", "人数": 3, "时限": 1.5, "日期": dt.date(2024, 3, 1),
                     "大类编码": "01"}
    assert second == {"工号": "1002", "姓名": "李四", "人数": 12, "时限": 4.0, "日期": dt.date(2024, 3, 9),
                      "大类编码": "01"}
    assert third["人数"] == 5 and third["时限"] is None and third["日期"] == dt.date(2024, 12, 31)


def test_dates_from_excel_serial_and_chinese_text(tmp_path):
    path = write_xlsx(tmp_path / "d.xlsx", HEADERS, [
        ["A", "甲", 1, None, 45352],  # serial day number of 2024-03-01 (cell lost its format)
        ["B", "乙", 1, None, "2024年3月1日"],
        ["C", "丙", 1, None, dt.date(2024, 3, 1)],
    ])
    table = read_xlsx(path, COLUMNS)
    assert table.problems == []
    assert {r["日期"] for r in table.rows} == {dt.date(2024, 3, 1)}


def test_optional_header_may_be_absent_and_star_marks_are_stripped(tmp_path):
    path = write_xlsx(tmp_path / "o.xlsx", ["*工号", "姓名 ", "＊人数", "日期"], [["A", "甲", 1, "2024-01-02"]])
    table = read_xlsx(path, COLUMNS)
    assert table.problems == []
    assert set(table.rows[0]) == {"工号", "姓名", "人数", "日期"}  # absent optional columns: no key


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (["工号", "姓名", "人数"], {(1, "日期", "missing_header")}),
        (HEADERS + ["备注"], {(1, "备注", "unknown_header")}),
        (HEADERS + ["姓名"], {(1, "姓名", "duplicate_header")}),
    ],
    ids=["missing", "unknown", "duplicate"],
)
def test_header_problems(tmp_path, headers, expected):
    rows = [["A", "甲", 1, None, "2024-01-02", "x", "y"][: len(headers)]]
    table = read_xlsx(write_xlsx(tmp_path / "h.xlsx", headers, rows), COLUMNS)
    assert reasons(table.problems) == expected


def test_unnamed_column_with_data_is_a_problem_but_empty_one_is_not(tmp_path):
    path = write_xlsx(tmp_path / "u.xlsx", HEADERS + [None, None], [["A", "甲", 1, None, "2024-01-02", "data", None]])
    table = read_xlsx(path, COLUMNS)
    assert [(p.where, p.column, p.reason, p.detail) for p in table.problems] == [
        (1, None, "unnamed_column", "column F")]


@pytest.mark.parametrize(
    ("cells", "column", "reason"),
    [
        (["A", "甲", "三个", None, "2024-01-02"], "人数", "wrong_type"),
        (["A", "甲", 2.5, None, "2024-01-02"], "人数", "wrong_type"),
        (["A", "甲", 1, "四小时", "2024-01-02"], "时限", "wrong_type"),
        (["A", "甲", 1, None, "2024-02-30"], "日期", "bad_date"),
        (["A", "甲", 1, None, "02/01/2024"], "日期", "bad_date"),
        (["A", "甲", 1, None, True], "日期", "wrong_type"),
        (["A", "甲", 1, None, 1.5], "日期", "wrong_type"),
        (["A", dt.datetime(2024, 1, 1), 1, None, "2024-01-02"], "姓名", "wrong_type"),
        (["A", "甲" * 11, 1, None, "2024-01-02"], "姓名", "too_long"),
        (["A", "#N/A", 1, None, "2024-01-02"], "姓名", "cell_error"),
        ([None, "甲", 1, None, "2024-01-02"], "工号", "blank"),
        (["  ", "甲", 1, None, "2024-01-02"], "工号", "blank"),
        ([12.5, "甲", 1, None, "2024-01-02"], "工号", "wrong_type"),
    ],
    ids=["text-in-int", "fraction-in-int", "text-in-number", "feb-30", "us-date", "bool-date", "fraction-date",
         "date-in-text", "too-long", "formula-error", "blank", "blank-spaces", "fraction-code"],
)
def test_cell_problems_name_row_and_column(tmp_path, cells, column, reason):
    good = ["B", "乙", 1, None, "2024-01-01"]
    table = read_xlsx(write_xlsx(tmp_path / "c.xlsx", HEADERS, [good, cells]), COLUMNS)
    assert reasons(table.problems) == {(3, column, reason)}
    assert len(table.rows) == 2  # the bad row is still returned, so an importer can report more


def test_every_problem_of_a_sheet_is_collected(tmp_path):
    path = write_xlsx(tmp_path / "m.xlsx", HEADERS + ["备注"], [
        [None, "甲", "x", None, "2024-13-01", None],
        ["B", None, 1, None, "2024-01-01", None],
    ])
    table = read_xlsx(path, COLUMNS)
    assert reasons(table.problems) == {
        (1, "备注", "unknown_header"), (2, "工号", "blank"), (2, "人数", "wrong_type"),
        (2, "日期", "bad_date"), (3, "姓名", "blank")}


def test_empty_sheet_and_header_only(tmp_path):
    wb = Workbook()
    wb.save(tmp_path / "empty.xlsx")
    assert reasons(read_xlsx(tmp_path / "empty.xlsx", COLUMNS).problems) == {(None, None, "empty_sheet")}
    header_only = write_xlsx(tmp_path / "header.xlsx", HEADERS, [[None] * 5, [None] * 5])
    table = read_xlsx(header_only, COLUMNS)
    assert reasons(table.problems) == {(None, None, "no_rows")}
    assert table.fatal


def test_first_sheet_only(tmp_path):
    wb = Workbook()
    wb.active.append(HEADERS)
    wb.active.append(["A", "甲", 1, None, "2024-01-02"])
    other = wb.create_sheet("说明")
    other.append(["随便", "什么"])
    wb.save(tmp_path / "two.xlsx")
    table = read_xlsx(tmp_path / "two.xlsx", COLUMNS)
    assert table.problems == [] and len(table.rows) == 1


def test_not_a_workbook_and_corrupt_zip(tmp_path):
    text = tmp_path / "text.xlsx"
    text.write_text("工号,姓名\n", encoding="utf-8")
    assert reasons(read_xlsx(text, COLUMNS).problems) == {(None, None, "not_workbook")}
    good = write_xlsx(tmp_path / "good.xlsx", HEADERS, [["A", "甲", 1, None, "2024-01-02"]])
    data = good.read_bytes()
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(data[: len(data) // 2])
    assert reasons(read_xlsx(broken, COLUMNS).problems) == {(None, None, "not_workbook")}
    # a valid zip that is not a workbook
    zipped = tmp_path / "zip.xlsx"
    with zipfile.ZipFile(zipped, "w") as z:
        z.writestr("hello.txt", "hi")
    assert reasons(read_xlsx(zipped, COLUMNS).problems) == {(None, None, "not_workbook")}


def test_extension_and_missing_file(tmp_path):
    for name, reason in (("a.xls", "legacy_xls"), ("a.txt", "bad_extension"), ("a", "bad_extension")):
        (tmp_path / name).write_bytes(b"x")
        assert reasons(read_table(tmp_path / name, COLUMNS).problems) == {(None, None, reason)}
    assert reasons(read_table(tmp_path / "nope.xlsx", COLUMNS).problems) == {(None, None, "file_not_found")}
    assert reasons(read_table(tmp_path / "nope.csv", COLUMNS).problems) == {(None, None, "file_not_found")}


CSV_TEXT = "工号,姓名,人数,日期\nA1,张三,3,2024-03-01\n\n1002,李四,12,2024/3/9\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_in_utf8_bom_and_gbk(tmp_path, encoding):
    path = tmp_path / "s.csv"
    path.write_bytes(CSV_TEXT.encode(encoding))
    table = read_table(path, COLUMNS)
    assert table.problems == []
    assert table.encoding == {"utf-8": "utf-8", "utf-8-sig": "utf-8-sig", "gbk": "gb18030"}[encoding]
    assert [r.row for r in table.rows] == [2, 4]
    assert table.rows[0] == {"工号": "A1", "姓名": "张三", "人数": 3, "日期": dt.date(2024, 3, 1)}
    assert table.rows[1]["工号"] == "1002" and table.rows[1]["人数"] == 12


def test_csv_problems(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("工号,姓名,人数,日期,其他\n,张三,三,2024-02-30,x\n", encoding="utf-8")
    assert reasons(read_csv(path, COLUMNS).problems) == {
        (1, "其他", "unknown_header"), (2, "工号", "blank"), (2, "人数", "wrong_type"), (2, "日期", "bad_date")}
    utf16 = tmp_path / "u16.csv"
    utf16.write_bytes(CSV_TEXT.encode("utf-16"))
    assert reasons(read_csv(utf16, COLUMNS).problems) == {(None, None, "bad_encoding")}
    quote = tmp_path / "quote.csv"
    quote.write_text('工号,姓名,人数,日期\n"A1"x,甲,1,2024-01-01\n', encoding="utf-8")
    assert reasons(read_csv(quote, COLUMNS).problems) == {(None, None, "bad_csv")}
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert reasons(read_csv(empty, COLUMNS).problems) == {(None, None, "empty_sheet")}


def test_merge_problems_drops_repeats_about_the_same_cell():
    reader = [Problem(2, "人数", "wrong_type", "x"), Problem(1, "日期", "missing_header")]
    importer = [Problem(2, "人数", "wrong_type", "x again"), Problem(3, "工号", "duplicate_in_file"),
                Problem(1, "日期", "missing_header")]
    merged = merge_problems(reader, importer)
    assert [(p.where, p.column, p.reason) for p in merged] == [
        (1, "日期", "missing_header"), (2, "人数", "wrong_type"), (3, "工号", "duplicate_in_file")]


def test_problem_message_is_bilingual():
    msg = Problem(2, "工号", "blank").message()
    assert "必填项为空" in msg and "required cell is empty" in msg
