"""The weekly digest's contents on a real database: each section, privacy, weeks across DST."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from app.console import blocks_text
from app.digest.blocks import digest_blocks
from app.digest.compose import compose_digest
from app.digest.contents import Digest
from app.digest.quoting import excerpt
from app.digest.weeks import iso_week_bounds, parse_week, week_label
from app.directory.service import save_members
from app.store.db import SessionFactory, make_engine, make_session_factory, transaction
from app.store.models import Ask, AskHelper, Kudos, Member, Offer, Workspace
from app.workspaces.service import Identity, ensure_workspace
from tests.insights import rows

NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
# Week 2026-W44 in New York: Monday 26 October 00:00 EDT to Monday 2 November 00:00 EST; US
# clocks go back on Sunday 1 November, so the week is 169 hours long.
WEEK = "2026-W44"
START = datetime(2026, 10, 26, 4, 0, tzinfo=UTC)
END = datetime(2026, 11, 2, 5, 0, tzinfo=UTC)
MID = datetime(2026, 10, 28, 15, 0, tzinfo=UTC)
BEFORE = START - timedelta(days=30)
AFTER = END + timedelta(days=3)
PEOPLE = {
    "UANA": "Ana",
    "UBEN": "Ben",
    "UCAT": "Cat",
    "UDAN": "Dan",
    "UEVE": "Eve",
    "UFAY": "Fay",
    "UGONE": "Gone",
    "UHIDE": "Hide",
}
_ts = itertools.count(1)


@pytest.fixture
def sessions(database_url: str) -> Iterator[SessionFactory]:
    engine = make_engine(database_url, pool_size=2)
    factory = make_session_factory(engine)
    with transaction(factory) as session:
        ensure_workspace(
            session, Identity("T1", "Acme", "UBOT", "BBOT", domain="acme"), BEFORE - timedelta(1)
        )
        session.get_one(Workspace, "T1").timezone = "America/New_York"
        users = [{"id": u, "name": n.lower(), "real_name": n} for u, n in PEOPLE.items()]
        save_members(session, "T1", users, BEFORE)
        session.get_one(Member, ("T1", "UGONE")).deleted = True
        session.get_one(Member, ("T1", "UHIDE")).leaderboard_opt_out = True
    yield factory
    engine.dispose()


def kudos(
    session: Session,
    giver: str,
    recipients: list[str],
    at: datetime,
    message: str = "thanks!",
    *,
    private: bool = False,
    undone: bool = False,
) -> Kudos:
    # A private kudos was given in a DM.
    return rows.kudos(
        session,
        giver,
        recipients,
        at,
        channel="D1" if private else "C1",
        private=private,
        undone=undone,
        message=message,
    )


def ask(
    session: Session,
    asker: str,
    text: str,
    at: datetime,
    *,
    topics: list[str] | None = None,
    private: bool = False,
    status: str = "open",
    helpers: list[str] | None = None,
    resolved: datetime | None = None,
    answered_by: str | None = None,
    answered_at: datetime | None = None,
) -> Ask:
    posted = not private
    row = Ask(
        team_id="T1",
        asker_id=asker,
        text=text,
        topics=topics or [],
        origin_channel_id="G1" if private else "C1",
        channel_is_private=private,
        channel_id="C1" if posted else None,
        message_ts=f"1700000000.{next(_ts):06d}" if posted else None,
        status="resolved" if helpers else status,
        created_at=at,
        updated_at=at,
        resolved_at=resolved if helpers else None,
        answered_by=answered_by,
        answered_at=answered_at,
    )
    for helper in helpers or []:
        row.helpers.append(
            AskHelper(team_id="T1", helper_id=helper, asker_id=asker, credited_at=resolved)
        )
    session.add(row)
    session.flush()
    return row


def offer(session: Session, user: str, topic: str, at: datetime, *, active: bool = True) -> None:
    session.add(
        Offer(
            team_id="T1",
            user_id=user,
            topic=topic,
            active=active,
            created_at=at,
            confirmed_at=at,
        )
    )
    session.flush()


def compose(session: Session, now: datetime = AFTER) -> Digest:
    return compose_digest(session, "T1", START, END, now=now)


def test_who_helped_whom_groups_ask_credit_and_kudos_by_helper(sessions: SessionFactory) -> None:
    with transaction(sessions) as session:
        ask(
            session, "UANA", "How do I rotate the DB password?", MID, helpers=["UBEN"], resolved=MID
        )
        kudos(session, "UCAT", ["UBEN", "UDAN"], MID + timedelta(hours=1), "for the deploy fix")
        kudos(session, "UANA", ["UDAN"], MID, "withdrawn", undone=True)
        kudos(session, "UANA", ["UDAN"], BEFORE, "last month")
        kudos(session, "UANA", ["UDAN"], AFTER - timedelta(hours=1), "next week")
        # Resolved after the week: its credit belongs to that week, not this one.
        ask(session, "UEVE", "Later", MID, helpers=["UFAY"], resolved=END + timedelta(hours=1))
        digest = compose(session)
    by_helper = {line.helper_id: line for line in digest.helpers}
    assert list(by_helper) == ["UBEN", "UDAN"]  # Ben helped twice, Dan once
    ben = by_helper["UBEN"]
    assert [(h.kind, h.other_id, h.other_name, h.quote) for h in ben.helps] == [
        ("ask", "UANA", "Ana", "How do I rotate the DB password?"),
        ("kudos", "UCAT", "Cat", "for the deploy fix"),
    ]
    assert [h.quote for h in by_helper["UDAN"].helps] == ["for the deploy fix"]
    assert digest.totals.kudos == 1
    assert digest.totals.asks_resolved == 1
    assert digest.totals.helpers == 2
    assert digest.week == WEEK


def test_private_items_are_counted_but_never_quoted(sessions: SessionFactory) -> None:
    secret_ask, secret_thanks = "SECRET merger question", "SECRET thanks for the layoffs list"
    with transaction(sessions) as session:
        ask(session, "UANA", secret_ask, MID, private=True, helpers=["UBEN"], resolved=MID)
        kudos(session, "UCAT", ["UBEN"], MID, secret_thanks, private=True)
        ask(session, "UDAN", "SECRET open one #hush", MID, topics=["hush"], private=True)
        digest = compose(session)
    helps = digest.helpers[0].helps
    assert [(h.kind, h.private, h.quote) for h in helps] == [
        ("ask", True, None),
        ("kudos", True, None),
    ]
    assert digest.totals.kudos == 1
    assert digest.totals.private_kudos == 1
    assert digest.open_asks.private == 1
    assert digest.open_asks.listed == ()
    assert digest.unmet_topics == ()  # a private ask's topics come from its text
    text, blocks = digest_blocks(digest)
    shown = blocks_text(blocks) + text + repr(blocks)
    assert "SECRET" not in shown
    assert "hush" not in shown
    assert "was thanked by Cat (in a private conversation)" in shown
    assert "helped Ana (in a private conversation)" in shown
    assert "1 ask in private conversations" in shown


def test_the_digest_names_the_conversations_it_quotes_and_can_quote_none(
    sessions: SessionFactory,
) -> None:
    with transaction(sessions) as session:
        ask(session, "UANA", "How do I rotate keys?", MID, helpers=["UBEN"], resolved=MID)
        kudos(session, "UCAT", ["UBEN"], MID, "SECRET thanks", private=True)
        kudos(session, "UCAT", ["UDAN"], MID, "for the deploy fix")
        ask(session, "UEVE", "Who knows #vault", MID, topics=["vault"])
        digest = compose(session)
    # Private items quote nothing, so their conversations need no second look when sending.
    assert digest.quoted_channels() == ("C1",)
    plain = digest.without_quotes()
    assert plain.quoted_channels() == ()
    assert plain.totals == digest.totals
    text, blocks = digest_blocks(plain)
    shown = blocks_text(blocks) + text
    for quoted in ("rotate keys", "deploy fix", "Who knows", "vault", "SECRET"):
        assert quoted not in shown
    assert "was thanked by Cat" in shown
    assert "1 ask" in shown


def test_most_thanked_ranks_by_distinct_givers_and_skips_opted_out(
    sessions: SessionFactory,
) -> None:
    with transaction(sessions) as session:
        for _ in range(3):
            kudos(session, "UANA", ["UBEN"], MID)  # one person, three times
        kudos(session, "UANA", ["UCAT"], MID)
        kudos(session, "UDAN", ["UCAT"], MID)  # two people
        kudos(session, "UANA", ["UGONE"], MID)
        kudos(session, "UDAN", ["UGONE"], MID)
        kudos(session, "UEVE", ["UGONE"], MID)
        kudos(session, "UANA", ["UHIDE"], MID)
        kudos(session, "UDAN", ["UHIDE"], MID)
        kudos(session, "UEVE", ["UHIDE"], MID)
        digest = compose(session)
    assert [(t.name, t.givers, t.kudos) for t in digest.top_thanked] == [
        ("Cat", 2, 2),
        ("Ben", 1, 3),
    ]


def test_new_connections_are_pairs_who_never_met_before_the_week(
    sessions: SessionFactory,
) -> None:
    with transaction(sessions) as session:
        kudos(session, "UBEN", ["UANA"], BEFORE)  # Ana and Ben met before (other direction)
        kudos(session, "UANA", ["UBEN"], MID)
        ask(session, "UCAT", "old", BEFORE, helpers=["UDAN"], resolved=BEFORE)  # met via an ask
        kudos(session, "UCAT", ["UDAN"], MID)
        kudos(session, "UEVE", ["UFAY"], BEFORE, undone=True)  # withdrawn: never happened
        kudos(session, "UFAY", ["UEVE"], MID)
        ask(session, "UANA", "new", MID, helpers=["UEVE"], resolved=MID)
        kudos(session, "UEVE", ["UANA"], MID + timedelta(hours=2))  # same pair, counted once
        digest = compose(session)
    assert [(c.first_name, c.second_name) for c in digest.connections] == [
        ("Ana", "Eve"),
        ("Eve", "Fay"),
    ]


def test_met_before_looks_both_ways_for_thanks_and_help(sessions: SessionFactory) -> None:
    # Each pair of this week met before in exactly one way, one pair per way (thanks or
    # credited help, either direction); the last pair only met this week, before `now`.
    with transaction(sessions) as session:
        kudos(session, "UANA", ["UBEN"], BEFORE)  # Ana thanked Ben
        kudos(session, "UDAN", ["UCAT"], BEFORE)  # Dan thanked Cat
        ask(session, "UFAY", "old", BEFORE, helpers=["UEVE"], resolved=BEFORE)  # Eve helped Fay
        ask(session, "UHIDE", "old", BEFORE, helpers=["UGONE"], resolved=BEFORE)  # Gone helped
        kudos(session, "UANA", ["UCAT"], MID - timedelta(days=1))  # this week: not "before"
        for giver, recipient in [("UANA", "UBEN"), ("UCAT", "UDAN"), ("UEVE", "UFAY")]:
            kudos(session, giver, [recipient], MID)
        kudos(session, "UGONE", ["UHIDE"], MID)
        kudos(session, "UCAT", ["UANA"], MID)
        digest = compose(session)
    assert [(c.first_id, c.second_id) for c in digest.connections] == [("UANA", "UCAT")]


def test_a_helper_is_listed_with_their_first_three_acts_and_the_rest_counted(
    sessions: SessionFactory,
) -> None:
    with transaction(sessions) as session:
        save_members(session, "T1", [{"id": "UZOE", "real_name": "Zoe"}], BEFORE)
        kudos(session, "UCAT", ["UBEN"], MID + timedelta(hours=2), "latest")
        kudos(session, "UANA", ["UBEN"], MID, "same time as the credit")
        ask(session, "UDAN", "How do I rotate keys?", MID, helpers=["UBEN"], resolved=MID)
        kudos(session, "UEVE", ["UBEN"], MID + timedelta(hours=1), "later")
        # Zoe is in no act of the week: her name is read for the quote that mentions her.
        kudos(session, "UFAY", ["UBEN"], MID - timedelta(hours=1), "first, with <@UZOE>")
        digest = compose(session)
    [ben] = digest.helpers
    # Oldest first; at the same time, credit before kudos.
    assert [(h.kind, h.other_name, h.quote) for h in ben.helps] == [
        ("kudos", "Fay", "first, with @Zoe"),
        ("ask", "Dan", "How do I rotate keys?"),
        ("kudos", "Ana", "same time as the credit"),
    ]
    assert ben.unlisted == 2
    assert "; and 2 more" in blocks_text(digest_blocks(digest)[1])


def test_only_the_listed_helpers_are_held_quoted_and_checked_before_sending(
    sessions: SessionFactory,
) -> None:
    users = [f"UQ{n:02d}" for n in range(22)]
    with transaction(sessions) as session:
        save_members(session, "T1", [{"id": u, "real_name": f"Q{u}"} for u in users], BEFORE)
        kudos(session, "UANA", ["UBEN"], MID, "busiest, listed first")
        kudos(session, "UCAT", ["UBEN"], MID, "busiest again")
        for user in users[:-1]:
            kudos(session, "UANA", [user], MID, f"thanks {user}")
        # The last by name: not listed, so neither quoted nor its conversation checked.
        kudos(session, "UANA", [users[-1]], MID, "unlisted").channel_id = "C9"
        session.flush()
        digest = compose(session)
    assert [line.helper_id for line in digest.helpers] == ["UBEN", *users[:19]]
    assert digest.unlisted_helpers == 3
    assert digest.helper_count == digest.totals.helpers == 23
    assert digest.quoted_channels() == ("C1",)
    shown = blocks_text(digest_blocks(digest)[1])
    assert "…and 3 more people helped." in shown
    assert "unlisted" not in shown


def test_a_long_list_of_people_and_pairs_is_read_in_one_go(sessions: SessionFactory) -> None:
    # More people and pairs than any one IN list held before: all named, all pairs new.
    users = [f"UL{n:04d}" for n in range(1_200)]
    with transaction(sessions) as session:
        save_members(session, "T1", [{"id": u, "real_name": f"L{u}"} for u in users], BEFORE)
        for n, user in enumerate(users):
            kudos(session, user, [users[n - 1]], MID)
        kudos(session, users[0], [users[1]], BEFORE)  # one pair met before
        digest = compose(session)
    assert digest.connection_count == 1_199
    # Listed by name: the first twenty only if all 1,200 were named (an unnamed one shows its id).
    assert [line.name for line in digest.helpers] == [f"L{u}" for u in users[:20]]
    assert digest.helper_count == 1_200
    # Each thanked the one before; the first two had met, the first thanked the last.
    expected = [(users[0], users[-1]), *itertools.pairwise(users[1:11])]
    first = [(c.first_name, c.second_name) for c in digest.connections]
    assert first == [(f"L{a}", f"L{b}") for a, b in expected]


def test_open_asks_list_public_ones_with_links_and_count_private_ones(
    sessions: SessionFactory,
) -> None:
    with transaction(sessions) as session:
        old = ask(session, "UANA", "Old <!channel> question", BEFORE, status="claimed")
        new = ask(session, "UBEN", "New question", MID)
        ask(session, "UCAT", "Private one", MID, private=True)
        ask(session, "UDAN", "Done", MID, status="closed")
        ask(session, "UEVE", "Next week", END + timedelta(hours=1))
        digest = compose(session)
    listed = digest.open_asks.listed
    assert [a.ask_id for a in listed] == [new.id, old.id]
    assert listed[1].quote == "Old <!channel> question"  # escaped form; blocks make it inert
    assert (
        listed[0].link == f"https://acme.slack.com/archives/C1/p{new.message_ts.replace('.', '')}"
    )
    assert (digest.open_asks.public, digest.open_asks.private) == (2, 1)


def test_new_offers_and_topics_nobody_offers(sessions: SessionFactory) -> None:
    with transaction(sessions) as session:
        offer(session, "UANA", "postgresql", BEFORE)
        offer(session, "UBEN", "kubernetes", MID)
        offer(session, "UBEN", "helm", MID)
        offer(session, "UCAT", "react", MID, active=False)
        offer(session, "UGONE", "terraform", BEFORE)  # deactivated: offers nothing any more
        ask(session, "UDAN", "Slow query #postgres", MID, topics=["postgresql", "slow"])
        ask(session, "UDAN", "Terraform plan fails #terraform", MID, topics=["terraform", "plan"])
        ask(session, "UEVE", "Plan for the offsite?", MID, topics=["plan", "offsite"])
        ask(session, "UFAY", "React hooks #react", MID, topics=["react", "hooks"])
        digest = compose(session)
    assert [(o.name, o.topics) for o in digest.new_offers] == [("Ben", ("kubernetes", "helm"))]
    # "plan" is in two asks; "slow", "offsite" and "hooks" once each, untagged: noise.
    assert [(t.topic, t.asks) for t in digest.unmet_topics] == [
        ("plan", 2),
        ("react", 1),
        ("terraform", 1),
    ]


def test_an_offer_saved_in_an_older_spelling_still_counts_as_offered(
    sessions: SessionFactory,
) -> None:
    with transaction(sessions) as session:
        offer(session, "UANA", "machine-learning", BEFORE)  # saved before the normal form
        ask(session, "UDAN", "Model drift #ml", MID, topics=["machine learning"])
        ask(session, "UEVE", "Feature store? #ml", MID, topics=["machine learning"])
        ask(session, "UEVE", "Design tokens #design-system", MID, topics=["design system"])
        ask(session, "UFAY", "Figma libs #design-system", MID, topics=["design system"])
        digest = compose(session)
    assert [(t.topic, t.asks) for t in digest.unmet_topics] == [("design system", 2)]


def test_unsung_helpers_answered_but_were_not_credited(sessions: SessionFactory) -> None:
    with transaction(sessions) as session:
        ask(session, "UANA", "a", MID, status="answered", answered_by="UBEN", answered_at=MID)
        ask(session, "UANA", "b", MID, status="answered", answered_by="UBEN", answered_at=MID)
        ask(
            session,
            "UCAT",
            "c",
            MID,
            helpers=["UDAN"],
            resolved=MID,
            answered_by="UDAN",
            answered_at=MID,
        )
        ask(session, "UCAT", "d", BEFORE, status="answered", answered_by="UEVE", answered_at=BEFORE)
        digest = compose(session)
    assert [(u.name, u.asks) for u in digest.unsung] == [("Ben", 2)]


def test_unsung_counts_each_role_and_any_credit_clears_a_person(
    sessions: SessionFactory,
) -> None:
    with transaction(sessions) as session:
        # Ben claimed and was credited; Cat answered the same ask and was not.
        row = ask(session, "UANA", "a", MID, helpers=["UBEN"], resolved=MID)
        row.claimed_by, row.claimed_at = "UBEN", MID
        row.answered_by, row.answered_at = "UCAT", MID
        # Dan answered two asks and was credited on one: not unsung at all.
        ask(session, "UEVE", "b", MID, status="answered", answered_by="UDAN", answered_at=MID)
        ask(
            session,
            "UEVE",
            "c",
            MID,
            helpers=["UDAN"],
            resolved=MID,
            answered_by="UDAN",
            answered_at=MID,
        )
        # Fay answered her own ask (never counted) and claimed Eve's, claimed before the week.
        ask(session, "UFAY", "d", MID, status="answered", answered_by="UFAY", answered_at=MID)
        late = ask(
            session, "UEVE", "e", MID, status="answered", answered_by="UFAY", answered_at=MID
        )
        late.claimed_by, late.claimed_at = "UFAY", BEFORE
        session.flush()
        digest = compose(session)
    assert [(u.name, u.asks) for u in digest.unsung] == [("Cat", 1), ("Fay", 1)]


def test_offers_on_topics_with_quotes_and_accents_count_as_offered(
    sessions: SessionFactory,
) -> None:
    with transaction(sessions) as session:
        offer(session, "UANA", "café", BEFORE)
        offer(session, "UBEN", 'o\'reilly "books"', BEFORE)
        for user in ("UDAN", "UEVE"):
            ask(session, user, "Where? #café", MID, topics=["café", 'o\'reilly "books"', "tea"])
        digest = compose(session)
    assert [(t.topic, t.asks) for t in digest.unmet_topics] == [("tea", 2)]


def test_a_quiet_week(sessions: SessionFactory) -> None:
    with transaction(sessions) as session:
        kudos(session, "UANA", ["UBEN"], BEFORE)
        ask(session, "UANA", "still open", BEFORE)
        digest = compose(session)
    assert digest.is_quiet
    assert digest.open_asks.total == 1
    text, blocks = digest_blocks(digest)
    assert "quiet week" in text
    assert len(blocks) == 2
    assert "1 ask is still waiting for help" in blocks_text(blocks)


def test_the_week_ends_at_local_monday_midnight_across_the_dst_change(
    sessions: SessionFactory,
) -> None:
    sunday_late = datetime(2026, 11, 1, 23, 59, tzinfo=NY)
    monday = datetime(2026, 11, 2, 0, 0, tzinfo=NY)
    monday_start = datetime(2026, 10, 26, 0, 0, tzinfo=NY)
    with transaction(sessions) as session:
        kudos(session, "UANA", ["UBEN"], sunday_late, "sunday")
        kudos(session, "UANA", ["UCAT"], monday, "monday")
        kudos(session, "UANA", ["UDAN"], monday_start, "first minute")
        kudos(session, "UANA", ["UEVE"], monday_start - timedelta(seconds=1), "too early")
        digest = compose(session)
    assert iso_week_bounds(WEEK, NY) == (START, END)
    assert (END - START).total_seconds() == 169 * 3600
    quotes = sorted(h.quote or "" for line in digest.helpers for h in line.helps)
    assert quotes == ["first minute", "sunday"]


def test_the_week_so_far_stops_at_now(sessions: SessionFactory) -> None:
    with transaction(sessions) as session:
        kudos(session, "UANA", ["UBEN"], MID)
        kudos(session, "UANA", ["UCAT"], MID + timedelta(days=1))
        digest = compose(session, now=MID + timedelta(hours=1))
    assert [line.helper_id for line in digest.helpers] == ["UBEN"]
    assert digest.as_of < digest.end


def test_week_bounds_labels_and_parsing() -> None:
    # Europe/Berlin leaves summer time on Sunday 25 October 2026: a 169-hour week.
    start, end = iso_week_bounds("2026-W43", BERLIN)
    assert start == datetime(2026, 10, 18, 22, 0, tzinfo=UTC)
    assert end == datetime(2026, 10, 25, 23, 0, tzinfo=UTC)
    # ...and enters it on Sunday 29 March 2026: a 167-hour week.
    start, end = iso_week_bounds("2026-W13", BERLIN)
    assert end - start == timedelta(hours=167)
    assert week_label(datetime(2026, 11, 2, 4, 59, tzinfo=UTC), NY) == "2026-W44"
    assert week_label(datetime(2026, 11, 2, 5, 0, tzinfo=UTC), NY) == "2026-W45"
    assert week_label(datetime(2027, 1, 1, 12, tzinfo=UTC), NY) == "2026-W53"
    now = datetime(2026, 11, 4, 12, 0, tzinfo=UTC)
    assert parse_week("current", now, NY).label == "2026-W45"
    last = parse_week(" LAST ", now, NY)
    assert (last.label, last.start, last.end) == (WEEK, START, END)
    assert parse_week("2026-w44", now, NY).label == WEEK


@pytest.mark.parametrize(
    ("arg", "message"),
    [
        ("yesterday", "not a week: 'yesterday'; use 'current', 'last' or an ISO week"),
        ("2026-44", "not a week"),
        ("2025-W53", "2025 has no ISO week 53"),
        ("2026-W00", "2026 has no ISO week 0"),
        ("2026-W46", "week 2026-W46 has not started yet"),
    ],
)
def test_bad_weeks_are_refused_with_a_clear_message(arg: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_week(arg, datetime(2026, 11, 4, 12, 0, tzinfo=UTC), NY)


def test_excerpts_are_short_single_lines_that_ping_nobody() -> None:
    text = "Thanks <@UANA> &amp; <@UZED|zed> for\nthe <https://x.io/a|runbook>! " + "word " * 40
    short = excerpt(text, {"UANA": "Ana"}, limit=60)
    assert short.startswith("Thanks @Ana &amp; @zed for the <https://x.io/a|runbook>! word")
    assert short.endswith("…")
    assert "<@" not in short
    assert "\n" not in short
    assert excerpt("see <https://example.com/very/long|a link that is long>", {}, 10) == "see …"


def test_five_hundred_helpers_fit_in_one_slack_message(sessions: SessionFactory) -> None:
    users = [f"UH{n:04d}" for n in range(500)]
    with transaction(sessions) as session:
        save_members(session, "T1", [{"id": u, "name": u.lower()} for u in users], BEFORE)
        for n, user in enumerate(users):
            kudos(session, "UANA", [user], MID, f"thanks for {n} " + "x" * 400)
            kudos(session, users[n - 1], [user], MID, "<!here> & more " + "y" * 400)
        digest = compose(session)
    assert digest.helper_count == 500
    text, blocks = digest_blocks(digest)
    assert len(blocks) <= 50
    assert all(len(t) <= 3000 for b in blocks for t in _texts(b))
    assert "…and 480 more people helped." in blocks_text(blocks)
    assert "<!here>" not in repr(blocks)
    assert len(text) < 300


def _texts(block: dict[str, object]) -> list[str]:
    found = []
    if isinstance(block.get("text"), dict):
        found.append(str(block["text"]["text"]))  # type: ignore[index]
    return found
