"""A plain in-memory case row with every column of `Case`, for the demo
generator and property tests (the engine works on it as on the ORM row)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from models.enums import Card, Level
from models.schema import Case

_DEFAULTS: dict[str, Any] = {
    "level": Level.GRID, "card": Card.NONE, "card_points": 0.0, "suspended_seconds": 0,
    "extension_count": 0, "rework_count": 0, "return_count": 0, "self_handled": False,
    "auto_dispatched": False, "is_demo": False, "appeal_pending": False, "version": 1,
    "description": "", "address": "", "reporter_name": "", "reporter_phone": "",
}
COLUMNS = tuple(c.key for c in Case.__table__.columns)


def new_record(**fields: Any) -> SimpleNamespace:
    values = {name: _DEFAULTS.get(name) for name in COLUMNS}
    unknown = set(fields) - set(COLUMNS)
    if unknown:
        raise TypeError(f"not case columns: {sorted(unknown)}")
    values.update(fields)
    return SimpleNamespace(**values)


def as_row(record: SimpleNamespace) -> dict[str, Any]:
    """The record's column values, for a bulk insert."""
    return {name: getattr(record, name) for name in COLUMNS}
