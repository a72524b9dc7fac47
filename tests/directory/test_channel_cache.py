"""The channel cache: facts older than `CHANNEL_TTL` are read from `conversations.info` again on
the next look-up; a re-read that fails keeps the stale facts; privacy events still apply."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.directory.service import CHANNEL_TTL, channel_is_stale, get_channel, set_privacy
from app.directory.slack_lookup import SlackLookup
from app.sandbox.slack_api import SlackStandIn
from app.store.db import SessionFactory, transaction
from app.store.models import Channel
from tests.directory.conftest import START, TEAM

CHANNEL = "C0GENERAL"
SECOND = timedelta(seconds=1)


@pytest.fixture(autouse=True)
def invited(slack: SlackStandIn) -> None:
    """Someone invited the bot to #general, so the facts start with it a member."""
    slack.set_bot_member(CHANNEL, True)


def look(lookup: SlackLookup, sessions: SessionFactory, at: timedelta) -> Channel | None:
    """Look #general up `at` after START, in a transaction of its own."""
    with transaction(sessions) as session:
        channel = lookup.channel(session, TEAM, CHANNEL, START + at)
        if channel is not None:
            session.expunge(channel)
        return channel


def facts(channel: Channel | None) -> tuple[str, bool, bool, bool]:
    """What guards read from a cached channel: (name, private, archived, bot is a member)."""
    assert channel is not None
    return channel.name, channel.is_private, channel.is_archived, channel.bot_is_member


def reads(slack: SlackStandIn) -> int:
    """How many times `conversations.info` was asked."""
    return len(slack.calls_to("conversations.info"))


def test_staleness_is_measured_from_the_last_read_with_the_injected_now() -> None:
    channel = Channel(team_id=TEAM, channel_id=CHANNEL, updated_at=START)
    assert not channel_is_stale(channel, START)
    assert not channel_is_stale(channel, START + CHANNEL_TTL - SECOND)
    assert channel_is_stale(channel, START + CHANNEL_TTL)


def test_facts_younger_than_the_ttl_come_from_the_cache(
    slack: SlackStandIn, sessions: SessionFactory, lookup: SlackLookup
) -> None:
    assert facts(look(lookup, sessions, timedelta(0))) == ("general", False, False, True)
    slack.set_bot_member(CHANNEL, False)
    assert facts(look(lookup, sessions, CHANNEL_TTL - SECOND)) == ("general", False, False, True)
    assert reads(slack) == 1


def test_facts_older_than_the_ttl_are_read_again(
    slack: SlackStandIn, sessions: SessionFactory, lookup: SlackLookup
) -> None:
    look(lookup, sessions, timedelta(0))
    slack.set_bot_member(CHANNEL, False)
    slack.channels[CHANNEL].is_archived = True  # an admin archived it; no event told us
    assert facts(look(lookup, sessions, CHANNEL_TTL)) == ("general", False, True, False)
    assert reads(slack) == 2
    # The re-read is fresh for another TTL.
    look(lookup, sessions, 2 * CHANNEL_TTL - SECOND)
    assert reads(slack) == 2


def test_a_channel_gone_private_without_the_bot_is_cached_as_private_on_the_re_read(
    slack: SlackStandIn, sessions: SessionFactory, lookup: SlackLookup
) -> None:
    look(lookup, sessions, timedelta(0))
    slack.set_channel_private(CHANNEL, True)
    slack.set_bot_member(CHANNEL, False)
    # Slack now hides it from the bot (channel_not_found): private, bot outside, name kept.
    assert facts(look(lookup, sessions, CHANNEL_TTL)) == ("general", True, False, False)


def test_a_failed_re_read_keeps_the_stale_facts_and_the_next_look_up_tries_again(
    slack: SlackStandIn, sessions: SessionFactory, lookup: SlackLookup
) -> None:
    look(lookup, sessions, timedelta(0))
    slack.set_bot_member(CHANNEL, False)
    slack.fail_next("conversations.info", status=500)
    stale = look(lookup, sessions, CHANNEL_TTL)
    assert facts(stale) == ("general", False, False, True)
    assert stale is not None
    assert stale.updated_at == START
    slack.fail_next("conversations.info", status=429, retry_after=5)
    assert facts(look(lookup, sessions, CHANNEL_TTL + SECOND)) == ("general", False, False, True)
    assert facts(look(lookup, sessions, CHANNEL_TTL + 2 * SECOND)) == (
        "general",
        False,
        False,
        False,
    )
    assert reads(slack) == 4


def test_a_privacy_event_applies_at_once_and_does_not_postpone_the_re_read(
    slack: SlackStandIn, sessions: SessionFactory, lookup: SlackLookup
) -> None:
    look(lookup, sessions, timedelta(0))
    slack.set_channel_private(CHANNEL, True)
    with transaction(sessions) as session:
        set_privacy(session, TEAM, CHANNEL, True, START + CHANNEL_TTL / 2)
    assert facts(look(lookup, sessions, CHANNEL_TTL / 2)) == ("general", True, False, True)
    assert reads(slack) == 1
    # The event told one fact; the others are still re-read when the first read is an hour old.
    slack.set_bot_member(CHANNEL, False)
    look(lookup, sessions, CHANNEL_TTL)
    assert reads(slack) == 2
    with sessions() as session:
        cached = get_channel(session, TEAM, CHANNEL)
        assert facts(cached) == ("general", True, False, False)
