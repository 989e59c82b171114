"""The intake dialog on a real dictionary and district (SQLite and PostgreSQL).

The callables are what the shell passes in: grid lookup and duplicate search
through `CaseService`, each in its own Session.
"""

from __future__ import annotations

import math

import pytest

pytest.importorskip("PySide6.QtWidgets")
import sqlalchemy as sa
from PySide6.QtCore import Qt
from sqlalchemy.orm import Session

from models.enums import CaseSource, CaseStatus, UserRole
from models.lifecycle import Action
from models.lifecycle.service import CaseService
from models.schema import Case, DictionaryVersion, Grid, MajorClass, MinorClass
from tests.factories import LAT0, LON0, STEP, grid_centre, make_db
from tests.widgets.test_case_detail import MON, Clock, new_case, who
from widgets.intake_dialog import (ClassOption, IntakeDialog, filter_classes, location_problem, parse_coordinate,
                                   split_pair, valid_phone)

R = UserRole


@pytest.fixture
def engine(db_url):
    e = make_db(db_url)
    yield e
    e.dispose()
M_PER_DEG_LAT = 6_371_008.8 * math.pi / 180.0


def north(point: tuple[float, float], metres: float) -> tuple[float, float]:
    return point[0], point[1] + metres / M_PER_DEG_LAT


def class_options(engine) -> list[ClassOption]:
    """What the shell builds from the active dictionary."""
    with Session(engine) as s:
        rows = s.execute(
            sa.select(MinorClass.code, MinorClass.name, MajorClass.name, MinorClass.kind, MinorClass.time_limit,
                      MinorClass.time_unit, MinorClass.filing_condition)
            .join(MajorClass, MinorClass.major_id == MajorClass.id)
            .join(DictionaryVersion, MinorClass.version_id == DictionaryVersion.id)
            .where(DictionaryVersion.active.is_(True)).order_by(MinorClass.code)).all()
    return [ClassOption(c, n, m, k.value, t, u.value, f) for c, n, m, k, t, u, f in rows]


def district_bbox(engine) -> tuple[float, float, float, float]:
    with Session(engine) as s:
        return tuple(s.execute(sa.select(sa.func.min(Grid.min_lon), sa.func.min(Grid.min_lat),
                                         sa.func.max(Grid.max_lon), sa.func.max(Grid.max_lat))).one())


def callables(engine, role: UserRole, clock):
    calls = {"locate": 0, "duplicates": 0}

    def locate(lon, lat):
        calls["locate"] += 1
        with Session(engine) as s:
            g = CaseService(s, who(s, role), clock=clock).locate_grid(lon, lat)
            return (g.code, g.name, g.town.name) if g is not None else None

    def duplicates(code, lon, lat):
        calls["duplicates"] += 1
        with Session(engine) as s:
            svc = CaseService(s, who(s, role), clock=clock)
            return svc.duplicates(svc.minor_class(code).id, lon, lat)

    return locate, duplicates, calls


@pytest.fixture
def intake(qtbot):
    def make(engine, clock, role=R.DUTY_OFFICER, bbox=None, **kw) -> IntakeDialog:
        locate, duplicates, calls = callables(engine, role, clock)
        dlg = IntakeDialog(class_options(engine), bbox=bbox or district_bbox(engine), locate=locate,
                           duplicates=duplicates, **kw)
        dlg.calls = calls
        qtbot.addWidget(dlg)
        return dlg
    return make


# --- pure ---------------------------------------------------------------------------


OPTS = [ClassOption("1102", "暴露垃圾", "市容环境", "event"),
        ClassOption("0302", "垃圾箱", "市容环卫设施", "component"),
        ClassOption("2301", "消防隐患", "安全隐患巡查", "comprehensive")]


def test_class_search_is_substring_over_code_name_major_and_kind():
    assert [o.code for o in filter_classes(OPTS, "垃圾")] == ["1102", "0302"]
    assert [o.code for o in filter_classes(OPTS, "1102")] == ["1102"]
    assert [o.code for o in filter_classes(OPTS, "30")] == ["0302", "2301"]
    assert [o.code for o in filter_classes(OPTS, "市容")] == ["1102", "0302"]
    assert [o.code for o in filter_classes(OPTS, "部件")] == ["0302"]
    assert [o.code for o in filter_classes(OPTS, "COMPONENT")] == ["0302"]
    assert [o.code for o in filter_classes(OPTS, "垃圾 事件")] == ["1102"]  # every word must match
    assert [o.code for o in filter_classes(OPTS, "全科")] == ["2301"]
    assert filter_classes(OPTS, "laji") == []  # no pinyin
    assert len(filter_classes(OPTS, "  ")) == 3


def test_phone_and_coordinate_checks():
    for ok in ("", "13800000000", "138 0000 0000", "+8613800000000", "0576-82345678", "057682345678",
               "0576-8123456", "82345678", "0576-82345678-123"):
        assert valid_phone(ok), ok
    for bad in ("1380000000", "0576-12345678", "12800000000", "abc", "0576-123", "138000000001", "110"):
        assert not valid_phone(bad), bad
    assert parse_coordinate(" 121.5 ") == 121.5 and parse_coordinate("x") is None
    assert parse_coordinate("nan") is None and parse_coordinate("inf") is None
    assert split_pair("121.3, 28.5") == (121.3, 28.5) and split_pair("121.3") is None
    bbox = (121.0, 28.0, 122.0, 29.0)
    assert location_problem(121.5, 28.5, bbox) is None
    assert "不在本区范围内" in location_problem(120.5, 28.5, bbox)
    assert location_problem(None, 28.5, bbox) == "请填写有效的经纬度"


# --- with the database ----------------------------------------------------------------------


def test_finds_the_grid_and_shows_near_duplicates_of_the_same_class_only(engine, intake, qtbot):
    clock = Clock(MON)
    q = grid_centre(0)
    near = new_case(engine, clock, "1102", north(q, 30), "同一处垃圾")
    other = new_case(engine, clock, "1103", north(q, 5), "另一类")  # another class, very near
    new_case(engine, clock, "1102", north(q, -80), "八十米外")  # same class, 80 m away
    dlg = intake(engine, clock)
    dlg.show()
    assert not dlg.save_button.isEnabled()
    assert "请选择案件类别" in dlg.message.text() and "请填写有效的经纬度" in dlg.message.text()
    dlg.search_edit.setText("暴露")
    assert [o.code for o in dlg.shown_classes()] == ["1102"]
    assert dlg.selected_class().code == "1102"  # the only match is picked
    assert "4 工作时" in dlg.rule_label.text() and "立案条件" in dlg.rule_label.text()
    dlg.set_location(*q)  # as from a map click
    assert dlg.grid() == ("331004001001001", "网格1-1", "测试镇1")
    assert "331004001001001" in dlg.grid_label.text()
    rows = dlg.duplicate_rows()
    assert [r.case_id for r in rows] == [near]
    assert dlg.dup_table.rowCount() == 1 and dlg.dup_table.item(0, 1).text() == "30 m"
    assert dlg.dup_table.isVisibleTo(dlg) and dlg.mark_duplicate_check.isEnabled()
    # switching the class switches the suggestions
    dlg.search_edit.setText("1103")
    assert dlg.selected_class().code == "1103"
    assert [r.case_id for r in dlg.duplicate_rows()] == [other]
    dlg.search_edit.setText("1201")
    assert dlg.duplicate_rows() == [] and dlg.dup_empty.isVisibleTo(dlg)
    assert not dlg.mark_duplicate_check.isEnabled()


def test_typed_coordinates_are_checked_against_the_district(engine, intake, qtbot):
    clock = Clock(MON)
    bbox = (LON0 - STEP, LAT0 - STEP, LON0 + 5 * STEP, LAT0 + 2 * STEP)  # larger than the grids
    dlg = intake(engine, clock, bbox=bbox)
    dlg.show()
    dlg.select_class("1102")
    dlg.description_edit.setPlainText("暴露垃圾")
    # outside the district's box: refused, nothing looked up
    qtbot.keyClicks(dlg.lon_edit, "121.20")
    qtbot.keyClicks(dlg.lat_edit, "28.505")
    dlg.refresh_location()
    assert "坐标不在本区范围内" in dlg.message.text() and not dlg.save_button.isEnabled()
    assert dlg.calls["locate"] == 0 and dlg.grid() is None
    # inside the box but in no grid
    dlg.lon_edit.clear()
    qtbot.keyClicks(dlg.lon_edit, f"{LON0 - STEP / 2:.4f}")
    qtbot.waitUntil(lambda: dlg.grid_label.text() == "该位置不在任何网格内", timeout=3000)
    assert "该位置不在任何网格内" in dlg.message.text() and not dlg.save_button.isEnabled()
    # typed inside town 2: found after the typing pause, without an explicit refresh
    lon = grid_centre(3)[0]
    dlg.lon_edit.clear()
    qtbot.keyClicks(dlg.lon_edit, f"{lon:.6f}")
    qtbot.waitUntil(lambda: dlg.grid() is not None, timeout=3000)
    assert dlg.grid() == ("331004002001002", "网格2-2", "测试镇2")
    assert dlg.save_button.isEnabled(), dlg.message.text()
    # "lon, lat" pasted into the longitude field fills both; typed and confirmed with Enter, too
    dlg.lon_edit.clear()
    qtbot.keyClicks(dlg.lon_edit, f"{grid_centre(0)[0]:.5f}, {grid_centre(0)[1]:.5f}")
    assert "," in dlg.lon_edit.text()  # not split while typing
    qtbot.keyClick(dlg.lon_edit, Qt.Key.Key_Return)
    assert dlg.location() == pytest.approx(grid_centre(0))
    qtbot.waitUntil(lambda: dlg.grid() is not None and dlg.grid()[0] == "331004001001001", timeout=3000)
    dlg.lon_edit.selectAll()
    dlg.lon_edit.insert(f"{grid_centre(1)[0]:.5f}, {grid_centre(1)[1]:.5f}")  # as a paste does
    assert dlg.location() == pytest.approx(grid_centre(1))
    qtbot.waitUntil(lambda: dlg.grid() is not None and dlg.grid()[0] == "331004001001002", timeout=3000)


def test_creates_the_case(engine, intake, qtbot):
    clock = Clock(MON)
    dlg = intake(engine, clock)
    dlg.show()
    dlg.search_edit.setText("私搭")
    dlg.set_location(*grid_centre(1))
    dlg.description_edit.setPlainText("院内新建彩钢棚")
    dlg.address_edit.setText("测试路 1 号")
    dlg.source_combo.setCurrentIndex(dlg.source_combo.findData("public"))
    dlg.reporter_edit.setText("李某")
    dlg.phone_edit.setText("13812")
    assert not dlg.save_button.isEnabled() and "电话格式不正确" in dlg.message.text()
    dlg.phone_edit.setText("0576-82345678")
    assert dlg.save_button.isEnabled(), dlg.message.text()
    assert not dlg.self_handled_check.isVisibleTo(dlg)  # a duty officer may not self-handle
    dlg.save_button.click()
    assert dlg.result() == dlg.DialogCode.Accepted
    data = dlg.result_data()
    assert data.minor_code == "1101" and data.source is CaseSource.PUBLIC and data.grid_code == "331004001001002"
    assert data.duplicate_params() is None
    with Session(engine) as s:
        case = CaseService(s, who(s, R.DUTY_OFFICER, "hotline01"), clock=clock).report(**data.report_kwargs())
        s.commit()
        assert case.status is CaseStatus.REPORTED and case.grid.code == "331004001001002"
        assert (case.description, case.address, case.reporter_name, case.reporter_phone) == (
            "院内新建彩钢棚", "测试路 1 号", "李某", "0576-82345678")
        assert case.minor_class.code == "1101" and case.source is CaseSource.PUBLIC


def test_mark_as_duplicate_of_the_selected(engine, intake):
    clock = Clock(MON)
    q = grid_centre(2)
    first = new_case(engine, clock, "1102", q, "垃圾")
    dlg = intake(engine, clock)
    dlg.select_class("1102")
    dlg.set_location(*north(q, 20))
    dlg.description_edit.setPlainText("同一处垃圾, 再次来电")
    dlg.mark_duplicate_check.setChecked(True)
    dlg.dup_table.clearSelection()
    assert "请选择要标记的原案件" in dlg.message.text() and not dlg.save_button.isEnabled()
    dlg.dup_table.selectRow(0)
    assert dlg.save_button.isEnabled()
    data = dlg.result_data()
    assert data.duplicate_of_id == first
    with Session(engine) as s:
        svc = CaseService(s, who(s, R.DUTY_OFFICER, "hotline01"), clock=clock)
        case = svc.report(**data.report_kwargs())
        svc.act(case.id, case.version, Action.MARK_DUPLICATE, data.duplicate_params())
        s.commit()
        assert case.status is CaseStatus.VOIDED and case.duplicate_of_id == first
        assert s.get(Case, first).status is CaseStatus.REPORTED


def test_grid_worker_self_handles(engine, intake):
    clock = Clock(MON)
    dlg = intake(engine, clock, role=R.GRID_WORKER, allow_self_handled=True, default_source=CaseSource.GRID_WORKER)
    dlg.show()
    dlg.select_class("1201")
    dlg.set_location(*grid_centre(0))
    dlg.description_edit.setPlainText("小广告已清除")
    assert dlg.self_handled_check.isVisible()
    dlg.self_handled_check.setChecked(True)
    assert not dlg.dup_box.isEnabled()
    data = dlg.result_data()
    assert data.self_handled and data.source is CaseSource.GRID_WORKER
    with Session(engine) as s:
        case = CaseService(s, who(s, R.GRID_WORKER, "gw01"), clock=clock).report(**data.report_kwargs())
        assert case.status is CaseStatus.CLOSED and case.self_handled


def test_search_keeps_the_selection_when_still_shown(engine, intake):
    clock = Clock(MON)
    dlg = intake(engine, clock)
    dlg.search_edit.setText("垃圾")
    assert len(dlg.shown_classes()) > 1 and dlg.selected_class() is None
    assert dlg.select_class("1102")
    dlg.search_edit.setText("暴露垃圾")
    assert dlg.selected_class().code == "1102"
    dlg.search_edit.setText("消防")
    assert dlg.selected_class() is None or dlg.selected_class().code != "1102"
    item = dlg.class_table.item(0, 0)
    assert item is not None and item.flags() & Qt.ItemFlag.ItemIsSelectable
