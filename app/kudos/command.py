"""`/kudos …`: from a parsed slash command to its answer, or to the form to open."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from app.calendar import month_start, week_start, zone
from app.directory.service import CachedChannel, channel_is_stale
from app.directory.slack_lookup import SlackLookup
from app.kudos import blocks, giving, insights, rules, stats, withdrawal
from app.kudos.request import KudosRequest
from app.slackapi.mrkdwn import parse
from app.slackapi.outcomes import OpenView, Outcome, Refusal, Reply
from app.slackapi.payloads import Conversation, SlashCommand
from app.store.models import Member, Workspace
from app.workspaces import settings_form

_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")


def handle(
    session: Session,
    lookup: SlackLookup,
    command: SlashCommand,
    now: datetime,
    *,
    public_url: str,
) -> Outcome:
    """Run one `/kudos` command: the ephemeral answer, or the form to open; `public_url` is where
    the insights page is served (for `/kudos insights`' sign-in link)."""
    text = command.text.strip()
    word, _, rest = text.partition(" ")
    sub = word.lower()
    if not text:
        return _form(session, command)
    if sub == "help":
        return Reply(blocks.HELP)
    if sub == "stats":
        return _stats(session, command, now)
    if sub == "top":
        return _top(session, command.team_id, now)
    if sub == "insights":
        return insights.insights(session, lookup, command, public_url, now)
    if sub in ("optout", "opt-out", "optin", "opt-in"):
        lookup.member(session, command.team_id, command.user_id, now)
        out = sub.startswith("optout") or sub == "opt-out"
        _set_member(session, command.team_id, command.user_id, leaderboard_opt_out=out)
        return Reply(
            "You're off the leaderboards; kudos still reach you."
            if out
            else "You're back on the leaderboards."
        )
    if sub == "revoke":
        return _revoke(session, lookup, command, rest, now)
    if sub in ("lock", "unlock"):
        return _lock(session, lookup, command, rest, sub == "lock", now)
    if sub == "settings":
        # Admin rights are checked by the settings form's own front door.
        return settings_form.open_settings(session, lookup, command.team_id, command.user_id, now)
    return _give(session, lookup, command, text, now)


def _form(session: Session, command: SlashCommand) -> OpenView:
    """The give-kudos form, remembering where the command was typed and how to answer there."""
    values = list(session.get_one(Workspace, command.team_id).kudos_values)
    metadata = {
        "channel_id": command.channel_id,
        "in_dm": command.in_dm,
        "response_url": command.response_url,
    }
    return OpenView(
        blocks.modal(values=values, private_metadata=metadata), apology=blocks.FORM_FAILED
    )


def _give(
    session: Session, lookup: SlackLookup, command: SlashCommand, text: str, now: datetime
) -> Outcome:
    parsed = parse(text)
    team_id, giver_id = command.team_id, command.user_id
    known = rules.gather(session, team_id, giver_id, parsed.recipients, command.channel_id, now)
    if any(user_id not in known.people for user_id in (giver_id, *parsed.recipients)):
        # Someone the directory has not seen: ask Slack, then read again (rare, so not lean).
        lookup.members(session, team_id, (giver_id, *parsed.recipients), now)
        known = rules.gather(session, team_id, giver_id, parsed.recipients, command.channel_id, now)
    request = KudosRequest(
        team_id=command.team_id,
        giver_id=command.user_id,
        recipients=parsed.recipients,
        plain_names=parsed.plain_names,
        message=parsed.message,
        values=parsed.values,
        where=_where(session, lookup, command, known.channel, now),
        response_url=command.response_url,
    )
    # The command's answer is its ack: nothing after the kudos writes.
    return giving.give_kudos(session, request, now, known, last=True)


def _where(
    session: Session,
    lookup: SlackLookup,
    command: SlashCommand,
    cached: CachedChannel | None,
    now: datetime,
) -> Conversation:
    """Where the command was typed, from the channel row `gather` read when it is fresh; else as
    the lookup finds it (from Slack, a miss or stale facts)."""
    if command.in_dm or cached is None or channel_is_stale(cached, now):
        return lookup.conversation(session, command.team_id, command.channel_id, command.in_dm, now)
    return cached.conversation(command.channel_id)


def _stats(session: Session, command: SlashCommand, now: datetime) -> Reply:
    workspace_rules = rules.rules_of(session, command.team_id)
    member = session.get(Member, (command.team_id, command.user_id))
    tz = zone(member.tz if member else None, workspace_rules.timezone)
    numbers = stats.personal(session, command.team_id, command.user_id, week_start(now, tz))
    remaining = rules.remaining_today(session, workspace_rules, command.user_id, member, now)
    return Reply(
        blocks.stats_text(
            numbers.given_week,
            numbers.given_all,
            numbers.received_week,
            numbers.received_all,
            numbers.top_values,
            remaining,
        )
    )


def _top(session: Session, team_id: str, now: datetime) -> Reply:
    workspace = session.get_one(Workspace, team_id)
    tz = zone(workspace.timezone)
    week = stats.leaderboard(session, team_id, week_start(now, tz))
    month = stats.leaderboard(session, team_id, month_start(now, tz))
    return Reply(
        blocks.leaderboard_text("Most thanked this week", week)
        + "\n\n"
        + blocks.leaderboard_text("Most thanked this month", month)
    )


def _admin(
    session: Session, lookup: SlackLookup, command: SlashCommand, now: datetime
) -> Member | None:
    member = lookup.member(session, command.team_id, command.user_id, now)
    return member if member is not None and member.is_admin else None


def _revoke(
    session: Session, lookup: SlackLookup, command: SlashCommand, rest: str, now: datetime
) -> Reply | Refusal:
    number = rest.strip().lstrip("#")
    if not number.isdigit():
        return Reply(
            "Say which kudos to revoke by its number: `/kudos revoke 42` "
            "(the number is under each kudos post).",
            refused=True,
        )
    admin = lookup.member(session, command.team_id, command.user_id, now)
    outcome = withdrawal.revoke(session, command.team_id, int(number), admin, now)
    if isinstance(outcome, Refusal):
        return outcome
    return Reply(f"Kudos #{outcome.kudos_id} is revoked; its post now says so.")


def _lock(
    session: Session,
    lookup: SlackLookup,
    command: SlashCommand,
    rest: str,
    lock: bool,
    now: datetime,
) -> Reply:
    verb = "lock" if lock else "unlock"
    if _admin(session, lookup, command, now) is None:
        return Reply(f"Only workspace admins can {verb} givers.", refused=True)
    target = _USER.search(rest)
    if target is None:
        return Reply(f"Mention who to {verb}: `/kudos {verb} @person`", refused=True)
    lookup.member(session, command.team_id, target.group(1), now)
    if not _set_member(session, command.team_id, target.group(1), kudos_locked=lock):
        return Reply(f"I don't know <@{target.group(1)}>.", refused=True)
    return Reply(f"<@{target.group(1)}> can {'no longer' if lock else 'again'} give kudos.")


def _set_member(session: Session, team_id: str, user_id: str, **flags: bool) -> bool:
    """Set a person's kudos flags (locked, off the leaderboards); return whether the person is
    in the directory."""
    result = session.execute(
        update(Member).where(Member.team_id == team_id, Member.user_id == user_id).values(**flags)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
