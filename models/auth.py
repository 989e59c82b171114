"""Passwords (argon2) and log-in with lock-out after repeated failures."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from models.enums import UserRole
from models.policy import SecurityPolicy
from models.schema import User

_HASHER = PasswordHasher()


def hash_password(password: str) -> str:
    if len(password) < 6:
        raise ValueError("password must have at least 6 characters")
    return _HASHER.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


class LoginError(Exception):
    """Log-in refused; `locked_until` is set when the account is locked."""

    def __init__(self, message: str, locked_until: dt.datetime | None = None) -> None:
        super().__init__(message)
        self.locked_until = locked_until


@dataclass(frozen=True)
class Identity:
    """Who is working: what every scoped query and transition needs."""

    user_id: int | None
    username: str
    display_name: str
    role: UserRole
    town_id: int | None = None
    department_id: int | None = None

    @property
    def scoped(self) -> bool:
        return self.role is UserRole.TOWN_OFFICER


SYSTEM = Identity(None, "system", "系统", UserRole.ADMIN)


def authenticate(session: Session, username: str, password: str, policy: SecurityPolicy,
                 now: dt.datetime | None = None) -> Identity:
    """Check a password; count failures and lock the account after too many."""
    now = now or dt.datetime.now()
    user = session.scalar(sa.select(User).where(User.username == username))
    if user is None or not user.active:
        raise LoginError("用户名或密码错误")
    if user.locked_until and user.locked_until > now:
        raise LoginError("账号已锁定", user.locked_until)
    if not verify_password(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= policy.max_failed_logins:
            user.locked_until = now + dt.timedelta(minutes=policy.lockout_minutes)
            user.failed_logins = 0
            session.commit()
            raise LoginError("密码错误次数过多，账号已锁定", user.locked_until)
        session.commit()
        raise LoginError("用户名或密码错误")
    if user.failed_logins or user.locked_until:
        user.failed_logins = 0
        user.locked_until = None
        session.commit()
    return identity_of(user)


def identity_of(user: User) -> Identity:
    return Identity(user.id, user.username, user.display_name, user.role, user.town_id, user.department_id)
