"""The weekly bulletin (周通报): workbook content equal to the indicators, and a one-page PDF that
is not blank."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import json
import shutil
import subprocess

import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from models.auth import SYSTEM
from models.enums import UserRole
from models.kpi.api import compute
from models.kpi.scope import KpiScope
from models.kpi.trends import iso_week, weekly_bulletin
from models.policy import Policy
from reports.bulletin import DEPT_SHEET, KPI_SHEET, TOWN_SHEET, bulletin_json, write_bulletin_workbook
from tests.factories import identity, make_db, town_id
from tests.models.test_kpi_trends import build_scenario

WEEK = "2026-W47"  # the scenario's week, 2026-11-16 … 22
ASOF = dt.datetime(2026, 11, 23, 12, 0)


@pytest.fixture
def world(db_url):
    engine = make_db(db_url)
    build_scenario(engine)
    yield db_url, engine
    engine.dispose()


def _sheet(path, name) -> list[tuple]:
    return [tuple(r) for r in load_workbook(path)[name].iter_rows(values_only=True)]


def test_workbook_holds_the_weeks_indicators_and_rankings(world, tmp_path):
    _, engine = world
    p = iso_week(WEEK)
    with Session(engine) as s:
        b = weekly_bulletin(s, SYSTEM, WEEK, ASOF)
        k = compute(s, SYSTEM, KpiScope(), p.date_from, p.date_to, ASOF)
        prev = compute(s, SYSTEM, KpiScope(), p.date_from - dt.timedelta(days=7), p.date_from,
                       ASOF - dt.timedelta(days=7))
        towns = {code: compute(s, SYSTEM, KpiScope("town", code), p.date_from, p.date_to, ASOF)
                 for code in ("331004001", "331004002")}
        depts = {code: compute(s, SYSTEM, KpiScope("department", code), p.date_from, p.date_to, ASOF)
                 for code in ("D01", "D02")}
    assert dict(b.kpi) == k and dict(b.previous_kpi) == prev
    out = write_bulletin_workbook(b, tmp_path / "周通报.xlsx", Policy())
    wb = load_workbook(out)
    assert wb.sheetnames == [KPI_SHEET, TOWN_SHEET, DEPT_SHEET, "说明"]
    rows = {r[0]: r[1:] for r in _sheet(out, KPI_SHEET)[1:]}
    assert rows["上报数"] == (8, 0, 8)
    assert rows["结案数"] == (k["closed"], prev["closed"], k["closed"] - prev["closed"]) == (4, 0, 4)
    assert rows["结案率"][0] == k["closure_rate"] and rows["按期结案率"][0] == k["on_time_closure_rate"]
    assert rows["区域综合指标值"][0] == k["region_score"] and rows["区域等级"][0] == k["region_grade"]
    ws = wb[KPI_SHEET]
    labels = [c.value for c in ws["A"]]
    assert ws.cell(labels.index("结案率") + 1, 2).number_format == "0.00%"
    assert ws.cell(labels.index("上报数") + 1, 4).number_format.startswith("+0")
    town_rows = _sheet(out, TOWN_SHEET)
    assert town_rows[0][:3] == ("排名", "镇街编码", "镇街") and town_rows[0][-2:] == ("综合指标值", "等级")
    by_code = {r[1]: r for r in town_rows[1:]}
    assert set(by_code) == set(towns)
    for code, kt in towns.items():
        r = by_code[code]
        assert (r[3], r[4], r[5], r[7], r[11], r[12]) == (kt["reported"], kt["filed"], kt["closed"],
                                                         kt["closure_rate"], kt["region_score"], kt["region_grade"])
    ranked = [r for r in town_rows[1:] if r[0] is not None]
    assert [r[0] for r in ranked] == list(range(1, len(ranked) + 1))
    assert [r[11] for r in ranked] == sorted((r[11] for r in ranked), reverse=True)
    dept_rows = {r[1]: r for r in _sheet(out, DEPT_SHEET)[1:]}
    for code, kd in depts.items():
        assert dept_rows[code][9] == kd["department_score"] and dept_rows[code][10] == kd["department_grade"]
    notes = dict(_sheet(out, "说明")[1:])
    assert notes["期间"] == "2026年第47周（2026-11-16 至 2026-11-22）"
    assert any("结案率权重" in key for key in notes)
    js = bulletin_json(b)
    assert js["week"] == WEEK and js["indicators"]["reported"] == {"this_week": 8, "last_week": 0, "change": 8}
    assert [t["code"] for t in js["towns"]] == [r[1] for r in town_rows[1:]]


def test_town_officer_bulletin_is_their_town(world):
    _, engine = world
    with Session(engine) as s:
        officer = identity(UserRole.TOWN_OFFICER, town_id(s, 2))
        b = weekly_bulletin(s, officer, WEEK, ASOF)
    assert [t.code for t in b.towns] == ["331004002"] and b.kpi["reported"] == 3  # B D G
    assert b.district == "测试区测试镇2"  # the title says whose numbers these are
    with Session(engine) as s:
        assert weekly_bulletin(s, SYSTEM, WEEK, ASOF).district == "测试区"


def _pgm_ink(path) -> float:
    """Share of clearly non-white pixels of a binary PGM (P5) page image."""
    data = path.read_bytes()
    parts, i = [], 0
    while len(parts) < 4:  # magic, width, height, maxval
        while data[i:i + 1].isspace():
            i += 1
        j = i
        while not data[j:j + 1].isspace():
            j += 1
        parts.append(data[i:j])
        i = j
    pixels = data[i + 1:]
    return sum(1 for v in pixels if v < 200) / len(pixels)


@pytest.mark.skipif(shutil.which("pdftoppm") is None or shutil.which("pdfinfo") is None, reason="needs poppler")
def test_cli_writes_workbook_and_a_one_page_pdf(world, tmp_path):
    pytest.importorskip("PySide6")
    from desktop.cli_bulletin import register_bulletin

    url, _ = world
    parser = argparse.ArgumentParser(prog="griddesk")
    parser.add_argument("--db")
    register_bulletin(parser.add_subparsers())
    xlsx, pdf = tmp_path / "b.xlsx", tmp_path / "b.pdf"
    args = parser.parse_args(["--db", url, "bulletin", "--week", "2026-w47", "-o", str(xlsx), "--pdf", str(pdf),
                              "--asof", ASOF.isoformat(), "--json"])
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert args.func(args) == 0
    assert json.loads(out.getvalue())["indicators"]["filed"]["this_week"] == 6
    assert xlsx.exists() and load_workbook(xlsx).sheetnames[0] == KPI_SHEET
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = next(line.split(":")[1].strip() for line in info.splitlines() if line.startswith("Pages:"))
    assert pages == "1" and "(A4)" in info
    subprocess.run(["pdftoppm", "-gray", "-r", "40", "-f", "1", "-singlefile", str(pdf), str(tmp_path / "page")],
                   check=True)
    ink = _pgm_ink(tmp_path / "page.pgm")
    assert 0.02 < ink < 0.6, ink  # text, bars and rules; not an empty page
    with pytest.raises(SystemExit):  # a malformed week is refused by the parser
        with contextlib.redirect_stderr(io.StringIO()):
            parser.parse_args(["--db", url, "bulletin", "--week", "2026-47", "-o", str(xlsx)])
