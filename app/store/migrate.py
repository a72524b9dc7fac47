"""Alembic, driven from code: `reciprocity migrate` and the start-up upgrade use these."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, make_url
from sqlalchemy.pool import NullPool

_PACKAGE = Path(__file__).resolve().parent.parent


def scripts_location() -> Path:
    """Return the Alembic scripts folder: ./migrations in a checkout, app/_migrations in a wheel."""
    for candidate in (_PACKAGE.parent / "migrations", _PACKAGE / "_migrations"):
        if (candidate / "env.py").is_file():
            return candidate
    raise FileNotFoundError("the Alembic migrations folder is missing from this installation")


def alembic_config(url: str) -> Config:
    """Return an Alembic config for `url` that needs no alembic.ini."""
    config = Config()
    config.set_main_option("script_location", str(scripts_location()))
    # ConfigParser interpolation would choke on a '%' in a password.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Apply every migration up to `revision` on `url`."""
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    """Revert migrations down to `revision` on `url`."""
    command.downgrade(alembic_config(url), revision)


def pending(engine: Engine) -> bool:
    """Return whether `engine`'s database is behind the newest migration."""
    script = ScriptDirectory.from_config(alembic_config(engine.url.render_as_string(False)))
    with engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    return current != set(script.get_heads())


def initialised(url: str) -> bool:
    """Return whether `url`'s database has had any migration applied, without creating it: a
    SQLite file that does not exist is not created."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database or ""
        if path in ("", ":memory:"):
            return False
        if not path.startswith("file:") and not Path(path).exists():
            return False
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return bool(MigrationContext.configure(connection).get_current_heads())
    finally:
        engine.dispose()
