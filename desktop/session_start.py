"""From `griddesk gui` to a logged-in main window: open (and on first run seed)
the database, log in, build the window in the role's layout."""

from __future__ import annotations

import os
import queue
import threading

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QProgressDialog
from sqlalchemy.orm import Session

from models.auth import Identity, LoginError, authenticate
from models.enums import UserRole
from models.policy_store import load_policy


def seed_first_run(app: QApplication, engine, interactive: bool) -> None:
    """Seed the demo district into an empty embedded database, showing progress."""
    from models.demo.seed import seed_demo

    messages: queue.Queue[str] = queue.Queue()
    errors: list[BaseException] = []

    def work() -> None:
        try:
            seed_demo(engine, progress=messages.put)
        except BaseException as exc:  # reported on the GUI thread
            errors.append(exc)

    thread = threading.Thread(target=work, name="demo-seed", daemon=True)
    thread.start()
    dialog = None
    if interactive:
        dialog = QProgressDialog("首次启动: 正在生成演示区数据 (演示)…", None, 0, 0)
        dialog.setWindowTitle("GridDesk")
        dialog.setMinimumDuration(0)
        dialog.show()
    while thread.is_alive():
        thread.join(0.05)
        while not messages.empty():
            text = messages.get()
            print(text, flush=True)
            if dialog is not None:
                dialog.setLabelText("首次启动: 正在生成演示区数据 (演示)…\n" + text)
        app.processEvents()
    if dialog is not None:
        dialog.close()
    if errors:
        raise errors[0]


def login(app: QApplication, engine, args, settings, demo: bool) -> Identity | None:
    def check(username: str, password: str) -> Identity:
        with Session(engine) as s:
            return authenticate(s, username, password, load_policy(s).security)

    if args.user:
        password = os.environ.get("GRIDDESK_PASSWORD")
        if password is not None:
            try:
                return check(args.user, password)
            except LoginError as exc:
                print(f"griddesk: login refused: {exc}")
                return None
        if args.snapshot:
            print("griddesk: --snapshot --user needs $GRIDDESK_PASSWORD")
            return None
    from desktop.login import LoginDialog

    dialog = LoginDialog(check, args.user or settings.last_user, demo_hint=demo)
    if dialog.exec() != LoginDialog.DialogCode.Accepted:
        return None
    return dialog.identity


def default_layout(identity: Identity) -> str:
    return "wall" if identity.role is UserRole.DUTY_OFFICER else "office"


def start_session(app: QApplication, args, settings, language: str):
    from desktop.context import is_empty_embedded, open_engine
    from desktop.main_window import MainWindow

    engine = open_engine(args)
    interactive = not args.snapshot and os.environ.get("QT_QPA_PLATFORM") != "offscreen"
    if is_empty_embedded(engine):
        seed_first_run(app, engine, interactive)
    demo = _is_demo(engine)
    identity = login(app, engine, args, settings, demo)
    if identity is None:
        return None
    settings.last_user = identity.username
    layout = args.layout or default_layout(identity)
    window = MainWindow(engine, identity, settings, layout=layout, language=language, demo=demo,
                        snapshot_size=args.size, screen_index=args.screen)
    if args.demo_live:
        from desktop.demo_live import DemoLiveDriver

        window.demo_driver = DemoLiveDriver(engine.url.render_as_string(hide_password=False), speed=args.speed)
        window.demo_driver.start()
    if not args.snapshot:
        window.show_for_layout()
    return window


def _is_demo(engine) -> bool:
    import sqlalchemy as sa

    from models.schema import District

    with engine.connect() as conn:
        return bool(conn.scalar(sa.select(sa.func.count()).select_from(District).where(District.is_demo.is_(True))))


def warn(parent, title: str, text: str) -> None:
    QMessageBox.warning(parent, title, text)


__all__ = ["start_session", "seed_first_run", "login", "QTimer"]
