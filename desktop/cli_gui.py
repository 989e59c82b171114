"""`griddesk gui`: the command centre window (and `--snapshot` for README and briefings)."""

from __future__ import annotations

import argparse
import os
import sys

from desktop.cli import CliError


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = text.lower().split("x")
        return int(w), int(h)
    except ValueError:
        raise argparse.ArgumentTypeError("size like 1920x1080") from None


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("gui", help="打开指挥中心窗口 / open the command-centre window")
    p.add_argument("--layout", choices=["wall", "office"], help="大屏 wall (dark, full screen) or 办公 office "
                                                                 "(default: wall for duty officers, office otherwise)")
    p.add_argument("--lang", choices=["zh", "en"], help="UI language (default: the saved one, else zh)")
    p.add_argument("--user", help="log in as this user (password from $GRIDDESK_PASSWORD, else the log-in dialog)")
    p.add_argument("--demo-live", action="store_true", help="演示: simulate reports and handling in real time")
    p.add_argument("--speed", type=float, default=1.0, help="with --demo-live: simulated minutes per real minute")
    p.add_argument("--snapshot", metavar="FILE.png", help="render the window offscreen, save a PNG and exit")
    p.add_argument("--size", type=_size, default=None, help="window size for --snapshot, e.g. 3840x2160")
    p.add_argument("--screen", type=int, default=None, help="screen number for the wall (default: primary)")
    p.set_defaults(func=run)


def run(args) -> int:
    if args.snapshot:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from desktop.app import create_app
    from desktop.settings import Settings

    settings = Settings()
    language = args.lang or settings.language
    app = create_app([sys.argv[0]], language)
    from desktop.session_start import start_session

    window = start_session(app, args, settings, language)
    if window is None:
        return 1
    if args.snapshot:
        from desktop.snapshot import save_snapshot

        try:
            save_snapshot(app, window, args.snapshot)
        except RuntimeError as exc:
            raise CliError(str(exc)) from exc
        window.close()
        return 0
    return app.exec()
