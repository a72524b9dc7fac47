"""Giving kudos: one way in for every surface, and where the giver hears that it worked.

A kudos is stored with every recipient and the messages it owes (the recognition post, a note to
each recipient) in one transaction; a refused kudos stores nothing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.delivery import outbox
from app.directory import home_tabs as home
from app.kudos import blocks, posting, rules
from app.kudos.request import KudosRequest
from app.kudos.results import Given, RefusalReason, Refused
from app.slackapi.outcomes import Done, Refusal, Reply
from app.store.models import Kudos

# The refusals about what the message says; every other one is about whom it thanks.
_ABOUT_THE_MESSAGE = (RefusalReason.NO_MESSAGE, RefusalReason.TOO_LONG)
# The one surface whose confirmation is written (queued) after the kudos: a form has no answer.
_CONFIRMED_BY_MESSAGE = "modal"


def give(
    session: Session,
    request: KudosRequest,
    now: datetime,
    known: rules.Known | None = None,
    *,
    last: bool = False,
) -> Given | Refused:
    """Check every guard, then record the kudos and queue its post and notes; else store nothing.

    `known` is what `rules.gather` read for this request, when the caller has read it already.
    `last`: the caller writes nothing after this returns, in this unit of work (see `store`).
    """
    checked = rules.check(session, request, now, known)
    if isinstance(checked, Refused):
        return checked
    if request.dedupe_key is not None:
        existing = session.scalar(
            select(Kudos).where(
                Kudos.team_id == request.team_id, Kudos.dedupe_key == request.dedupe_key
            )
        )
        if existing is not None:
            return Given(
                existing.id,
                tuple(r.recipient_id for r in existing.recipients),
                checked.remaining_today,
                duplicate=True,
            )
    # The facts already read say who has a Home tab to refresh.
    homes = home.with_home(checked.people, (request.giver_id, *checked.recipients))
    kudos = posting.store(session, request, checked, now, last=last and not homes)
    home.refresh(session, request.team_id, homes, now)
    return Given(kudos.id, kudos.recipients, checked.remaining_today - len(checked.recipients))


def give_kudos(
    session: Session,
    request: KudosRequest,
    now: datetime,
    known: rules.Known | None = None,
    *,
    last: bool = False,
) -> Reply | Refusal | Done:
    """Give the kudos `request` asks for and confirm it to the giver; or say why not, beside the
    form field the refusal is about. `known` and `last`: as for `give`."""
    result = give(
        session, request, now, known, last=last and request.source != _CONFIRMED_BY_MESSAGE
    )
    if isinstance(result, Refused):
        field = (
            blocks.MESSAGE_BLOCK if result.reason in _ABOUT_THE_MESSAGE else blocks.RECIPIENTS_BLOCK
        )
        return Refusal(result.reason, blocks.refusal_text(result), field)
    return _confirm(session, request, result, now)


def _confirm(session: Session, request: KudosRequest, given: Given, now: datetime) -> Reply | Done:
    """Confirm `given` where its surface allows: a command in its own answer, a form by message
    (ephemeral where it was opened, else by DM), a reaction not at all (it thanks quietly)."""
    where = request.where
    # The bot cannot post in a private channel it was not invited to: the post will not appear.
    not_here = not where.is_dm and where.is_private and not where.bot_is_member
    if request.source == "command":
        # A command's answer shows wherever it was typed, invited or not.
        message = blocks.confirmation(
            given.kudos_id, given.recipients, given.remaining_today, not_here=not_here
        )
        return Reply(message["text"], message["blocks"])
    if request.source != _CONFIRMED_BY_MESSAGE:
        return Done()
    # A form has no answer of its own: its confirmation goes through the outbox.
    message = blocks.confirmation(given.kudos_id, given.recipients, given.remaining_today)
    if where.is_dm or not_here:
        args = {"user": request.giver_id, **message}
        method: outbox.Method = "dm"
    else:
        args = {"channel": where.channel_id, "user": request.giver_id, **message}
        method = "chat.postEphemeral"
    outbox.queue(
        session,
        team_id=request.team_id,
        method=method,
        args=args,
        dedupe_key=f"kudos:{given.kudos_id}:confirm",
        now=now,
    )
    return Done()
