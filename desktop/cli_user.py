"""`griddesk user add|list|passwd|unlock`."""

from __future__ import annotations

import argparse
import getpass
import os

from desktop.cli import CliError
from models.enums import UserRole

ROLE_NAMES = {
    UserRole.DUTY_OFFICER: "值班员", UserRole.SHIFT_LEADER: "值班长", UserRole.DISPATCHER: "派遣员",
    UserRole.TOWN_OFFICER: "镇街", UserRole.FINANCE: "财务", UserRole.ADMIN: "管理员",
    UserRole.GRID_WORKER: "网格员", UserRole.DEPARTMENT: "职能部门",
}


def register(sub: argparse._SubParsersAction) -> None:
    user = sub.add_parser("user", help="用户管理 / user accounts")
    us = user.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    p = us.add_parser("add", help="新建用户 / add a user")
    p.add_argument("username")
    p.add_argument("--name", help="显示名 / display name (default: username)")
    p.add_argument("--role", required=True, choices=[r.value for r in UserRole],
                   help="; ".join(f"{r.value}={n}" for r, n in ROLE_NAMES.items()))
    p.add_argument("--town", help="镇街编码 (9 digits), required for town_officer")
    p.add_argument("--department", help="部门编码, for department users")
    p.add_argument("--password", help="password (default: $GRIDDESK_PASSWORD or asked)")
    p.set_defaults(func=_add)
    p = us.add_parser("list", help="列出用户 / list users")
    p.set_defaults(func=_list)
    p = us.add_parser("passwd", help="修改密码 / set a password")
    p.add_argument("username")
    p.add_argument("--password")
    p.set_defaults(func=_passwd)
    p = us.add_parser("unlock", help="解除锁定 / unlock an account")
    p.add_argument("username")
    p.set_defaults(func=_unlock)


def _password(args) -> str:
    pw = args.password or os.environ.get("GRIDDESK_PASSWORD")
    if not pw:
        pw = getpass.getpass("password: ")
    return pw


def _add(args) -> int:
    import sqlalchemy as sa
    from sqlalchemy.orm import Session

    from desktop.context import open_engine
    from models.auth import hash_password
    from models.schema import Department, Town, User

    role = UserRole(args.role)
    engine = open_engine(args)
    with Session(engine, info={"actor": "cli"}) as s:
        if s.scalar(sa.select(User).where(User.username == args.username)):
            raise CliError(f"user {args.username!r} exists")
        town_id = dept_id = None
        if role is UserRole.TOWN_OFFICER and not args.town:
            raise CliError("a town_officer needs --town CODE")
        if args.town:
            town = s.scalar(sa.select(Town).where(Town.code == args.town))
            if town is None:
                raise CliError(f"no town with code {args.town}")
            town_id = town.id
        if args.department:
            dept = s.scalar(sa.select(Department).where(Department.code == args.department))
            if dept is None:
                raise CliError(f"no department with code {args.department}")
            dept_id = dept.id
        try:
            pw_hash = hash_password(_password(args))
        except ValueError as exc:
            raise CliError(str(exc)) from exc
        s.add(User(username=args.username, display_name=args.name or args.username, role=role,
                   town_id=town_id, department_id=dept_id, password_hash=pw_hash))
        s.commit()
    print(f"user {args.username} ({role.value}) added")
    return 0


def _list(args) -> int:
    import sqlalchemy as sa
    from sqlalchemy.orm import Session

    from desktop.context import open_engine
    from models.schema import Town, User

    with Session(open_engine(args)) as s:
        rows = s.execute(sa.select(User, Town.code).outerjoin(Town, User.town_id == Town.id)
                         .order_by(User.username)).all()
        for u, town_code in rows:
            lock = " locked" if u.locked_until else ""
            print(f"{u.username:16s} {u.role.value:14s} {town_code or '-':10s} {u.display_name}{lock}")
    return 0


def _with_user(args, change) -> int:
    import sqlalchemy as sa
    from sqlalchemy.orm import Session

    from desktop.context import open_engine
    from models.schema import User

    with Session(open_engine(args), info={"actor": "cli"}) as s:
        user = s.scalar(sa.select(User).where(User.username == args.username))
        if user is None:
            raise CliError(f"no user {args.username!r}")
        change(user)
        s.commit()
    return 0


def _passwd(args) -> int:
    from models.auth import hash_password

    def change(user):
        try:
            user.password_hash = hash_password(_password(args))
        except ValueError as exc:
            raise CliError(str(exc)) from exc

    return _with_user(args, change)


def _unlock(args) -> int:
    def change(user):
        user.failed_logins = 0
        user.locked_until = None

    return _with_user(args, change)
