"""Resolving an ask with credit: who may (the asker, checked here once), the form prefilled with
who helped, and the thanks given as kudos to those still here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from app.asks import blocks
from app.asks.access import AskRefusal, askers_ask, still_here
from app.asks.notify import changed
from app.intros import suggestions
from app.kudos import giving
from app.kudos.request import KudosRequest
from app.kudos.results import Refused
from app.slackapi.outcomes import Done, OpenView, Refusal, Reply
from app.slackapi.payloads import Click, Conversation, Submission
from app.store.models import Ask, AskHelper
from app.store.statuses import AskStatus

HELPERS_BLOCK = "helpers"


def resolvable(session: Session, team_id: str, ask_id: int | None, user_id: str) -> Ask | Refusal:
    """The ask `ask_id` if `user_id` may resolve it now (it is live and theirs), else why not."""
    return askers_ask(session, team_id, ask_id, user_id, "resolve it")


def helper_candidates(ask: Ask) -> list[str]:
    """Who to prefill as helpers: whoever answered and whoever offered to help."""
    return [u for u in dict.fromkeys([ask.answered_by, ask.claimed_by]) if u]


def open_form(session: Session, click: Click, now: datetime) -> OpenView | Refusal:
    """ "Resolved" on an ask: the asker gets the form to credit who helped (prefilled)."""
    ask = resolvable(session, click.team_id, click.number, click.user_id)
    if isinstance(ask, Refusal):
        return ask
    return OpenView(blocks.resolve_modal(ask, helper_candidates(ask)))


def submit_form(session: Session, form: Submission, now: datetime) -> Done | Refusal:
    """The resolve form was submitted: resolve as its submitter (who must be the asker)."""
    ask_id = form.metadata.get("ask_id")
    if not isinstance(ask_id, int):
        return Refusal(AskRefusal.EXPIRED_FORM, "This form has expired.", HELPERS_BLOCK)
    ask = resolvable(session, form.team_id, ask_id, form.user_id)
    if isinstance(ask, Refusal):
        return ask
    # A thank-you that could not be given as kudos still resolves: the form just closes.
    credit(session, ask, form.users(HELPERS_BLOCK), form.text("note"), now)
    return Done()


def credit(session: Session, ask: Ask, helpers: Sequence[str], note: str, now: datetime) -> Reply:
    """Resolve `ask` (already checked with `resolvable`): record who helped, update its message,
    and thank them with `note` as kudos from the asker; return what the asker is told."""
    team_id, user_id = ask.team_id, ask.asker_id
    credited = [h for h in dict.fromkeys(helpers) if h != user_id]
    ask.status = AskStatus.RESOLVED
    ask.resolved_at = now
    for helper in credited:
        ask.helpers.append(
            AskHelper(team_id=team_id, helper_id=helper, asker_id=ask.asker_id, credited_at=now)
        )
    session.flush()
    changed(session, ask, now, "resolve")
    # A helper new to the asker may be worth introducing to someone the asker knows.
    suggestions.after_credit(session, ask, credited, now)
    # Credit stays with everyone who helped; the thank-you goes to those who can still get it.
    thanked = still_here(session, team_id, credited)
    if note.strip() and thanked:
        given = giving.give(
            session,
            KudosRequest(
                team_id=team_id,
                giver_id=user_id,
                recipients=tuple(thanked),
                message=note.strip(),
                where=Conversation(
                    ask.channel_id or ask.origin_channel_id,
                    ask.channel_is_private,
                    is_dm=ask.channel_id is None,
                ),
                source="ask",
                dedupe_key=f"ask:{ask.id}:thanks",
            ),
            now,
        )
        if isinstance(given, Refused):
            return Reply(
                "Resolved, with credit recorded. Your thank-you note couldn't be sent as kudos: "
                + given.reason.value.replace("_", " ")
                + "."
            )
    return Reply("Resolved. Thanks for closing the loop!")
