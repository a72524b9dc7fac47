"""The Home tab's offer actions: its "Offer help" form and each offer's "Remove" button."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from app.offers import service
from app.offers.command import OfferRefused, add_offer
from app.slackapi.outcomes import Done, Refusal
from app.slackapi.payloads import Click, Submission

# The Home tab is republished when an offer changes: the person needs no note either way.
_SILENT = ""


def offer_from_home(session: Session, form: Submission, now: datetime) -> Done | Refusal:
    """Record the topics and note of the Home tab's "Offer help" form, as `/offer` does."""
    answer = add_offer(
        session, form.team_id, form.user_id, form.text("topics"), form.text("note"), now
    )
    return answer if isinstance(answer, Refusal) else Done()


def remove_from_home(session: Session, click: Click, now: datetime) -> Done | Refusal:
    """Withdraw the offer a "Remove" button names, if it is the clicking person's own."""
    # The value only names the offer; whose it is comes from who clicked.
    offer_id = click.number
    if offer_id is None or (
        service.remove_by_id(session, click.team_id, click.user_id, offer_id, now) is None
    ):
        return Refusal(OfferRefused.NOT_OFFERED, _SILENT)
    return Done()
