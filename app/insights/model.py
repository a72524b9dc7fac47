"""The values the insights pages, their CSV exports and the help-network picture are drawn from.

Names are already privacy-checked here: `name` is None for a person who is deactivated in Slack or
whose data was erased, and drawing code shows such a person without a name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

# The periods a reader may choose for the network, topics and people pages, in weeks.
PERIOD_WEEKS = (4, 12, 52)
DEFAULT_PERIOD_WEEKS = 12
OVERVIEW_WEEKS = 12
# The most people a help-network picture draws (the broadest helpers); pages and the digest read
# only these from the store.
DRAWN_PEOPLE = 120


@dataclass(frozen=True)
class Period:
    """Whole weeks in the workspace's time zone: `start` (a Monday 00:00) to `end`, both UTC."""

    weeks: int
    start: datetime
    end: datetime


@dataclass(frozen=True)
class WeekFigures:
    """One week of the overview; a share or median is None when the week had nothing to measure."""

    week_start: date
    kudos_given: int
    asks_posted: int
    # Of the asks posted that week: the share first answered within one working day.
    answered_within_a_working_day: float | None
    median_time_to_first_answer: timedelta | None
    # Of the asks posted that week: the share resolved with at least one helper credited.
    resolved_with_credit: float | None


@dataclass(frozen=True)
class Overview:
    """The overview page: the last `OVERVIEW_WEEKS` weeks, oldest first, the current week last."""

    weeks: tuple[WeekFigures, ...]


@dataclass(frozen=True)
class NetworkPerson:
    """A node: `helped` is how many different people this person helped in the period."""

    user_id: str
    name: str | None
    # The cluster: the public channel where this person's help happened most, by its name.
    group: str | None
    helped: int


@dataclass(frozen=True)
class NetworkLink:
    """An edge from a helper to the person helped: kudos they received from that person, and
    asks of that person they were credited on."""

    helper_id: str
    helped_id: str
    kudos: int
    answers: int


@dataclass(frozen=True)
class HelpNetwork:
    """Who helped whom in a period; every link's ends are among `people`. When the network was
    cut to its broadest helpers, `people_total` and `links_total` count the whole period's."""

    period: Period
    people: tuple[NetworkPerson, ...]
    links: tuple[NetworkLink, ...]
    people_total: int = 0
    links_total: int = 0

    @property
    def people_in_period(self) -> int:
        """How many people the whole period's network has, cut or not."""
        return max(self.people_total, len(self.people))

    @property
    def links_in_period(self) -> int:
        """How many links the whole period's network has, cut or not."""
        return max(self.links_total, len(self.links))


@dataclass(frozen=True)
class TopicRow:
    """One topic: asks that named it in the period, and the people offering it now."""

    topic: str
    asked: int
    answered: int
    offered_by: tuple[str, ...]  # names of active, named offerers, sorted


@dataclass(frozen=True)
class Topics:
    """The topics page: gaps first (asked, offered by nobody), then by how often asked."""

    period: Period
    rows: tuple[TopicRow, ...]


@dataclass(frozen=True)
class HelperRank:
    """A helper ranked by breadth: different people helped, then acts of help."""

    user_id: str
    name: str
    people_helped: int
    acts: int


@dataclass(frozen=True)
class UnsungHelper:
    """Someone who answered asks in the period and was never credited on any of them."""

    user_id: str
    name: str
    answers: int


@dataclass(frozen=True)
class WaitingAsk:
    """An open ask nobody answered yet; `text` is None when it was asked in a private place."""

    ask_id: int
    asker_id: str
    asker_name: str
    topics: tuple[str, ...]
    text: str | None
    asked_at: datetime
    waiting: timedelta


@dataclass(frozen=True)
class People:
    """The people page (admins only); leaderboard opt-outs, deactivated and erased people are
    in none of its lists."""

    period: Period
    helpers: tuple[HelperRank, ...]
    unsung: tuple[UnsungHelper, ...]
    waiting: tuple[WaitingAsk, ...]
