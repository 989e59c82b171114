"""The weekly bulletin (周通报) from the reports panel: the export writes the workbook and the one-page
PDF as `griddesk report bulletin -o … --pdf …` does (same numbers, same scope for a town officer),
both or neither — a cancel or a failure leaves no file and an existing one untouched."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import threading
import types
import unicodedata
from pathlib import Path

import pytest
from openpyxl import load_workbook
from PySide6.QtWidgets import QPushButton
from sqlalchemy.orm import Session

import desktop.reports_panel as rp
import widgets.kpi.bulletin_pdf as bulletin_pdf
from desktop.cli import main
from desktop.reports_periods import last_complete_week
from models.auth import authenticate
from models.enums import UserRole
from models.policy_store import load_policy
from reports.bulletin import DEPT_COLUMNS, DEPT_SHEET, INDICATORS, KPI_SHEET, TOWN_COLUMNS, TOWN_SHEET
from tests.desktop import test_reports_panel as panel_tests
from tests.desktop.test_reports_panel import FINANCE, TODAY, WAIT, cli_json, open_panel, preview
from tests.factories import add_user, town_id

district = panel_tests.district  # the fixture: the hand-made ledger of March 2026 on two towns
pytestmark = pytest.mark.skipif(shutil.which("pdfinfo") is None or shutil.which("pdftotext") is None,
                                reason="needs poppler-utils (pdfinfo, pdftotext)")


def pdf_info(path: Path) -> dict[str, str]:
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in out.splitlines())}


def pdf_text(path: Path) -> str:
    """The page's text, NFKC-normalised: the CJK font maps some glyphs to Kangxi radicals (⽹ for 网)."""
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return unicodedata.normalize("NFKC", out)


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def workbook_numbers(path: Path) -> dict:
    """The workbook's indicators, towns and departments, keyed as `griddesk report bulletin --json` keys them."""
    wb = load_workbook(path)
    key_of = {label: key for key, label, _ in INDICATORS}
    indicators = {key_of[label]: {"this_week": now, "last_week": before, "change": change}
                  for label, now, before, change in wb[KPI_SHEET].iter_rows(min_row=2, values_only=True)}

    def table(sheet: str, columns) -> list[dict]:
        rows = wb[sheet].iter_rows(values_only=True)
        assert next(rows) == tuple(c.header for c in columns)
        return [dict(zip((c.key for c in columns), row)) for row in rows]

    return {"indicators": indicators, "towns": table(TOWN_SHEET, TOWN_COLUMNS),
            "departments": table(DEPT_SHEET, DEPT_COLUMNS)}


def cli_numbers(data: dict) -> dict:
    return {"indicators": data["indicators"],
            "towns": [{c.key: t[c.key] for c in TOWN_COLUMNS} for t in data["towns"]],
            "departments": [{c.key: d[c.key] for c in DEPT_COLUMNS} for d in data["departments"]]}


def bulletin_panel(qtbot, engine, who=FINANCE, week: str | None = "2026-W10"):
    panel = open_panel(qtbot, engine, who, initial=("bulletin", week))
    assert panel.kind == "bulletin"
    return panel


# --- the two files ---------------------------------------------------------------------------------------------
def test_export_writes_the_workbook_and_a_one_page_pdf_with_the_clis_numbers(qtbot, capsys, district, tmp_path,
                                                                             monkeypatch):
    engine, url = district
    panel = bulletin_panel(qtbot, engine)
    assert panel.week() == "2026-W10" and panel.export_button.text() == "导出 Excel 和 PDF…"
    computed = preview(qtbot, panel)
    assert [s.title for s in computed.sheets] == ["主要指标", "镇街排名", "部门排名"]
    assert "一页 PDF" in panel.status.text()  # the preview says what the export will write
    assert panel.default_file_name() == "周通报_2026-W10.xlsx"
    out = tmp_path / "out"
    out.mkdir()
    with qtbot.waitSignal(panel.exportFinished, timeout=WAIT) as done:
        assert panel.export_to(out / panel.default_file_name())
    result = done.args[0]
    xlsx, pdf = out / "周通报_2026-W10.xlsx", out / "周通报_2026-W10.pdf"
    assert result.files == (xlsx, pdf)
    assert sorted(out.iterdir()) == sorted([xlsx, pdf])  # no temporary file left beside them
    assert "周通报_2026-W10.pdf" in panel.status.text() and panel.progress_dialog is None

    info = pdf_info(pdf)
    assert info["Pages"] == "1" and "(A4)" in info["Page size"]
    text = pdf_text(pdf)
    assert nfkc("测试区网格化服务管理周通报") in text and nfkc("2026年第10周（2026-03-02 至 2026-03-08）") in text
    assert "测试镇1" in text and "测试镇2" in text

    # the workbook holds the numbers `griddesk report bulletin --json` prints for the same week
    data = cli_json(capsys, "--db", url, "report", "bulletin", "--week", "2026-W10", "-o", tmp_path / "cli.xlsx",
                    "--json")
    mine = workbook_numbers(xlsx)
    assert mine == cli_numbers(data)
    assert mine["indicators"]["filed"]["this_week"] == 10 and len(mine["towns"]) == 2
    assert len(mine["departments"]) == 3
    assert workbook_numbers(tmp_path / "cli.xlsx") == mine

    # 打开所在文件夹 opens the folder holding both files
    opened = []
    monkeypatch.setattr(rp, "QDesktopServices", types.SimpleNamespace(openUrl=opened.append))
    assert panel.open_folder_button.isEnabled()
    panel.open_folder_button.click()
    assert [Path(u.toLocalFile()) for u in opened] == [out]
    assert panel.last_files == (xlsx, pdf) and str(pdf) in panel.open_folder_button.toolTip()


def test_the_week_defaults_to_the_last_complete_week(qtbot, district):
    engine, _ = district
    assert TODAY.isoweekday() == 5 and last_complete_week(TODAY) == dt.date(2026, 11, 16)
    assert last_complete_week(dt.date(2026, 11, 23)) == dt.date(2026, 11, 16)  # Monday: last week is over
    assert last_complete_week(dt.date(2026, 11, 22)) == dt.date(2026, 11, 9)  # Sunday: this week is not
    panel = open_panel(qtbot, engine)
    panel.report_combo.setCurrentIndex(panel.kinds.index("bulletin"))
    assert panel.week() == "2026-W47"
    assert panel.periods.week_label.text() == "2026-W47（11-16 至 11-22）"
    panel.week_edit.setDate(panel.week_edit.date().addDays(-7))
    assert panel.week() == "2026-W46" and panel.request().week == "2026-W46"


def test_town_officer_gets_their_towns_bulletin_as_the_cli_gives_it(qtbot, capsys, district, tmp_path,
                                                                    monkeypatch):
    engine, url = district
    with Session(engine, info={"actor": "test"}) as s:
        add_user(s, "town1", UserRole.TOWN_OFFICER, "secret1", town=town_id(s, 1))
        s.commit()
        officer = authenticate(s, "town1", "secret1", load_policy(s).security)
    assert officer.role is UserRole.TOWN_OFFICER and officer.scoped
    panel = bulletin_panel(qtbot, engine, officer, "2026-W11")
    assert panel.kinds == ("stars", "ledger", "bulletin")
    preview(qtbot, panel)
    with qtbot.waitSignal(panel.exportFinished, timeout=WAIT):
        panel.export_to(tmp_path / "b.xlsx")
    mine = workbook_numbers(tmp_path / "b.xlsx")
    assert [t["code"] for t in mine["towns"]] == ["331004001"]
    monkeypatch.setenv("GRIDDESK_PASSWORD", "secret1")
    data = cli_json(capsys, "--db", url, "report", "bulletin", "--week", "2026-W11", "--user", "town1",
                    "-o", tmp_path / "cli.xlsx", "--json")
    assert mine == cli_numbers(data)
    assert mine["indicators"]["filed"]["this_week"] == 5  # town 1's cases only (the district filed 7)
    text = pdf_text(tmp_path / "b.pdf")
    assert pdf_info(tmp_path / "b.pdf")["Pages"] == "1"
    assert "测试镇1" in text and "测试镇2" not in text


# --- both or neither ---------------------------------------------------------------------------------------------
def test_cancelling_leaves_no_file_and_an_existing_one_untouched(qtbot, district, tmp_path, monkeypatch):
    engine, _ = district
    real = bulletin_pdf.write_bulletin_pdf
    drawing, release = threading.Event(), threading.Event()

    def held_pdf(bulletin, path):
        """The real PDF, then held until the test has pressed 取消."""
        real(bulletin, path)
        drawing.set()
        release.wait(20)
        return Path(path)

    monkeypatch.setattr(bulletin_pdf, "write_bulletin_pdf", held_pdf)
    out = tmp_path / "out"
    out.mkdir()
    (out / "b.pdf").write_bytes(b"last week's")
    panel = bulletin_panel(qtbot, engine)
    preview(qtbot, panel)
    assert panel.export_to(out / "b.xlsx")
    dialog = panel.progress_dialog
    assert dialog is not None and dialog.isVisible() and dialog.maximum() == 100
    qtbot.waitUntil(drawing.is_set, timeout=WAIT)
    qtbot.waitUntil(lambda: dialog.labelText() == "正在绘制一页 PDF…" and dialog.value() == 50, timeout=WAIT)
    assert len(list(out.iterdir())) == 3  # the old PDF and the two files being written, hidden
    with qtbot.waitSignal(panel.exportCancelled, timeout=WAIT):
        dialog.findChild(QPushButton).click()
        release.set()
    assert [p.name for p in out.iterdir()] == ["b.pdf"] and (out / "b.pdf").read_bytes() == b"last week's"
    assert "已取消" in panel.status.text() and panel.export_button.isEnabled()
    assert not panel.open_folder_button.isEnabled()


def test_a_failing_pdf_leaves_no_workbook_either(qtbot, district, tmp_path, monkeypatch):
    engine, _ = district

    def broken_pdf(bulletin, path):
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(bulletin_pdf, "write_bulletin_pdf", broken_pdf)
    out = tmp_path / "out"
    out.mkdir()
    panel = bulletin_panel(qtbot, engine)
    preview(qtbot, panel)
    with qtbot.waitSignal(panel.exportFailed, timeout=WAIT) as failed:
        panel.export_to(out / "b.xlsx")
    assert "No space left on device" in failed.args[0]
    assert list(out.iterdir()) == [] and "未生成文件" in panel.status.text()
    assert panel.export_button.isEnabled()


def test_a_pdf_path_that_is_a_folder_is_refused_before_writing(qtbot, district, tmp_path):
    engine, _ = district
    (tmp_path / "b.pdf").mkdir()
    panel = bulletin_panel(qtbot, engine)
    preview(qtbot, panel)
    assert not panel.export_to(tmp_path / "b.xlsx")
    assert "文件夹" in panel.status.text() and not (tmp_path / "b.xlsx").exists()


def test_the_cli_writes_neither_file_when_the_pdf_fails(district, tmp_path, monkeypatch):
    _, url = district

    def broken_pdf(bulletin, path):
        raise RuntimeError("the printer driver is gone")

    monkeypatch.setattr(bulletin_pdf, "write_bulletin_pdf", broken_pdf)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(RuntimeError, match="printer driver"):
        main(["--db", url, "report", "bulletin", "--week", "2026-W10", "-o", str(out / "b.xlsx"),
              "--pdf", str(out / "b.pdf")])
    assert list(out.iterdir()) == []
