"""The weekly digest's contents: one workspace's week, section by section, as frozen dataclasses.

`app.digest.compose` fills them from the store and `app.digest.blocks` draws them. Quotes are
already excerpts (`app.digest.quoting`): short, Slack-escaped, pinging nobody; private items carry
no quote at all.

A busy week holds tens of thousands of acts of help and new pairs, of which the digest shows a
few dozen: it holds the first `LISTED_PEOPLE` helpers with their first `LISTED_HELPS` acts and the
first `LISTED_PAIRS` new pairs, in the order shown, and counts the rest (`unlisted…`), so that
nothing unshown is quoted, named or built. Those records (`Help`, `HelperLine`, `Connection`) are
named tuples, one object each and built in about two thirds of a frozen dataclass's time (whose
`__init__` sets each field through `object.__setattr__`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal, NamedTuple

from app.store.statuses import AskStatus

# The most of each long list a digest shows (`app.digest.blocks` draws no more): all it holds.
LISTED_PEOPLE = 20
LISTED_HELPS = 3
LISTED_PAIRS = 10


class Help(NamedTuple):
    """One act of help: `helper_id` helped `other_id` on an ask, or `other_id` thanked them.

    `other_name` is the other person's display name, for naming them without a mention.

    `quote` is a short excerpt of the ask or kudos text, still in Slack's escaped form and with
    person mentions turned into plain "@name" (so quoting never pings); None when the item came
    from a private channel or DM, whose content is never quoted.
    """

    kind: Literal["ask", "kudos"]
    helper_id: str
    other_id: str
    other_name: str
    quote: str | None
    private: bool
    at: datetime
    # The conversations the quote comes from, checked again when the digest is sent.
    channels: tuple[str, ...] = ()


class HelperLine(NamedTuple):
    """What one person was thanked or credited for this week, oldest first: the first acts,
    and how many more (`unlisted`)."""

    helper_id: str
    name: str
    helps: tuple[Help, ...]
    unlisted: int = 0


@dataclass(frozen=True, slots=True)
class Thanked:
    """A person on the week's most-thanked list: how many people thanked them, in how many kudos."""

    user_id: str
    name: str
    givers: int
    kudos: int


class Connection(NamedTuple):
    """Two people who thanked or helped each other this week for the first time, or whom
    someone introduced this week (`introduced`: counted even if they had met before, since the
    connection is the connector's work)."""

    first_id: str
    first_name: str
    second_id: str
    second_name: str
    introduced: bool = False


@dataclass(frozen=True, slots=True)
class Introduced:
    """An introduction both people accepted this week: `connector_id` put the two in touch.

    `connector_id` is None when the connector's data was erased (`reciprocity forget`): the
    line then names nobody for them. The introduction's reason is never carried here: it was
    written for the two people, not for the digest.
    """

    connector_id: str | None
    connector_name: str
    first_id: str
    first_name: str
    second_id: str
    second_name: str
    at: datetime


@dataclass(frozen=True, slots=True)
class OpenAsk:
    """A public ask still waiting for help; `link` is its message when it was posted."""

    ask_id: int
    asker_id: str
    asker_name: str
    quote: str
    status: AskStatus
    link: str | None
    created_at: datetime
    channels: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class OpenAsks:
    """Asks still open at the week's end: the newest public ones listed, all of them counted."""

    listed: tuple[OpenAsk, ...]
    public: int
    private: int

    @property
    def total(self) -> int:
        """Every open ask, public and private."""
        return self.public + self.private


@dataclass(frozen=True, slots=True)
class NewOffer:
    """The topics one person newly offered to help with this week."""

    user_id: str
    name: str
    topics: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class UnmetTopic:
    """A topic public asks raised this week that no active offer covers."""

    topic: str
    asks: int
    # The conversations of the asks it was drawn from: a topic is a word of their text.
    channels: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Unsung:
    """Someone who answered or took on asks this week and was credited on none of them."""

    user_id: str
    name: str
    asks: int


@dataclass(frozen=True, slots=True)
class Totals:
    """The week's counts, private items included."""

    kudos: int
    private_kudos: int
    asks: int
    asks_resolved: int
    helpers: int


@dataclass(frozen=True, slots=True)
class Digest:
    """One workspace's digest for one week, [start, end) in UTC, as it stood at `as_of`."""

    team_id: str
    week: str
    start: datetime
    end: datetime
    as_of: datetime
    helpers: tuple[HelperLine, ...]
    top_thanked: tuple[Thanked, ...]
    connections: tuple[Connection, ...]
    open_asks: OpenAsks
    new_offers: tuple[NewOffer, ...]
    unmet_topics: tuple[UnmetTopic, ...]
    unsung: tuple[Unsung, ...]
    totals: Totals
    # The week's connected introductions, oldest first.
    introductions: tuple[Introduced, ...] = ()
    # Helpers and new pairs past the first ones listed above, and how many of those pairs were
    # introduced.
    unlisted_helpers: int = 0
    unlisted_pairs: int = 0
    unlisted_introduced: int = 0

    @property
    def helper_count(self) -> int:
        """Everyone thanked or credited this week, listed or not."""
        return len(self.helpers) + self.unlisted_helpers

    @property
    def connection_count(self) -> int:
        """Every new pair of the week, listed or not."""
        return len(self.connections) + self.unlisted_pairs

    def quoted_channels(self) -> tuple[str, ...]:
        """Every conversation whose content the digest quotes (to check again when sending): the
        listed acts of help, open asks and unmet topics; nothing unlisted is quoted."""
        found = [c for line in self.helpers for h in line.helps if h.quote for c in h.channels]
        found += [c for ask in self.open_asks.listed for c in ask.channels]
        found += [c for topic in self.unmet_topics for c in topic.channels]
        return tuple(dict.fromkeys(c for c in found if c))

    def without_quotes(self) -> Digest:
        """This digest with nothing quoted: counts and names only, as for private items."""
        helpers = tuple(
            line._replace(helps=tuple(h._replace(quote=None) for h in line.helps))
            for line in self.helpers
        )
        return replace(
            self,
            helpers=helpers,
            open_asks=replace(self.open_asks, listed=()),
            unmet_topics=(),
        )

    @property
    def so_far(self) -> bool:
        """True when the week was not over at `as_of`: the digest shows the week so far."""
        return self.as_of < self.end

    @property
    def is_quiet(self) -> bool:
        """True when nothing happened this week: no thanks, help, asks, offers, answers or
        introductions."""
        return not (
            self.helpers
            or self.totals.kudos
            or self.totals.asks
            or self.new_offers
            or self.unsung
            or self.introductions
        )
