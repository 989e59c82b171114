"""`griddesk db …`, `griddesk demo seed` and `griddesk demo cameras`."""

from __future__ import annotations

import argparse

from desktop.cli import CliError


def register(sub: argparse._SubParsersAction) -> None:
    db = sub.add_parser("db", help="数据库: 初始化、迁移、状态 / database init, upgrade, status")
    dbs = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    p = dbs.add_parser("init", help="创建空库(默认字典、政策、工作日历，无演示案件) / create an empty database")
    p.set_defaults(func=_init)
    p = dbs.add_parser("upgrade", help="迁移到最新结构 / migrate the schema to the newest revision")
    p.add_argument("--revision", default="head")
    p.set_defaults(func=_upgrade)
    p = dbs.add_parser("status", help="显示数据库地址、结构版本和记录数 / show URL, revision and row counts")
    p.set_defaults(func=_status)

    demo = sub.add_parser("demo", help="演示数据 / demo data")
    ds = demo.add_subparsers(dest="demo_command", metavar="ACTION", required=True)
    p = ds.add_parser("seed", help="生成演示区(路桥模型) / generate the demo district (Luqiao model)")
    p.add_argument("--scale", choices=["luqiao", "city"], default="luqiao",
                   help="luqiao: ~620 grids, one year of cases; city: ~25,000 grids, millions of cases")
    p.add_argument("--seed", type=int, default=2026, help="random seed (deterministic output)")
    p.add_argument("--year", type=int, default=None, help="demo year (default: the last 365 days)")
    p.add_argument("--cases", type=int, default=None, help="number of cases (default by scale)")
    p.set_defaults(func=_seed)
    p = ds.add_parser("cameras", help="生成演示监控画面并让演示摄像头播放 / make the demo clips and point the "
                                      "demo cameras at them")
    p.add_argument("--force", action="store_true", help="render every clip again, even intact ones")
    p.set_defaults(func=_demo_cameras)


def _init(args) -> int:
    from desktop.context import open_engine
    from models.db import resolve_url

    open_engine(args)
    print(f"数据库已初始化 / database initialised: {resolve_url(args.db)}")
    return 0


def _upgrade(args) -> int:
    from models import migrate
    from models.db import make_engine

    engine = make_engine(args.db)
    before = migrate.current_revision(engine)
    migrate.upgrade(engine, args.revision)
    print(f"schema {before or '(empty)'} -> {migrate.current_revision(engine)}")
    return 0


def _status(args) -> int:
    import sqlalchemy as sa

    from models import migrate
    from models.db import make_engine, resolve_url
    from models.schema import Base

    engine = make_engine(args.db)
    print(f"url: {resolve_url(args.db)}")
    print(f"revision: {migrate.current_revision(engine)} (head {migrate.head_revision()})")
    with engine.connect() as conn:
        existing = set(sa.inspect(conn).get_table_names())
        for name, table in sorted(Base.metadata.tables.items()):
            if name in existing:
                print(f"{name:20s} {conn.scalar(sa.select(sa.func.count()).select_from(table)):>10,d}")
    return 0


def _seed(args) -> int:
    from desktop.context import open_engine
    from models.demo.seed import DemoSeedError, seed_demo

    engine = open_engine(args)
    try:
        report = seed_demo(engine, scale=args.scale, seed=args.seed, year=args.year, cases=args.cases,
                           progress=lambda msg: print(msg, flush=True))
    except DemoSeedError as exc:
        raise CliError(str(exc)) from exc
    print(report)
    return 0


def _demo_cameras(args) -> int:
    from desktop.context import open_engine
    from models.demo.footage import FootageUnavailable, count_demo_cameras, ensure_footage, point_demo_cameras

    engine = open_engine(args)
    if not count_demo_cameras(engine):
        raise CliError("数据库中没有演示摄像头 / no demo cameras in this database (run `griddesk demo seed` first)")
    try:
        report = ensure_footage(force=args.force)
    except (FootageUnavailable, OSError) as exc:
        raise CliError(f"演示监控画面无法生成 / cannot make the demo footage: {exc}") from exc
    print(report)
    n = point_demo_cameras(engine, report.paths)
    print(f"{n:,} 个演示摄像头已指向演示画面 / demo cameras now play the clips")
    return 0
