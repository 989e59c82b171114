"""`griddesk import incidents FILE.xlsx|FILE.csv`: a legacy incident ledger (issue 3 item 8).

Plugged into the `import` command group by `desktop.cli_import`. One transaction:
every problem is printed with its row and column and nothing is written, or all
cases are inserted with their flow log and the indicator rollups of the days
they touch are recomputed.
"""

from __future__ import annotations

import argparse
from pathlib import Path

INCIDENTS_HELP = """\
导入历史案件台账 (.xlsx 第一个工作表或 .csv, 第 1 行为表头), 以便迁移多年历史并得到原系统的考核指标。
列: 案件编号, 小类编码, 来源, 描述, 经度, 纬度, 网格编码 (可空: 按坐标定位), 上报时间, 立案时间, 派遣时间,
处置完成时间, 核查时间, 结案时间, 作废时间, 返工次数, 结案层级 (网格/村社/镇街/区),
结案期限 (可空: 按字典规则和工作日历计算), 挂账 (是/否)。
状态、期限、按时标志由时间推出; 每个环节写一条流转记录 (legacy-import, 历史台账导入)。
有派遣时间的案件归入小类的默认责任部门; 有处置完成时间而无派遣时间的为自处理。

Import a legacy incident ledger (first sheet of an .xlsx, or a .csv; headers on
row 1). Status, deadlines and on-time flags follow from the times; one flow-log
row per recorded step. Every problem is listed with its row and column; nothing
is written then."""


def register(import_subparsers: argparse._SubParsersAction) -> None:
    p = import_subparsers.add_parser("incidents", help="历史案件台账 .xlsx/.csv / legacy incident ledger",
                                     description=INCIDENTS_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", metavar="FILE.xlsx|FILE.csv", type=Path, help=".xlsx 或 .csv 文件 / .xlsx or .csv file")
    p.add_argument("--dry-run", action="store_true",
                   help="只检查并列出全部问题, 不写入 / check and list every problem, change nothing")
    p.set_defaults(func=_incidents)


def _incidents(args: argparse.Namespace) -> int:
    from desktop.cli_import import _counts, _refuse, _transaction
    from models.importers.common import ImportFailed
    from models.importers.incidents import DATETIME_HEADERS, INCIDENT_COLUMNS, import_incidents
    from reports.table_reader import merge_problems, read_table

    table = read_table(args.file, INCIDENT_COLUMNS)
    if table.fatal:
        return _refuse(args, table.problems)
    # date-time columns are read as text; a cell holding a real date-time keeps its raw value
    # for the importer to read (the reader knows no date-time kind), so that is not a problem
    problems = [p for p in table.problems if not (p.column in DATETIME_HEADERS and p.reason == "wrong_type")]

    def work(session):
        try:
            summary = import_incidents(session, table.rows, source_name=args.file.name)
        except ImportFailed as exc:
            raise ImportFailed(merge_problems(problems, exc.problems)) from None
        if problems:
            raise ImportFailed(problems)
        flows = summary.created.get("flow_log", 0)
        return [_counts("案件 / incidents", summary) + f"; 流转记录 / flow rows {flows}"]

    return _transaction(args, work)
