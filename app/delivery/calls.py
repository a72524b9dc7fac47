"""One outbox row's Slack call: its workspace's token, then the call its method needs, and how it
ended as an `Outcome`; never an exception."""

from __future__ import annotations

import logging

from sqlalchemy.exc import SQLAlchemyError

from app.delivery.claims import Claimed
from app.delivery.joins import ChannelJoins
from app.delivery.privacy import PrivacyCheck
from app.delivery.sender import LOOKED_FOR, Outcome, send
from app.delivery.tokens import TokenSource
from app.delivery.upload_steps import send_upload_step
from app.delivery.uploads import UPLOAD_METHODS
from app.slackapi.web_api import WebApi

log = logging.getLogger(__name__)


def call_slack(
    row: Claimed,
    slack: WebApi,
    tokens: TokenSource,
    privacy: PrivacyCheck,
    joins: ChannelJoins,
) -> Outcome:
    """Make `row`'s call with its workspace's token from `tokens` and return how it ended: a
    missing token, a database that could not be read and a payload that raised each end as an
    outcome the worker's round records."""
    try:
        # Looked up here, outside the claim's transaction: a token source may read the store
        # or rotate the token over HTTP.
        token = tokens.bot_token(row.team_id)
        if token is None:
            # The workspace is gone until someone reinstalls; its rows wait for that.
            return Outcome(ok=False, error="no_token", auth_failed=True, called=False)
        if row.method in UPLOAD_METHODS:
            return send_upload_step(
                slack,
                row.method,
                row.args,
                token,
                row.team_id,
                look_since=row.look_since,
                joins=joins,
            )
        return send(
            slack,
            row.method,
            row.args,
            token,
            privacy,
            row.team_id,
            dedupe_key=row.dedupe_key,
            look_since=row.look_since,
            joins=joins,
        )
    except SQLAlchemyError as exc:
        # The token or the privacy check could not be read (the database is busy or away):
        # nothing was posted, and it passes.
        log.warning("delivery of outbox row %d waits for the database: %s", row.id, exc)
        return Outcome(
            ok=False,
            error=f"database: {type(exc).__name__}",
            # A row that may already be on Slack stays so until a lookup settles it.
            unsure=row.look_since is not None and row.method in LOOKED_FOR,
            called=False,
        )
    except Exception as exc:  # a bug in a payload must not wedge the row
        log.exception("delivery of outbox row %d raised", row.id)
        return Outcome.permanent_failure(f"internal: {type(exc).__name__}")
