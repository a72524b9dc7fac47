"""Block Kit for the weekly digest: a pure drawing of a `Digest`, inside Slack's limits.

Who pings whom (decided here, on purpose): the digest is a celebration, so the people it thanks
in "who helped whom" and the connectors of the week's introductions are mentioned (`<@U…>`) and
get a notification, but at most `max_people` of them in all (helpers first; a connector past the
budget is named in plain text); the people they helped or introduced, the most-thanked list (as
`/kudos top` does), new connections, offers and unsung helpers are named in plain text and ping
nobody. An introduction's reason is never shown. User text is escaped and its broadcasts made
inert (`render_inert`); private items are counted, never quoted. A week not over says "so far"
in its heading, its text and its summary, so nobody takes it for the week's digest, which still
comes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from app.digest.contents import (
    LISTED_HELPS,
    LISTED_PAIRS,
    LISTED_PEOPLE,
    Connection,
    Digest,
    Help,
    HelperLine,
    Introduced,
    NewOffer,
    OpenAsks,
)
from app.slackapi.mrkdwn import escape, render_inert

Block = dict[str, Any]
MAX_BLOCKS = 50
SECTION_LIMIT = 3000
HEADER_LIMIT = 150
# A composed digest holds no more than these (`app.digest.contents`): it may show fewer.
MAX_PEOPLE = LISTED_PEOPLE
MAX_HELPS = LISTED_HELPS
MAX_LISTED = LISTED_PAIRS
T = TypeVar("T")


def digest_blocks(
    digest: Digest, *, max_people: int = MAX_PEOPLE, max_helps: int = MAX_HELPS
) -> tuple[str, list[Block]]:
    """Return the digest's notification text and blocks: ≤ 50 blocks, every text within limits."""
    heading = f":sparkles: Who helped whom, week {digest.week}"
    blocks: list[Block] = [_header(heading + (" (so far)" if digest.so_far else ""))]
    if digest.is_quiet:
        blocks.append(_section(_quiet_note(digest.open_asks)))
        return f"{_week(digest)}: a quiet week.", _fit(blocks)
    blocks.append(_context(_summary(digest)))
    sections = [
        _helpers(digest, max_people, max_helps),
        _top_thanked(digest, max_people),
        _introductions(digest, max_people),
        _connections(digest, max_people),
        _open_asks(digest.open_asks),
        _new_offers(digest, max_people),
        _unmet_topics(digest),
        _unsung(digest, max_people),
    ]
    for lines in sections:
        if lines:
            blocks.append({"type": "divider"})
            blocks.extend(_section(text) for text in _pack(lines))
    blocks.append(_context(FOOTER))
    return _fallback(digest), _fit(blocks)


FOOTER = (
    "Thank someone: `/kudos @teammate thanks for …`  ·  Need help? `/ask`  ·  "
    "Know something? `/offer topic`"
)


def _week(digest: Digest) -> str:
    """How the notification text names the week: "Week 2026-W48", or "Week 2026-W48 so far"."""
    return f"Week {digest.week}" + (" so far" if digest.so_far else "")


def _fallback(digest: Digest) -> str:
    t = digest.totals
    intros = len(digest.introductions)
    return (
        f"{_week(digest)}: {_count(t.kudos, 'kudo', 'kudos')}, "
        f"{_count(t.asks_resolved, 'ask resolved', 'asks resolved')}, "
        f"{_count(t.helpers, 'person helped', 'people helped')}"
        + (f", {_count(intros, 'introduction', 'introductions')}." if intros else ".")
    )


def _summary(digest: Digest) -> str:
    t = digest.totals
    kudos = _count(t.kudos, "kudo", "kudos")
    if t.private_kudos:
        kudos += f" ({t.private_kudos} in private conversations)"
    parts = [
        kudos,
        _count(t.asks, "new ask", "new asks"),
        _count(t.asks_resolved, "resolved with credit", "resolved with credit"),
        _count(t.helpers, "person thanked or credited", "people thanked or credited"),
    ]
    if digest.introductions:
        parts.append(_count(len(digest.introductions), "introduction", "introductions"))
    so_far = "  ·  _the week so far_" if digest.so_far else ""
    return "  ·  ".join(parts) + so_far


def _quiet_note(open_asks: OpenAsks) -> str:
    note = (
        ":seedling: A quiet week: no kudos, asks or offers yet. Did someone help you lately? "
        "Say so with `/kudos @teammate thanks for …`, or offer what you know with `/offer`."
    )
    if open_asks.total:
        note += f"\n{_count(open_asks.total, 'ask is', 'asks are')} still waiting for help."
    return note


# -- sections: each returns its lines, the first being its title --------------------------------


def _listing(
    title: str,
    items: Sequence[T],
    shown: int,
    line: Callable[[T], str],
    more: tuple[str, str],
    unlisted: int = 0,
) -> list[str]:
    """A section of `items`: its title, a line for each of the first `shown`, then how many more,
    counting the `unlisted` that follow `items` (`more` says "one more …" and "n more …");
    nothing at all when there are no items."""
    if not items:
        return []
    rest = len(items) + unlisted - shown
    return [title, *(line(item) for item in items[:shown]), *_more(rest, *more)]


def _helpers(digest: Digest, max_people: int, max_helps: int) -> list[str]:
    return _listing(
        "*:handshake: Who helped whom*",
        digest.helpers,
        max_people,
        lambda line: _helper_line(line, max_helps),
        ("more person helped", "more people helped"),
        digest.unlisted_helpers,
    )


def _helper_line(line: HelperLine, max_helps: int) -> str:
    parts = [_help(h) for h in line.helps[:max_helps]]
    rest = len(line.helps) + line.unlisted - max_helps
    if rest > 0:
        parts.append(f"and {rest} more")
    return _clip(f"• <@{line.helper_id}> " + "; ".join(parts))


def _help(item: Help) -> str:
    other = _name(item.other_name)
    if item.kind == "ask":
        said = f"helped {other}"
        where = " with " + _quote(item.quote) if item.quote else ""
    else:
        said = f"was thanked by {other}"
        where = " for " + _quote(item.quote) if item.quote else ""
    if item.private:
        where = " (in a private conversation)"
    return said + where


def _top_thanked(digest: Digest, max_people: int) -> list[str]:
    rows = digest.top_thanked[: min(max_people, MAX_LISTED)]
    if not rows:
        return []
    out = ["*:star2: Most thanked this week*"]
    for rank, row in enumerate(rows, start=1):
        people = _count(row.givers, "person", "people")
        # Each giver gave at least one: the count says something (and is plural) only when more.
        times = f" ({row.kudos:,} kudos)" if row.kudos > row.givers else ""
        out.append(f"{rank}. {_name(row.name)}: thanked by {people}{times}")
    return out


def _introductions(digest: Digest, max_people: int) -> list[str]:
    """The week's introductions, oldest first: who connected whom, never why."""
    intros = digest.introductions
    # The connectors share the ping budget with the helpers listed above them.
    helpers = {line.helper_id for line in digest.helpers[:max_people]}
    pinged = _Budget(helpers, max_people)
    return _listing(
        f"*:wave: Introductions* ({_count(len(intros), 'pair', 'pairs')} put in touch)",
        intros,
        min(max_people, MAX_LISTED),
        lambda i: _intro_line(i, pinged),
        ("more introduction", "more introductions"),
    )


def _intro_line(intro: Introduced, pinged: _Budget) -> str:
    """ "• @Carol connected Bob and Heidi": the connector mentioned while the budget allows."""
    if intro.connector_id is None:
        connector = "Someone"  # forgotten: never named
    elif pinged.take(intro.connector_id):
        connector = f"<@{intro.connector_id}>"
    else:
        connector = _name(intro.connector_name)
    return f"• {connector} connected {_name(intro.first_name)} and {_name(intro.second_name)}"


class _Budget:
    """Who may still be mentioned: those already pinged, and new people up to `limit` in all."""

    def __init__(self, pinged: set[str], limit: int) -> None:
        self.pinged = set(pinged)
        self.limit = limit

    def take(self, user: str) -> bool:
        """True if `user` may be mentioned (and counts them from now on)."""
        if user in self.pinged:
            return True
        if len(self.pinged) >= self.limit:
            return False
        self.pinged.add(user)
        return True


def _connections(digest: Digest, max_people: int) -> list[str]:
    """The week's new pairs by name, the introduced ones marked so."""
    pairs = digest.connections
    return _listing(
        _connections_title(digest),
        pairs,
        max(1, min(max_people, MAX_LISTED)),
        lambda c: (
            f"• {_name(c.first_name)} and {_name(c.second_name)}"
            + (" (introduced)" if c.introduced else "")
        ),
        ("more pair", "more pairs"),
        digest.unlisted_pairs,
    )


def _connections_title(digest: Digest) -> str:
    """ "New connections (3 pairs connected for the first time, 1 introduced)", each part only
    when it counts someone; unlisted pairs counted too."""
    listed: Sequence[Connection] = digest.connections
    introduced = sum(1 for c in listed if c.introduced) + digest.unlisted_introduced
    first_time = digest.connection_count - introduced
    parts = []
    if first_time:
        parts.append(f"{_count(first_time, 'pair', 'pairs')} connected for the first time")
    if introduced:
        counted = f"{introduced:,}" if parts else _count(introduced, "pair", "pairs")
        parts.append(f"{counted} introduced")
    return f"*:link: New connections* ({', '.join(parts)})"


def _open_asks(open_asks: OpenAsks) -> list[str]:
    if not open_asks.total:
        return []
    out = [f"*:raising_hand: Still open* ({_count(open_asks.total, 'ask', 'asks')})"]
    for ask in open_asks.listed:
        quote = _quote(ask.quote)
        shown = f"<{ask.link}|{quote}>" if ask.link else quote
        out.append(f"• {shown} by {_name(ask.asker_name)}")
    unlisted = open_asks.public - len(open_asks.listed)
    out += _more(unlisted, "more public ask", "more public asks")
    if open_asks.private:
        out.append(f"…and {_count(open_asks.private, 'ask', 'asks')} in private conversations.")
    return out


def _new_offers(digest: Digest, max_people: int) -> list[str]:
    return _listing(
        "*:gift: New offers of help*",
        digest.new_offers,
        min(max_people, MAX_LISTED),
        _offer_line,
        ("more person offered", "more people offered"),
    )


def _offer_line(offer: NewOffer) -> str:
    topics = ", ".join(_topic(t) for t in offer.topics[:MAX_LISTED])
    extra = len(offer.topics) - MAX_LISTED
    return f"• {_name(offer.name)}: {topics}" + (f" and {extra} more" if extra > 0 else "")


def _unmet_topics(digest: Digest) -> list[str]:
    topics = digest.unmet_topics
    if not topics:
        return []
    listed = ", ".join(f"{_topic(t.topic)} ({_count(t.asks, 'ask', 'asks')})" for t in topics)
    return [
        "*:mag: Asked about, but nobody offers*",
        f"{listed}\nKnow one of these? `/offer topic` and you'll hear when it comes up.",
    ]


def _unsung(digest: Digest, max_people: int) -> list[str]:
    return _listing(
        "*:medal: Unsung helpers* (answered asks, not credited yet)",
        digest.unsung,
        min(max_people, MAX_LISTED),
        lambda p: f"• {_name(p.name)}: {_count(p.asks, 'ask', 'asks')}",
        ("more person", "more people"),
    )


# -- text helpers ---------------------------------------------------------------------------------


def _name(name: str) -> str:
    """A person's name as plain text: escaped, and never a broadcast even if it reads "@here"."""
    return render_inert(escape(name))


def _quote(quote: str) -> str:
    # Quotes from compose are still Slack-escaped; render_inert keeps that and quietens them.
    return f"“{render_inert(quote)}”"


def _topic(topic: str) -> str:
    return f"`{escape(topic)}`"


def _count(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def _more(n: int, one: str, many: str) -> list[str]:
    return [f"…and {_count(n, one, many)}."] if n > 0 else []


def _clip(text: str, limit: int = SECTION_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _pack(lines: Sequence[str]) -> list[str]:
    """Join lines into as few section texts as fit under Slack's 3,000 characters each."""
    texts: list[str] = []
    current = ""
    for line in (_clip(line) for line in lines):
        if current and len(current) + 1 + len(line) > SECTION_LIMIT:
            texts.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current:
        texts.append(current)
    return texts


def _header(text: str) -> Block:
    clipped = text if len(text) <= HEADER_LIMIT else text[: HEADER_LIMIT - 1] + "…"
    return {"type": "header", "text": {"type": "plain_text", "text": clipped, "emoji": True}}


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _clip(text)}}


def _context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": _clip(text)}]}


def _fit(blocks: list[Block]) -> list[Block]:
    """Keep within Slack's 50 blocks: drop the tail and say the digest was shortened."""
    if len(blocks) <= MAX_BLOCKS:
        return blocks
    return [*blocks[: MAX_BLOCKS - 1], _context("_The digest was shortened to fit in Slack._")]
