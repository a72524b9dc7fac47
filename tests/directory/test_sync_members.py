"""`SlackLookup.sync_members` against the stand-in: every page followed to an empty cursor, 429s
waited out from the same cursor, transient failures retried, and an unfinished sync reported as
such, with the cursor it goes on from."""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, urlencode

import pytest

from app.delivery.tokens import SingleWorkspaceTokens
from app.directory.service import save_members
from app.directory.slack_lookup import PAGE_ATTEMPTS, PAGE_BACKOFF, SlackLookup, SyncResult
from app.sandbox.slack_api import SlackStandIn
from app.slackapi.http_pool import Answer, HttpPool, Origin
from app.slackapi.web_api import WebApi
from app.store.db import SessionFactory, transaction
from app.store.models import Member
from tests.conftest import BOT_TOKEN
from tests.directory.conftest import START, TEAM, Waits, member_ids


@contextmanager
def fault_after_first_page(slack: SlackStandIn, **fault: Any) -> Iterator[SlackLookup]:
    """A look-up whose client, once the first `users.list` page has been answered, has the
    stand-in answer the following call(s) with `fault` (as `fail_next` takes it)."""
    injected = threading.Event()

    def on_call(method: str, status: str) -> None:
        if method == "users.list" and status == "ok" and not injected.is_set():
            injected.set()
            slack.fail_next("users.list", **fault)

    api = WebApi(slack.base_url, on_call=on_call)
    try:
        yield SlackLookup(api, SingleWorkspaceTokens(TEAM, BOT_TOKEN))
    finally:
        api.close()


def cursors(slack: SlackStandIn) -> list[tuple[int, str]]:
    """Each `users.list` call as (HTTP status, the cursor it asked for)."""
    return [(c.status, str(c.args.get("cursor") or "")) for c in slack.calls_to("users.list")]


def test_a_429_in_the_middle_still_yields_the_whole_directory(
    slack: SlackStandIn, sessions: SessionFactory, crowd: set[str], waits: Waits
) -> None:
    with fault_after_first_page(slack, status=429, retry_after=7) as lookup:
        result = lookup.sync_members(sessions, TEAM, START, wait=waits)
    assert result == SyncResult(complete=True, people=len(crowd))
    assert member_ids(sessions) == crowd
    # Slack's Retry-After was waited out, and the refused page was asked for again, not skipped.
    assert 7.0 in waits.asked
    calls = cursors(slack)
    assert any(status == 429 for status, _ in calls)
    for (status, cursor), (_, retried) in itertools.pairwise(calls):
        if status == 429:
            assert retried == cursor
    assert calls[-1][0] == 200


class EmptyPageFirst:
    """Between the client and the stand-in: each `users.list` page is preceded by an empty page
    whose `next_cursor` leads to it, as Slack may answer (fewer people than `limit`, even none)."""

    def __init__(self) -> None:
        self.inner = HttpPool(connect_timeout=5.0)
        self.empty_pages = 0

    def send(
        self, origin: Origin, path: str, headers: Mapping[str, str], body: bytes, timeout: float
    ) -> Answer:
        """Answer an empty page, or pass the call on with the real cursor."""
        if not path.endswith("/users.list"):
            return self.inner.send(origin, path, headers, body, timeout)
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        cursor = form.get("cursor", "")
        if not cursor.startswith("then:"):
            self.empty_pages += 1
            page = {
                "ok": True,
                "members": [],
                "response_metadata": {"next_cursor": "then:" + cursor},
            }
            return Answer(200, {}, json.dumps(page).encode())
        form["cursor"] = cursor.removeprefix("then:")
        real = urlencode({k: v for k, v in form.items() if v}).encode()
        return self.inner.send(origin, path, headers, real, timeout)

    def close(self) -> None:
        """Close the connections to the stand-in."""
        self.inner.close()


def test_empty_pages_with_a_cursor_are_followed_to_the_end(
    slack: SlackStandIn, sessions: SessionFactory, crowd: set[str], waits: Waits
) -> None:
    transport = EmptyPageFirst()
    api = WebApi(slack.base_url, transport=transport)
    try:
        result = SlackLookup(api, SingleWorkspaceTokens(TEAM, BOT_TOKEN)).sync_members(
            sessions, TEAM, START, wait=waits
        )
    finally:
        api.close()
    assert result.complete
    assert member_ids(sessions) == crowd
    # As many empty pages as real ones: every real page came after an empty one.
    assert transport.empty_pages == len([c for c in slack.calls_to("users.list") if c.ok])
    assert transport.empty_pages >= 3


def test_a_page_that_fails_transiently_is_retried_with_backoff(
    slack: SlackStandIn, sessions: SessionFactory, lookup: SlackLookup, waits: Waits
) -> None:
    slack.fail_next("users.list", status=500)
    slack.fail_next("users.list", error="fatal_error")
    result = lookup.sync_members(sessions, TEAM, START, wait=waits)
    assert result.complete
    assert member_ids(sessions) == set(slack.users)
    assert waits.asked[:2] == [PAGE_BACKOFF, 2 * PAGE_BACKOFF]


@pytest.fixture
def someone_slack_no_longer_lists(sessions: SessionFactory) -> str:
    """A person the directory knows from before whom `users.list` does not list."""
    with transaction(sessions) as session:
        save_members(session, TEAM, [{"id": "U0GONE", "name": "gone"}], START)
    return "U0GONE"


def test_a_sync_that_keeps_failing_reports_incomplete_and_goes_on_from_its_cursor(
    slack: SlackStandIn,
    sessions: SessionFactory,
    crowd: set[str],
    waits: Waits,
    someone_slack_no_longer_lists: str,
) -> None:
    with fault_after_first_page(slack, status=503, times=PAGE_ATTEMPTS) as lookup:
        partial = lookup.sync_members(sessions, TEAM, START, wait=waits)
    first_page = slack.calls_to("users.list")[0].response["members"]
    stuck_at = cursors(slack)[-1][1]
    assert (partial.complete, partial.people, partial.cursor) == (False, len(first_page), stuck_at)
    assert stuck_at
    assert "503" in partial.reason
    assert len(waits.asked) == PAGE_ATTEMPTS - 1
    # The first page is kept; nobody unlisted so far is taken for gone.
    assert {m["id"] for m in first_page} <= member_ids(sessions)
    with sessions() as session:
        kept = session.get_one(Member, (TEAM, someone_slack_no_longer_lists))
        assert kept.deleted is False

    slack.reset_calls()
    lookup = SlackLookup(WebApi(slack.base_url), SingleWorkspaceTokens(TEAM, BOT_TOKEN))
    try:
        done = lookup.sync_members(sessions, TEAM, START, wait=waits, resume=partial)
    finally:
        lookup.api.close()
    assert done == SyncResult(complete=True, people=len(crowd))
    assert cursors(slack)[0][1] == stuck_at  # went on from where it stopped, not from the start
    assert member_ids(sessions) == crowd | {someone_slack_no_longer_lists}


def test_a_stop_cuts_a_retry_after_wait_short(
    slack: SlackStandIn, sessions: SessionFactory, lookup: SlackLookup
) -> None:
    slack.fail_next("users.list", status=429, retry_after=30)
    stop = threading.Event()
    stop.set()
    asked: list[float] = []

    def wait(seconds: float) -> bool:
        asked.append(seconds)
        return stop.wait(seconds)

    result = lookup.sync_members(sessions, TEAM, START, wait=wait)
    assert result == SyncResult(complete=False, people=0, cursor="", reason="stopped")
    assert asked == [30.0]
    assert len(slack.calls_to("users.list")) == 1


def test_a_refused_token_ends_the_attempt_at_once(
    slack: SlackStandIn, sessions: SessionFactory, lookup: SlackLookup, waits: Waits
) -> None:
    slack.revoke_token(BOT_TOKEN)
    result = lookup.sync_members(sessions, TEAM, START, wait=waits)
    assert not result.complete
    assert result.reason in ("token_revoked", "invalid_auth")
    assert waits.asked == []
    assert len(slack.calls_to("users.list")) == 1


class ForgetsCursor:
    """Between the client and the stand-in: the cursor "expired" is one Slack no longer knows."""

    def __init__(self) -> None:
        self.inner = HttpPool(connect_timeout=5.0)

    def send(
        self, origin: Origin, path: str, headers: Mapping[str, str], body: bytes, timeout: float
    ) -> Answer:
        """Answer `invalid_cursor` for "expired"; pass everything else on."""
        if path.endswith("/users.list") and b"cursor=expired" in body:
            return Answer(200, {}, json.dumps({"ok": False, "error": "invalid_cursor"}).encode())
        return self.inner.send(origin, path, headers, body, timeout)

    def close(self) -> None:
        """Close the connections to the stand-in."""
        self.inner.close()


def test_a_resumed_sync_whose_cursor_expired_lists_everyone_again(
    slack: SlackStandIn, sessions: SessionFactory, crowd: set[str], waits: Waits
) -> None:
    api = WebApi(slack.base_url, transport=ForgetsCursor())
    stale = SyncResult(complete=False, people=200, cursor="expired", reason="HTTP 503")
    try:
        result = SlackLookup(api, SingleWorkspaceTokens(TEAM, BOT_TOKEN)).sync_members(
            sessions, TEAM, START, wait=waits, resume=stale
        )
    finally:
        api.close()
    assert result == SyncResult(complete=True, people=len(crowd))
    assert member_ids(sessions) == crowd
