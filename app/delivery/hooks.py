"""What the domain tells the delivery worker, handed over where the app is assembled.

The worker knows no domain table or service: how to render a `$render` row, where to record a
sent post, what to do when a workspace refuses the bot's token, and what else to tidy when it
prunes all come in a `DeliveryHooks` (see app/runtime.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.delivery.outbox import Renderer

# Called in the recording transaction with (session, team_id, now) when Slack refused the
# workspace's token (revoked, uninstalled); its rows then wait until it is active again.
AuthFailureHook = Callable[[Session, str, datetime], object]
# Run with (session, now) in the worker's periodic pruning transaction.
Housekeeping = Callable[[Session, datetime], object]


@dataclass(frozen=True)
class PostLink:
    """Where a sent post is recorded: the `model` row with the link's id (and the row's team)
    gets the post's channel in `channel_column` and its ts in `ts_column`."""

    model: type[Any]
    channel_column: str
    ts_column: str


@dataclass(frozen=True)
class DeliveryHooks:
    """The domain's part in delivery: renderers by `outbox.RENDER` name, post links by
    `outbox.Link.table`, the auth-failure hook, and housekeeping run when the worker prunes."""

    renderers: Mapping[str, Renderer]
    links: Mapping[str, PostLink]
    on_auth_failure: AuthFailureHook
    housekeeping: Sequence[Housekeeping] = ()
