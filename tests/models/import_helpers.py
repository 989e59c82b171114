"""Helpers for the importer tests: a populated database per test, fast.

`populated_db(db_url)` puts the small district of tests.factories (defaults +
two towns, four grids) at `db_url` by copying a template made once per test
session and engine (a file copy on SQLite, CREATE DATABASE … TEMPLATE on
PostgreSQL). `snapshot(engine)` fingerprints every table.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import uuid
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from models.db import make_engine
from models.schema import Base
from tests.factories import make_db

_TEMPLATES: dict[str, str] = {}


def populated_db(db_url: str) -> Engine:
    if db_url.startswith("sqlite"):
        target = Path(db_url.removeprefix("sqlite:///"))
        template = _TEMPLATES.get("sqlite")
        if template is None:
            template = str(Path(tempfile.mkdtemp(prefix="griddesk-import-tmpl-")) / "template.sqlite")
            engine = make_db(f"sqlite:///{template}")
            with engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            engine.dispose()
            _TEMPLATES["sqlite"] = template
        shutil.copyfile(template, target)
        return make_engine(db_url)
    base, name = db_url.rsplit("/", 1)
    admin = sa.create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    try:
        template = _TEMPLATES.get("postgresql")
        if template is None:
            template = "gd_import_tmpl_" + uuid.uuid4().hex[:8]
            with admin.connect() as conn:
                conn.exec_driver_sql(f'CREATE DATABASE "{template}"')
            make_db(f"{base}/{template}").dispose()
            _TEMPLATES["postgresql"] = template
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
            conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    finally:
        admin.dispose()
    return make_engine(db_url)


def snapshot(engine: Engine) -> dict[str, tuple[int, str]]:
    """Per table: (row count, SHA-256 of every row in primary-key order)."""
    out = {}
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            rows = conn.execute(sa.select(table).order_by(*order)).all()
            digest = hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()
            out[table.name] = (len(rows), digest)
    return out


def write_xlsx(path: Path, headers: list[str | None], rows: list[list]) -> Path:
    """A one-sheet workbook: `headers` on row 1, then `rows`."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(headers)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def reasons(problems) -> set[tuple]:
    """(where, column, reason) of each problem, for assertions."""
    return {(p.where, p.column, p.reason) for p in problems}


def import_file(engine: Engine, path: Path, columns, importer, **kw):
    """Read `path` like the CLI does and run `importer(session, rows, **kw)` in one transaction.

    Returns (result, problems): problems merged from the reader and the importer;
    on any problem the transaction is rolled back and result is None.
    """
    from sqlalchemy.orm import Session

    from models.importers.common import ImportFailed
    from reports.table_reader import merge_problems, read_table

    table = read_table(path, columns)
    if table.fatal:
        return None, table.problems
    with Session(engine, info={"actor": "import"}, expire_on_commit=False) as session:
        try:
            result = importer(session, table.rows, **kw)
        except ImportFailed as exc:
            session.rollback()
            return None, merge_problems(table.problems, exc.problems)
        if table.problems:
            session.rollback()
            return None, table.problems
        session.commit()
        return result, []
