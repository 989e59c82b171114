"""The English translation (Qt Linguist): up to date, complete, loaded, shown.

Chinese is the source language; resources/i18n/griddesk_en.ts holds every
`self.tr()` / `QCoreApplication.translate()` string of desktop/ and widgets/
with its English text, and griddesk_en.qm is built from it. The first test runs
lupdate over the sources into a copy of the committed .ts and fails when a
source string is missing from it, a message in it is obsolete, a translation is
unfinished or empty, or the .qm is older than the .ts. To fix:
`python resources/i18n/update.py`, translate what it lists, run it again.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

pytest.importorskip("PySide6.QtWidgets")
from PySide6.QtCore import QCoreApplication, QSettings, QTranslator  # noqa: E402

from resources.i18n import update  # noqa: E402

PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def test_committed_translation_is_up_to_date_and_complete():
    problems = update.check()
    assert not problems, ("\n".join(problems) + "\n\nrun `python resources/i18n/update.py`, translate the messages "
                          "it lists, and run it again")


def test_every_message_keeps_its_placeholders_and_lines():
    messages = update.read_ts(update.TS)
    assert len(messages) > 50
    for m in messages:
        assert sorted(PLACEHOLDER.findall(m.source)) == sorted(PLACEHOLDER.findall(m.translation)), m
        assert m.source.count("\n") == m.translation.count("\n"), m
        assert not re.search(r"[\u4e00-\u9fff]", m.translation), f"Chinese left in the English text: {m}"


# --- the checker itself fails when it should ---------------------------------------------------------------


def _project(root: Path, strings: list[str]) -> None:
    for d in update.SOURCE_DIRS:
        (root / d).mkdir(parents=True, exist_ok=True)
    calls = "\n".join(f"        self.tr({s!r})" for s in strings)
    (root / "desktop" / "panel.py").write_text(
        "from PySide6.QtWidgets import QWidget\n\n\nclass Panel(QWidget):\n    def build(self):\n" + calls + "\n",
        encoding="utf-8")


def _translate_all(ts: Path) -> None:
    tree = ET.parse(ts)
    for m in tree.getroot().iter("message"):
        tr = m.find("translation")
        tr.text = "EN " + (m.findtext("source") or "")
        tr.attrib.pop("type", None)
    tree.write(ts, encoding="utf-8", xml_declaration=True)


def test_the_check_fails_on_missing_obsolete_unfinished_and_stale(tmp_path):
    root = tmp_path / "proj"
    ts, qm = root / "t_en.ts", root / "t_en.qm"
    _project(root, ["案件队列", "考核指标"])
    update.lupdate(ts, root=root)
    assert {m.state for m in update.read_ts(ts)} == {"unfinished"}
    assert any("not translated" in p for p in update.check(ts, qm, root))
    _translate_all(ts)
    update.lrelease(ts, qm)
    assert update.check(ts, qm, root) == []

    _project(root, ["案件队列", "考核指标", "视频监控"])  # a new string in the source
    assert [p for p in update.check(ts, qm, root) if "missing" in p] == [
        f"missing from {ts.name}: [Panel] '视频监控'"]
    _project(root, ["案件队列"])  # a string removed from the source
    assert [p for p in update.check(ts, qm, root) if "obsolete" in p] == [
        f"obsolete in {ts.name}: [Panel] '考核指标'"]

    _project(root, ["案件队列", "考核指标"])
    good = ts.read_text(encoding="utf-8")
    ts.write_text(good.replace(">EN 案件队列<", "><"), encoding="utf-8")  # an empty translation
    assert any("not translated" in p and "案件队列" in p for p in update.check(ts, qm, root))
    ts.write_text(good.replace(">EN 案件队列<", ">Case queue<"), encoding="utf-8")  # changed, .qm not rebuilt
    assert any("older than" in p for p in update.check(ts, qm, root))
    update.lrelease(ts, qm)
    assert update.check(ts, qm, root) == []


def test_update_script_keeps_existing_translations(tmp_path):
    root = tmp_path / "proj"
    ts = root / "t_en.ts"
    _project(root, ["案件队列"])
    update.lupdate(ts, root=root)
    _translate_all(ts)
    _project(root, ["案件队列", "视频监控"])
    update.lupdate(ts, root=root)
    states = {m.source: (m.state, m.translation) for m in update.read_ts(ts)}
    assert states == {"案件队列": ("", "EN 案件队列"), "视频监控": ("unfinished", "")}


# --- loading it ----------------------------------------------------------------------------------------------


def test_qm_translates_known_strings(qapp):
    from desktop.app import qm_path

    translator = QTranslator()
    assert translator.load(qm_path("en"))
    assert translator.translate("MainWindow", "案件队列") == "Case Queue"
    assert translator.translate("Actions", "受理新案件…") == "New Case…"
    assert translator.translate("CaseController", "数据库连接中断") == "Database Connection Lost"
    assert translator.translate("MainWindow", "没有这句话") == ""  # not a message: no translation


def test_window_in_english_shows_english_docks_and_menus(qtbot, qapp, tmp_path):
    from sqlalchemy.orm import Session

    from desktop.app import install_language
    from desktop.main_window import MainWindow
    from desktop.settings import Settings
    from models.enums import Level, UserRole
    from models.lifecycle import Action, Params
    from models.lifecycle.service import CaseService
    from tests.factories import dept_id, grid_centre, identity, make_db
    from widgets import labels

    engine = make_db(f"sqlite:///{tmp_path / 'en.sqlite'}")
    leader = identity(UserRole.SHIFT_LEADER)
    with Session(engine) as s:  # a case dispatched today, so every dashboard chart has a row
        lon, lat = grid_centre(0)
        svc = CaseService(s, leader)
        case = svc.report(minor_code="1101", lon=lon, lat=lat, description="测试")
        svc.act(case.id, case.version, Action.FILE, Params())
        svc.act(case.id, case.version, Action.DISPATCH, Params(department_id=dept_id(s), level=Level.VILLAGE))
        s.commit()
        case_id = case.id
    settings = Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    install_language(qapp, "en")
    try:
        assert QCoreApplication.translate("MainWindow", "案件队列") == "Case Queue"
        w = MainWindow(engine, leader, settings, layout="office", language="en")
        qtbot.addWidget(w)
        w.show_for_layout()
        assert {k: d.windowTitle() for k, d in w.docks.items() if k in ("queue", "detail", "kpi", "video")} == {
            "queue": "Case Queue", "detail": "Case Detail", "kpi": "Performance Indicators", "video": "Video"}
        assert [a.text().replace("&", "") for a in w.menuBar().actions()] == ["File", "Cases", "View", "Reports",
                                                                            "Help"]
        texts = {k: a.text() for k, a in w.actions_by_id.items()}
        assert texts["case.new"] == "New Case…" and texts["report.panel"] == "Reports and Exports…"
        assert texts["app.quit"] == "Quit" and texts["view.lang.en"] == "English"
        assert w.windowTitle() == "GridDesk Grid Governance Command Centre"
        assert labels.language() == "en"  # the widgets' domain texts follow
        w.open_case(case_id)
        assert set(w.detail.action_buttons()) >= {"feedback", "extend"}
        assert w.detail.action_buttons()["extend"].text() == "Extend"
        w.close()
    finally:
        install_language(qapp, "zh")
        engine.dispose()
    assert QCoreApplication.translate("MainWindow", "案件队列") == "案件队列"
    assert labels.language() == "zh"


def test_update_script_check_mode_runs(capsys):
    """`update.py --check` reports up to date for the committed files (what CI or a pre-commit hook runs)."""
    assert update.main(["--check"]) == 0
    assert "up to date" in capsys.readouterr().out
