"""`griddesk import grids|staff|dictionary FILE`: one transaction per import.

On any problem every problem is printed to stderr (row or feature, column,
reason), the transaction is rolled back and the exit status is 1. `--dry-run`
checks everything and prints what would change, writing nothing. Success
prints the counts. `griddesk import incidents` plugs in from
`desktop.cli_import_incidents` when that module exists.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from desktop.cli import CliError

ACTOR = "import"

GRIDS_HELP = """\
导入网格边界 GeoJSON (FeatureCollection, Polygon/MultiPolygon, WGS-84, UTF-8)。
属性: code/网格编码 (15 位, 旧 14 位亦可), name/网格名称, town/镇街, village/村社,
households/户数; 可选 population/人口, kind/类型, district/区县。
编码已存在且图形或属性不同的网格生成新版本, 旧版本保留为历史。

Import grid boundaries from GeoJSON. Properties: code, name, town, village,
households (optional population, kind, district). A grid whose code exists with a
different shape or properties becomes a new version; the old one stays as history.
Every problem is listed with its feature index (0-based); nothing is written then."""

STAFF_HELP = """\
导入网格人员 (.xlsx 第一个工作表或 .csv, 第 1 行为表头)。
列: 工号, 姓名, 角色 (指导员/网格长/专职网格员/兼职网格员), 网格编码, 入职日期, 手机号 (可空),
离职日期 (可选)。工号已存在则更新, 否则新增; 试用期按政策月数计算。
每个网格最多一名网格长、一名指导员。

Import grid staff (first sheet of an .xlsx, or a .csv; headers on row 1). An
existing 工号 is updated, a new one inserted. Every problem is listed with its
row number and column; nothing is written then."""

DICTIONARY_HELP = """\
导入问题分类字典及处置规则 (.xlsx 或 .csv), 生成新的启用版本, 旧版本保留。
列: 大类编码, 大类名称, 小类编码, 小类名称, 类型 (部件/事件/全科), 立案条件, 处置时限,
时限单位 (紧急工作时/工作时/工作日/自然日), 结案条件, 责任部门, 处置层级 (网格/村社/镇街/区)。

Import the class dictionary with its rule rows as a NEW active version; the
previous version is kept (existing cases keep their classes)."""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("import", help="导入网格/人员/字典 / import grids, staff, the dictionary",
                       description="导入数据; 每次导入为一个事务, 有任何问题则不做任何修改。 "
                                   "Import data; one transaction each, nothing changes on any problem.")
    isub = p.add_subparsers(dest="import_command", metavar="KIND", required=True)

    g = isub.add_parser("grids", help="网格边界 GeoJSON / grid boundaries (GeoJSON)", description=GRIDS_HELP,
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    g.add_argument("file", metavar="FILE.geojson", type=Path, help="GeoJSON 文件 (UTF-8) / GeoJSON file (UTF-8)")
    _dry_run(g)
    g.set_defaults(func=_grids)

    s = isub.add_parser("staff", help="网格人员 .xlsx / grid staff (.xlsx)", description=STAFF_HELP,
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    s.add_argument("file", metavar="FILE.xlsx", type=Path, help=".xlsx 或 .csv 文件 / .xlsx or .csv file")
    _dry_run(s)
    s.set_defaults(func=_staff)

    d = isub.add_parser("dictionary", help="问题分类字典 .xlsx / class dictionary (.xlsx)",
                        description=DICTIONARY_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    d.add_argument("file", metavar="FILE.xlsx", type=Path, help=".xlsx 或 .csv 文件 / .xlsx or .csv file")
    d.add_argument("--name", metavar="NAME",
                   help="字典版本名称 (默认: 文件名) / version name (default: the file name)")
    _dry_run(d)
    d.set_defaults(func=_dictionary)

    try:
        from desktop.cli_import_incidents import register as _reg_inc
    except ModuleNotFoundError as exc:
        if exc.name != "desktop.cli_import_incidents":
            raise
    else:
        _reg_inc(isub)


def _dry_run(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dry-run", action="store_true",
                        help="只检查并列出全部问题, 不写入 / check and list every problem, change nothing")


# --- running ------------------------------------------------------------------


def _grids(args: argparse.Namespace) -> int:
    from models.geo.validate import read_geojson
    from models.importers.common import Problem
    from models.importers.grids import import_grids

    try:
        raw = args.file.read_bytes()
    except OSError as exc:
        raise CliError(f"无法读取 / cannot read {args.file}: {exc.strerror or exc}") from exc
    data, problem = read_geojson(raw)
    if problem is not None:
        return _refuse(args, [Problem(None, None, problem.kind, problem.reason)], feature=True)

    def work(session):
        summary = import_grids(session, data, dry_run=args.dry_run)
        created = ", ".join(f"{k} {v}" for k, v in summary.created.items() if v)
        return [_counts("网格 / grids", summary) + (f"; 新建 / created: {created}" if created else "")]

    return _transaction(args, work, feature=True)


def _staff(args: argparse.Namespace) -> int:
    from models.importers.staff import STAFF_COLUMNS, import_staff

    def work(session, rows):
        return [_counts("人员 / staff", import_staff(session, rows))]

    return _table(args, STAFF_COLUMNS, work)


def _dictionary(args: argparse.Namespace) -> int:
    from models.importers.dictionary import DICTIONARY_COLUMNS, import_dictionary

    def work(session, rows):
        version = import_dictionary(session, rows, name=args.name or args.file.stem, source=str(args.file))
        minors = sum(len(m.minors) for m in version.majors)
        return [f"字典版本 / dictionary version {version.name!r} (id {version.id}): "
                f"大类 / major classes {len(version.majors)}, 小类 / minor classes {minors}; "
                f"已启用, 旧版本停用 / now active, previous version deactivated"]

    return _table(args, DICTIONARY_COLUMNS, work)


def _table(args: argparse.Namespace, columns, work: Callable[[Any, list], list[str]]) -> int:
    from models.importers.common import ImportFailed
    from reports.table_reader import merge_problems, read_table

    table = read_table(args.file, columns)
    if table.fatal:
        return _refuse(args, table.problems)

    def run(session):
        try:
            lines = work(session, table.rows)
        except ImportFailed as exc:
            raise ImportFailed(merge_problems(table.problems, exc.problems)) from None
        if table.problems:
            raise ImportFailed(table.problems)
        return lines

    return _transaction(args, run)


def _transaction(args: argparse.Namespace, work: Callable[[Any], list[str]], *, feature: bool = False) -> int:
    """Run `work(session)` in one transaction: commit on success (unless --dry-run), else roll back."""
    from sqlalchemy.orm import Session

    from desktop.context import open_engine
    from models.importers.common import ImportFailed

    engine = open_engine(args)
    try:
        with Session(engine, info={"actor": ACTOR}, expire_on_commit=False) as session:
            try:
                lines = work(session)
            except ImportFailed as exc:
                session.rollback()
                return _refuse(args, exc.problems, feature=feature)
            except BaseException:
                session.rollback()
                raise
            if args.dry_run:
                session.rollback()
            else:
                session.commit()
    finally:
        engine.dispose()
    prefix = "试运行, 未写入 / dry run, nothing written: " if args.dry_run else ""
    for line in lines:
        print(prefix + line)
    return 0


def _counts(what: str, summary) -> str:
    verb = "将" if summary.dry_run else ""
    return (f"{what}: {verb}新增 inserted {summary.inserted}, {verb}更新 updated {summary.updated}, "
            f"未变 unchanged {summary.unchanged}")


def _refuse(args: argparse.Namespace, problems: Sequence, *, feature: bool = False) -> int:
    """Print every problem to stderr; exit status 1."""
    problems = sorted(problems, key=lambda p: p.sort_key())
    print(f"griddesk: 导入被拒绝, 数据库未修改 / import refused, nothing changed: {args.file} — "
          f"{len(problems)} 个问题 / problem(s)", file=sys.stderr)
    for p in problems:
        print("  " + format_problem(p, feature=feature), file=sys.stderr)
    return 1


def format_problem(problem, *, feature: bool = False) -> str:
    """One line: where, column, message and reason code."""
    if problem.where is None:
        where = "文件 / file"
    elif feature:
        where = f"要素 / feature {problem.where}"
    else:
        where = f"第 {problem.where} 行 / row {problem.where}"
    column = f" [{problem.column}]" if problem.column else ""
    return f"{where}{column}: {problem.message()} ({problem.reason})"

