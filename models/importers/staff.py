"""Importing grid staff from a table (`griddesk import staff FILE.xlsx`).

Columns: 工号, 姓名, 角色, 网格编码, 入职日期, 手机号 (optional, may be blank) and
离职日期 (optional: a leaving date takes the person off the grid team).

Every row is checked before anything is written, and all problems are reported
at once (`ImportFailed`). A 工号 already in the database updates that person;
a new one inserts. The town comes from the current version of the grid; the
probation end is the hire date plus the policy's `probation_months` (policy in
force on the hire date; calendar months, clamped at month ends).

Team rule (an error, not a warning): at most one 网格长 and one 指导员 per grid,
counting the file together with the database's staff who are not in the file
and have not left. To replace a leader, list the old one too — with a new role
or grid, or with a 离职日期.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from models.assessment.stars import probation_end
from models.enums import StaffRole
from models.geo.codes import CodeError, parse_grid_code
from models.importers.common import (
    Column,
    ImportFailed,
    ImportSummary,
    Problem,
    RowReader,
    check_columns,
    chunked,
    row_number,
)
from models.policy import Policy
from models.policy_store import current_policy_row, load_policy
from models.schema import Grid, Staff

__all__ = ["ROLES", "STAFF_COLUMNS", "import_staff"]

C_NO = Column("工号", "code", max_length=32, fmt="文字或数字, 文件内唯一 / text or digits, unique", example="LQ00017")
C_NAME = Column("姓名", "text", max_length=100, fmt="≤ 100 字 / characters", example="王小红")
C_ROLE = Column("角色", "text", fmt="指导员 / 网格长 / 专职网格员 / 兼职网格员", example="专职网格员")
C_GRID = Column("网格编码", "code", fmt="15 位 (或旧 14 位) 数字, 现行网格 / 15 digits (legacy 14), a current grid",
                example="331004001007006")
C_HIRE = Column("入职日期", "date", fmt="YYYY-MM-DD, YYYY/MM/DD 或 Excel 日期; 不晚于今天 / not in the future",
                example="2024-03-01")
C_PHONE = Column("手机号", "code", required=False, blank_ok=True,
                 fmt="1 开头的 11 位数字, 可空 / 11 digits starting with 1, may be blank", example="13805761234")
C_LEFT = Column("离职日期", "date", required=False, blank_ok=True,
                fmt="可选; 填写表示已离开网格团队 / optional: has left the grid team", example="")
STAFF_COLUMNS: tuple[Column, ...] = (C_NO, C_NAME, C_ROLE, C_GRID, C_HIRE, C_PHONE, C_LEFT)

ROLES: dict[str, StaffRole] = {
    "指导员": StaffRole.GUIDE,
    "网格指导员": StaffRole.GUIDE,
    "网格长": StaffRole.LEADER,
    "专职网格员": StaffRole.FULL_TIME,
    "兼职网格员": StaffRole.PART_TIME,
}
ONE_PER_GRID = (StaffRole.LEADER, StaffRole.GUIDE)
_PHONE = re.compile(r"1\d{10}")


@dataclass
class _Row:
    where: int
    staff_no: str | None
    name: str | None
    role: StaffRole | None
    grid_code: str | None
    hire_date: dt.date | None
    phone: str | None
    has_phone: bool
    left_date: dt.date | None
    has_left: bool


def import_staff(session: Session, rows: Iterable[Mapping[str, Any]], *,
                 today: dt.date | None = None) -> ImportSummary:
    """Insert or update staff from `rows` (dicts keyed by the Chinese headers).

    Raises ImportFailed with every problem and writes nothing when any row is
    bad. Flushes but does not commit: the caller owns the transaction.
    """
    today = today or dt.date.today()
    records = list(rows)
    problems, absent = check_columns(records, STAFF_COLUMNS)
    if not records:
        problems.append(Problem(None, None, "no_rows"))
    parsed = [_parse(rec, row_number(rec, i), problems, absent, today) for i, rec in enumerate(records)]

    first_row: dict[str, int] = {}
    for r in parsed:
        if r.staff_no is None:
            continue
        if r.staff_no in first_row:
            problems.append(Problem(r.where, C_NO.header, "duplicate_in_file",
                                    f"{r.staff_no} (also row {first_row[r.staff_no]})"))
        else:
            first_row[r.staff_no] = r.where

    codes = sorted({r.grid_code for r in parsed if r.grid_code})
    grids: dict[str, Grid] = {}
    for part in chunked(codes):
        for grid in session.scalars(sa.select(Grid).where(Grid.code.in_(part), Grid.valid_to.is_(None))):
            grids[grid.code] = grid
    for r in parsed:
        if r.grid_code and r.grid_code not in grids:
            problems.append(Problem(r.where, C_GRID.header, "unknown_grid", r.grid_code))

    existing: dict[str, Staff] = {}
    numbers = sorted(first_row)
    for part in chunked(numbers):
        for staff in session.scalars(sa.select(Staff).where(Staff.staff_no.in_(part))):
            existing[staff.staff_no] = staff

    problems.extend(_team_problems(session, parsed, existing, codes))
    if problems:
        raise ImportFailed(problems)

    return _write(session, parsed, existing, grids)


def _parse(rec: Mapping[str, Any], where: int, problems: list[Problem], absent: set[str],
           today: dt.date) -> _Row:
    cells = RowReader(rec, where, problems, absent)
    staff_no = cells.get(C_NO)
    name = cells.get(C_NAME)
    role_text = cells.get(C_ROLE)
    role = None
    if role_text is not None:
        role = ROLES.get(role_text.replace(" ", ""))
        if role is None:
            cells.fail(C_ROLE.header, "unknown_role", role_text)
    grid_code = None
    grid_raw = cells.get(C_GRID)
    if grid_raw is not None:
        try:
            grid_code = parse_grid_code(grid_raw).code
        except CodeError as exc:
            cells.fail(C_GRID.header, "bad_grid_code", str(exc))
    hire = cells.get(C_HIRE)
    if hire is not None and hire > today:
        cells.fail(C_HIRE.header, "future_date", f"{hire} > {today}")
    has_phone = C_PHONE.header in rec
    phone = cells.get(C_PHONE) if has_phone else None
    if phone is not None:
        phone = re.sub(r"[\s\-]", "", phone)
        phone = phone[3:] if phone.startswith("+86") else phone
        if not _PHONE.fullmatch(phone):
            cells.fail(C_PHONE.header, "bad_phone", str(rec.get(C_PHONE.header)))
            phone = None
    has_left = C_LEFT.header in rec
    left = cells.get(C_LEFT) if has_left else None
    if left is not None:
        if left > today:
            cells.fail(C_LEFT.header, "future_date", f"{left} > {today}")
        elif hire is not None and left < hire:
            cells.fail(C_LEFT.header, "left_before_hire", f"{left} < {hire}")
    return _Row(where, staff_no, name, role, grid_code, hire, phone, has_phone, left, has_left)


def _team_problems(session: Session, parsed: list[_Row], existing: dict[str, Staff],
                   codes: list[str]) -> list[Problem]:
    in_file = {r.staff_no for r in parsed if r.staff_no}
    holders: dict[tuple[str, StaffRole], list[str]] = {}
    for part in chunked(codes):
        q = sa.select(Staff).where(Staff.grid_code.in_(part), Staff.role.in_(ONE_PER_GRID),
                                   Staff.left_date.is_(None))
        for staff in session.scalars(q):
            if staff.staff_no not in in_file:
                holders.setdefault((staff.grid_code, staff.role), []).append(
                    f"工号 {staff.staff_no} {staff.name} (库中 / in database)")
    out: list[Problem] = []
    for r in parsed:
        if r.role not in ONE_PER_GRID or not r.grid_code:
            continue
        left = r.left_date if r.has_left else (existing[r.staff_no].left_date
                                                if r.staff_no in existing else None)
        if left is not None:
            continue
        taken = holders.setdefault((r.grid_code, r.role), [])
        if taken:
            out.append(Problem(r.where, C_ROLE.header, "team_role_taken",
                               f"{r.grid_code}: {'; '.join(taken)}"))
        taken.append(f"工号 {r.staff_no} (row {r.where})")
    return out


def _write(session: Session, parsed: list[_Row], existing: dict[str, Staff],
           grids: dict[str, Grid]) -> ImportSummary:
    summary = ImportSummary()

    @lru_cache(maxsize=None)
    def policy_on(day: dt.date) -> Policy:
        return load_policy(session, day) if current_policy_row(session, day) else load_policy(session)

    for r in parsed:
        assert r.staff_no and r.name and r.role and r.grid_code and r.hire_date
        grid = grids[r.grid_code]
        values: dict[str, Any] = dict(
            name=r.name, role=r.role, grid_code=r.grid_code, town_id=grid.town_id, hire_date=r.hire_date,
            probation_end=probation_end(r.hire_date, policy_on(r.hire_date).stars),
        )
        if r.has_phone:
            values["phone"] = r.phone
        if r.has_left:
            values["left_date"] = r.left_date
        staff = existing.get(r.staff_no)
        if staff is None:
            session.add(Staff(staff_no=r.staff_no, **values))
            summary.inserted += 1
            continue
        changed = {k: v for k, v in values.items() if getattr(staff, k) != v}
        if changed:
            for key, value in changed.items():
                setattr(staff, key, value)
            summary.updated += 1
        else:
            summary.unchanged += 1
    session.flush()
    return summary
