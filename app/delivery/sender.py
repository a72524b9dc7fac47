"""One outbox row's Web API call, and how it ended as a plain `Outcome`.

Posts (`chat.postMessage`, `dm` and `group_dm`) carry Slack message metadata naming their outbox
row, so when an earlier attempt ended without telling us whether Slack posted (a timeout, a dropped
connection, a 5xx, `fatal_error` or `internal_error`), the next attempt can look for the message on
Slack before posting it again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from app.delivery.group_dms import USERS, group_users, open_group_dm
from app.delivery.joins import JOIN_FIRST, ChannelJoins
from app.delivery.privacy import PrivacyCheck
from app.slackapi.http_pool import NotSent
from app.slackapi.web_api import AUTH_ERRORS, RateLimited, TransientError, WebApi, WebApiError

log = logging.getLogger(__name__)

# The metadata event type every outbox post carries; its payload's "key" is the row's dedupe key.
OUTBOX_EVENT = "reciprocity_outbox"
# How `last_error` marks a row whose message Slack may already have posted (see `Outcome.unsure`).
UNSURE = "unsure: "
# Slack's clock and ours may disagree a little: look a few seconds before the row was queued.
LOOK_BEFORE_SECONDS = 5.0
# Messages asked for per history page, and pages read before giving up on finding the post.
PAGE_SIZE = 200
MAX_PAGES = 5
# The outbox methods that post a message, and so carry the metadata tag and may be looked for.
POSTS = ("chat.postMessage", "dm", "group_dm")
# The outbox methods whose ambiguous answer is settled by looking on Slack before calling again:
# the posts, and the share of an uploaded file (found by its file id, see uploads.py).
LOOKED_FOR = (*POSTS, "files.completeUploadExternal")
# How a Web API call can fail; `send` turns each into an `Outcome`.
SLACK_ERRORS = (RateLimited, TransientError, WebApiError)
# The methods a lookup calls: their rate limits hold back the lookup, not the channel's posts.
LOOKUP_METHODS = ("conversations.open", "conversations.history", "conversations.replies")
# Failures that can only have happened before the request left us: Slack did nothing.
_NOT_SENT = (NotSent,)

_warned: set[tuple[str, str]] = set()
_warned_lock = threading.Lock()


@dataclass(frozen=True)
class Outcome:
    """How a call ended: sent (with channel and ts), or an error and whether to retry.

    `unsure` marks a failure after which Slack may have posted the message all the same (a 5xx,
    `fatal_error`, a timeout, a broken connection): the next attempt must look for it before
    posting again. `in_flight` says Slack may still be carrying that call out (it timed out or was
    cut off, so Slack never said it was done): the lookup then waits longer. `called` is False when
    the call the row owes was never made (a lookup found the post, or failed): the channel's pace
    is not spent. `limited` names the method Slack rate-limited, with `retry_after`.
    `handed_back` marks a row the worker leased and then did not call at all (it was stopping,
    the row waited too long for a sender, or its channel's limit would refuse it): it goes back to
    the queue as it was, due again after `retry_after`.
    """

    ok: bool
    channel: str | None = None
    ts: str | None = None
    error: str | None = None
    permanent: bool = False
    auth_failed: bool = False
    retry_after: float | None = None
    limited: str | None = None
    unsure: bool = False
    in_flight: bool = False
    called: bool = True
    handed_back: bool = False

    @classmethod
    def handed_back_unsent(cls, wait: float = 0.0) -> Outcome:
        """A leased row whose call was never started, due again in `wait` seconds."""
        return cls(ok=False, called=False, handed_back=True, retry_after=wait)

    @classmethod
    def permanent_failure(cls, error: str) -> Outcome:
        """A failure no retry can mend."""
        return cls(ok=False, error=error, permanent=True)


def send(
    api: WebApi,
    method: str,
    args: Mapping[str, Any],
    token: str,
    privacy: PrivacyCheck | None = None,
    team_id: str = "",
    dedupe_key: str | None = None,
    look_since: datetime | None = None,
    joins: ChannelJoins | None = None,
) -> Outcome:
    """Make the call an outbox row describes and return how it ended; never raises Slack errors.

    With `privacy`, arguments guarded by `IF_PRIVATE` are settled against the channel as it is now.
    A post is tagged with `dedupe_key` as metadata; with `look_since` (an earlier attempt may have
    posted), Slack is first searched for a message so tagged, and one found counts as this send.
    A post marked `JOIN_FIRST` joins its channel through `joins` first, so its replies are heard.
    """
    # An earlier attempt may have posted: until a lookup settles it, every failure stays unsure.
    unsure_before = look_since is not None and method in POSTS
    try:
        if privacy is not None:
            resolved = privacy.resolve(team_id, token, args)
            if resolved is None:
                # Withheld: what it quotes turned private, and nothing else goes in its place.
                return Outcome(ok=True, called=False)
            args = resolved
        join = bool(args.get(JOIN_FIRST))
        if join:
            args = {key: value for key, value in args.items() if key != JOIN_FIRST}
        if method in POSTS:
            message = {key: value for key, value in args.items() if key not in ("user", USERS)}
            post = _tagged(message, dedupe_key)
            if method == "dm":
                # Posting to a user id lands in the app's DM with that person.
                post["channel"] = args["user"]
            elif method == "group_dm":
                # Opened (or found) on every attempt: it is where this post goes, and where an
                # unsure earlier attempt's post would be.
                post["channel"] = open_group_dm(api, token, group_users(args))
            elif join and joins is not None:
                joins.ensure(team_id, token, str(post.get("channel") or ""))
            args = post
            if look_since is not None and dedupe_key is not None and _is_ours(args, dedupe_key):
                found = _find_posted(api, token, args, dedupe_key, look_since, team_id)
                if found is not None:
                    return found
    except SLACK_ERRORS as exc:
        # Nothing was posted by this attempt; a lookup that failed must be tried again, never
        # replaced by a blind post, and the earlier attempt is no nearer to being settled.
        return replace(failed_outcome(exc), unsure=unsure_before, in_flight=False, called=False)
    try:
        if method == "response_url":
            # Ephemeral: Slack keeps no history to look in, so these stay at-least-once.
            api.post_response_url(str(args["url"]), args["payload"])
            return Outcome(ok=True)
        if method not in POSTS:
            # chat.update and views.publish are idempotent, so a retry is enough;
            # chat.postEphemeral leaves no history to look in, so it stays at-least-once.
            return _answered(api.call(method, token, args))
        # No lookup, or one that found nothing: only this call can have posted the message now.
        return _answered(api.call("chat.postMessage", token, args))
    except SLACK_ERRORS as exc:
        failed = failed_outcome(exc)
        if method in POSTS and isinstance(exc, TransientError) and may_have_acted(exc):
            return replace(failed, unsure=True, in_flight=not exc.answered)
        return failed


def marked_unsure(last_error: str | None) -> bool:
    """Whether a row's `last_error` says Slack may already have the message it owes."""
    return (last_error or "").startswith(UNSURE)


def api_method(method: str) -> str:
    """Return the Web API method an outbox method calls first (a `dm` or `group_dm` is a
    `chat.postMessage`, a `file_upload` starts with `files.getUploadURLExternal`)."""
    if method == "file_upload":
        return "files.getUploadURLExternal"
    return "chat.postMessage" if method in ("dm", "group_dm") else method


def slack_ts(moment: datetime) -> str:
    """Return `moment` as a Slack timestamp (seconds and microseconds since the epoch)."""
    return f"{moment.timestamp():.6f}"


def _tagged(args: dict[str, Any], dedupe_key: str | None) -> dict[str, Any]:
    """Return `args` with metadata naming the outbox row, unless they carry metadata already."""
    if dedupe_key is None or args.get("metadata") is not None:
        # Merging into someone else's metadata would change what they meant to say; such a post
        # goes unchecked (at-least-once) instead. Nothing queues one today.
        return args
    return {**args, "metadata": {"event_type": OUTBOX_EVENT, "event_payload": {"key": dedupe_key}}}


def _is_ours(post: Mapping[str, Any], dedupe_key: str) -> bool:
    """Whether `post` carries the metadata tag for `dedupe_key`, so a lookup could find it."""
    metadata = post.get("metadata")
    return (
        isinstance(metadata, dict)
        and metadata.get("event_type") == OUTBOX_EVENT
        and metadata.get("event_payload") == {"key": dedupe_key}
    )


def _find_posted(
    api: WebApi,
    token: str,
    post: Mapping[str, Any],
    dedupe_key: str,
    since: datetime,
    team_id: str,
) -> Outcome | None:
    """Return a sent `Outcome` for the message tagged `dedupe_key` if Slack has it, else None
    (errors as `looked_up`)."""

    def look() -> Outcome | None:
        channel = str(post.get("channel") or "")
        if channel[:1] in ("U", "W"):
            # A post to a user id went to the DM: history is read from its D… id.
            opened = api.call("conversations.open", token, {"users": channel})
            channel = str(opened["channel"]["id"])
        query = history_query(channel, since)
        query["include_all_metadata"] = True
        method = "conversations.history"
        if thread := post.get("thread_ts"):
            # Thread replies are not in the channel's history, only in the thread's.
            method, query["ts"] = "conversations.replies", str(thread)
        return page_through(
            api, token, team_id, method, query, lambda message: _tag_of(message) == dedupe_key
        )

    return looked_up(team_id, look)


def history_query(channel: str, since: datetime) -> dict[str, Any]:
    """Arguments that read `channel`'s history a page at a time, from just before `since`."""
    return {
        "channel": channel,
        "oldest": slack_ts(since - timedelta(seconds=LOOK_BEFORE_SECONDS)),
        "limit": PAGE_SIZE,
    }


def page_through(
    api: WebApi,
    token: str,
    team_id: str,
    method: str,
    query: dict[str, Any],
    matches: Callable[[Mapping[str, Any]], bool],
) -> Outcome | None:
    """Read `method` (a conversation's history or a thread) page by page and return a sent
    `Outcome` for the first message `matches` accepts, or None after at most `MAX_PAGES` pages."""
    for _ in range(MAX_PAGES):
        page = api.call(method, token, query)
        for message in page.get("messages") or []:
            if matches(message):
                return Outcome(
                    ok=True, channel=query["channel"], ts=str(message["ts"]), called=False
                )
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not page.get("has_more") or not cursor:
            return None
        query["cursor"] = cursor
    warn_once(team_id, f"more than {MAX_PAGES * PAGE_SIZE} messages to search")
    return None


def looked_up(team_id: str, look: Callable[[], Outcome | None]) -> Outcome | None:
    """Run a look in Slack for something already sent; Slack's transient and auth errors are
    raised (the look is tried again later, never replaced by a blind send), a permanent refusal
    (a scope, a channel we cannot read) is logged once and answers None."""
    try:
        return look()
    except WebApiError as exc:
        if exc.error in AUTH_ERRORS or not exc.permanent:
            raise
        warn_once(team_id, exc.error)
        return None


def _tag_of(message: Mapping[str, Any]) -> str | None:
    """Return the dedupe key an outbox post's metadata names, or None for any other message."""
    metadata = message.get("metadata")
    if not isinstance(metadata, dict) or metadata.get("event_type") != OUTBOX_EVENT:
        return None
    payload = metadata.get("event_payload")
    key = payload.get("key") if isinstance(payload, dict) else None
    return str(key) if key is not None else None


def warn_once(team_id: str, reason: str) -> None:
    """Log, once per workspace and reason, that unsure posts there are sent again unchecked."""
    with _warned_lock:
        if (team_id, reason) in _warned:
            return
        _warned.add((team_id, reason))
    log.warning(
        "cannot look for earlier posts in workspace %s (%s): posting again, which may repeat a "
        "message Slack already has",
        team_id,
        reason,
    )


def may_have_acted(exc: TransientError) -> bool:
    """Whether Slack may have acted on the call despite `exc`: all but failures to connect."""
    return not isinstance(exc.__cause__, _NOT_SENT)


def failed_outcome(exc: RateLimited | TransientError | WebApiError) -> Outcome:
    """Return how a call that raised one of Slack's errors ended."""
    if isinstance(exc, RateLimited):
        return Outcome(
            ok=False, error="ratelimited", retry_after=exc.retry_after, limited=exc.method
        )
    if isinstance(exc, TransientError):
        return Outcome(ok=False, error=str(exc))
    if exc.error in AUTH_ERRORS:
        return Outcome(ok=False, error=exc.error, auth_failed=True)
    return Outcome(ok=False, error=exc.error, permanent=exc.permanent)


def _answered(answer: Mapping[str, Any]) -> Outcome:
    channel = answer.get("channel")
    ts = answer.get("ts") or answer.get("message_ts")
    return Outcome(ok=True, channel=str(channel) if channel else None, ts=str(ts) if ts else None)
