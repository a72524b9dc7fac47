"""The bot's PostgreSQL connections run without JIT, and keep the server options the operator's
URL gives."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from app.store.db import make_engine

pytestmark = pytest.mark.postgres


def _settings(url: str, *names: str) -> list[str]:
    engine = make_engine(url, pool_size=1)
    try:
        with engine.connect() as connection:
            return [str(connection.execute(text(f"SHOW {name}")).scalar_one()) for name in names]
    finally:
        engine.dispose()


def test_connections_run_without_jit(database_url: str) -> None:
    assert _settings(database_url, "jit") == ["off"]


def test_the_urls_own_server_options_are_kept(database_url: str) -> None:
    url = make_url(database_url).update_query_dict({"options": "-c statement_timeout=4321"})
    jit, timeout = _settings(url.render_as_string(hide_password=False), "jit", "statement_timeout")
    assert (jit, timeout) == ("off", "4321ms")
