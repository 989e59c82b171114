"""`griddesk report bulletin --week 2026-W47 -o FILE.xlsx [--pdf FILE.pdf] [--user NAME]`: the weekly
bulletin (周通报) — the week's town ranking and indicators as an Excel workbook and, with --pdf, one
printable page with the charts (drawn by Qt, on an offscreen QApplication when none runs).
Both files are written by desktop/bulletin_export.py, as the reports panel writes them: both or
neither.

`register_bulletin(report_subparsers)` adds the command under `griddesk report`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path
from typing import Any

from desktop.cli import CliError
from desktop.cli_session import add_user_option, identity_for


def register_bulletin(report_subparsers: Any) -> None:
    p = report_subparsers.add_parser(
        "bulletin", help="周通报：本周镇街排名与主要指标（Excel，可加一页 PDF）",
        description="周通报：某一 ISO 周立案案件的主要指标（与上周同期比较）、镇街与部门排名。")
    p.add_argument("--week", required=True, type=_week, metavar="YYYY-Www", help="ISO 周，如 2026-W47")
    p.add_argument("-o", "--output", required=True, type=Path, metavar="FILE.xlsx", help="输出的 Excel 文件")
    p.add_argument("--pdf", type=Path, metavar="FILE.pdf", help="同时输出一页可打印的 PDF（含图表）")
    p.add_argument("--asof", type=dt.datetime.fromisoformat, metavar="YYYY-MM-DDTHH:MM",
                   help="按此时刻的案件状态统计（默认：现在）")
    p.add_argument("--json", action="store_true", help="在标准输出打印同样的数字（JSON）")
    add_user_option(p)
    p.set_defaults(func=cmd_bulletin)


def _week(text: str) -> str:
    from models.kpi.trends import iso_week

    try:
        return iso_week(text).label()
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def cmd_bulletin(args: argparse.Namespace) -> int:
    from sqlalchemy.orm import Session

    from desktop.bulletin_export import ensure_qt_app, write_bulletin_files
    from desktop.context import open_engine
    from models.kpi.trends import weekly_bulletin
    from models.lifecycle.errors import OutOfScope
    from models.policy_store import load_policy
    from reports.bulletin import bulletin_json

    for out in (args.output, args.pdf):
        if out is not None and not out.parent.resolve().is_dir():
            raise CliError(f"输出目录不存在：{out.parent}")
    engine = open_engine(args)
    with Session(engine) as s:
        identity = identity_for(s, args)
        try:
            bulletin = weekly_bulletin(s, identity, args.week, args.asof)
        except (LookupError, ValueError, OutOfScope, PermissionError) as exc:
            raise CliError(str(exc)) from exc
        policy = load_policy(s)
        s.commit()  # the rollup refresh
    source = f"数据库（{engine.url.render_as_string(hide_password=True)}）"
    if args.pdf is not None:
        ensure_qt_app()
    try:
        write_bulletin_files(bulletin, args.output, args.pdf, policy, source)
    except (ValueError, IsADirectoryError) as exc:
        raise CliError(str(exc)) from exc
    if args.json:
        print(json.dumps(bulletin_json(bulletin), ensure_ascii=False))
    else:
        k = bulletin.kpi
        print(f"周通报 {bulletin.week}: 上报 {k['reported']}, 立案 {k['filed']}, 结案 {k['closed']}, "
              f"镇街 {len(bulletin.towns)} 个 → {args.output}" + (f", {args.pdf}" if args.pdf else ""))
    return 0
