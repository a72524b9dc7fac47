"""slack-sdk's installation and OAuth-state tables (multi-workspace installs), on our metadata."""

from __future__ import annotations

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import String

from app.store.models.base import Base

# In the shapes slack-sdk's stores expect: Alembic creates and migrates them like every other table.
BOTS_TABLE = "slack_bots"
INSTALLATIONS_TABLE = "slack_installations"
STATES_TABLE = "slack_oauth_states"
SQLAlchemyInstallationStore.build_bots_table(Base.metadata, BOTS_TABLE)
SQLAlchemyInstallationStore.build_installations_table(Base.metadata, INSTALLATIONS_TABLE)
SQLAlchemyOAuthStateStore.build_oauth_states_table(Base.metadata, STATES_TABLE)
# Tokens are stored encrypted (app/slack/token_crypto.py), longer than slack-sdk's 200 characters.
for _table in (BOTS_TABLE, INSTALLATIONS_TABLE):
    for _column in Base.metadata.tables[_table].c:
        if _column.name.endswith("_token"):
            _column.type = String(1000)
