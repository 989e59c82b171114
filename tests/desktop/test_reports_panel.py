"""The reports panel (issue 7 "In the GUI") against a real database: the preview shows what
`griddesk report … --json` prints, metrics sheets merge with their problems listed, exports
write the workbook's sheets (and a cancelled one writes nothing), and roles see what they may."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
import types
from decimal import Decimal as D

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from PySide6.QtWidgets import QPushButton
from sqlalchemy.orm import Session

import desktop.report_jobs as jobs
import desktop.reports_panel as rp
from models.assessment import StarChange
from desktop.cli import main
from desktop.reports_panel import ReportsPanel
from desktop.reports_periods import qdate
from models.enums import StaffRole, UserRole
from models.kpi.trends import weekly_bulletin
from models.schema import Case, Staff, StarRating, WorkerMetrics
from reports import preview as pv
from reports.bulletin import TOWN_COLUMNS, bulletin_json
from reports.funding_report import TIER_NAMES
from reports.metrics_sheet import SCORES_HEADERS
from reports.stars_report import CHANGE_LABELS
from reports.workbook import json_value
from tests.factories import identity, make_db, town_id
from tests.models.ledger_fixture import build_ledger
from tests.reports.test_metrics_sheet import good_row, write_sheet

Q3 = "2026Q3"
TODAY = dt.date(2026, 11, 27)
FINANCE = identity(UserRole.FINANCE, name="finance")
WAIT = 30_000


def add_workers(s: Session) -> None:
    """Ten full-time workers with 2026Q3 metrics (scores 98, 95, …, 71), one on probation, one without metrics;
    two of them were rated in 2026Q2."""
    towns = (town_id(s, 1), town_id(s, 2))
    for i in range(12):
        hired = dt.date(2026, 8, 1) if i == 10 else dt.date(2024, 1, 1) + dt.timedelta(days=i)
        staff = Staff(staff_no=f"W{i + 1:02d}", name=f"网格员{i + 1}", role=StaffRole.FULL_TIME,
                      grid_code=f"33100400{i % 2 + 1}001001", town_id=towns[i % 2], hire_date=hired,
                      probation_end=hired + dt.timedelta(days=92))
        s.add(staff)
        s.flush()
        if i == 11:
            continue  # no metrics this quarter
        rate = D(98 - 3 * i) if i < 10 else D(99)
        s.add(WorkerMetrics(staff_id=staff.id, quarter=Q3, basic_info_rate=rate, dynamic_info_rate=rate,
                            knowledge_rate=rate + D("0.5") if i == 3 else rate, satisfaction_rate=rate))
        if i in (0, 3):
            s.add(StarRating(staff_id=staff.id, quarter="2026Q2", rated=True, rank=i + 1, score=rate, star=4 - i // 3,
                             qualified_star=4, previous_star=None, change="new", bonus_percent=100,
                             bonus_yuan=D(1500), note="", computed_at=dt.datetime(2026, 7, 5)))
    s.flush()


@pytest.fixture
def district(db_url):
    """The small district with the hand-made ledger of March 2026 and the workers above."""
    engine = make_db(db_url)
    with Session(engine, info={"actor": "test"}) as s:
        build_ledger(s)
        add_workers(s)
        s.commit()
    yield engine, db_url
    engine.dispose()


@pytest.fixture
def files_db(tmp_path):
    """A database for the file-based reports (its policy and grid counts are read)."""
    engine = make_db(f"sqlite:///{tmp_path / 'files.sqlite'}")
    yield engine
    engine.dispose()


def open_panel(qtbot, engine, who=FINANCE, **kw) -> ReportsPanel:
    panel = ReportsPanel(engine, who, today=TODAY, **kw)
    qtbot.addWidget(panel)
    panel.show()
    return panel


def choose(panel: ReportsPanel, kind: str, source: str | None = None) -> None:
    panel.report_combo.setCurrentIndex(panel.kinds.index(kind))
    if source is not None:
        panel.source_combo.setCurrentIndex(panel.source_combo.findData(source))


def preview(qtbot, panel: ReportsPanel):
    with qtbot.waitSignal(panel.previewReady, timeout=WAIT) as blocker:
        panel.refresh()
    return blocker.args[0]


def cli_json(capsys, *argv) -> dict:
    capsys.readouterr()
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert rc == 0, err
    return json.loads(out)


def shown(panel: ReportsPanel, row: int, header: str) -> str:
    sheet = panel.current_sheet()
    col = sheet.headers.index(header)
    return panel.preview_model.index(row, col).data()


def assert_star_rows_match(sheet: pv.PreviewSheet, json_rows: list[dict]) -> None:
    rows = sheet.as_dicts()
    assert len(rows) == len(json_rows)
    for mine, theirs in zip(rows, json_rows):
        for key, value in json_value(mine).items():
            if key == "bonus_percent":
                assert (value * 100 if value is not None else None) == theirs[key]
            elif key == "change":
                assert value == (CHANGE_LABELS[StarChange(theirs[key])] if theirs[key] else None)
            else:
                assert value == theirs[key], (key, mine, theirs)


# --- stars from the database --------------------------------------------------------------------------
def test_star_preview_equals_cli_json_and_export_stores_results(qtbot, capsys, district, tmp_path, monkeypatch):
    engine, url = district
    panel = open_panel(qtbot, engine)
    assert panel.kinds == ("stars", "bonus", "funding", "ledger", "bulletin")
    choose(panel, "stars", "database")
    assert panel.request().quarter.label == Q3  # the last finished quarter by default
    computed = preview(qtbot, panel)
    assert [s.title for s in computed.sheets] == ["星级评定", "汇总"]
    assert computed.missing_metrics == ("W12",)

    data = cli_json(capsys, "--db", url, "report", "stars", "--quarter", Q3, "--json")
    stars = computed.sheets[0]
    assert stars.headers[:3] == ("排名", "工号", "姓名") and len(stars.headers) == 17
    assert_star_rows_match(stars, data["rows"])
    # by hand: N = 10 rated, quotas 5★ 1, 4★ 2, 3★ 4. W01 98 → 5★; W02 95 earns 5★, full → 4★; W03 92 → 4★;
    # W04 0.25 × (89 × 3 + 89.5) = 89.125 → 89.13 → 3★; W05–W07 3★ (quota full at W07); W08–W10 2★
    assert [(r["staff_no"], r["score"], r["star"]) for r in json_value(stars.as_dicts()[:10])] == [
        ("W01", 98, 5), ("W02", 95, 4), ("W03", 92, 4), ("W04", 89.13, 3), ("W05", 86, 3), ("W06", 83, 3),
        ("W07", 80, 3), ("W08", 77, 2), ("W09", 74, 2), ("W10", 71, 2)]
    assert stars.as_dicts()[-1]["staff_no"] == "W11" and stars.as_dicts()[-1]["note"] == "试用期"
    district_row = computed.sheets[1].rows[-2]
    assert district_row[0] == "全区" and json_value(district_row[-1]) == data["district"]["bonus_total"]
    # the table shows Excel's texts
    assert shown(panel, 0, "季度考核奖(元)") == "1,800.00"
    assert shown(panel, 0, "奖金比例") == "120.00%"
    assert shown(panel, 0, "变动") == "升" and shown(panel, 3, "变动") == "持平"  # Q2: W01 4★, W04 3★
    assert shown(panel, 1, "备注") == "名额已满，由5星降为4星"
    assert "参评 10 人" in panel.status.text() and "W12" in panel.status.text()

    # export: the workbook's sheets, the stored results, the folder button
    with Session(engine) as s:
        s.execute(sa.delete(StarRating).where(StarRating.quarter == Q3))  # what the CLI stored above
        s.commit()
    opened = []
    monkeypatch.setattr(rp, "QDesktopServices", types.SimpleNamespace(openUrl=opened.append))
    out = tmp_path / "out" / "stars.xlsx"
    out.parent.mkdir()
    assert not panel.open_folder_button.isEnabled()
    with qtbot.waitSignal(panel.exportFinished, timeout=WAIT) as blocker:
        assert panel.export_to(out)
    assert blocker.args[0].stored == 11
    wb = load_workbook(out)
    assert wb.sheetnames == ["星级评定", "汇总", "说明"]
    assert [c.value for c in wb["星级评定"][1]] == list(stars.headers)
    assert wb["星级评定"]["B2"].value == "W01" and wb["星级评定"]["P2"].value == 1800
    assert sorted(p.name for p in out.parent.iterdir()) == ["stars.xlsx"]
    with Session(engine) as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(StarRating).where(StarRating.quarter == Q3)) == 11
    assert panel.open_folder_button.isEnabled()
    panel.open_folder_button.click()
    assert [u.toLocalFile() for u in opened] == [str(out.parent)]

    # the stored quarter is now what finance and the towns can look at, and the bonus sums it
    choose(panel, "stars", "stored")
    stored = preview(qtbot, panel)
    assert_star_rows_match(stored.sheets[0], data["rows"])
    choose(panel, "bonus")
    bonus = preview(qtbot, panel)
    expected = cli_json(capsys, "--db", url, "report", "bonus", "--year", "2026", "--json")
    assert [(r["staff_no"], r["total"]) for r in json_value(bonus.sheets[0].as_dicts())] == \
        [(r["staff_no"], r["total"]) for r in expected["rows"]]
    assert json_value(bonus.sheets[0].rows[-1][-1]) == expected["total"]


def test_town_officer_sees_own_town_and_cannot_rate(qtbot, district, tmp_path):
    engine, _ = district
    with Session(engine) as s:
        town1 = town_id(s, 1)
    admin = open_panel(qtbot, engine, identity(UserRole.ADMIN, name="admin"))
    choose(admin, "stars", "database")
    preview(qtbot, admin)
    assert admin.default_file_name() == "星级评定_2026Q3.xlsx"
    with qtbot.waitSignal(admin.exportFinished, timeout=WAIT):
        admin.export_to(tmp_path / admin.default_file_name())  # rates the quarter and stores it

    officer = identity(UserRole.TOWN_OFFICER, town=town1, name="town1")
    panel = open_panel(qtbot, engine, officer)
    assert panel.kinds == ("stars", "ledger", "bulletin")  # the bulletin of their town, as the CLI's --user
    assert panel.source == "stored"
    computed = preview(qtbot, panel)
    rows = computed.sheets[0].as_dicts()
    assert {r["town"] for r in rows} == {"测试镇1"} and len(rows) == 6  # W01 W03 W05 W07 W09 W11
    assert [r["rank"] for r in rows[:3]] == [1, 3, 5]  # the district ranks stand
    summary = computed.sheets[1].rows
    assert [r[0] for r in summary] == ["测试镇1", "全区限额"]  # no district row, no other town
    with qtbot.waitSignal(panel.exportFinished, timeout=WAIT) as done:
        panel.export_to(tmp_path / "mine.xlsx")
    assert done.args[0].stored == 0
    wb = load_workbook(tmp_path / "mine.xlsx")
    assert {r[3] for r in wb["星级评定"].iter_rows(min_row=2, values_only=True)} == {"测试镇1"}
    notes = {r[0]: r[1] for r in wb["说明"].iter_rows(min_row=2, values_only=True)}
    assert notes["数据来源"] == "数据库（已保存的评定结果，仅测试镇1）"

    choose(panel, "stars", "database")
    with qtbot.waitSignal(panel.previewFailed, timeout=WAIT) as blocker:
        panel.refresh()
    assert "镇街账号不能发起" in blocker.args[0] and "镇街账号不能发起" in panel.status.text()
    assert not panel.export_button.isEnabled()


# --- the ledger ------------------------------------------------------------------------------------------
def ledger_panel(qtbot, engine, who=FINANCE) -> ReportsPanel:
    panel = open_panel(qtbot, engine, who)
    choose(panel, "ledger")
    panel.from_edit.setDate(qdate(dt.date(2026, 3, 1)))
    panel.to_edit.setDate(qdate(dt.date(2026, 4, 1)))
    return panel


def test_town_officer_sees_only_their_towns_ledger(qtbot, district, tmp_path):
    engine, _ = district
    with Session(engine) as s:
        town1 = town_id(s, 1)
        march = sa.select(sa.func.count()).select_from(Case).where(
            Case.reported_at >= dt.datetime(2026, 3, 1), Case.reported_at < dt.datetime(2026, 4, 1))
        expected = s.scalar(march.where(Case.town_id == town1))
        everything = s.scalar(march)
    assert 0 < expected < everything
    panel = ledger_panel(qtbot, engine, identity(UserRole.TOWN_OFFICER, town=town1, name="town1"))
    assert panel.town_combo.count() == 1 and not panel.town_combo.isEnabled()
    computed = preview(qtbot, panel)
    sheet = computed.sheets[0]
    assert sheet.total_rows == len(sheet.rows) == expected
    assert {r["town"] for r in sheet.as_dicts()} == {"测试镇1"}
    with qtbot.waitSignal(panel.exportFinished, timeout=WAIT):
        panel.export_to(tmp_path / "ledger.xlsx")
    ws = load_workbook(tmp_path / "ledger.xlsx")["案件台账"]
    assert ws.max_row == expected + 1 and {r[2] for r in ws.iter_rows(min_row=2, values_only=True)} == {"测试镇1"}

    finance = ledger_panel(qtbot, engine)
    assert preview(qtbot, finance).sheets[0].total_rows == everything


def test_ledger_export_splits_sheets_and_counts_like_the_cli(qtbot, capsys, district, tmp_path):
    engine, url = district
    panel = ledger_panel(qtbot, engine)
    computed = preview(qtbot, panel)
    data = cli_json(capsys, "--db", url, "report", "ledger", "--from", "2026-03-01", "--to", "2026-04-01",
                    "-o", tmp_path / "cli.xlsx", "--json")
    assert computed.sheets[0].total_rows == len(computed.sheets[0].rows) == data["rows"] == 32
    codes = [r["code"] for r in computed.sheets[0].as_dicts()]
    assert codes == [r[0] for r in load_workbook(tmp_path / "cli.xlsx")["案件台账"].iter_rows(min_row=2, values_only=True)]
    assert shown(panel, 0, "状态") in {"已结案", "已派遣", "已处置", "已核查", "已作废", "上报", "已立案", "已核实", "挂账"}
    panel.ledger_max_rows = 11  # header + 10 rows per sheet
    with qtbot.waitSignal(panel.exportFinished, timeout=WAIT) as blocker:
        panel.export_to(tmp_path / "ledger")  # .xlsx is added
    result = blocker.args[0]
    assert result.path == tmp_path / "ledger.xlsx" and result.rows == 32
    wb = load_workbook(result.path)
    assert wb.sheetnames == ["案件台账", "案件台账(2)", "案件台账(3)", "案件台账(4)", "说明"]
    assert [wb[n].max_row for n in wb.sheetnames[:4]] == [11, 11, 11, 3]
    assert "32 行" in panel.status.text()


def test_cancelling_a_ledger_export_leaves_no_file(qtbot, district, tmp_path, monkeypatch):
    engine, _ = district
    real = jobs.write_ledger_report
    started = threading.Event()

    def slow_writer(path, rows, policy, **kw):
        """The real writer, its rows held back after the fifth until the export is cancelled."""
        cancel = kw["cancel"]

        def held():
            for i, row in enumerate(rows):
                if i == 5:
                    started.set()
                    deadline = time.monotonic() + 20
                    while not cancel() and time.monotonic() < deadline:
                        time.sleep(0.01)
                yield row

        return real(path, held(), policy, **kw)

    monkeypatch.setattr(jobs, "write_ledger_report", slow_writer)
    panel = ledger_panel(qtbot, engine)
    preview(qtbot, panel)
    panel.ledger_max_rows = 3  # several sheets already written when the cancel comes
    out = tmp_path / "out"
    out.mkdir()
    assert panel.export_to(out / "ledger.xlsx")
    dialog = panel.progress_dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.waitUntil(started.is_set, timeout=WAIT)
    with qtbot.waitSignal(panel.exportCancelled, timeout=WAIT):
        dialog.findChild(QPushButton).click()
    assert list(out.iterdir()) == []
    assert panel.progress_dialog is None and "已取消" in panel.status.text()
    assert panel.export_button.isEnabled() and not panel.open_folder_button.isEnabled()


# --- funding and the bulletin ----------------------------------------------------------------------
def test_funding_preview_equals_cli_json(qtbot, capsys, district, tmp_path):
    engine, url = district
    panel = open_panel(qtbot, engine)
    choose(panel, "funding", "database")
    computed = preview(qtbot, panel)
    data = cli_json(capsys, "--db", url, "report", "funding", "--year", "2026", "--json")
    sheet = computed.sheets[0]
    assert json_value(sheet.as_dicts()) == [{**t, "tier": TIER_NAMES[t["tier"]]} for t in data["towns"]]
    assert len(sheet.rows) == 2 + 2  # two towns, 合计, 以奖代补结余
    assert json_value(sheet.rows[-2][-1]) == data["total_allocated"]
    assert json_value(sheet.rows[-1][-1]) == data["balance"]
    with qtbot.waitSignal(panel.exportFinished, timeout=WAIT):
        panel.export_to(tmp_path / "f.xlsx")
    assert load_workbook(tmp_path / "f.xlsx").sheetnames == ["经费分配", "说明"]


def test_funding_from_a_scores_file_equals_cli_json(qtbot, capsys, files_db, tmp_path):
    scores = write_sheet(tmp_path / "scores.xlsx", [["331004001", "测试镇1", None, 90], ["331004002", "测试镇2", 12, 80],
                                                    ["331004003", "测试镇3", 30, "高"]], headers=SCORES_HEADERS)
    panel = open_panel(qtbot, files_db)
    choose(panel, "funding", "files")
    assert panel.import_button.text() == "选择考核得分表…"
    with qtbot.waitSignal(panel.previewReady, timeout=WAIT) as blocker:
        panel.import_files([scores])
    computed = blocker.args[0]
    assert panel.problems_model.rowCount() == 1 and panel.problems_model.index(0, 2).data() == "D（考核得分）"
    assert computed.problems == 1 and not panel.export_button.isEnabled()
    fixed = write_sheet(tmp_path / "fixed.xlsx", [["331004001", "测试镇1", None, 90], ["331004002", "测试镇2", 12, 80]],
                        headers=SCORES_HEADERS)
    panel.clear_files()
    with qtbot.waitSignal(panel.previewReady, timeout=WAIT) as blocker:
        panel.import_files([fixed])
    computed = blocker.args[0]
    data = cli_json(capsys, "--db", files_db.url.render_as_string(hide_password=False), "report", "funding",
                    "--year", "2026", "--scores", fixed, "--json")
    assert json_value(computed.sheets[0].as_dicts()) == [{**t, "tier": TIER_NAMES[t["tier"]]} for t in data["towns"]]
    assert computed.sheets[0].as_dicts()[0]["grids"] == 2  # blank in the file: counted in the database
    assert computed.source == "fixed.xlsx" and panel.export_button.isEnabled()


def test_shift_leader_gets_ledger_and_the_bulletin_of_the_week_asked_for(qtbot, district, tmp_path):
    engine, _ = district
    leader = identity(UserRole.SHIFT_LEADER, name="leader")
    panel = open_panel(qtbot, engine, leader, initial=("bulletin", "2026-W11"))
    assert panel.kinds == ("ledger", "bulletin") and panel.kind == "bulletin"
    assert panel.week() == "2026-W11" and not panel.source_combo.isVisible()
    computed = preview(qtbot, panel)
    assert [s.title for s in computed.sheets] == ["主要指标", "镇街排名", "部门排名"]
    with Session(engine) as s:
        expected = bulletin_json(weekly_bulletin(s, leader, "2026-W11"))
    assert json_value(computed.sheets[1].as_dicts()) == [{c.key: t[c.key] for c in TOWN_COLUMNS}
                                                         for t in expected["towns"]]
    assert len(computed.sheets[1].rows) == len(expected["towns"]) == 2
    with qtbot.waitSignal(panel.exportFinished, timeout=WAIT):
        panel.export_to(tmp_path / "b.xlsx")
    assert load_workbook(tmp_path / "b.xlsx").sheetnames == ["主要指标", "镇街排名", "部门排名", "说明"]


# --- metrics sheets -------------------------------------------------------------------------------------
def metrics_rows(n: int, start: int = 1) -> list[list]:
    return [good_row(f"M{i:02d}", 姓名=f"员{i}", 基础信息录入率=100 - i, 上季星级=None if i % 3 else 4)
            for i in range(start, start + n)]


def test_merging_metrics_files_lists_duplicates_and_bad_rows(qtbot, files_db, tmp_path):
    a = write_sheet(tmp_path / "a.xlsx", metrics_rows(6))
    bad = good_row("M99", 应知应会知晓率="九十")
    b = write_sheet(tmp_path / "b.xlsx", [good_row("M03"), *metrics_rows(3, start=7), bad])
    panel = open_panel(qtbot, files_db)
    choose(panel, "stars", "files")
    assert panel.import_box.isVisible()
    with qtbot.waitSignal(panel.previewReady, timeout=WAIT):
        panel.import_files([a, b])
    problems = panel.problems_model.sheet
    assert [tuple(panel.problems_model.index(r, c).data() for c in range(4)) for r in range(2)] == [
        ("b.xlsx", "2", "A（工号）", "工号 M03 重复，已在 a.xlsx 第4行出现"),
        ("b.xlsx", "6", "H（应知应会知晓率）", "不是数字：「九十」"),
    ]
    assert problems.headers == ("文件", "行", "列", "原因")
    assert panel.good_model.rowCount() == 9 and panel.import_tabs.tabText(1) == "有效行（9）"
    assert panel.import_tabs.tabText(0) == "问题（2）" and panel.import_tabs.currentIndex() == 0
    assert panel.good_model.index(0, 5).data() == "99.00%"
    # the rating of the good rows is shown, but not exported while problems remain
    assert len(panel.computed.sheets[0].rows) == 9
    assert not panel.export_button.isEnabled() and "2 处问题" in panel.status.text()
    assert not panel.export_to(tmp_path / "x.xlsx") and not (tmp_path / "x.xlsx").exists()
    panel.clear_files()
    assert panel.good_model.rowCount() == 0 and panel.files_label.text() == "尚未导入。"


def test_metrics_files_preview_equals_cli_json_and_exports(qtbot, capsys, files_db, tmp_path):
    a = write_sheet(tmp_path / "a.xlsx", metrics_rows(6))
    rows = metrics_rows(5, start=7)
    rows[0][5] = 0.9355  # a cell formatted as a percentage: 93.55
    b = write_sheet(tmp_path / "b.xlsx", rows, formats={"F2": "0.00%"})
    panel = open_panel(qtbot, files_db)
    choose(panel, "stars", "files")
    with qtbot.waitSignal(panel.previewReady, timeout=WAIT) as blocker:
        panel.import_files([a])
    with qtbot.waitSignal(panel.previewReady, timeout=WAIT) as blocker:
        panel.import_files([b])  # added to the first file, merged
    computed = blocker.args[0]
    data = cli_json(capsys, "report", "stars", "--quarter", Q3, "--metrics", a, b, "--json")
    assert_star_rows_match(computed.sheets[0], data["rows"])
    assert computed.source == "a.xlsx、b.xlsx"
    out = tmp_path / "a.xlsx"
    assert not panel.export_to(out) and "不能覆盖输入文件" in panel.status.text()
    with qtbot.waitSignal(panel.exportFinished, timeout=WAIT) as done:
        panel.export_to(tmp_path / "stars.xlsx")
    assert done.args[0].stored == 0  # a rating from files is not stored
    notes = {r[0]: r[1] for r in load_workbook(tmp_path / "stars.xlsx")["说明"].iter_rows(min_row=2, values_only=True)}
    assert notes["数据来源"] == "a.xlsx、b.xlsx"


def test_town_officer_may_check_a_metrics_sheet_but_not_rate_it(qtbot, files_db, tmp_path):
    with Session(files_db) as s:
        town1 = town_id(s, 1)
    a = write_sheet(tmp_path / "a.xlsx", metrics_rows(3))
    panel = open_panel(qtbot, files_db, identity(UserRole.TOWN_OFFICER, town=town1, name="town1"))
    choose(panel, "stars", "files")
    with qtbot.waitSignal(panel.previewFailed, timeout=WAIT) as blocker:
        panel.import_files([a])
    assert "镇街账号不能发起" in blocker.args[0]
    assert panel.good_model.rowCount() == 3


def test_no_reports_for_other_roles(qtbot, files_db):
    panel = open_panel(qtbot, files_db, identity(UserRole.DISPATCHER, name="d"))
    assert panel.kinds == () and not panel.export_button.isEnabled()
    assert "没有可用的报表" in panel.status.text()
