"""`griddesk case new|show|act|supervise`: the case engine from a script."""

from __future__ import annotations

import argparse
import datetime as dt
import json

from desktop.cli import CliError
from desktop.cli_session import add_user_option, identity_for
from models.enums import Card, CaseSource, CloseType, Level
from models.lifecycle.actions import Action

ACTIONS = [a.value for a in Action if a not in (Action.REPORT, Action.SELF_HANDLE)]


def register(sub: argparse._SubParsersAction) -> None:
    case = sub.add_parser("case", help="案件: 上报、查看、流转 / report, show and act on cases")
    cs = case.add_subparsers(dest="case_command", metavar="ACTION", required=True)

    p = cs.add_parser("new", help="上报新案件 / report a new case")
    p.add_argument("--class", dest="minor", required=True, help="小类编码, e.g. 1102")
    p.add_argument("--lon", type=float, required=True)
    p.add_argument("--lat", type=float, required=True)
    p.add_argument("--description", default="")
    p.add_argument("--address", default="")
    p.add_argument("--source", choices=[s.value for s in CaseSource], default=CaseSource.HOTLINE.value)
    p.add_argument("--reporter", default="")
    p.add_argument("--phone", default="")
    p.add_argument("--self-handled", action="store_true", help="自处理: already fixed on the spot")
    p.add_argument("--json", action="store_true")
    add_user_option(p, required=True)
    p.set_defaults(func=_new)

    p = cs.add_parser("show", help="查看案件及流转记录 / show a case with its flow log")
    p.add_argument("code")
    p.add_argument("--json", action="store_true")
    add_user_option(p)
    p.set_defaults(func=_show)

    p = cs.add_parser("act", help="执行流转动作 / take an action on a case")
    p.add_argument("code")
    p.add_argument("action", choices=ACTIONS)
    p.add_argument("--version", type=int, help="expected version (default: the current one)")
    p.add_argument("--reason", default="")
    p.add_argument("--department", help="部门编码 (dispatch)")
    p.add_argument("--level", choices=[lv.value for lv in Level])
    p.add_argument("--card", choices=[c.value for c in Card if c is not Card.NONE])
    p.add_argument("--extension", type=float, help="延期 amount, in the class rule's unit")
    p.add_argument("--close-type", choices=[CloseType.ERROR.value, CloseType.SPECIAL.value])
    p.add_argument("--duplicate-of", help="原案件编号 (mark_duplicate)")
    p.add_argument("--accept", choices=["yes", "no"], help="decide_appeal")
    p.add_argument("--json", action="store_true")
    add_user_option(p, required=True)
    p.set_defaults(func=_act)

    p = cs.add_parser("supervise", help="按规则自动督办 / issue the cards the policy rule asks for")
    add_user_option(p)
    p.set_defaults(func=_supervise)


def case_dict(case) -> dict:
    out = {}
    for col in case.__table__.columns:
        v = getattr(case, col.key)
        out[col.key] = v.value if hasattr(v, "value") else (v.isoformat() if isinstance(v, dt.datetime) else v)
    out["class_code"] = case.minor_class.code
    out["class_name"] = case.minor_class.name
    out["grid_code"] = case.grid.code
    out["department_code"] = case.department.code if case.department else None
    return out


def _service(s, args):
    from models.lifecycle.service import CaseService

    return CaseService(s, identity_for(s, args))


def _run(fn):
    from models.lifecycle.errors import CaseError

    try:
        return fn()
    except CaseError as exc:
        raise CliError(str(exc)) from exc


def _new(args) -> int:
    from sqlalchemy.orm import Session

    from desktop.context import open_engine

    with Session(open_engine(args)) as s:
        svc = _service(s, args)
        case = _run(lambda: svc.report(minor_code=args.minor, lon=args.lon, lat=args.lat,
                                       description=args.description, address=args.address,
                                       source=CaseSource(args.source), reporter_name=args.reporter,
                                       reporter_phone=args.phone, self_handled=args.self_handled))
        s.commit()
        print(json.dumps(case_dict(case), ensure_ascii=False) if args.json else f"{case.code} {case.status.value}")
    return 0


def _show(args) -> int:
    from sqlalchemy.orm import Session

    from desktop.context import open_engine

    with Session(open_engine(args)) as s:
        case = _run(lambda: _service(s, args).get(code=args.code))
        data = case_dict(case)
        data["flow"] = [dict(at=f.at.isoformat(), action=f.action, actor=f.actor, role=f.role,
                             from_status=f.from_status, to_status=f.to_status, level=f.level, reason=f.reason,
                             detail=json.loads(f.detail) if f.detail else None) for f in case.flow]
        if args.json:
            print(json.dumps(data, ensure_ascii=False))
        else:
            for k, v in data.items():
                if k != "flow" and v not in (None, ""):
                    print(f"{k:22s} {v}")
            for f in data["flow"]:
                print(f"  {f['at']}  {f['action']:<14s} {f['from_status'] or '':<10s} → {f['to_status']:<10s} "
                      f"{f['actor']} ({f['role']}) {f['reason']}")
    return 0


def _act(args) -> int:
    import sqlalchemy as sa
    from sqlalchemy.orm import Session

    from desktop.context import open_engine
    from models.lifecycle import Params
    from models.schema import Case, Department

    with Session(open_engine(args)) as s:
        svc = _service(s, args)
        case = _run(lambda: svc.get(code=args.code))
        dept_id = dup_id = None
        if args.department:
            dept_id = s.scalar(sa.select(Department.id).where(Department.code == args.department))
            if dept_id is None:
                raise CliError(f"no department {args.department}")
        if args.duplicate_of:
            dup_id = s.scalar(sa.select(Case.id).where(Case.code == args.duplicate_of))
            if dup_id is None:
                raise CliError(f"no case {args.duplicate_of}")
        params = Params(reason=args.reason, department_id=dept_id, level=Level(args.level) if args.level else None,
                        card=Card(args.card) if args.card else None, extension=args.extension,
                        close_type=CloseType(args.close_type) if args.close_type else None,
                        duplicate_of_id=dup_id, accept=None if args.accept is None else args.accept == "yes")
        version = args.version if args.version is not None else case.version
        case = _run(lambda: svc.act(case.id, version, Action(args.action), params))
        s.commit()
        print(json.dumps(case_dict(case), ensure_ascii=False) if args.json
              else f"{case.code} {case.status.value} (version {case.version})")
    return 0


def _supervise(args) -> int:
    from sqlalchemy.orm import Session

    from desktop.context import open_engine

    with Session(open_engine(args)) as s:
        n = _service(s, args).supervise()
        s.commit()
    print(f"issued {n} card(s)")
    return 0
