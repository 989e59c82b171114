"""`griddesk report ...` through `desktop.cli.main`: file modes, bad input, and the database modes
against a fake `desktop.report_sources` (the contract the database side implements)."""

from __future__ import annotations

import datetime as dt
import json
import sys
import types
from decimal import Decimal as D

import pytest
from openpyxl import load_workbook

from desktop.cli import main
from models.assessment import QuarterResult, TownScore
from models.policy import DEFAULT_POLICY
from reports.metrics_sheet import METRICS_HEADERS, SCORES_HEADERS
from tests.models.test_stars import ten_workers
from tests.reports.test_metrics_sheet import good_row, write_sheet


def metrics_rows(workers):
    return [
        [w.staff_no, w.name, w.town, w.grid_code, w.hire_date, *map(float, w.rates), w.previous_star] for w in workers
    ]


@pytest.fixture(autouse=True)
def fake_sources(monkeypatch):
    """A stand-in for the database side; records what the commands asked for and stored."""
    calls: dict[str, object] = {}
    mod = types.ModuleType("desktop.report_sources")
    mod.load_policy = lambda args: DEFAULT_POLICY

    def load_star_inputs(args, quarter):
        calls["load_star_inputs"] = quarter
        return ten_workers()

    def store_star_results(args, quarter, rows):
        calls["store_star_results"] = (quarter, rows)

    def load_quarter_results(args, year):
        calls["load_quarter_results"] = year
        return [QuarterResult(1, "7", "王五", "甲镇", 4, D(1500)), QuarterResult(2, "7", "王五", "甲镇", 5, D(1800))]

    def load_town_scores(args, year):
        return [TownScore("A", "甲镇", 10, D(90)), TownScore("B", "乙镇", 20, D(80))]

    def load_grid_counts(args, codes):
        calls["load_grid_counts"] = list(codes)
        return {"2": 25}

    def iter_ledger_rows(args, date_from, date_to, town):
        calls["iter_ledger_rows"] = (date_from, date_to, town)
        rows = [
            {
                "code": f"C{i}",
                "status": "closed",
                "light": "green",
                "card": "none",
                "reported_at": dt.datetime(2026, 3, 1, 8, 0),
            }
            for i in range(3)
        ]
        return len(rows), iter(rows)

    for f in (
        load_star_inputs,
        store_star_results,
        load_quarter_results,
        load_town_scores,
        load_grid_counts,
        iter_ledger_rows,
    ):
        setattr(mod, f.__name__, f)
    monkeypatch.setitem(sys.modules, "desktop.report_sources", mod)
    return calls


def run(capsys, *argv):
    rc = main(list(map(str, argv)))
    out, err = capsys.readouterr()
    return rc, out, err


# --- stars from metrics files ----------------------------------------------------------------
def test_stars_from_two_metrics_files(tmp_path, capsys, fake_sources):
    rows = metrics_rows(ten_workers())
    a = write_sheet(tmp_path / "a.xlsx", rows[:6])
    b = write_sheet(tmp_path / "b.xlsx", rows[6:])
    out = tmp_path / "stars.xlsx"
    rc, text, err = run(capsys, "report", "stars", "--quarter", "2026Q3", "--metrics", a, b, "-o", out, "--json")
    assert rc == 0, err
    data = json.loads(text)
    assert data["quarter"] == "2026Q3"
    assert [(r["staff_no"], r["star"], r["bonus"]) for r in data["rows"][:3]] == [
        ("W03", 5, 1800),
        ("W04", 4, 1500),
        ("W02", 4, 1500),
    ]
    assert data["district"]["bonus_total"] == 10650
    wb = load_workbook(out)
    assert wb.sheetnames == ["星级评定", "汇总", "说明"]
    assert wb["星级评定"]["P2"].value == 1800
    notes = {r[0]: r[1] for r in wb["说明"].iter_rows(min_row=2, values_only=True)}
    assert notes["数据来源"] == "a.xlsx、b.xlsx"
    assert "store_star_results" not in fake_sources  # a file-based rating is not stored


def test_stars_percentage_cells(tmp_path, capsys):
    path = write_sheet(
        tmp_path / "m.xlsx",
        [good_row("1", 基础信息录入率=0.9, 动态信息采集率=0.9, 应知应会知晓率=0.9, 网格评价满意率=0.9002)],
        formats={"F2": "0%", "G2": "0%", "H2": "0%", "I2": "0.00%"},
    )
    rc, text, err = run(capsys, "report", "stars", "--quarter", "2026Q3", "--metrics", path, "--json")
    assert rc == 0, err
    (row,) = json.loads(text)["rows"]
    assert row["score"] == 90.01  # 0.25 × (90 + 90 + 90 + 90.02) = 90.005 -> 90.01
    assert row["earned_star"] == 4 and row["star"] == 2  # N = 1: no quota places


def bad_files(tmp_path):
    headers = list(METRICS_HEADERS)
    headers[6] = "动态采集率"
    not_xlsx = tmp_path / "text.xlsx"
    not_xlsx.write_text("hello", encoding="utf-8")
    return {
        "wrong header": ([write_sheet(tmp_path / "h.xlsx", [good_row()], headers=headers)], "h.xlsx 第1行 G列"),
        "text in number": (
            [write_sheet(tmp_path / "t.xlsx", [good_row("1"), good_row("2", 应知应会知晓率="九十")])],
            "t.xlsx 第3行 H列（应知应会知晓率）",
        ),
        "rate over 100": ([write_sheet(tmp_path / "o.xlsx", [good_row(网格评价满意率=101)])], "o.xlsx 第2行 I列"),
        "duplicate": (
            [write_sheet(tmp_path / "d1.xlsx", [good_row("5")]), write_sheet(tmp_path / "d2.xlsx", [good_row("5")])],
            "d2.xlsx 第2行 A列（工号）",
        ),
        "empty sheet": ([write_sheet(tmp_path / "e.xlsx", [], headers=None)], "e.xlsx 第1行"),
        "header only": ([write_sheet(tmp_path / "e2.xlsx", [])], "e2.xlsx 第2行"),
        "not a workbook": ([not_xlsx], "text.xlsx：不是有效的 Excel 工作簿"),
        "bad date": ([write_sheet(tmp_path / "bd.xlsx", [good_row(入职日期="2025-02-30")])], "bd.xlsx 第2行 E列"),
        "bad star": ([write_sheet(tmp_path / "bs.xlsx", [good_row(上季星级=-1)])], "bs.xlsx 第2行 J列"),
    }


@pytest.mark.parametrize(
    "kind",
    [
        "wrong header",
        "text in number",
        "rate over 100",
        "duplicate",
        "empty sheet",
        "header only",
        "not a workbook",
        "bad date",
        "bad star",
    ],
)
def test_bad_metrics_give_one_clear_error_and_no_file(tmp_path, capsys, kind):
    files, expected = bad_files(tmp_path)[kind]
    out = tmp_path / "out" / "stars.xlsx"
    out.parent.mkdir()
    rc, text, err = run(capsys, "report", "stars", "--quarter", "2026Q3", "--metrics", *files, "-o", out, "--json")
    assert rc == 1
    assert text == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("griddesk: error: 指标表有误，未生成报表：")
    assert expected in lines[0]
    assert list(out.parent.iterdir()) == []


# --- stars, bonus, ledger from the database side ------------------------------------------------
def test_stars_from_database_stores_results(tmp_path, capsys, fake_sources):
    rc, text, err = run(capsys, "report", "stars", "--quarter", "2026Q3", "-o", tmp_path / "s.xlsx")
    assert rc == 0, err
    quarter, rows = fake_sources["store_star_results"]
    assert quarter.label == "2026Q3" and len(rows) == 11 and rows[0].star == 5
    assert (tmp_path / "s.xlsx").exists() and "已写入" in err


def test_bonus(tmp_path, capsys, fake_sources):
    rc, text, err = run(capsys, "report", "bonus", "--year", "2026", "-o", tmp_path / "b.xlsx", "--json")
    assert rc == 0, err
    assert fake_sources["load_quarter_results"] == 2026
    data = json.loads(text)
    assert data["rows"][0]["total"] == 3300 and data["rows"][0]["stars"] == [4, 5, None, None]
    assert load_workbook(tmp_path / "b.xlsx")["年度考核奖"]["L2"].value == "=SUM(E2,G2,I2,K2)"


def test_ledger(tmp_path, capsys, fake_sources):
    rc, text, err = run(
        capsys,
        "report",
        "ledger",
        "--from",
        "2026-03-01",
        "--to",
        "2026-03-31",
        "--town",
        "331004001",
        "-o",
        tmp_path / "l.xlsx",
        "--json",
    )
    assert rc == 0, err
    assert fake_sources["iter_ledger_rows"] == (dt.date(2026, 3, 1), dt.date(2026, 3, 31), "331004001")
    assert json.loads(text)["rows"] == 3
    ws = load_workbook(tmp_path / "l.xlsx")["案件台账"]
    assert ws.max_row == 4 and ws["E2"].value == "已结案"


def test_ledger_needs_an_output_and_an_ordered_range(tmp_path, capsys):
    assert run(capsys, "report", "ledger", "--from", "2026-03-01", "--to", "2026-03-31", "--json")[0] == 1
    rc, _, err = run(
        capsys, "report", "ledger", "--from", "2026-03-31", "--to", "2026-03-01", "-o", tmp_path / "l.xlsx"
    )
    assert rc == 1 and "--to 不能早于 --from" in err


# --- funding ----------------------------------------------------------------------------------------
def test_funding_from_scores_file(tmp_path, capsys):
    scores = write_sheet(
        tmp_path / "scores.xlsx", [["A", "甲镇", 10, 90], ["B", "乙镇", 20, 80]], headers=SCORES_HEADERS
    )
    rc, text, err = run(
        capsys, "report", "funding", "--year", "2026", "--scores", scores, "-o", tmp_path / "f.xlsx", "--json"
    )
    assert rc == 0, err
    data = json.loads(text)
    assert [(t["code"], t["tier"], t["allocated"]) for t in data["towns"]] == [("A", 1, 360000), ("B", 3, 480000)]
    assert data["balance"] == 21_160_000 and data["overspent"] is False
    ws = load_workbook(tmp_path / "f.xlsx")["经费分配"]
    assert ws["I5"].value == "=22000000-I4"


def test_funding_grid_counts_from_database_when_blank(tmp_path, capsys, fake_sources):
    scores = write_sheet(tmp_path / "s.xlsx", [["1", "甲", 10, 90], ["2", "乙", None, 80]], headers=SCORES_HEADERS)
    rc, text, err = run(capsys, "report", "funding", "--year", "2026", "--scores", scores, "--json")
    assert rc == 0, err
    assert fake_sources["load_grid_counts"] == ["2"]
    assert json.loads(text)["towns"][1]["grids"] == 25
    scores = write_sheet(tmp_path / "s2.xlsx", [["9", "丙", None, 80]], headers=SCORES_HEADERS)
    rc, _, err = run(capsys, "report", "funding", "--year", "2026", "--scores", scores, "--json")
    assert rc == 1 and "镇街编码 9" in err


def test_funding_policy_file_and_overspent(tmp_path, capsys):
    policy = tmp_path / "p.toml"
    policy.write_text('[funding]\nfund_yuan = "500000"\n', encoding="utf-8")
    scores = write_sheet(tmp_path / "s.xlsx", [["A", "甲", 10, 90], ["B", "乙", 20, 80]], headers=SCORES_HEADERS)
    out = tmp_path / "f.xlsx"
    rc, text, err = run(
        capsys, "report", "funding", "--year", "2026", "--scores", scores, "--policy", policy, "-o", out, "--json"
    )
    assert rc == 0, err
    data = json.loads(text)
    assert data["balance"] == -340000 and data["overspent"] is True
    assert load_workbook(out)["经费分配"]["I5"].value == "=500000-I4"


def test_funding_from_database(tmp_path, capsys):
    rc, text, err = run(capsys, "report", "funding", "--year", "2026", "--json")
    assert rc == 0, err
    assert json.loads(text)["total_allocated"] == 840000


def test_bad_scores_file(tmp_path, capsys):
    scores = write_sheet(tmp_path / "s.xlsx", [["A", "甲", 10, "高"]], headers=SCORES_HEADERS)
    out = tmp_path / "f.xlsx"
    rc, text, err = run(capsys, "report", "funding", "--year", "2026", "--scores", scores, "-o", out)
    assert rc == 1 and "s.xlsx 第2行 D列（考核得分）" in err and not out.exists()


# --- output checks --------------------------------------------------------------------------------------
def test_output_problems(tmp_path, capsys):
    m = write_sheet(tmp_path / "m.xlsx", [good_row()])
    base = ["report", "stars", "--quarter", "2026Q3", "--metrics", m]
    assert "-o" in run(capsys, *base)[2]
    assert ".xlsx" in run(capsys, *base, "-o", tmp_path / "x.csv")[2]
    assert "输出目录不存在" in run(capsys, *base, "-o", tmp_path / "no" / "x.xlsx")[2]
    rc, _, err = run(capsys, *base, "-o", m)
    assert rc == 1 and "不能覆盖输入文件" in err
    assert load_workbook(m)["Sheet"]["A2"].value == "1001"


def test_bad_quarter_is_an_argument_error(capsys):
    with pytest.raises(SystemExit) as info:
        main(["report", "stars", "--quarter", "2026Q5", "--json"])
    assert info.value.code == 2
    assert "2026Q3" in capsys.readouterr().err
