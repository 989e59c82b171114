"""`griddesk import grids|staff|dictionary` end to end, on SQLite files and PostgreSQL.

A failed import must leave the database exactly as it was: every table's row
count and content hash are compared before and after.
"""

from __future__ import annotations

import json
import sys
import types

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from desktop.cli import build_parser, main
from models.schema import AuditLog, DictionaryVersion, Grid, Staff
from tests.factories import LAT0, LON0, STEP, square
from tests.models.import_helpers import populated_db, snapshot, write_xlsx

STAFF_HEADERS = ["工号", "姓名", "角色", "网格编码", "入职日期", "手机号"]
DICT_HEADERS = ["大类编码", "大类名称", "小类编码", "小类名称", "类型", "立案条件", "处置时限", "时限单位", "结案条件",
                "责任部门", "处置层级"]


@pytest.fixture
def db(db_url):
    engine = populated_db(db_url)
    yield db_url, engine
    engine.dispose()


def cli(url, *argv):
    return main(["--db", url, "import", *argv])


def grid_feature(code, ix, iy, **props):
    x0, y0 = LON0 + ix * STEP, LAT0 + iy * STEP
    ring = [[x0, y0], [x0 + STEP, y0], [x0 + STEP, y0 + STEP], [x0, y0 + STEP], [x0, y0]]
    properties = {"code": code, "name": f"网格{code[-3:]}", "town": "新镇", "village": "新村", "households": 100}
    properties.update(props)
    return {"type": "Feature", "properties": properties, "geometry": {"type": "Polygon", "coordinates": [ring]}}


def write_geojson(path, *features):
    path.write_text(json.dumps({"type": "FeatureCollection", "features": list(features)}, ensure_ascii=False),
                    encoding="utf-8")
    return path


def test_help_texts_are_bilingual(capsys):
    for argv in (["import", "--help"], ["import", "grids", "--help"], ["import", "staff", "--help"],
                 ["import", "dictionary", "--help"]):
        with pytest.raises(SystemExit) as stop:
            main(argv)
        assert stop.value.code == 0
        out = capsys.readouterr().out
        assert "导入" in out and "import" in out.lower()
    with pytest.raises(SystemExit):
        main(["import", "grids", "--help"])
    out = capsys.readouterr().out
    assert "--dry-run" in out and "FILE.geojson" in out


def test_good_imports_commit_and_print_counts(db, tmp_path, capsys):
    url, engine = db
    geo = write_geojson(tmp_path / "g.geojson", grid_feature("331004003001001", 0, 2),
                        grid_feature("331004003001002", 1, 2))
    assert cli(url, "grids", str(geo)) == 0
    assert "inserted 2" in capsys.readouterr().out
    staff = write_xlsx(tmp_path / "s.xlsx", STAFF_HEADERS, [
        ["A1", "张三", "网格长", "331004003001001", "2024-01-31", "13800000000"],
        ["A2", "李四", "专职网格员", "331004003001002", "2024-02-29", None]])
    assert cli(url, "staff", str(staff)) == 0
    assert "inserted 2" in capsys.readouterr().out
    dictionary = write_xlsx(tmp_path / "规则2025.xlsx", DICT_HEADERS, [
        ["11", "市容环境", "1102", "暴露垃圾", "事件", "", 4, "工作时", "", "D01", "村社"]])
    assert cli(url, "dictionary", str(dictionary)) == 0
    assert "规则2025" in capsys.readouterr().out
    with Session(engine) as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Grid).where(Grid.code.like("331004003%"))) == 2
        assert s.get(Staff, s.scalar(sa.select(Staff.id).where(Staff.staff_no == "A1"))).town.code == "331004003"
        active = s.scalar(sa.select(DictionaryVersion).where(DictionaryVersion.active.is_(True)))
        assert active.name == "规则2025"
        assert set(s.scalars(sa.select(AuditLog.actor).where(AuditLog.entity.in_(["grid", "staff"])))) >= {"import"}


def _bad_grids(tmp_path):
    bow = grid_feature("331004003001003", 3, 2)
    x, y = LON0 + 3 * STEP, LAT0 + 2 * STEP
    bow["geometry"]["coordinates"] = [[[x, y], [x + STEP, y + STEP], [x + STEP, y], [x, y + STEP], [x, y]]]
    over = grid_feature("331004003001004", 0, 0)  # on top of an existing grid
    return write_geojson(tmp_path / "bad.geojson",
                         grid_feature("331004003001001", 0, 2),
                         grid_feature("331004003001001", 1, 2),  # duplicate code
                         bow, over,
                         grid_feature("33100400300", 4, 2))  # bad code


def _bad_staff(tmp_path):
    return write_xlsx(tmp_path / "bad.xlsx", STAFF_HEADERS, [
        ["A1", "张三", "网格长", "331004001001001", "2024-01-31", "13800000000"],
        ["A1", "李四", "网格长", "331004001001001", "2024-13-01", "12345"],
        ["A3", None, "队长", "331004009009009", "2099-01-01", None]])


def _bad_dictionary(tmp_path):
    return write_xlsx(tmp_path / "bad.xlsx", DICT_HEADERS, [
        ["11", "市容环境", "1102", "暴露垃圾", "事件", "", 4, "工作时", "", "D01", "村社"],
        ["11", "市容", "1202", "乱堆物料", "事件", "", 0, "小时", "", "不存在的局", "社区"],
        ["11", "市容环境", "1102", "重复", "事件", "", 4, "工作时", "", "D01", "村社"]])


BAD = {
    "grids": (_bad_grids, [], {
        "要素 / feature 1 [code]": "duplicate_code", "要素 / feature 2 [geometry]": "self_intersection",
        "要素 / feature 3 [geometry]": "overlaps_existing", "要素 / feature 4 [code]": "bad_code"}),
    "staff": (_bad_staff, [], {
        "第 3 行 / row 3 [工号]": "duplicate_in_file", "第 3 行 / row 3 [入职日期]": "bad_date",
        "第 3 行 / row 3 [手机号]": "bad_phone", "第 3 行 / row 3 [角色]": "team_role_taken",
        "第 4 行 / row 4 [姓名]": "blank", "第 4 行 / row 4 [角色]": "unknown_role",
        "第 4 行 / row 4 [网格编码]": "unknown_grid", "第 4 行 / row 4 [入职日期]": "future_date"}),
    "dictionary": (_bad_dictionary, ["--name", "坏字典"], {
        "第 3 行 / row 3 [大类名称]": "major_name_conflict", "第 3 行 / row 3 [小类编码]": "minor_outside_major",
        "第 3 行 / row 3 [处置时限]": "not_positive", "第 3 行 / row 3 [时限单位]": "unknown_unit",
        "第 3 行 / row 3 [责任部门]": "unknown_department", "第 3 行 / row 3 [处置层级]": "unknown_level",
        "第 4 行 / row 4 [小类编码]": "duplicate_in_file"}),
}


@pytest.mark.parametrize("kind", list(BAD))
@pytest.mark.parametrize("dry_run", [False, True], ids=["import", "dry-run"])
def test_failed_import_changes_nothing_and_lists_every_problem(db, tmp_path, capsys, kind, dry_run):
    url, engine = db
    make, extra, expected = BAD[kind]
    path = make(tmp_path)
    before = snapshot(engine)
    argv = [kind, str(path), *extra] + (["--dry-run"] if dry_run else [])
    assert cli(url, *argv) == 1
    err = capsys.readouterr().err
    assert "nothing changed" in err
    lines = [line.strip() for line in err.splitlines()[1:]]
    assert len(lines) == len(expected), err
    for where, reason in expected.items():
        assert any(line.startswith(where + ":") and line.endswith(f"({reason})") for line in lines), (where, err)
    assert snapshot(engine) == before


@pytest.mark.parametrize("kind", ["grids", "staff", "dictionary"])
def test_error_after_writing_rolls_everything_back(db, tmp_path, monkeypatch, kind):
    """An unexpected failure after the importer has flushed rows leaves no trace either."""
    url, engine = db
    import models.importers.dictionary as dictionary_module
    import models.importers.grids as grids_module
    import models.importers.staff as staff_module

    module, name, path = {
        "grids": (grids_module, "import_grids",
                  write_geojson(tmp_path / "g.geojson", grid_feature("331004003001001", 0, 2))),
        "staff": (staff_module, "import_staff", write_xlsx(tmp_path / "s.xlsx", STAFF_HEADERS, [
            ["A1", "张三", "网格长", "331004001001001", "2024-01-31", None]])),
        "dictionary": (dictionary_module, "import_dictionary", write_xlsx(tmp_path / "d.xlsx", DICT_HEADERS, [
            ["11", "市容环境", "1102", "暴露垃圾", "事件", "", 4, "工作时", "", "D01", "村社"]])),
    }[kind]
    real = getattr(module, name)
    audit_rows_seen = []

    def write_then_fail(session, *args, **kw):
        real(session, *args, **kw)
        audit_rows_seen.append(session.scalar(sa.select(sa.func.count()).select_from(AuditLog)))
        raise RuntimeError("disk full")

    monkeypatch.setattr(module, name, write_then_fail)
    before = snapshot(engine)
    with pytest.raises(RuntimeError, match="disk full"):
        cli(url, kind, str(path))
    assert audit_rows_seen[0] > before["audit_log"][0]  # the importer did write inside the transaction
    assert snapshot(engine) == before


def test_dry_run_reports_counts_and_the_snapshot_sees_real_imports(db, tmp_path, capsys):
    url, engine = db
    path = write_geojson(tmp_path / "g.geojson", grid_feature("331004003001001", 0, 2),
                         {"type": "Feature", "geometry": square(0),
                          "properties": {"code": "331004001001001", "name": "网格1-1", "town": "测试镇1",
                                         "village": "测试村1", "households": 999}})
    before = snapshot(engine)
    assert cli(url, "grids", str(path), "--dry-run") == 0
    out = capsys.readouterr().out
    assert "dry run" in out and "inserted 1" in out and "updated 1" in out
    assert snapshot(engine) == before
    staff = write_xlsx(tmp_path / "s.xlsx", STAFF_HEADERS,
                       [["A1", "张三", "网格长", "331004001001001", "2024-01-31", None]])
    assert cli(url, "staff", str(staff), "--dry-run") == 0
    assert "inserted 1" in capsys.readouterr().out
    dictionary = write_xlsx(tmp_path / "d.xlsx", DICT_HEADERS, [
        ["11", "市容环境", "1102", "暴露垃圾", "事件", "", 4, "工作时", "", "D01", "村社"]])
    assert cli(url, "dictionary", str(dictionary), "--dry-run") == 0
    assert "dry run" in capsys.readouterr().out
    assert snapshot(engine) == before
    assert cli(url, "grids", str(path)) == 0
    after = snapshot(engine)
    changed = {t for t in before if before[t] != after[t]}
    assert {"grid", "town", "village", "audit_log"} <= changed


def test_file_problems(db, tmp_path, capsys):
    url, engine = db
    before = snapshot(engine)
    gbk = tmp_path / "gbk.geojson"
    gbk.write_bytes(json.dumps({"type": "FeatureCollection", "features": [grid_feature("331004003001001", 0, 2)]},
                               ensure_ascii=False).encode("gbk"))
    assert cli(url, "grids", str(gbk)) == 1
    assert "(not_utf8)" in capsys.readouterr().err
    broken = tmp_path / "broken.geojson"
    broken.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    assert cli(url, "grids", str(broken)) == 1
    assert "(bad_json)" in capsys.readouterr().err
    notxlsx = tmp_path / "staff.xlsx"
    notxlsx.write_text("工号,姓名\n", encoding="utf-8")
    assert cli(url, "staff", str(notxlsx)) == 1
    assert "文件 / file: " in capsys.readouterr().err
    old = tmp_path / "staff.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    assert cli(url, "staff", str(old)) == 1
    assert "(legacy_xls)" in capsys.readouterr().err
    missing = write_xlsx(tmp_path / "m.xlsx", STAFF_HEADERS[:2], [["A1", "张三"]])
    assert cli(url, "staff", str(missing)) == 1
    err = capsys.readouterr().err
    assert "第 1 行 / row 1 [角色]" in err and "(missing_header)" in err and "(blank)" not in err
    assert cli(url, "grids", str(tmp_path / "nope.geojson")) == 1
    assert "cannot read" in capsys.readouterr().err
    assert snapshot(engine) == before


def test_incidents_subcommand_plugs_in(monkeypatch):
    fake = types.ModuleType("desktop.cli_import_incidents")

    def register(import_subparsers):
        p = import_subparsers.add_parser("incidents", help="事件台账 / incident ledger")
        p.set_defaults(func=lambda args: 7)

    fake.register = register
    monkeypatch.setitem(sys.modules, "desktop.cli_import_incidents", fake)
    args = build_parser().parse_args(["import", "incidents"])
    assert args.func(args) == 7
