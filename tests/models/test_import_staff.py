"""Staff import (工号, 姓名, 角色, 网格编码, 入职日期, 手机号) on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from models.enums import StaffRole
from models.importers.common import ImportFailed
from models.importers.staff import STAFF_COLUMNS, import_staff
from models.policy import Policy, StarPolicy
from models.policy_store import save_policy
from models.schema import AuditLog, Grid, Staff, Town
from tests.models.import_helpers import import_file, populated_db, reasons, snapshot, write_xlsx

TODAY = dt.date(2025, 6, 30)
HEADERS = ["工号", "姓名", "角色", "网格编码", "入职日期", "手机号"]
G1, G2, G3 = "331004001001001", "331004001001002", "331004002001001"
GOOD = [
    ["LQ001", "王小红", "网格长", G1, dt.datetime(2024, 11, 30), 13805761234],
    ["LQ002", "李明", "专职网格员", G1, "2025-05-31", "138-0576-1235"],
    ["LQ003", "张伟", "兼职网格员", "33100400100101", "2025/01/15", None],  # legacy 14-digit code
    ["LQ004", "陈静", "指导员", G1, "2023-02-28", ""],
    [1005, "赵强", "专职网格员", G3, dt.date(2020, 1, 31), "+8613905761236"],
]


@pytest.fixture
def engine(db_url):
    e = populated_db(db_url)
    yield e
    e.dispose()


def run(engine, tmp_path, rows, headers=HEADERS, name="staff.xlsx", today=TODAY):
    path = write_xlsx(tmp_path / name, headers, rows)
    return import_file(engine, path, STAFF_COLUMNS, import_staff, today=today)


def staff(engine) -> dict[str, Staff]:
    with Session(engine) as s:
        return {x.staff_no: x for x in s.scalars(sa.select(Staff))}


def test_good_file_inserts_everyone(engine, tmp_path):
    summary, problems = run(engine, tmp_path, GOOD)
    assert problems == []
    assert (summary.inserted, summary.updated, summary.unchanged) == (5, 0, 0)
    got = staff(engine)
    assert set(got) == {"LQ001", "LQ002", "LQ003", "LQ004", "1005"}
    leader = got["LQ001"]
    assert leader.role is StaffRole.LEADER and leader.grid_code == G1 and leader.phone == "13805761234"
    assert leader.hire_date == dt.date(2024, 11, 30)
    assert leader.probation_end == dt.date(2025, 2, 28)  # 3 months, clamped at the month end
    assert got["LQ002"].probation_end == dt.date(2025, 8, 31) and got["LQ002"].phone == "13805761235"
    assert got["LQ003"].grid_code == G1 and got["LQ003"].phone is None
    assert got["LQ004"].role is StaffRole.GUIDE and got["LQ004"].probation_end == dt.date(2023, 5, 28)
    assert got["1005"].phone == "13905761236" and got["1005"].probation_end == dt.date(2020, 4, 30)
    with Session(engine) as s:
        towns = {t.id: t.code for t in s.scalars(sa.select(Town))}
        assert towns[got["LQ001"].town_id] == "331004001"
        assert towns[got["1005"].town_id] == "331004002"  # the town comes from the grid
        actors = set(s.scalars(sa.select(AuditLog.actor).where(AuditLog.entity == "staff")))
        assert actors == {"import"}


def test_existing_staff_no_updates_and_identical_rows_are_unchanged(engine, tmp_path):
    run(engine, tmp_path, GOOD, name="a.xlsx")
    changed = [list(r) for r in GOOD]
    changed[1][3] = G2  # LQ002 moves to another grid
    changed[1][5] = "13800000000"
    changed.append(["LQ006", "新人", "兼职网格员", G2, "2025-06-30", None])
    summary, problems = run(engine, tmp_path, changed, name="b.xlsx")
    assert problems == []
    assert (summary.inserted, summary.updated, summary.unchanged) == (1, 1, 4)
    got = staff(engine)
    assert got["LQ002"].grid_code == G2 and got["LQ002"].phone == "13800000000"
    assert len(got) == 6
    summary, _ = run(engine, tmp_path, changed, name="c.xlsx")
    assert (summary.inserted, summary.updated, summary.unchanged) == (0, 0, 6)


def test_missing_optional_phone_column_keeps_phones(engine, tmp_path):
    run(engine, tmp_path, GOOD, name="a.xlsx")
    rows = [r[:5] for r in GOOD]
    summary, problems = run(engine, tmp_path, rows, headers=HEADERS[:5], name="b.xlsx")
    assert problems == [] and summary.unchanged == 5
    assert staff(engine)["LQ001"].phone == "13805761234"


def test_probation_follows_the_policy(engine, tmp_path):
    with Session(engine, info={"actor": "test"}) as s:
        save_policy(s, Policy(stars=StarPolicy(probation_months=6)), dt.date(2024, 1, 1))
        s.commit()
    run(engine, tmp_path, [GOOD[0], GOOD[3]])
    got = staff(engine)
    assert got["LQ001"].probation_end == dt.date(2025, 5, 30)  # policy in force on the hire date: 6 months
    assert got["LQ004"].probation_end == dt.date(2023, 5, 28)  # hired before it: the old 3 months


def test_replacing_a_leader_needs_the_old_one_to_leave(engine, tmp_path):
    run(engine, tmp_path, GOOD, name="a.xlsx")
    new_leader = ["LQ009", "新网格长", "网格长", G1, "2025-06-01", None]
    _, problems = run(engine, tmp_path, [new_leader], name="b.xlsx")
    assert reasons(problems) == {(2, "角色", "team_role_taken")}
    assert "LQ001" in problems[0].detail
    old_leaves = GOOD[0][:5] + [None, "2025-06-01"]
    summary, problems = run(engine, tmp_path, [old_leaves, new_leader], headers=HEADERS + ["离职日期"],
                            name="c.xlsx")
    assert problems == [] and (summary.inserted, summary.updated) == (1, 1)
    got = staff(engine)
    assert got["LQ001"].left_date == dt.date(2025, 6, 1) and got["LQ009"].role is StaffRole.LEADER


def test_old_grid_versions_do_not_count(engine, tmp_path):
    with Session(engine, info={"actor": "test"}) as s:
        grid = s.scalar(sa.select(Grid).where(Grid.code == G3))
        grid.valid_to = dt.date(2024, 1, 1)  # retired, no current version
        s.commit()
    _, problems = run(engine, tmp_path, [GOOD[4]])
    assert reasons(problems) == {(2, "网格编码", "unknown_grid")}


def _row(**change):
    base = dict(zip(HEADERS, ["LQ100", "测试", "专职网格员", G2, "2025-01-01", "13900000000"]))
    base.update(change)
    return base


# (headers, rows, expected (row, column, reason) set) — each a different kind of bad input
BAD = {
    "blank-staff-no": (HEADERS, [_row(工号=None)], {(2, "工号", "blank")}),
    "blank-name": (HEADERS, [_row(姓名="  ")], {(2, "姓名", "blank")}),
    "blank-role": (HEADERS, [_row(角色=None)], {(2, "角色", "blank")}),
    "unknown-role": (HEADERS, [_row(角色="网格主任")], {(2, "角色", "unknown_role")}),
    "grid-code-letters": (HEADERS, [_row(网格编码="33100400100100A")], {(2, "网格编码", "bad_grid_code")}),
    "grid-code-length": (HEADERS, [_row(网格编码="3310040010010")], {(2, "网格编码", "bad_grid_code")}),
    "grid-code-province": (HEADERS, [_row(网格编码="991004001001001")], {(2, "网格编码", "bad_grid_code")}),
    "unknown-grid": (HEADERS, [_row(网格编码="331004009001001")], {(2, "网格编码", "unknown_grid")}),
    "duplicate-staff-no": (HEADERS, [_row(), _row(姓名="另一人")], {(3, "工号", "duplicate_in_file")}),
    "future-hire": (HEADERS, [_row(入职日期="2025-07-01")], {(2, "入职日期", "future_date")}),
    "invalid-date": (HEADERS, [_row(入职日期="2025-02-29")], {(2, "入职日期", "bad_date")}),
    "date-format": (HEADERS, [_row(入职日期="01.02.2025")], {(2, "入职日期", "bad_date")}),
    "date-bool": (HEADERS, [_row(入职日期=True)], {(2, "入职日期", "wrong_type")}),
    "phone-short": (HEADERS, [_row(手机号="1380000000")], {(2, "手机号", "bad_phone")}),
    "phone-prefix": (HEADERS, [_row(手机号=23800000000)], {(2, "手机号", "bad_phone")}),
    "two-leaders": (HEADERS, [_row(角色="网格长"), _row(工号="LQ101", 角色="网格长")],
                    {(3, "角色", "team_role_taken")}),
    "two-guides": (HEADERS, [_row(角色="指导员"), _row(工号="LQ101", 角色="网格指导员")],
                   {(3, "角色", "team_role_taken")}),
    "missing-header": (HEADERS[:2] + HEADERS[3:], [{k: v for k, v in _row().items() if k != "角色"}],
                       {(1, "角色", "missing_header")}),
    "unknown-header": (HEADERS + ["备注"], [_row(备注="x")], {(1, "备注", "unknown_header")}),
    "name-too-long": (HEADERS, [_row(姓名="名" * 101)], {(2, "姓名", "too_long")}),
    "formula-error": (HEADERS, [_row(姓名="#REF!")], {(2, "姓名", "cell_error")}),
    "left-before-hire": (HEADERS + ["离职日期"], [_row(离职日期="2024-12-31")], {(2, "离职日期", "left_before_hire")}),
    "left-in-future": (HEADERS + ["离职日期"], [_row(离职日期="2026-01-01")], {(2, "离职日期", "future_date")}),
    "no-rows": (HEADERS, [], {(None, None, "no_rows")}),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_refused_with_row_column_and_reason(engine, tmp_path, case):
    headers, rows, expected = BAD[case]
    good = _row(工号="LQ200", 姓名="好人", 角色="兼职网格员")  # a good row first: problems point at the bad one
    table = [[r.get(h) for h in headers] for r in [good, *rows]] if rows else []
    expected = {(w + 1 if isinstance(w, int) and w > 1 else w, c, r) for w, c, r in expected}
    before = snapshot(engine)
    result, problems = run(engine, tmp_path, table, headers=headers)
    assert result is None
    assert reasons(problems) == expected
    assert snapshot(engine) == before


def test_all_problems_are_reported_at_once(engine, tmp_path):
    rows = [
        ["LQ1", None, "网格长", "3310040010010", "2025-13-01", "123"],
        ["LQ1", "乙", "队长", "331004009001001", "2026-01-01", None],
    ]
    _, problems = run(engine, tmp_path, rows)
    assert reasons(problems) == {
        (2, "姓名", "blank"), (2, "网格编码", "bad_grid_code"), (2, "入职日期", "bad_date"), (2, "手机号", "bad_phone"),
        (3, "工号", "duplicate_in_file"), (3, "角色", "unknown_role"), (3, "网格编码", "unknown_grid"),
        (3, "入职日期", "future_date")}


def test_leader_clash_with_the_database(engine, tmp_path):
    run(engine, tmp_path, GOOD, name="a.xlsx")
    _, problems = run(engine, tmp_path, [["X9", "又一个", "指导员", G1, "2025-01-01", None]], name="b.xlsx")
    assert reasons(problems) == {(2, "角色", "team_role_taken")}
    assert "LQ004" in problems[0].detail


def test_import_staff_takes_plain_dicts(engine):
    with Session(engine, info={"actor": "import"}) as s:
        with pytest.raises(ImportFailed) as err:
            import_staff(s, [_row(), _row(姓名=None, 工号="LQ2")], today=TODAY)
        assert reasons(err.value.problems) == {(3, "姓名", "blank")}
        summary = import_staff(s, [_row()], today=TODAY)
        assert summary.inserted == 1
        s.rollback()
