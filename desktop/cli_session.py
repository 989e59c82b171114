"""Who a CLI command acts as: `--user NAME` with the password from
$GRIDDESK_PASSWORD (or asked). Scope and role apply exactly as in the GUI."""

from __future__ import annotations

import argparse
import getpass
import os

from sqlalchemy.orm import Session

from desktop.cli import CliError
from models.auth import SYSTEM, Identity, LoginError, authenticate
from models.policy_store import load_policy


def add_user_option(p: argparse.ArgumentParser, required: bool = False) -> None:
    p.add_argument("--user", required=required, metavar="NAME",
                   help="act as this user (password from $GRIDDESK_PASSWORD or asked); "
                        "a town officer sees only their town")


def identity_for(session: Session, args: argparse.Namespace, *, default_system: bool = True) -> Identity:
    name = getattr(args, "user", None)
    if not name:
        if default_system:
            return SYSTEM
        raise CliError("this command needs --user NAME")
    password = os.environ.get("GRIDDESK_PASSWORD") or getpass.getpass(f"password for {name}: ")
    try:
        return authenticate(session, name, password, load_policy(session).security)
    except LoginError as exc:
        raise CliError(f"login refused: {exc}") from exc
