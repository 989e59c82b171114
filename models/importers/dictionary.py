"""Importing the class dictionary with its rule rows (`griddesk import dictionary FILE.xlsx`).

One row per minor class: 大类编码, 大类名称, 小类编码, 小类名称, 类型, 立案条件,
处置时限, 时限单位, 结案条件, 责任部门, 处置层级. The import creates a NEW active
`DictionaryVersion` and deactivates the previous one; old versions and their
class rows stay, so existing cases keep pointing at the minor class they were
filed under. Every row is checked first; any problem refuses the whole file.

The type (部件/事件/全科) belongs to the major class: all rows of one major
must agree. 责任部门 is a department's code or its exact name; blank means no
default department (the dispatcher chooses).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from models.enums import ClassKind, Level, TimeUnit
from models.importers.common import (
    Column,
    ImportFailed,
    Problem,
    RowReader,
    check_columns,
    row_number,
)
from models.schema import Department, DictionaryVersion, MajorClass, MinorClass

__all__ = ["DICTIONARY_COLUMNS", "KINDS", "LEVELS", "UNITS", "import_dictionary"]

C_MAJOR = Column("大类编码", "code", width=2, fmt="2 位数字 / 2 digits", example="11")
C_MAJOR_NAME = Column("大类名称", "text", max_length=100, fmt="同一大类编码名称一致 / same name for one code",
                      example="市容环境")
C_MINOR = Column("小类编码", "code", width=4,
                 fmt="4 位数字, 以大类编码开头, 唯一 / 4 digits, starting with the major code",
                 example="1102")
C_MINOR_NAME = Column("小类名称", "text", max_length=100, example="暴露垃圾")
C_KIND = Column("类型", "text", fmt="部件 / 事件 / 全科", example="事件")
C_FILING = Column("立案条件", "text", blank_ok=True, fmt="文字, 可空 / text, may be blank",
                  example="暴露垃圾面积 ≥ 0.5 m²")
C_LIMIT = Column("处置时限", "number", fmt="正数 / a positive number", example="4")
C_UNIT = Column("时限单位", "text", fmt="紧急工作时 / 工作时 / 工作日 / 自然日", example="工作时")
C_CLOSING = Column("结案条件", "text", blank_ok=True, fmt="文字, 可空 / text, may be blank", example="清理干净")
C_DEPT = Column("责任部门", "text", blank_ok=True, fmt="部门编码或全称, 可空 / department code or name, may be blank",
                example="区综合行政执法局")
C_LEVEL = Column("处置层级", "text", fmt="网格 / 村社 / 镇街 / 区", example="村社")
DICTIONARY_COLUMNS: tuple[Column, ...] = (C_MAJOR, C_MAJOR_NAME, C_MINOR, C_MINOR_NAME, C_KIND, C_FILING,
                                          C_LIMIT, C_UNIT, C_CLOSING, C_DEPT, C_LEVEL)

KINDS = {"部件": ClassKind.COMPONENT, "事件": ClassKind.EVENT, "全科": ClassKind.COMPREHENSIVE}
UNITS = {"紧急工作时": TimeUnit.URGENT_HOURS, "工作时": TimeUnit.WORK_HOURS, "工作日": TimeUnit.WORK_DAYS,
         "自然日": TimeUnit.CALENDAR_DAYS}
LEVELS = {"网格": Level.GRID, "村社": Level.VILLAGE, "镇街": Level.TOWN, "区": Level.DISTRICT}


@dataclass
class _Row:
    where: int
    major: str | None
    major_name: str | None
    minor: str | None
    minor_name: str | None
    kind: ClassKind | None
    filing: str
    limit: float | None
    unit: TimeUnit | None
    closing: str
    department: Department | None
    level: Level | None


def import_dictionary(session: Session, rows: Iterable[Mapping[str, Any]], *, name: str, source: str | None,
                      today: dt.date | None = None) -> DictionaryVersion:
    """Create and activate a new dictionary version from `rows`.

    Raises ImportFailed with every problem (nothing written). Flushes, does not commit.
    """
    today = today or dt.date.today()
    records = list(rows)
    problems, absent = check_columns(records, DICTIONARY_COLUMNS)
    if not records:
        problems.append(Problem(None, None, "no_rows"))
    departments = _DepartmentIndex(session.scalars(sa.select(Department)).all())
    parsed = [_parse(rec, row_number(rec, i), problems, absent, departments) for i, rec in enumerate(records)]
    problems.extend(_cross_checks(parsed))
    if problems:
        raise ImportFailed(problems)

    for old in session.scalars(sa.select(DictionaryVersion).where(DictionaryVersion.active.is_(True))):
        old.active = False
    session.flush()  # the old version stops being active before the new one starts
    version = DictionaryVersion(name=name, effective_from=today, active=True,
                                created_at=dt.datetime.now().replace(microsecond=0), source=source)
    session.add(version)
    majors: dict[str, MajorClass] = {}
    for r in parsed:
        assert r.major and r.major_name and r.kind
        if r.major not in majors:
            majors[r.major] = MajorClass(version=version, code=r.major, name=r.major_name, kind=r.kind)
            session.add(majors[r.major])
    session.flush()
    for r in parsed:
        assert r.minor and r.minor_name and r.limit and r.unit and r.level and r.major
        session.add(MinorClass(version_id=version.id, major_id=majors[r.major].id, code=r.minor, name=r.minor_name,
                               kind=majors[r.major].kind, filing_condition=r.filing, time_limit=r.limit,
                               time_unit=r.unit, closing_condition=r.closing,
                               department_id=r.department.id if r.department else None, level=r.level))
    session.flush()
    return version


class _DepartmentIndex:
    def __init__(self, departments: Iterable[Department]) -> None:
        self.by_code: dict[str, Department] = {}
        self.by_name: dict[str, list[Department]] = {}
        for d in departments:
            self.by_code[d.code.strip()] = d
            self.by_name.setdefault(d.name.strip(), []).append(d)

    def find(self, text: str) -> tuple[Department | None, str | None]:
        """(department, problem reason)."""
        if text in self.by_code:
            return self.by_code[text], None
        found = self.by_name.get(text, [])
        if len(found) == 1:
            return found[0], None
        return None, ("ambiguous_department" if found else "unknown_department")


def _lookup(table: dict[str, Any], text: str | None) -> Any:
    return None if text is None else table.get(text.replace(" ", ""))


def _parse(rec: Mapping[str, Any], where: int, problems: list[Problem], absent: set[str],
           departments: _DepartmentIndex) -> _Row:
    cells = RowReader(rec, where, problems, absent)
    major = cells.get(C_MAJOR)
    if major is not None and not re.fullmatch(r"\d{2}", major):
        cells.fail(C_MAJOR.header, "bad_major_code", major)
        major = None
    major_name = cells.get(C_MAJOR_NAME)
    minor = cells.get(C_MINOR)
    if minor is not None and not re.fullmatch(r"\d{4}", minor):
        cells.fail(C_MINOR.header, "bad_minor_code", minor)
        minor = None
    if major and minor and not minor.startswith(major):
        cells.fail(C_MINOR.header, "minor_outside_major", f"{minor} ∉ {major}")
    minor_name = cells.get(C_MINOR_NAME)
    kind_text = cells.get(C_KIND)
    kind = _lookup(KINDS, kind_text)
    if kind_text is not None and kind is None:
        cells.fail(C_KIND.header, "unknown_kind", kind_text)
    filing = cells.get(C_FILING) or ""
    limit = cells.get(C_LIMIT)
    if limit is not None and limit <= 0:
        cells.fail(C_LIMIT.header, "not_positive", f"{limit:g}")
        limit = None
    unit_text = cells.get(C_UNIT)
    unit = _lookup(UNITS, unit_text)
    if unit_text is not None and unit is None:
        cells.fail(C_UNIT.header, "unknown_unit", unit_text)
    closing = cells.get(C_CLOSING) or ""
    department = None
    dept_text = cells.get(C_DEPT) if C_DEPT.header in rec else None
    if dept_text is not None:
        department, reason = departments.find(dept_text)
        if reason:
            cells.fail(C_DEPT.header, reason, dept_text)
    level_text = cells.get(C_LEVEL)
    level = _lookup(LEVELS, level_text)
    if level_text is not None and level is None:
        cells.fail(C_LEVEL.header, "unknown_level", level_text)
    return _Row(where, major, major_name, minor, minor_name, kind, filing, limit, unit, closing, department, level)


def _cross_checks(parsed: list[_Row]) -> list[Problem]:
    out: list[Problem] = []
    major_first: dict[str, _Row] = {}
    minor_first: dict[str, int] = {}
    names: dict[tuple[str, str], int] = {}
    for r in parsed:
        if r.minor:
            if r.minor in minor_first:
                out.append(Problem(r.where, C_MINOR.header, "duplicate_in_file",
                                   f"{r.minor} (also row {minor_first[r.minor]})"))
                continue  # one problem for a repeated row is enough
            minor_first[r.minor] = r.where
        if not r.major:
            continue
        first = major_first.setdefault(r.major, r)
        if first is not r:
            if r.major_name and first.major_name and r.major_name != first.major_name:
                out.append(Problem(r.where, C_MAJOR_NAME.header, "major_name_conflict",
                                   f"{r.major}: {r.major_name!r} ≠ {first.major_name!r} (row {first.where})"))
            if r.kind and first.kind and r.kind != first.kind:
                out.append(Problem(r.where, C_KIND.header, "major_kind_conflict",
                                   f"{r.major}: {r.kind.value} ≠ {first.kind.value} (row {first.where})"))
        if r.minor_name:
            key = (r.major, r.minor_name)
            if key in names:
                out.append(Problem(r.where, C_MINOR_NAME.header, "duplicate_minor_name",
                                   f"{r.minor_name} (also row {names[key]})"))
            else:
                names[key] = r.where
    return out
