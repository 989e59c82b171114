"""`griddesk kpi`: indicators of a scope and period (DOMAIN §5, issue 3)."""

from __future__ import annotations

import argparse
import datetime as dt
import json

from desktop.cli import CliError
from desktop.cli_session import add_user_option, identity_for

LABELS = {
    "reported": "上报数", "filed": "立案数", "voided": "作废数", "closed": "结案数", "due_to_close": "应结案数",
    "closed_on_time": "按期结案数", "closure_rate": "结案率", "on_time_closure_rate": "按期结案率",
    "rework_rate": "返工率", "grassroots_resolution_rate": "基层化解率", "mean_handle_hours": "平均处置时长(时)",
    "p90_handle_hours": "90%处置时长(时)", "verify_on_time_rate": "按时核实率", "accept_on_time_rate": "按时受理率",
    "dispatch_on_time_rate": "按时派遣率", "handle_on_time_rate": "按时处置率", "check_on_time_rate": "按时核查率",
    "auto_dispatch_rate": "自动派遣率", "region_score": "区域综合指标值", "region_grade": "区域等级",
    "department_score": "部门评价得分", "department_grade": "部门等级",
}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("kpi", help="考核指标 / indicators of a scope and period")
    p.add_argument("--from", dest="date_from", required=True, type=dt.date.fromisoformat, help="YYYY-MM-DD (inclusive)")
    p.add_argument("--to", dest="date_to", required=True, type=dt.date.fromisoformat, help="YYYY-MM-DD (exclusive)")
    p.add_argument("--asof", type=dt.datetime.fromisoformat, help="evaluate as of this time (default: now)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--town", metavar="CODE", help="镇街编码 (9 digits)")
    g.add_argument("--village", metavar="CODE", help="村社编码 (12 digits)")
    g.add_argument("--grid", metavar="CODE", help="网格编码 (15 digits)")
    g.add_argument("--department", metavar="CODE", help="部门编码")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    add_user_option(p)
    p.set_defaults(func=_kpi)


def scope_from_args(args):
    from models.kpi.scope import KpiScope

    for kind in ("town", "village", "grid", "department"):
        code = getattr(args, kind, None)
        if code:
            return KpiScope(kind, code)
    return KpiScope()


def _kpi(args) -> int:
    from sqlalchemy.orm import Session

    from desktop.context import open_engine
    from models.kpi.api import compute
    from models.lifecycle.errors import OutOfScope

    engine = open_engine(args)
    with Session(engine) as s:
        identity = identity_for(s, args)
        try:
            result = compute(s, identity, scope_from_args(args), args.date_from, args.date_to, args.asof)
        except (LookupError, ValueError, OutOfScope, PermissionError) as exc:
            raise CliError(str(exc)) from exc
        s.commit()  # the rollup refresh
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        for key, value in result.items():
            shown = "—" if value is None else (f"{value:.2%}" if key.endswith("_rate") else value)
            print(f"{LABELS[key]:<14s} {key:<28s} {shown}")
    return 0
