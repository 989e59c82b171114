"""The `griddesk` command line: one argparse tree, each area in its own module.

Every module in CLI_MODULES has `register(subparsers)` that adds its commands;
each command sets `func(args) -> int`. `python main.py` is the same entry point.
"""

from __future__ import annotations

import argparse
import importlib
import sys

CLI_MODULES = (
    "desktop.cli_db",
    "desktop.cli_import",
    "desktop.cli_user",
    "desktop.cli_case",
    "desktop.cli_kpi",
    "desktop.cli_reports",
    "desktop.cli_conference",
    "desktop.cli_gui",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="griddesk",
        description="GridDesk 网格化治理指挥中心 — command centre, case engine, reports.",
    )
    parser.add_argument(
        "--db",
        metavar="URL",
        help="database URL (default: $GRIDDESK_DB or the embedded SQLite file in the user data directory)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in CLI_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:  # a module not written yet
            if exc.name == name:
                continue
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        if args.command is None:
            # `griddesk` alone opens the command centre, like `griddesk gui`.
            args = parser.parse_args([*(argv or sys.argv[1:]), "gui"])
        if not getattr(args, "func", None):
            parser.print_help()
            return 2
    try:
        return int(args.func(args) or 0)
    except CliError as exc:
        print(f"griddesk: error: {exc}", file=sys.stderr)
        return exc.code


class CliError(Exception):
    """An error to print as one line, exit status `code`."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


if __name__ == "__main__":
    raise SystemExit(main())
