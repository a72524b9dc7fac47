"""What the asker chooses on a nudge: "Keep it open" or "Remind me tomorrow" on the last round,
and "Resolved, thank them" after answers came in. Only the asker may choose."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from app.asks.access import askers_ask
from app.asks.nudge_schedule import ROUNDS, hours_for
from app.asks.resolution import credit, resolvable
from app.nudges.service import answerers
from app.slackapi.outcomes import Refusal, Reply
from app.slackapi.payloads import Click
from app.store.models import Ask, AskNudge

# "Remind me tomorrow": this long, then on to the asker's next working moment.
SNOOZE = timedelta(days=1)
THANKS = "Thank you for answering my ask!"


def keep_open(session: Session, click: Click, now: datetime) -> Reply | Refusal:
    """ "Keep it open" on the last round: ask again after another last-round wait."""
    ask = askers_ask(session, click.team_id, click.number, click.user_id, "keep it open")
    if isinstance(ask, Refusal):
        return ask
    _back_to_last_round(session, ask)
    workspace, hours = hours_for(session, ask)
    ask.snoozed_until = None
    ask.next_nudge_at = hours.add(now, workspace.nudge_last_hours - workspace.nudge_second_hours)
    return Reply("Kept open. I'll check with you again later if it's still unanswered.")


def snooze(session: Session, click: Click, now: datetime) -> Reply | Refusal:
    """ "Remind me tomorrow" on the last round: ask the asker again a day later, at the first
    moment of their working hours from then."""
    ask = askers_ask(session, click.team_id, click.number, click.user_id, "snooze its reminders")
    if isinstance(ask, Refusal):
        return ask
    _back_to_last_round(session, ask)
    _, hours = hours_for(session, ask)
    until = hours.next_open(now + SNOOZE)
    ask.snoozed_until = ask.next_nudge_at = until
    local = until.astimezone(hours.tz)
    return Reply(f"Snoozed. I'll ask you about it again on {local:%A} at {local:%H:%M}.")


def _back_to_last_round(session: Session, ask: Ask) -> None:
    """Let the last round come round again: drop its claim (and the stale one after it)."""
    session.execute(
        delete(AskNudge).where(AskNudge.ask_id == ask.id, AskNudge.kind.in_(("last", "stale")))
    )
    ask.nudge_round = ROUNDS.index("last")


def thank_answerers(session: Session, click: Click, now: datetime) -> Reply | Refusal:
    """ "Resolved, thank them": credit whoever answered and thank them with a kudos."""
    ask = resolvable(session, click.team_id, click.number, click.user_id)
    if isinstance(ask, Refusal):
        return ask
    return credit(session, ask, answerers(session, ask), THANKS, now)
