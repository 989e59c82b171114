"""Dictionary import (major/minor classes with rule rows) on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from models.defaults import dictionary as dd
from models.enums import ClassKind, Level, TimeUnit
from models.importers.common import ImportFailed
from models.importers.dictionary import DICTIONARY_COLUMNS, import_dictionary
from models.schema import Department, DictionaryVersion, MajorClass, MinorClass
from tests.models.import_helpers import import_file, populated_db, reasons, snapshot, write_xlsx

TODAY = dt.date(2025, 6, 30)
HEADERS = ["大类编码", "大类名称", "小类编码", "小类名称", "类型", "立案条件", "处置时限", "时限单位", "结案条件",
           "责任部门", "处置层级"]
KIND_TEXT = {ClassKind.COMPONENT: "部件", ClassKind.EVENT: "事件", ClassKind.COMPREHENSIVE: "全科"}
UNIT_TEXT = {"U": "紧急工作时", "H": "工作时", "D": "工作日", "C": "自然日"}
LEVEL_TEXT = {"G": "网格", "V": "村社", "T": "镇街", "Q": "区"}


def default_rows() -> list[list]:
    """The built-in dictionary as an import table (departments by name)."""
    majors = {code: (name, kind) for code, name, kind in dd.MAJORS}
    depts = dict(dd.DEPARTMENTS)
    return [[code[:2], majors[code[:2]][0], code, name, KIND_TEXT[majors[code[:2]][1]], filing, limit,
             UNIT_TEXT[unit], closing, depts[dept], LEVEL_TEXT[level]]
            for code, name, limit, unit, dept, level, filing, closing in dd.MINORS]


@pytest.fixture
def engine(db_url):
    e = populated_db(db_url)
    yield e
    e.dispose()


def run(engine, tmp_path, rows, headers=HEADERS, name="dict.xlsx", version_name="2025版"):
    path = write_xlsx(tmp_path / name, headers, rows)
    return import_file(engine, path, DICTIONARY_COLUMNS, import_dictionary, name=version_name, source=str(path),
                       today=TODAY)


def test_default_dictionary_round_trips_into_a_new_active_version(engine, tmp_path):
    with Session(engine) as s:
        old = s.scalar(sa.select(DictionaryVersion).where(DictionaryVersion.active.is_(True)))
        old_minors = {m.id: (m.code, m.name, m.time_limit) for m in
                      s.scalars(sa.select(MinorClass).where(MinorClass.version_id == old.id))}
    version, problems = run(engine, tmp_path, default_rows())
    assert problems == []
    with Session(engine) as s:
        versions = s.scalars(sa.select(DictionaryVersion).order_by(DictionaryVersion.id)).all()
        assert [(v.id, v.active) for v in versions] == [(old.id, False), (version.id, True)]
        new = versions[-1]
        assert new.name == "2025版" and new.effective_from == TODAY and new.source.endswith("dict.xlsx")
        assert len(new.majors) == len(dd.MAJORS)
        minors = {m.code: m for m in s.scalars(sa.select(MinorClass).where(MinorClass.version_id == new.id))}
        assert len(minors) == len(dd.MINORS)
        garbage = minors["1102"]
        assert (garbage.name, garbage.kind, garbage.time_limit, garbage.time_unit, garbage.level) == (
            "暴露垃圾", ClassKind.EVENT, 4, TimeUnit.WORK_HOURS, Level.VILLAGE)
        assert garbage.department.code == "D01" and garbage.major.code == "11"
        assert garbage.filing_condition == "暴露垃圾面积 ≥ 0.5 m²"
        assert minors["0203"].time_unit is TimeUnit.URGENT_HOURS and minors["1401"].level is Level.DISTRICT
        # history kept: the old version's rows are untouched, so old cases still resolve
        still = {m.id: (m.code, m.name, m.time_limit) for m in
                 s.scalars(sa.select(MinorClass).where(MinorClass.version_id == old.id))}
        assert still == old_minors


def test_numbers_codes_departments_by_code_and_blank_optional_cells(engine, tmp_path):
    rows = [
        [1, "公用设施", 101, "上水井盖", "部件", None, 2, "紧急工作时", None, "D04", "镇街"],
        ["01", "公用设施", "0102", "污水井盖", "部件", "破损", 0.5, "自然日", "归位", None, "区"],
        [21, "基础信息采集", 2101, "人口", "全科", "新增", "3", "工作日", "录入", "区民政局", "网格"],
    ]
    version, problems = run(engine, tmp_path, rows)
    assert problems == []
    with Session(engine) as s:
        minors = {m.code: m for m in s.scalars(sa.select(MinorClass).where(MinorClass.version_id == version.id))}
        assert set(minors) == {"0101", "0102", "2101"}
        assert minors["0101"].department.code == "D04" and minors["0101"].filing_condition == ""
        assert minors["0102"].department_id is None and minors["0102"].time_limit == 0.5
        assert minors["2101"].department.name == "区民政局" and minors["2101"].kind is ClassKind.COMPREHENSIVE
        assert {m.code for m in s.scalars(sa.select(MajorClass).where(MajorClass.version_id == version.id))} == {
            "01", "21"}


def test_second_import_replaces_the_first(engine, tmp_path):
    first, _ = run(engine, tmp_path, default_rows()[:5], name="a.xlsx", version_name="A")
    second, _ = run(engine, tmp_path, default_rows()[5:9], name="b.xlsx", version_name="B")
    with Session(engine) as s:
        active = s.scalars(sa.select(DictionaryVersion).where(DictionaryVersion.active.is_(True))).all()
        assert [v.name for v in active] == ["B"]
        assert s.get(DictionaryVersion, first.id).active is False
        assert s.scalar(sa.select(sa.func.count()).select_from(MinorClass)
                        .where(MinorClass.version_id == first.id)) == 5


def _row(**change):
    base = dict(zip(HEADERS, ["11", "市容环境", "1102", "暴露垃圾", "事件", "面积≥0.5m²", 4, "工作时", "清理干净",
                              "D01", "村社"]))
    base.update(change)
    return base


GOOD = _row(小类编码="1101", 小类名称="私搭乱建")

BAD = {
    "blank-major": ([_row(大类编码=None)], {(3, "大类编码", "blank")}),
    "major-3-digits": ([_row(大类编码="011")], {(3, "大类编码", "bad_major_code")}),
    "major-letters": ([_row(大类编码="A1")], {(3, "大类编码", "bad_major_code")}),
    "minor-3-digits": ([_row(小类编码="110")], {(3, "小类编码", "bad_minor_code")}),
    "minor-outside-major": ([_row(小类编码="1202")], {(3, "小类编码", "minor_outside_major")}),
    "major-name-conflict": ([_row(大类名称="市容")], {(3, "大类名称", "major_name_conflict")}),
    "major-kind-conflict": ([_row(类型="部件")], {(3, "类型", "major_kind_conflict")}),
    "duplicate-minor": ([_row(), _row(小类名称="别的")], {(4, "小类编码", "duplicate_in_file")}),
    "duplicate-minor-name": ([_row(小类编码="1103", 小类名称="私搭乱建")], {(3, "小类名称", "duplicate_minor_name")}),
    "unknown-kind": ([_row(大类编码="12", 小类编码="1201", 类型="设施")], {(3, "类型", "unknown_kind")}),
    "unknown-unit": ([_row(时限单位="小时")], {(3, "时限单位", "unknown_unit")}),
    "unknown-level": ([_row(处置层级="社区")], {(3, "处置层级", "unknown_level")}),
    "limit-zero": ([_row(处置时限=0)], {(3, "处置时限", "not_positive")}),
    "limit-negative": ([_row(处置时限="-2")], {(3, "处置时限", "not_positive")}),
    "limit-text": ([_row(处置时限="四小时")], {(3, "处置时限", "wrong_type")}),
    "limit-blank": ([_row(处置时限=None)], {(3, "处置时限", "blank")}),
    "unknown-department": ([_row(责任部门="区城管局")], {(3, "责任部门", "unknown_department")}),
    "ambiguous-department": ([_row(责任部门="综合信息指挥室")], {(3, "责任部门", "ambiguous_department")}),
    "blank-minor-name": ([_row(小类名称=None)], {(3, "小类名称", "blank")}),
    "formula-error": ([_row(结案条件="#VALUE!")], {(3, "结案条件", "cell_error")}),
    "missing-header": ([{k: v for k, v in _row().items() if k != "时限单位"}], {(1, "时限单位", "missing_header")}),
    "unknown-header": ([_row(备注="x")], {(1, "备注", "unknown_header")}),
}


def _add_ambiguous_departments(engine):
    with Session(engine, info={"actor": "test"}) as s:
        s.add_all([Department(code="T01", name="综合信息指挥室"), Department(code="T02", name="综合信息指挥室")])
        s.commit()


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_refused_with_row_column_and_reason(engine, tmp_path, case):
    rows, expected = BAD[case]
    _add_ambiguous_departments(engine)
    headers = HEADERS + sorted({k for r in rows for k in r} - set(HEADERS))
    headers = [h for h in headers if any(h in r for r in rows)]
    table = [[r.get(h) for h in headers] for r in [GOOD, *rows]]
    before = snapshot(engine)
    version, problems = run(engine, tmp_path, table, headers=headers)
    assert version is None
    assert reasons(problems) == expected
    assert snapshot(engine) == before


def test_empty_table_and_all_problems_at_once(engine, tmp_path):
    version, problems = run(engine, tmp_path, [], name="empty.xlsx")
    assert version is None and reasons(problems) == {(None, None, "no_rows")}
    rows = [[r.get(h) for h in HEADERS] for r in (
        _row(大类编码="1", 处置时限=-1, 时限单位="天"),
        _row(小类编码="110A", 处置层级="省", 责任部门="不存在"),
    )]
    _, problems = run(engine, tmp_path, rows, name="many.xlsx")
    assert reasons(problems) == {
        (2, "大类编码", "bad_major_code"), (2, "处置时限", "not_positive"), (2, "时限单位", "unknown_unit"),
        (3, "小类编码", "bad_minor_code"), (3, "处置层级", "unknown_level"), (3, "责任部门", "unknown_department")}


def test_import_dictionary_with_plain_dicts_writes_nothing_on_failure(engine):
    with Session(engine, info={"actor": "import"}) as s:
        with pytest.raises(ImportFailed) as err:
            import_dictionary(s, [_row(), _row()], name="x", source=None, today=TODAY)
        assert reasons(err.value.problems) == {(3, "小类编码", "duplicate_in_file")}
        assert s.scalar(sa.select(sa.func.count()).select_from(DictionaryVersion)) == 1
        assert s.scalar(sa.select(DictionaryVersion.active)) is True
