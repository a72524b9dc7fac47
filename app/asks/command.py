"""Posting an ask: `/ask …` typed out, or `/ask` alone and its form, to a recorded, posted ask."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from app.asks import coach, lifecycle
from app.asks.access import AskRefusal
from app.asks.blocks import COMPOSE_BLOCK, compose_modal
from app.delivery import outbox
from app.directory.slack_lookup import SlackLookup
from app.slackapi.outcomes import Done, OpenView, Refusal, Reply
from app.slackapi.payloads import Conversation, SlashCommand, Submission
from app.store.models import Workspace

MIN_WORDS = 3
HELP = (
    "*Ask for specific help:* `/ask How do I rotate the staging DB password? Tried the runbook, "
    "step 3 fails. Need it by Friday #postgres`\n"
    "Say what you need, what you tried, and by when; add `#topics` so the right people see it. "
    "`/ask` alone opens a form that helps."
)
FORM_APOLOGY = (
    "I couldn't open the form in time. Try again, or type it out: "
    "`/ask what you need, what you tried, by when #topic`"
)


def handle(
    session: Session, lookup: SlackLookup, command: SlashCommand, now: datetime
) -> Reply | Refusal | OpenView:
    """Run one `/ask`: record and post it, open the ask form, or say how to ask well."""
    text = command.text.strip()
    if not text:
        metadata = {
            "channel_id": command.channel_id,
            "in_dm": command.in_dm,
            "response_url": command.response_url,
        }
        return OpenView(compose_modal(metadata), apology=FORM_APOLOGY)
    if text.lower() == "help":
        return Reply(HELP)
    if len(text.split()) < MIN_WORDS:
        return Refusal(
            AskRefusal.TOO_SHORT, "That's a little short for people to help with. " + HELP
        )
    if len(text) > lifecycle.MAX_ASK:
        return Refusal(
            AskRefusal.TOO_LONG,
            f"That ask is longer than {lifecycle.MAX_ASK} characters; trim it and link to "
            "the details.",
        )
    # Held to the end: the session keeps only weak references, and the steps below read the
    # workspace again, each a query of its own were it let go.
    workspace = session.get_one(Workspace, command.team_id)
    origin = lookup.conversation(session, command.team_id, command.channel_id, command.in_dm, now)
    ask = lifecycle.create(
        session,
        command.team_id,
        command.user_id,
        text,
        origin,
        now,
        response_url=command.response_url,
    )
    found = coach.similar(session, command.team_id, text)
    return Reply(confirmation(ask.id, origin) + coach.suggestions(found, workspace.domain))


@dataclass(frozen=True)
class AskForm:
    """What the ask form asks: what you need, what you tried, by when, and topics."""

    need: str
    tried: str
    by: str
    topics: str

    @classmethod
    def of(cls, form: Submission) -> AskForm:
        """The form's fields as submitted."""
        return cls(
            form.text(COMPOSE_BLOCK), form.text("tried"), form.text("by"), form.text("topics")
        )

    def text(self) -> str:
        """The ask as if typed: the need, then what was tried, by when, and `#topic` tags."""
        parts = [self.need]
        if self.tried:
            parts.append(f"Tried: {self.tried}")
        if self.by:
            parts.append(f"Needed by: {self.by}")
        tags = ["#" + t.strip().replace(" ", "-") for t in self.topics.split(",") if t.strip()]
        if tags:
            parts.append(" ".join(tags))
        return "\n".join(parts)


def submit_form(
    session: Session, lookup: SlackLookup, form: Submission, now: datetime
) -> Done | Refusal:
    """The ask form was submitted: record and post the ask, and confirm it to the asker by DM."""
    fields = AskForm.of(form)
    if len(fields.need.split()) < MIN_WORDS:
        return Refusal(
            AskRefusal.TOO_SHORT, "Say a bit more: what exactly do you need?", COMPOSE_BLOCK
        )
    channel_id = str(form.metadata.get("channel_id") or "")
    in_dm = bool(form.metadata.get("in_dm")) or not channel_id
    origin = lookup.conversation(session, form.team_id, channel_id, in_dm, now)
    ask = lifecycle.create(
        session,
        form.team_id,
        form.user_id,
        fields.text(),
        origin,
        now,
        response_url=form.metadata.get("response_url"),
    )
    outbox.queue(
        session,
        team_id=form.team_id,
        method="dm",
        args={"user": form.user_id, "text": confirmation(ask.id, origin)},
        dedupe_key=f"ask:{ask.id}:confirm",
        now=now,
    )
    return Done()


def confirmation(ask_id: int, origin: Conversation) -> str:
    """What the asker is told once their ask is recorded."""
    if origin.is_dm:
        return (
            f"Ask #{ask_id} is saved. It came from a private conversation, so I won't post "
            "it anywhere public."
        )
    if origin.is_private and not origin.bot_is_member:
        return (
            f"Ask #{ask_id} is saved, but I'm not in this private channel: invite me with "
            "`/invite @Reciprocity` so I can post it here."
        )
    return f"Ask #{ask_id} is posted. I'll follow the thread and let you know when someone helps."
