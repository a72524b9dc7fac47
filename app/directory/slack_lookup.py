"""Filling the directory from Slack: a full sync at start, single look-ups on a cache miss."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.delivery.tokens import TokenSource
from app.directory.service import (
    get_channel,
    get_member,
    get_members,
    save_channel,
    save_members,
)
from app.slack.web_api import RateLimited, SlackApiError, TransientError, WebApi
from app.store.db import SessionFactory, transaction
from app.store.models import Channel, Member

log = logging.getLogger(__name__)

# A miss on the ack path may cost one short call; Slack gives us 3 seconds in all.
LOOKUP_TIMEOUT = 1.0


class SlackLookup:
    """Reads through the directory cache to Slack for people and channels it has not seen."""

    def __init__(self, api: WebApi, tokens: TokenSource) -> None:
        self.api = api
        self.tokens = tokens

    def member(self, session: Session, team_id: str, user_id: str, now: datetime) -> Member | None:
        """Return `user_id`'s profile from the cache, else from `users.info` (None if unknown)."""
        cached = get_member(session, team_id, user_id)
        if cached is not None:
            return cached
        answer = self._call(team_id, "users.info", {"user": user_id})
        if answer is None or not isinstance(answer.get("user"), dict):
            return None
        save_members(session, team_id, [answer["user"]], now)
        return get_member(session, team_id, user_id)

    def members(
        self, session: Session, team_id: str, user_ids: Iterable[str], now: datetime
    ) -> dict[str, Member | None]:
        """Return each of `user_ids`' profiles as `member` would, with one query for the cached."""
        wanted = list(dict.fromkeys(user_ids))
        found: dict[str, Member | None] = dict(get_members(session, team_id, wanted))
        for user_id in wanted:
            if user_id not in found:
                found[user_id] = self.member(session, team_id, user_id, now)
        return found

    def channel(
        self, session: Session, team_id: str, channel_id: str, now: datetime
    ) -> Channel | None:
        """Return the channel from the cache, else from `conversations.info`.

        Slack hides private channels the bot is not in (`channel_not_found`); such a channel is
        cached as private with the bot outside, which is what every guard needs to know.
        """
        cached = get_channel(session, team_id, channel_id)
        if cached is not None:
            return cached
        token = self.tokens.bot_token(team_id)
        if token is None:
            return None
        try:
            answer = self.api.call(
                "conversations.info", token, {"channel": channel_id}, timeout=LOOKUP_TIMEOUT
            )
        except SlackApiError as exc:
            if exc.error != "channel_not_found":
                return None
            info: dict[str, Any] = {"id": channel_id, "is_private": True, "is_member": False}
        except (TransientError, RateLimited):
            return None
        else:
            info = answer["channel"]
        return save_channel(session, team_id, info, now)

    def sync_members(self, sessions: SessionFactory, team_id: str, now: datetime) -> int:
        """Copy the whole `users.list` of `team_id` into the directory; return how many."""
        cursor = ""
        count = 0
        while True:
            answer = self._call(
                team_id, "users.list", {"limit": 200, "cursor": cursor or None}, timeout=10.0
            )
            if answer is None:
                break
            members = answer.get("members") or []
            with transaction(sessions) as session:
                save_members(session, team_id, members, now)
            count += len(members)
            cursor = (answer.get("response_metadata") or {}).get("next_cursor") or ""
            if not cursor:
                break
        return count

    def _call(
        self, team_id: str, method: str, args: dict[str, Any], timeout: float = LOOKUP_TIMEOUT
    ) -> dict[str, Any] | None:
        token = self.tokens.bot_token(team_id)
        if token is None:
            return None
        try:
            return self.api.call(method, token, args, timeout=timeout)
        except (SlackApiError, TransientError, RateLimited) as exc:
            log.warning("%s for %s failed: %s", method, team_id, exc)
            return None
