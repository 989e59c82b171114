"""Declarative base and shared column shapes."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated

from sqlalchemy import BigInteger, DateTime, Integer, MetaData, String
from sqlalchemy import Enum as SAEnum
from sqlalchemy.orm import DeclarativeBase, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# BIGINT on PostgreSQL, INTEGER (rowid alias, autoincrement) on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")

intpk = Annotated[int, mapped_column(BigId, primary_key=True, autoincrement=True)]
str_code = Annotated[str, mapped_column(String(32))]
str_name = Annotated[str, mapped_column(String(200))]
timestamp = Annotated[dt.datetime, mapped_column(DateTime(timezone=False))]


def enum_col(enum_cls: type[StrEnum], **kw):
    """A column storing a StrEnum by its value (not its name), as VARCHAR."""
    return mapped_column(
        SAEnum(
            enum_cls,
            values_callable=lambda e: [m.value for m in e],
            native_enum=False,
            create_constraint=False,
            length=24,
        ),
        **kw,
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
