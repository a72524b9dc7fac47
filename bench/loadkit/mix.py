"""The load's mix of requests: which commands and events, their text and markers, their bodies."""

from __future__ import annotations

import json
import random
import re
import time
from dataclasses import dataclass, replace
from urllib.parse import urlencode

from app.sandbox import payloads
from app.sandbox.driver import signature
from app.slack.errors import SORRY
from app.slack.replies import TRY_AGAIN
from bench.apps import SIGNING_SECRET
from bench.loadkit.teams import REACTION, TOPICS, AskThread, Team, user_name

COMMANDS = ("kudos", "ask", "offer")
EVENTS = ("reply", "reaction")
# The share of each kind of request: kudos, ask, offer, event (half replies, half reactions).
MIX = (0.6, 0.2, 0.1, 0.1)
# Every request's text carries its marker, so its record can be found in the database.
MARKER_PATTERN = re.compile(r"\br(\d{8})q\b")
_OK = {
    "kudos": re.compile(r"are on their way"),
    "ask": re.compile(r"^Ask #\d+ is (posted|saved)"),
    "offer": re.compile(r"^Thanks! You now offer help with"),
}


def marker(seq: int) -> str:
    """The word that tags request `seq` in the text it stores."""
    return f"r{seq:08d}q"


def signed_headers(body: bytes, content_type: str, secret: str = SIGNING_SECRET) -> dict[str, str]:
    """Slack's headers for `body` sent now: the timestamp and its v0 signature."""
    now = int(time.time())
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": str(now),
        "X-Slack-Signature": signature(secret, now, body),
    }


@dataclass(frozen=True)
class Spec:
    """Everything the driver process needs: where, how fast, for how long, and whom."""

    urls: tuple[str, ...]
    rate: float
    seconds: float
    warmup: float
    concurrency: int
    timeout: float
    teams: tuple[Team, ...]
    threads: tuple[AskThread, ...]
    first_seq: int
    epoch: int
    response_urls: tuple[str, ...]
    offers_taken: frozenset[tuple[str, str, str]]
    seed: int = 7
    secret: str = SIGNING_SECRET
    # Shares of kudos, asks, offers and events (see MIX); they need not add up to one.
    mix: tuple[float, float, float, float] = MIX


@dataclass(frozen=True)
class Sent:
    """One request the driver sent, and how it was answered.

    `status` 0 means no HTTP answer at all (refused connection, reset, timeout); `at` is the wall
    time the request was due, from which `latency` counts (what Slack's 3 seconds count from).
    """

    seq: int
    kind: str
    team: str
    user: str
    replica: int
    at: float
    status: int = 0
    latency: float | None = None
    answer: str = ""
    error: str = ""
    channel: str = ""
    ts: str = ""
    topic: str = ""
    # The person thanked (kudos, reaction), or the ask post replied to (reply).
    author: str = ""
    thread_ts: str = ""

    @property
    def marker(self) -> str:
        """The word this request's stored text carries."""
        return marker(self.seq)

    @property
    def acked(self) -> bool:
        """Whether the bot answered with HTTP 200."""
        return self.status == 200

    @property
    def outcome(self) -> str:
        """How it was answered: ok, try_again, unexpected (another 200 answer) or unanswered."""
        if self.status != 200:
            return "unanswered"
        if self.kind in EVENTS:
            return "ok"
        if TRY_AGAIN in self.answer or SORRY in self.answer:
            return "try_again"
        return "ok" if _OK[self.kind].search(self.answer) else "unexpected"


def request_of(spec: Spec, seq: int, rng: random.Random, taken: set[tuple[str, str, str]]) -> Sent:
    """Request `seq` of the mix: who sends what where (its text is made when it is sent)."""
    team = rng.choice(spec.teams)
    user, other = rng.sample(team.users, 2)
    base = Sent(seq, "", team.team_id, user, seq % len(spec.urls), 0.0)
    channel = rng.choice(team.channels)
    kudos, ask, offer, event = spec.mix
    # Scaled, so shares need not add up to one; the default mix draws as it always did.
    draw = rng.random() * (kudos + ask + offer + event)
    if draw < kudos:
        return replace(base, kind="kudos", channel=channel, author=other)
    if draw < kudos + ask:
        return replace(base, kind="ask", channel=channel, topic=rng.choice(TOPICS))
    if draw < kudos + ask + offer:
        for _ in range(20):
            offerer, topic = rng.choice(team.users), rng.choice(TOPICS)
            # Each person offers a topic once per cluster: a second offer would overwrite the
            # first one's note, and with it the marker the check looks for.
            if (team.team_id, offerer, topic) not in taken:
                taken.add((team.team_id, offerer, topic))
                return replace(base, kind="offer", user=offerer, channel=channel, topic=topic)
        return replace(base, kind="kudos", channel=channel, author=other)
    # Event timestamps are unique in the cluster and later than every post its setup made.
    ts = f"{spec.epoch + seq // 10**6}.{seq % 10**6:06d}"
    threads = [t for t in spec.threads if t.team_id == team.team_id]
    if threads and draw < kudos + ask + offer + event / 2:
        thread = rng.choice(threads)
        replier = rng.choice([u for u in team.users if u != thread.asker])
        return replace(
            base, kind="reply", user=replier, channel=thread.channel, ts=ts, thread_ts=thread.ts
        )
    return replace(base, kind="reaction", channel=channel, ts=ts, author=other)


def payload_of(spec: Spec, sent: Sent, response_url: str) -> tuple[bytes, str]:
    """The body and content type Slack would post for `sent`."""
    team = next(t for t in spec.teams if t.team_id == sent.team)
    tag = marker(sent.seq)
    if sent.kind in COMMANDS:
        if sent.kind == "kudos":
            mention = payloads.escape_user(sent.author, user_name(sent.author))
            command, words = "/kudos", f"{mention} thanks for untangling the release {tag}"
        elif sent.kind == "ask":
            command = "/ask"
            words = (
                f"How do I set up {sent.topic} for the billing service? Tried the runbook, "
                f"step 3 fails. Need it by Friday #{sent.topic.replace(' ', '-')} {tag}"
            )
        else:
            command, words = "/offer", f"{sent.topic} — happy to pair on it {tag}"
        fields = payloads.slash_command(
            command=command,
            text=words,
            user_id=sent.user,
            user_name=user_name(sent.user),
            channel_id=sent.channel,
            team_id=sent.team,
            team_domain=team.name.lower(),
            response_url=response_url,
        )
        return urlencode(fields).encode(), "application/x-www-form-urlencoded"
    if sent.kind == "reply":
        event = payloads.message_event(
            user=sent.user,
            channel=sent.channel,
            text=f"Restarting the pods fixed it for me {tag}",
            ts=sent.ts,
            thread_ts=sent.thread_ts,
            team=sent.team,
        )
    else:
        event = payloads.reaction_added_event(
            user=sent.user,
            reaction=REACTION,
            channel=sent.channel,
            ts=sent.ts,
            item_user=sent.author,
        )
    envelope = payloads.event_callback(event, team_id=sent.team, bot_user_id=team.bot_user_id)
    return json.dumps(envelope).encode(), "application/json"
