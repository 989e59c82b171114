"""LibreOffice (headless) recalculates the written workbooks; every formula must equal the Python numbers.

The funding workbook is written by `griddesk report funding ... --json`; each
formula cell is mapped to the `--json` number it must show, and a formula cell
without such a number fails the test. Skipped only when `soffice` is missing.
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
import types
from decimal import Decimal as D
from pathlib import Path

import pytest
from openpyxl import load_workbook

from desktop.cli import main
from models.assessment import QuarterResult, yearly_bonus
from models.policy import DEFAULT_POLICY
from reports.metrics_sheet import SCORES_HEADERS
from reports.stars_report import bonus_json, write_bonus_report
from tests.reports.test_metrics_sheet import write_sheet

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")


def convert(path: Path, target: str, tmp_path: Path) -> Path:
    """Open `path` in a private LibreOffice profile, recalculate, save as `target` (xlsx or csv)."""
    outdir = tmp_path / f"lo-{target.split(':')[0]}"
    outdir.mkdir(exist_ok=True)
    profile = (tmp_path / "lo-profile").as_uri()
    subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--norestore",
            "--convert-to",
            target,
            "--outdir",
            str(outdir),
            str(path),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    out = outdir / f"{path.stem}.{target.split(':')[0]}"
    assert out.exists(), f"LibreOffice wrote no {out.name}"
    return out


@pytest.fixture(autouse=True)
def no_database(monkeypatch):
    mod = types.ModuleType("desktop.report_sources")
    mod.load_policy = lambda args: DEFAULT_POLICY
    monkeypatch.setitem(sys.modules, "desktop.report_sources", mod)


def formula_cells(path: Path, sheet: str) -> dict[str, str]:
    ws = load_workbook(path)[sheet]
    return {
        c.coordinate: c.value
        for row in ws.iter_rows()
        for c in row
        if isinstance(c.value, str) and c.value.startswith("=")
    }


def expected_funding(data: dict) -> dict[str, float]:
    n = len(data["towns"])
    want = {}
    for i, town in enumerate(data["towns"], start=2):
        want[f"H{i}"] = town["base"]
        want[f"I{i}"] = town["allocated"]
    total = n + 2
    want.update(
        {
            f"D{total}": data["total_grids"],
            f"H{total}": data["total_base"],
            f"I{total}": data["total_allocated"],
            f"I{total + 1}": data["balance"],
        }
    )
    return want


def run_funding(tmp_path: Path, capsys, rows: list[list], policy_toml: str) -> tuple[Path, dict]:
    scores = write_sheet(tmp_path / "scores.xlsx", rows, headers=SCORES_HEADERS)
    policy = tmp_path / "policy.toml"
    policy.write_text(policy_toml, encoding="utf-8")
    out = tmp_path / "funding.xlsx"
    rc = main(
        [
            "report",
            "funding",
            "--year",
            "2026",
            "--scores",
            str(scores),
            "--policy",
            str(policy),
            "-o",
            str(out),
            "--json",
        ]
    )
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    return out, json.loads(captured.out)


def check_recalculated(path: Path, sheet: str, want: dict[str, float], tmp_path: Path) -> None:
    formulas = formula_cells(path, sheet)
    assert set(formulas) == set(want), "every formula cell must have a --json number, and only those"
    recalculated = load_workbook(convert(path, "xlsx", tmp_path), data_only=True)[sheet]
    for ref, number in want.items():
        got = recalculated[ref].value
        assert got is not None, f"{ref} {formulas[ref]} has no value after recalculation"
        assert D(str(got)) == D(str(number)), f"{ref} {formulas[ref]}: LibreOffice {got} != --json {number}"


TEN_TOWNS = [
    ["331004001", "路桥街道", 20, 95],
    ["331004002", "路南街道", 25, 90],
    ["331004003", "路北街道", 30, 88],
    ["331004004", "螺洋街道", 15, 88],
    ["331004005", "桐屿街道", 40, 85],
    ["331004006", "峰江街道", 10, 80],
    ["331004007", "新桥镇", 35, 80],
    ["331004008", "横街镇", 22, 75],
    ["331004009", "蓬街镇", 18, 70],
    ["331004010", "金清镇", 5, 60],
]


def test_funding_formulas_equal_json(tmp_path, capsys):
    # per grid 12,345.67 yuan: bases and ×0.8 / ×1.2 need rounding to fen, which the formulas do with ROUND
    out, data = run_funding(tmp_path, capsys, TEN_TOWNS, '[funding]\nper_grid_yuan = "12345.67"\n')
    assert data["towns"][7]["allocated"] == 217283.79  # 22 × 12,345.67 = 271,604.74; × 0.8 = 217,283.792
    check_recalculated(out, "经费分配", expected_funding(data), tmp_path)


def test_overspent_funding_formulas_and_display(tmp_path, capsys):
    out, data = run_funding(tmp_path, capsys, TEN_TOWNS[:4], '[funding]\nfund_yuan = "2000000"\n')
    # tiers 1, 2, 2, 3: 600,000 × 1.2 + 750,000 + 900,000 + 450,000 × 0.8 = 2,730,000
    assert data["overspent"] and data["balance"] == -730000
    check_recalculated(out, "经费分配", expected_funding(data), tmp_path)
    with open(convert(out, "csv:Text - txt - csv (StarCalc):44,34,76", tmp_path), encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[6][0] == "以奖代补结余" and rows[6][8] == "超支 730,000.00"
    assert rows[5][8] == "2,730,000.00"


def test_bonus_formulas_equal_json(tmp_path):
    bonuses = yearly_bonus(
        [
            QuarterResult(1, "1", "张三", "甲镇", 4, D("1500.01")),
            QuarterResult(2, "1", "张三", "甲镇", 5, D(1800)),
            QuarterResult(4, "1", "张三", "甲镇", 3, D(1200)),
            QuarterResult(3, "2", "李四", "乙镇", 1, D(300)),
        ]
    )
    path = write_bonus_report(tmp_path / "bonus.xlsx", 2026, bonuses, DEFAULT_POLICY)
    data = bonus_json(2026, bonuses, DEFAULT_POLICY)
    want = {f"L{i}": row["total"] for i, row in enumerate(data["rows"], start=2)}
    last = len(data["rows"]) + 2
    want.update({f"{col}{last}": total for col, total in zip("EGIK", data["quarter_totals"])})
    want[f"L{last}"] = data["total"]
    check_recalculated(path, "年度考核奖", want, tmp_path)
