"""Alembic environment. Kindred runs migrations itself (see ``crm.db``), handing over a connection."""

from __future__ import annotations

import warnings

from alembic import context
from sqlalchemy import engine_from_config, pool
from sqlalchemy.exc import SAWarning

from crm.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:  # the ``alembic`` command line, for developers
        engine = engine_from_config(
            config.get_section(config.config_ini_section, {}), poolclass=pool.NullPool
        )
        with engine.begin() as connection:
            _run(connection)
    else:
        _run(connection)


def _run(connection: object) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)  # type: ignore[arg-type]
    with warnings.catch_warnings():
        # A batch step on SQLite copies one table, reflecting the tables it refers to; SQLAlchemy
        # cannot reflect the expression indexes of those (``person``'s lower(email)) and says so.
        # They are not rebuilt, so nothing is lost.
        warnings.filterwarnings("ignore", "Skipped unsupported reflection", SAWarning)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
