"""Filling the directory from Slack: a full sync at start, single look-ups on a cache miss."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.delivery.tokens import TokenSource
from app.directory.service import (
    cached_conversation,
    channel_is_stale,
    get_channel,
    get_member,
    get_members,
    save_channel,
    save_members,
)
from app.slackapi.payloads import Conversation
from app.slackapi.web_api import RateLimited, TransientError, WebApi, WebApiError
from app.store.db import SessionFactory, transaction
from app.store.models import Channel, Member

log = logging.getLogger(__name__)

# A miss on the ack path may cost one short call; Slack gives us 3 seconds in all.
LOOKUP_TIMEOUT = 1.0
# The sync runs in the background, where a big page may take its time.
SYNC_TIMEOUT = 10.0
# Slack advises pages of at most 200 and may hand back fewer, even none, with a cursor to follow.
USERS_PAGE = 200
# One page may fail transiently (5xx, timeout) this many times in a row before the sync gives up
# for now; the waits between tries double from PAGE_BACKOFF seconds.
PAGE_ATTEMPTS = 4
PAGE_BACKOFF = 2.0
# Retry-After is honoured every time; a page still refused after this many waits means something
# else spends the workspace's Tier 2 budget, and the sync is better retried much later.
PAGE_RATE_LIMITS = 10

# The reason of a sync that ended because its wait said stop.
STOPPED = "stopped"

Wait = Callable[[float], bool]
"""Waits up to the given seconds and returns True when the caller should stop instead
(`threading.Event.wait` is one; tests pass one that returns at once)."""


@dataclass(frozen=True)
class SyncResult:
    """How far a `users.list` sync got: complete, or the cursor to go on from and why it stopped."""

    complete: bool
    people: int
    cursor: str | None = None
    reason: str = ""


@dataclass(frozen=True)
class _Page:
    members: list[dict[str, Any]]
    next_cursor: str


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
        """Return the channel from the cache, re-read from `conversations.info` on a miss or
        when its facts are older than `CHANNEL_TTL`.

        A re-read that fails keeps the cached (stale) facts: they beat knowing nothing. Slack
        hides private channels the bot is not in (`channel_not_found`); such a channel is cached
        as private with the bot outside, which is what every guard needs to know.
        """
        cached = get_channel(session, team_id, channel_id)
        if cached is not None and not channel_is_stale(cached, now):
            return cached
        info = self._channel_info(team_id, channel_id)
        if info is None:
            return cached
        if cached is not None and not info.get("name"):
            info = {**info, "name": cached.name}
        return save_channel(session, team_id, info, now)

    def conversation(
        self, session: Session, team_id: str, channel_id: str, in_dm: bool, now: datetime
    ) -> Conversation:
        """The privacy of the conversation something was typed in, from the cache or Slack;
        one Slack will not describe counts as private, so nothing is quoted where it should
        not be."""
        if in_dm:
            return Conversation(channel_id, is_private=True, is_dm=True, bot_is_member=False)
        cached = cached_conversation(session, team_id, channel_id)
        if cached is not None and not channel_is_stale(cached, now):
            return cached.conversation(channel_id)
        channel = self.channel(session, team_id, channel_id, now)
        if channel is None:
            return Conversation(channel_id, is_private=True, is_dm=False, bot_is_member=False)
        return Conversation(channel_id, channel.is_private, channel.is_im, channel.bot_is_member)

    def _channel_info(self, team_id: str, channel_id: str) -> dict[str, Any] | None:
        """Slack's conversation object for `channel_id`, or None when Slack did not say."""
        token = self.tokens.bot_token(team_id)
        if token is None:
            return None
        try:
            answer = self.api.call(
                "conversations.info", token, {"channel": channel_id}, timeout=LOOKUP_TIMEOUT
            )
        except WebApiError as exc:
            if exc.error != "channel_not_found":
                return None
            return {"id": channel_id, "is_private": True, "is_member": False}
        except (TransientError, RateLimited):
            return None
        channel = answer.get("channel")
        return channel if isinstance(channel, dict) else None

    def sync_members(
        self,
        sessions: SessionFactory,
        team_id: str,
        now: datetime,
        *,
        wait: Wait,
        resume: SyncResult | None = None,
    ) -> SyncResult:
        """Copy `team_id`'s `users.list` into the directory, page by page, and say how far it got.

        Each page is saved as it arrives (saving is idempotent). A 429 waits Retry-After through
        `wait` and asks for the same page again; a transient failure is retried with backoff. A
        sync that cannot finish returns `complete=False` with the cursor to go on from: pass that
        result as `resume` to continue (from the start again if Slack no longer knows the
        cursor). Nothing here concludes anything from who was *not* listed.
        """
        cursor, people = "", 0
        if resume is not None and not resume.complete and resume.cursor:
            cursor, people = resume.cursor, resume.people
        while True:
            page = self._users_page(team_id, cursor, wait)
            if isinstance(page, str):
                if page == "invalid_cursor" and cursor:
                    # The cursor went stale between attempts: list everyone again.
                    cursor, people = "", 0
                    continue
                return SyncResult(complete=False, people=people, cursor=cursor, reason=page)
            with transaction(sessions) as session:
                save_members(session, team_id, page.members, now)
            people += len(page.members)
            if not page.next_cursor:
                return SyncResult(complete=True, people=people)
            cursor = page.next_cursor

    def _users_page(self, team_id: str, cursor: str, wait: Wait) -> _Page | str:
        """Fetch the `users.list` page at `cursor`, waiting out 429s and retrying transient
        failures; return the page, or why it could not be had now."""
        token = self.tokens.bot_token(team_id)
        if token is None:
            return "no bot token for the workspace"
        failures = limits = 0
        while True:
            try:
                answer = self.api.call(
                    "users.list",
                    token,
                    {"limit": USERS_PAGE, "cursor": cursor or None},
                    timeout=SYNC_TIMEOUT,
                )
            except RateLimited as exc:
                limits += 1
                if limits > PAGE_RATE_LIMITS:
                    return f"still rate-limited after {PAGE_RATE_LIMITS} waits"
                delay = exc.retry_after
            except (WebApiError, TransientError) as exc:
                if isinstance(exc, WebApiError) and (
                    exc.permanent or exc.error == "invalid_cursor"
                ):
                    return exc.error
                # 5xx, timeouts, fatal_error and the like: a read is safe to ask again.
                failures += 1
                if failures >= PAGE_ATTEMPTS:
                    return str(exc)
                delay = PAGE_BACKOFF * 2 ** (failures - 1)
            else:
                members = answer.get("members") or []
                next_cursor = (answer.get("response_metadata") or {}).get("next_cursor") or ""
                return _Page([m for m in members if isinstance(m, dict)], str(next_cursor))
            if wait(delay):
                return STOPPED

    def _call(
        self, team_id: str, method: str, args: dict[str, Any], timeout: float = LOOKUP_TIMEOUT
    ) -> dict[str, Any] | None:
        token = self.tokens.bot_token(team_id)
        if token is None:
            return None
        try:
            return self.api.call(method, token, args, timeout=timeout)
        except (WebApiError, TransientError, RateLimited) as exc:
            log.warning("%s for %s failed: %s", method, team_id, exc)
            return None
