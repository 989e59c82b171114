"""Loading and saving versioned policies in the database."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from models.policy import Policy
from models.schema import PolicyRow


def current_policy_row(session: Session, on: dt.date | None = None) -> PolicyRow | None:
    q = sa.select(PolicyRow).order_by(PolicyRow.effective_from.desc(), PolicyRow.version.desc())
    if on is not None:
        q = q.where(PolicyRow.effective_from <= on)
    return session.scalars(q.limit(1)).first()


def load_policy(session: Session, on: dt.date | None = None) -> Policy:
    """The policy in force on `on` (default: the newest); defaults if none stored."""
    row = current_policy_row(session, on)
    return Policy.from_json(row.content) if row else Policy()


def save_policy(session: Session, policy: Policy, effective_from: dt.date, actor: str = "system") -> PolicyRow:
    """Store `policy` as a new version (old versions stay for history)."""
    last = session.scalar(sa.select(sa.func.max(PolicyRow.version))) or 0
    row = PolicyRow(version=last + 1, name=policy.name, effective_from=effective_from,
                    content=policy.to_json(), created_at=dt.datetime.now().replace(microsecond=0),
                    created_by=actor)
    session.add(row)
    session.flush()
    return row
