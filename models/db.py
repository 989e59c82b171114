"""Engines and sessions: the embedded SQLite default or any SQLAlchemy URL.

Every ORM flush writes the audit log (who changed which row, old → new) and, for
cases, a change-feed row that other seats poll (and, on PostgreSQL, a NOTIFY on
channel `griddesk_changes` as the fast path). The actor is `session.info["actor"]`.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import json
import os
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from models.enums import AuditAction
from models.schema import AuditLog, Case, ChangeFeed, FlowLog, TrackPoint

NOTIFY_CHANNEL = "griddesk_changes"
_NOT_AUDITED = {AuditLog.__tablename__, ChangeFeed.__tablename__, FlowLog.__tablename__,
                TrackPoint.__tablename__}


def data_dir() -> Path:
    """The user's GridDesk data directory ($GRIDDESK_HOME overrides)."""
    override = os.environ.get("GRIDDESK_HOME")
    if override:
        path = Path(override)
    else:
        from platformdirs import user_data_dir

        path = Path(user_data_dir("GridDesk", "GridDesk"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_url() -> str:
    return f"sqlite:///{data_dir() / 'griddesk.sqlite'}"


def resolve_url(url: str | None = None) -> str:
    """`--db URL`, else $GRIDDESK_DB, else the embedded SQLite file."""
    return url or os.environ.get("GRIDDESK_DB") or default_url()


def is_embedded_default(url: str) -> bool:
    return url == default_url()


def make_engine(url: str | None = None, **kw: Any) -> Engine:
    url = resolve_url(url)
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": 30}, **kw)
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        kw.setdefault("pool_pre_ping", True)
        engine = sa.create_engine(url, **kw)
    return engine


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


# --- audit log and change feed --------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return value


def _pk(obj: Any) -> str:
    # the identity key is not assigned yet in after_flush; read the columns
    ident = sa.inspect(obj).mapper.primary_key_from_instance(obj)
    return ",".join(str(v) for v in ident)


def _column_changes(obj: Any, action: AuditAction) -> dict[str, Any]:
    state = sa.inspect(obj)
    out: dict[str, Any] = {}
    for attr in state.mapper.column_attrs:
        hist = state.attrs[attr.key].history
        if action is AuditAction.INSERT:
            value = getattr(obj, attr.key)
            if value is not None:
                out[attr.key] = _plain(value)
        elif action is AuditAction.UPDATE:
            if hist.has_changes():
                old = hist.deleted[0] if hist.deleted else None
                new = hist.added[0] if hist.added else None
                if old != new:
                    out[attr.key] = [_plain(old), _plain(new)]
        else:
            out[attr.key] = _plain(getattr(obj, attr.key))
    return out


@event.listens_for(Session, "after_flush")
def _write_audit(session: Session, _flush_context) -> None:
    actor = str(session.info.get("actor", "system"))
    now = session.info.get("now") or dt.datetime.now().replace(microsecond=0)
    audit: list[dict[str, Any]] = []
    feed: list[dict[str, Any]] = []
    for action, objs in ((AuditAction.INSERT, session.new), (AuditAction.UPDATE, session.dirty),
                         (AuditAction.DELETE, session.deleted)):
        for obj in objs:
            table = obj.__table__.name
            if table in _NOT_AUDITED:
                continue
            changes = _column_changes(obj, action)
            if action is AuditAction.UPDATE and not changes:
                continue
            audit.append(dict(at=now, actor=actor, action=action, entity=table, entity_id=_pk(obj),
                              changes=json.dumps(changes, ensure_ascii=False)))
            if isinstance(obj, Case):
                feed.append(dict(at=now, entity="case", entity_id=obj.id, town_id=obj.town_id))
    conn = session.connection()
    if audit:
        conn.execute(sa.insert(AuditLog), audit)
    if feed:
        conn.execute(sa.insert(ChangeFeed), feed)
        if conn.dialect.name == "postgresql":
            ids = ",".join(str(f["entity_id"]) for f in feed[:200])
            conn.execute(sa.text("SELECT pg_notify(:ch, :payload)"), {"ch": NOTIFY_CHANNEL, "payload": ids})
