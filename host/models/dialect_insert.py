"""``INSERT ... ON CONFLICT`` for the database in use (SQLite or PostgreSQL).

Both dialects of SQLAlchemy offer ``on_conflict_do_nothing`` / ``on_conflict_do_update``;
:func:`insert_for` picks the one matching ``bind`` (an engine or connection).
"""

from __future__ import annotations


def insert_for(bind, table):
    if bind.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)
