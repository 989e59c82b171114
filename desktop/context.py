"""Opening the database for a command or the GUI: resolve the URL, migrate,
initialise defaults, and (embedded default only) seed the demo district once."""

from __future__ import annotations

import argparse

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from models import migrate
from models.db import is_embedded_default, make_engine, resolve_url
from models.schema import DictionaryVersion
from models.setup import init_database


def open_engine(args: argparse.Namespace, *, init: bool = True) -> Engine:
    """An engine on `--db`/$GRIDDESK_DB/the embedded file, migrated to head.

    A database without the defaults gets them (`db init`); a newer schema than
    this program knows is refused rather than damaged.
    """
    engine = make_engine(resolve_url(getattr(args, "db", None)))
    if init:
        init_database(engine)
    elif not migrate.is_up_to_date(engine):
        migrate.upgrade(engine)
    return engine


def is_empty_embedded(engine: Engine) -> bool:
    """True for the embedded default database holding no cases yet."""
    from models.schema import Case

    if not is_embedded_default(str(engine.url.render_as_string(hide_password=False))):
        return False
    with engine.connect() as conn:
        return not conn.scalar(sa.select(sa.func.count()).select_from(Case))


def has_dictionary(engine: Engine) -> bool:
    with engine.connect() as conn:
        return bool(conn.scalar(sa.select(sa.func.count()).select_from(DictionaryVersion)))
