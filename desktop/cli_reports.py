"""`griddesk report stars|bonus|funding|ledger`: the Excel reports of issue 7.

File modes (`--metrics`, `--scores`) work from the towns' workbooks alone; the
database modes take their rows from `desktop.report_sources`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from desktop.cli import CliError
from desktop.cli_session import add_user_option
from models.assessment import Quarter, TownScore, allocate_funding, rate_workers, yearly_bonus
from models.policy import DEFAULT_POLICY, Policy
from reports.funding_report import funding_json, write_funding_report
from reports.ledger_report import LedgerCounter, ledger_json, write_ledger_report
from reports.metrics_sheet import SheetError, load_metrics, load_scores
from reports.stars_report import bonus_json, stars_json, write_bonus_report, write_stars_report
from reports.workbook import Cancelled


def register(subparsers: Any) -> None:
    report = subparsers.add_parser(
        "report", help="Excel 报表：星级评定、年度考核奖、经费分配、案件台账", description="Excel 报表（issue 7）"
    )
    report.set_defaults(func=lambda args: _help(report))
    sub = report.add_subparsers(dest="report_command", metavar="REPORT")

    stars = sub.add_parser(
        "stars", help="网格员季度星级评定", description="季度星级评定；不给 --metrics 时取自数据库并保存结果"
    )
    stars.add_argument("--quarter", required=True, type=_quarter, help="季度，如 2026Q3")
    stars.add_argument(
        "--metrics",
        nargs="+",
        action="extend",
        metavar="FILE.xlsx",
        type=Path,
        help="镇街报送的指标表（可多个，合并计算）",
    )
    _common(stars)
    stars.set_defaults(func=cmd_stars)

    bonus = sub.add_parser("bonus", help="网格员年度考核奖（四个季度之和）")
    bonus.add_argument("--year", required=True, type=_year)
    _common(bonus)
    bonus.set_defaults(func=cmd_bonus)

    funding = sub.add_parser(
        "funding", help="镇街档次与经费分配", description="年度经费分配；不给 --scores 时考核得分取自数据库"
    )
    funding.add_argument("--year", required=True, type=_year)
    funding.add_argument(
        "--scores", metavar="FILE.xlsx", type=Path, help="考核得分表：镇街编码、镇街名称、网格数（可选）、考核得分"
    )
    _common(funding)
    funding.set_defaults(func=cmd_funding)

    ledger = sub.add_parser("ledger", help="案件台账（含各环节时间、灯色、督办）")
    ledger.add_argument("--from", dest="date_from", required=True, type=_date, metavar="YYYY-MM-DD")
    ledger.add_argument("--to", dest="date_to", required=True, type=_date, metavar="YYYY-MM-DD")
    ledger.add_argument("--town", metavar="CODE", help="只导出一个镇街（编码）")
    _common(ledger)
    ledger.set_defaults(func=cmd_ledger)

    from desktop.cli_bulletin import register_bulletin

    register_bulletin(sub)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-o", "--output", type=Path, metavar="OUT.xlsx", help="输出的 Excel 文件")
    parser.add_argument("--json", action="store_true", help="在标准输出打印同样的数字（JSON，由 Python 计算）")
    parser.add_argument("--policy", type=Path, metavar="FILE.toml", help="使用这个政策文件（默认：数据库中的现行政策）")
    add_user_option(parser)


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


# --- argument types -------------------------------------------------------
def _quarter(text: str) -> Quarter:
    try:
        return Quarter.parse(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"季度格式应如 2026Q3：{text!r}") from None


def _year(text: str) -> int:
    if not text.isdigit() or not 2000 <= int(text) <= 2100:
        raise argparse.ArgumentTypeError(f"年份应如 2026：{text!r}")
    return int(text)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期格式应如 2026-01-31：{text!r}") from None


# --- shared steps -----------------------------------------------------------
def _policy(args: argparse.Namespace) -> Policy:
    if args.policy is not None:
        try:
            return Policy.from_toml(args.policy.read_text(encoding="utf-8"))
        except (OSError, ValueError, TypeError) as exc:
            raise CliError(f"无法读取政策文件 {args.policy}：{exc}") from None
    try:
        from desktop.report_sources import load_policy
    except ImportError:
        return DEFAULT_POLICY
    return load_policy(args)


def _check_output(args: argparse.Namespace, inputs: Sequence[Path] = ()) -> Path | None:
    out: Path | None = args.output
    if out is None:
        if not args.json:
            raise CliError("请用 -o 指定输出文件（或用 --json 只打印结果）")
        return None
    if out.suffix.lower() != ".xlsx":
        raise CliError(f"输出文件应以 .xlsx 结尾：{out}")
    if not out.parent.resolve().is_dir():
        raise CliError(f"输出目录不存在：{out.parent}")
    if out.is_dir():
        raise CliError(f"输出路径是一个文件夹：{out}")
    for p in inputs:
        if p.exists() and out.exists() and p.resolve() == out.resolve():
            raise CliError(f"输出文件不能覆盖输入文件：{out}")
    return out


def _print_json(data: dict[str, Any]) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


def _written(out: Path | None) -> None:
    if out is not None:
        print(f"已写入 {out}", file=sys.stderr)


def _write(func: Any, *a: Any, **kw: Any) -> Any:
    try:
        return func(*a, **kw)
    except OSError as exc:
        raise CliError(f"无法写入 {a[0]}：{exc.strerror or exc}") from None


def _source_name(files: list[Path]) -> str:
    return "、".join(p.name for p in files)


# --- commands -------------------------------------------------------------------
def cmd_stars(args: argparse.Namespace) -> int:
    files = list(args.metrics or [])
    out = _check_output(args, files)
    policy = _policy(args)
    if files:
        try:
            workers = load_metrics(files)
        except SheetError as exc:
            raise CliError(f"指标表有误，未生成报表：{exc}") from None
        source = _source_name(files)
    else:
        from desktop.report_sources import load_star_inputs

        workers = load_star_inputs(args, args.quarter)
        source = "数据库"
    if not workers:
        raise CliError(f"{args.quarter.display}没有网格员数据")
    try:
        rating = rate_workers(workers, args.quarter, policy.stars)
    except ValueError as exc:  # e.g. a 工号 twice in the database rows
        raise CliError(f"网格员数据有误：{exc}") from None
    if not files:
        from desktop.report_sources import store_star_results

        store_star_results(args, args.quarter, list(rating.rows))
    if out is not None:
        _write(write_stars_report, out, rating, policy, source=source)
    if args.json:
        _print_json(stars_json(rating, policy))
    _written(out)
    return 0


def cmd_bonus(args: argparse.Namespace) -> int:
    out = _check_output(args)
    policy = _policy(args)
    from desktop.report_sources import load_quarter_results

    try:
        bonuses = yearly_bonus(load_quarter_results(args, args.year))
    except ValueError as exc:
        raise CliError(f"季度结果有误：{exc}") from None
    if not bonuses:
        raise CliError(f"{args.year} 年没有已保存的季度星级结果（先运行 griddesk report stars）")
    if out is not None:
        _write(write_bonus_report, out, args.year, bonuses, policy, source="数据库")
    if args.json:
        _print_json(bonus_json(args.year, bonuses, policy))
    _written(out)
    return 0


def cmd_funding(args: argparse.Namespace) -> int:
    files = [args.scores] if args.scores else []
    out = _check_output(args, files)
    policy = _policy(args)
    if args.scores:
        try:
            rows = load_scores(args.scores)
        except SheetError as exc:
            raise CliError(f"考核得分表有误，未生成报表：{exc}") from None
        missing = [r.code for r in rows if r.grids is None]
        grids: dict[str, int] = {}
        if missing:
            from desktop.report_sources import load_grid_counts

            grids = load_grid_counts(args, missing)
            unknown = [c for c in missing if c not in grids]
            if unknown:
                raise CliError(
                    f"{args.scores.name}：镇街编码 {'、'.join(unknown)} 未填网格数，数据库中也没有，请在“网格数”列填写"
                )
        towns = [TownScore(r.code, r.name, r.grids if r.grids is not None else grids[r.code], r.score) for r in rows]
        source = _source_name(files)
    else:
        from desktop.report_sources import load_town_scores

        towns = list(load_town_scores(args, args.year))
        source = "数据库"
    if not towns:
        raise CliError(f"{args.year} 年没有镇街考核得分")
    try:
        result = allocate_funding(towns, policy.funding)
    except ValueError as exc:
        raise CliError(f"镇街考核得分有误：{exc}") from None
    if out is not None:
        _write(write_funding_report, out, args.year, result, policy, source=source)
    if args.json:
        _print_json(funding_json(args.year, result, policy))
    _written(out)
    return 0


def cmd_ledger(args: argparse.Namespace) -> int:
    if args.output is None:
        raise CliError("请用 -o 指定输出文件")
    out = _check_output(args)
    if args.date_to < args.date_from:
        raise CliError("--to 不能早于 --from")
    policy = _policy(args)
    from desktop.report_sources import iter_ledger_rows

    total, rows = iter_ledger_rows(args, args.date_from, args.date_to, args.town)
    counter = LedgerCounter(rows)
    show = sys.stderr.isatty()

    def progress(done: int, total: int | None) -> None:
        if show:
            print(f"\r已写入 {done}" + (f"/{total}" if total else "") + " 行", end="", file=sys.stderr, flush=True)

    try:
        result = _write(
            write_ledger_report,
            out,
            counter,
            policy,
            date_from=args.date_from,
            date_to=args.date_to,
            town=args.town,
            total=total,
            progress=progress,
        )
    except (Cancelled, KeyboardInterrupt):
        raise CliError("已取消，未生成文件", code=130) from None
    if show:
        print(file=sys.stderr)
    if args.json:
        _print_json(ledger_json(counter, args.date_from, args.date_to, args.town, result.sheets))
    _written(out)
    return 0
