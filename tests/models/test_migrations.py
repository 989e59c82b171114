"""The migrations (models/migrations) build exactly the schema the ORM (models/schema) declares.

On both engines: migrating an empty database to head leaves nothing for alembic's
`compare_metadata` to report — no table, column, type, index or constraint that one
side has and the other lacks — and the queue indexes of 0004 can be taken down to
0003 and put back, on a database with data in it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.orm import Session

from models import migrate
from models.db import make_engine
from models.schema import Base, MinorClass, Town
from tests.factories import make_db

QUEUE_INDEXES_0004 = {
    "ix_case_queue_deadline": ["status", "step_deadline", "id", "town_id"],
    "ix_case_queue_code": ["status", "code", "id", "town_id"],
    "ix_case_queue_reported": ["status", "reported_at", "id", "town_id"],
    "ix_case_queue_updated": ["status", "updated_at", "id", "town_id"],
    "ix_case_queue_town": ["status", "town_id", "id"],
    "ix_case_queue_class": ["status", "minor_class_id", "id", "town_id"],
    "ix_case_queue_level": ["status", "level", "id", "town_id"],
    "ix_case_queue_status": ["status", "id", "town_id", "step_deadline", "step_yellow_at"],
    "ix_case_queue_card": ["status", "card", "id", "town_id"],
}


def differences(engine: sa.Engine) -> list:
    """What alembic's autogenerate would change to make the database match the ORM metadata.

    Nothing is ignored: there is no difference to justify on SQLite or PostgreSQL (types are
    compared too, as models/migrations/env.py configures autogenerate)."""
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)


def run(engine: sa.Engine, step, revision: str) -> None:
    """`alembic upgrade|downgrade revision` on `engine`, as models.migrate runs upgrades."""
    with engine.begin() as conn:
        cfg = migrate.alembic_config()
        cfg.attributes["connection"] = conn
        step(cfg, revision)


def indexes(engine: sa.Engine, table: str) -> dict[str, list[str]]:
    return {ix["name"]: ix["column_names"] for ix in sa.inspect(engine).get_indexes(table)}


def test_migrating_an_empty_database_gives_the_orm_schema(db_url):
    engine = make_engine(db_url)
    try:
        migrate.upgrade(engine)
        assert migrate.is_up_to_date(engine) and migrate.current_revision(engine) == "0004"
        assert differences(engine) == []
        case_indexes = indexes(engine, "case_")
        for name, columns in QUEUE_INDEXES_0004.items():
            assert case_indexes[name] == columns, name
        assert indexes(engine, "dict_minor")["ix_dict_minor_code"] == ["code", "id"]
    finally:
        engine.dispose()


def test_queue_indexes_go_down_to_0003_and_come_back_with_the_data_kept(db_url):
    engine = make_db(db_url)  # migrated to head, with the defaults and a small district
    try:
        with Session(engine) as s:
            before = (s.scalar(sa.select(sa.func.count()).select_from(MinorClass)),
                      s.scalar(sa.select(sa.func.count()).select_from(Town)))
        run(engine, command.downgrade, "0003")
        assert migrate.current_revision(engine) == "0003"
        case_indexes = indexes(engine, "case_")
        assert case_indexes["ix_case_queue_card"] == ["status", "card"]  # as 0003 made it
        assert not set(QUEUE_INDEXES_0004) - {"ix_case_queue_card"} & set(case_indexes)
        assert "ix_dict_minor_code" not in indexes(engine, "dict_minor")
        # the comparison sees exactly what 0004 adds: it is not blind to indexes
        found = {(d[0], d[1].name) for d in differences(engine)}
        assert found == {("add_index", name) for name in QUEUE_INDEXES_0004} | {
            ("remove_index", "ix_case_queue_card"), ("add_index", "ix_dict_minor_code")}

        run(engine, command.upgrade, "head")
        assert migrate.is_up_to_date(engine)
        assert differences(engine) == []
        with Session(engine) as s:
            after = (s.scalar(sa.select(sa.func.count()).select_from(MinorClass)),
                     s.scalar(sa.select(sa.func.count()).select_from(Town)))
        assert after == before and min(before) > 0
    finally:
        engine.dispose()
